noinst_LTLIBRARIES += libp2pcommon.la
libp2pcommon_la_SOURCES = daemon/common/log.c daemon/common/log.h daemon/common/conf.h
libp2pcommon_la_CFLAGS = $(AM_CFLAGS)
