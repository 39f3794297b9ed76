# libclient rules
