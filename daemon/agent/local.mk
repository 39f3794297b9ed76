# daemon/agent rules
