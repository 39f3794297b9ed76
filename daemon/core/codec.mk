# codec: see daemon/core/local.mk
