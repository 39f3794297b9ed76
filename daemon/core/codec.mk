# SPDX-License-Identifier: ISC
# codec: wire packets, STUN and tokens (see daemon/core/local.mk).
noinst_LTLIBRARIES += libp2pcodec.la
libp2pcodec_la_SOURCES = daemon/core/wire.c daemon/core/wire.h \
	daemon/core/stun.c daemon/core/stun.h \
	daemon/core/token.c daemon/core/token.h \
	daemon/core/match.c daemon/core/match.h \
	daemon/core/crc32.c daemon/core/crc32.h \
	daemon/core/natclass.c daemon/core/natclass.h \
	daemon/core/hops.c daemon/core/hops.h \
	daemon/core/candfilter.c daemon/core/candfilter.h \
	daemon/core/addr_fmt.c daemon/core/addr_fmt.h daemon/core/errf.h \
	daemon/core/pcp.c daemon/core/pcp.h \
	daemon/core/upnpmsg.c daemon/core/upnpmsg.h
libp2pcodec_la_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS)
libp2pcore_la_LIBADD += libp2pcodec.la

CODEC_TEST_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) $(CRITERION_CFLAGS)
CODEC_TEST_LIBS = libp2pcodec.la $(SODIUM_LIBS) $(CRITERION_LIBS)

check_PROGRAMS += tests/unit/test_wire tests/unit/test_stun \
	tests/unit/test_token
TESTS += tests/unit/test_wire tests/unit/test_stun tests/unit/test_token

tests_unit_test_wire_SOURCES = tests/unit/test_wire.c
tests_unit_test_wire_CFLAGS = $(CODEC_TEST_CFLAGS)
tests_unit_test_wire_LDADD = $(CODEC_TEST_LIBS)

tests_unit_test_stun_SOURCES = tests/unit/test_stun.c
tests_unit_test_stun_CFLAGS = $(CODEC_TEST_CFLAGS)
tests_unit_test_stun_LDADD = $(CODEC_TEST_LIBS)

check_PROGRAMS += tests/unit/test_natclass
TESTS += tests/unit/test_natclass
tests_unit_test_natclass_SOURCES = tests/unit/test_natclass.c
tests_unit_test_natclass_CFLAGS = $(CODEC_TEST_CFLAGS)
tests_unit_test_natclass_LDADD = $(CODEC_TEST_LIBS)

check_PROGRAMS += tests/unit/test_hops
TESTS += tests/unit/test_hops
tests_unit_test_hops_SOURCES = tests/unit/test_hops.c
tests_unit_test_hops_CFLAGS = $(CODEC_TEST_CFLAGS)
tests_unit_test_hops_LDADD = $(CODEC_TEST_LIBS)

check_PROGRAMS += tests/unit/test_match
TESTS += tests/unit/test_match
tests_unit_test_match_SOURCES = tests/unit/test_match.c
tests_unit_test_match_CFLAGS = $(CODEC_TEST_CFLAGS)
tests_unit_test_match_LDADD = $(CODEC_TEST_LIBS)

tests_unit_test_token_SOURCES = tests/unit/test_token.c
tests_unit_test_token_CFLAGS = $(CODEC_TEST_CFLAGS)
tests_unit_test_token_LDADD = $(CODEC_TEST_LIBS)

# Test data (tests/fuzz, with fuzz_{stun,token,wire}, is distributed whole by tests/local.mk).
EXTRA_DIST += tests/unit/vectors/stun-rfc5769.txt

# Where probes may go (issue 15, finding 4).
check_PROGRAMS += tests/unit/test_candfilter
TESTS += tests/unit/test_candfilter
tests_unit_test_candfilter_SOURCES = tests/unit/test_candfilter.c
tests_unit_test_candfilter_CFLAGS = $(CODEC_TEST_CFLAGS)
tests_unit_test_candfilter_LDADD = $(CODEC_TEST_LIBS)
# Port mapping: the NAT-PMP/PCP messages and the UPnP helper's lines.
check_PROGRAMS += tests/unit/test_pcp tests/unit/test_upnpmsg
TESTS += tests/unit/test_pcp tests/unit/test_upnpmsg
tests_unit_test_pcp_SOURCES = tests/unit/test_pcp.c
tests_unit_test_pcp_CFLAGS = $(CODEC_TEST_CFLAGS)
tests_unit_test_pcp_LDADD = $(CODEC_TEST_LIBS)
tests_unit_test_upnpmsg_SOURCES = tests/unit/test_upnpmsg.c
tests_unit_test_upnpmsg_CFLAGS = $(CODEC_TEST_CFLAGS)
tests_unit_test_upnpmsg_LDADD = $(CODEC_TEST_LIBS)
