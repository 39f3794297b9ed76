# daemon/server rules
