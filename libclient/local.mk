# SPDX-License-Identifier: ISC
# libclient: libp2pclient (the application side of the IPC socket) and p2pctl.
# ipcmsg.h lives in the source tree's proto/, next to the generated headers.
P2PC_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proto

lib_LTLIBRARIES += libp2pclient.la
libp2pclient_la_CPPFLAGS = $(P2PC_CPPFLAGS)
libp2pclient_la_SOURCES = libclient/p2pclient.c libclient/p2pclient_req.c \
	libclient/p2pclient_sync.c libclient/p2pclient_info.c libclient/p2pclient_int.h \
	libclient/p2pclient_group.c libclient/p2pclient_stats.c \
	libclient/p2pclient_match.c
libp2pclient_la_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS)
libp2pclient_la_LIBADD = libp2pproto.la $(PROTOBUFC_LIBS)
# The ABI (docs/ABI.md): libtool version from configure, one version node
# per minor release in the map, the baseline dump in libclient/abi/.
libp2pclient_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(P2PCLIENT_LT_VERSION) \
	-Wl,--version-script=$(top_srcdir)/libclient/libp2pclient.map
EXTRA_libp2pclient_la_DEPENDENCIES = $(top_srcdir)/libclient/libp2pclient.map
EXTRA_DIST += libclient/libp2pclient.map libclient/abi tests/abi/abilib.sh \
	tests/abi/abidump.sh tests/abi/abicheck.sh
TESTS += tests/abi/abicheck.sh
abi-dump: libp2pclient.la
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    $(SHELL) $(top_srcdir)/tests/abi/abidump.sh
.PHONY: abi-dump
include_HEADERS += libclient/p2pclient.h

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = libclient/p2pclient.pc

bin_PROGRAMS += p2pctl
p2pctl_SOURCES = libclient/p2pctl.c libclient/p2pctl.h libclient/ctl_status.c \
	libclient/ctl_conn.c libclient/ctl_msg.c libclient/ctl_pipe.c \
	libclient/ctl_events.c libclient/ctl_json.c libclient/ctl_group.c \
	libclient/ctl_nat.c libclient/ctl_match.c
p2pctl_CPPFLAGS = $(P2PC_CPPFLAGS)
p2pctl_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(SODIUM_CFLAGS)
p2pctl_LDADD = libp2pclient.la $(JSONC_LIBS) $(SODIUM_LIBS)

# Tests of this folder: IPC framing and the client against a fake agent.
check_PROGRAMS += tests/unit/test_ipcmsg tests/unit/test_client \
	tests/unit/test_client_ctl tests/unit/test_client_abi
TESTS += tests/unit/test_ipcmsg tests/unit/test_client tests/unit/test_client_ctl \
	tests/unit/test_client_abi
tests_unit_test_ipcmsg_SOURCES = tests/unit/test_ipcmsg.c
tests_unit_test_ipcmsg_CPPFLAGS = $(P2PC_CPPFLAGS)
tests_unit_test_ipcmsg_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(PROTOBUFC_CFLAGS)
tests_unit_test_ipcmsg_LDADD = libp2pproto.la $(CRITERION_LIBS) $(PROTOBUFC_LIBS)
tests_unit_test_client_SOURCES = tests/unit/test_client.c \
	tests/unit/test_client_fake.c tests/unit/test_client_fake.h
tests_unit_test_client_CPPFLAGS = $(P2PC_CPPFLAGS)
tests_unit_test_client_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(PROTOBUFC_CFLAGS)
tests_unit_test_client_LDADD = libp2pclient.la libp2pproto.la $(CRITERION_LIBS) \
	$(PROTOBUFC_LIBS) -lpthread

tests_unit_test_client_abi_SOURCES = tests/unit/test_client_abi.c \
	tests/unit/test_client_fake.c tests/unit/test_client_fake.h \
	tests/unit/test_client_script.c tests/unit/test_client_script.h
tests_unit_test_client_abi_CPPFLAGS = $(P2PC_CPPFLAGS)
tests_unit_test_client_abi_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(PROTOBUFC_CFLAGS)
tests_unit_test_client_abi_LDADD = libp2pclient.la libp2pproto.la $(CRITERION_LIBS) \
	$(PROTOBUFC_LIBS) -lpthread

# What 1.1 adds for games: on_message_ex, priorities, pushed session figures.
check_PROGRAMS += tests/unit/test_client_game
TESTS += tests/unit/test_client_game
tests_unit_test_client_game_SOURCES = tests/unit/test_client_game.c \
	tests/unit/test_client_fake.c tests/unit/test_client_fake.h \
	tests/unit/test_client_script.c tests/unit/test_client_script.h
tests_unit_test_client_game_CPPFLAGS = $(P2PC_CPPFLAGS)
tests_unit_test_client_game_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(PROTOBUFC_CFLAGS)
tests_unit_test_client_game_LDADD = libp2pclient.la libp2pproto.la $(CRITERION_LIBS) \
	$(PROTOBUFC_LIBS) -lpthread

# What 1.2 adds: matchmaking and group search.
check_PROGRAMS += tests/unit/test_client_match
TESTS += tests/unit/test_client_match
tests_unit_test_client_match_SOURCES = tests/unit/test_client_match.c \
	tests/unit/test_client_fake.c tests/unit/test_client_fake.h \
	tests/unit/test_client_script.c tests/unit/test_client_script.h
tests_unit_test_client_match_CPPFLAGS = $(P2PC_CPPFLAGS)
tests_unit_test_client_match_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(PROTOBUFC_CFLAGS)
tests_unit_test_client_match_LDADD = libp2pclient.la libp2pproto.la $(CRITERION_LIBS) \
	$(PROTOBUFC_LIBS) -lpthread

# p2pctl itself against the fake agent (needs p2pctl built: EXTRA_DEPENDENCIES).
tests_unit_test_client_ctl_SOURCES = tests/unit/test_client_ctl.c \
	tests/unit/test_client_fake.c tests/unit/test_client_fake.h
tests_unit_test_client_ctl_CPPFLAGS = $(P2PC_CPPFLAGS)
tests_unit_test_client_ctl_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(PROTOBUFC_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_client_ctl_LDADD = libp2pproto.la $(CRITERION_LIBS) \
	$(PROTOBUFC_LIBS) $(JSONC_LIBS) -lpthread
EXTRA_tests_unit_test_client_ctl_DEPENDENCIES = p2pctl$(EXEEXT)

# Driver for the lead's integration scripts (not run by make check).
check_PROGRAMS += tests/integration/msgflood
tests_integration_msgflood_SOURCES = tests/integration/msgflood.c
tests_integration_msgflood_CPPFLAGS = $(P2PC_CPPFLAGS)
tests_integration_msgflood_LDADD = libp2pclient.la

EXTRA_DIST += tests/fuzz/fuzz_ipc.c tests/fuzz/fuzz_ipc.sources tests/fuzz/corpus/ipc
