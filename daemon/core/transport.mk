# transport: see daemon/core/local.mk
