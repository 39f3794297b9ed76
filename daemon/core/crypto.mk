# crypto: see daemon/core/local.mk
