# SPDX-License-Identifier: ISC
# Shared by both daemons: log, conf, addr, secret, udpio, httpconn.
noinst_LTLIBRARIES += libp2pcommon.la
libp2pcommon_la_SOURCES = daemon/common/log.c daemon/common/log.h \
	daemon/common/conf.c daemon/common/conf.h daemon/common/conf_diff.c \
	daemon/common/addr.c daemon/common/addr.h \
	daemon/common/secret.c daemon/common/secret.h \
	daemon/common/udpio.c daemon/common/udpio.h \
	daemon/common/udpio_out.c \
	daemon/common/httpconn.c daemon/common/httpconn.h
nodist_libp2pcommon_la_SOURCES = proto/server.pb-c.h
libp2pcommon_la_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) $(PROTOBUFC_CFLAGS) \
	$(LIBEVENT_CFLAGS)
libp2pcommon_la_LIBADD = $(SODIUM_LIBS) $(LIBEVENT_LIBS)

# sd_notify and the systemd watchdog (libevent, optional libsystemd): both
# daemons, kept out of libp2pcommon so the common tests need neither.
noinst_LTLIBRARIES += libp2pnotify.la
libp2pnotify_la_SOURCES = daemon/common/notify.c daemon/common/notify.h
libp2pnotify_la_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(SYSTEMD_CFLAGS)
libp2pnotify_la_LIBADD = $(SYSTEMD_LIBS)

# libp2pcommon uses token_secret_parse (core) and the generated protos.
COMMON_TEST_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) $(PROTOBUFC_CFLAGS) $(CRITERION_CFLAGS)
COMMON_TEST_LIBS = libp2pcommon.la libp2pcore.la libp2pproto.la $(SODIUM_LIBS) \
	$(PROTOBUFC_LIBS) $(CRITERION_LIBS)

check_PROGRAMS += tests/unit/test_conf tests/unit/test_addr
TESTS += tests/unit/test_conf tests/unit/test_addr
tests_unit_test_conf_SOURCES = tests/unit/test_conf.c
tests_unit_test_conf_CFLAGS = $(COMMON_TEST_CFLAGS)
tests_unit_test_conf_LDADD = $(COMMON_TEST_LIBS)
tests_unit_test_addr_SOURCES = tests/unit/test_addr.c
tests_unit_test_addr_CFLAGS = $(COMMON_TEST_CFLAGS)
tests_unit_test_addr_LDADD = $(COMMON_TEST_LIBS)

check_PROGRAMS += tests/unit/test_udpio
TESTS += tests/unit/test_udpio
tests_unit_test_udpio_SOURCES = tests/unit/test_udpio.c
tests_unit_test_udpio_CFLAGS = $(COMMON_TEST_CFLAGS)
tests_unit_test_udpio_LDADD = $(COMMON_TEST_LIBS)
