# SPDX-License-Identifier: ISC
# daemon/agent rules: p2pd, the agent.
sbin_PROGRAMS += p2pd
p2pd_SOURCES = daemon/agent/p2pd.c daemon/agent/agent.h \
	daemon/agent/ident.c daemon/agent/udp.c daemon/agent/reg.c \
	daemon/agent/reg.h daemon/agent/reg_ctrl.c daemon/agent/reg_token.c \
	daemon/agent/reg_req.c daemon/agent/reg_hs.c daemon/agent/reg_check.c \
	daemon/agent/regtcp.c \
	daemon/agent/session.c daemon/agent/route.c daemon/agent/reg_relay.c \
	daemon/agent/spray.c \
	daemon/agent/peer.c daemon/agent/peer.h \
	daemon/agent/ipc.c daemon/agent/ipc.h daemon/agent/ipc_cmd.c \
	daemon/agent/svc.c daemon/agent/svc.h daemon/agent/pipe.c \
	daemon/agent/events.c daemon/agent/group.c daemon/agent/group.h \
	daemon/agent/group_hdr.c \
	daemon/agent/nat.c daemon/agent/reg_nat.c daemon/agent/ipc_nat.c
p2pd_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/proto $(LIBEVENT_CFLAGS) $(SODIUM_CFLAGS) $(PROTOBUFC_CFLAGS)
p2pd_LDADD = libp2pcore.la libp2pcommon.la libp2pnotify.la libp2pproto.la $(LIBEVENT_LIBS) \
	$(SODIUM_LIBS) $(PROTOBUFC_LIBS)

check_PROGRAMS += tests/unit/test_agent_svc
TESTS += tests/unit/test_agent_svc
tests_unit_test_agent_svc_SOURCES = tests/unit/test_agent_svc.c \
	daemon/agent/svc.c daemon/agent/svc.h
tests_unit_test_agent_svc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	-I$(top_srcdir)/daemon/agent
tests_unit_test_agent_svc_LDADD = $(CRITERION_LIBS)

dist_noinst_SCRIPTS += tests/integration/agent_basic.sh
TESTS += tests/integration/agent_basic.sh

EXTRA_DIST += tests/fuzz/fuzz_agent_svc.c tests/fuzz/fuzz_agent_svc.sources \
	tests/fuzz/corpus/agent_svc

check_PROGRAMS += tests/unit/test_agent_ident
TESTS += tests/unit/test_agent_ident
tests_unit_test_agent_ident_SOURCES = tests/unit/test_agent_ident.c \
	daemon/agent/ident.c
tests_unit_test_agent_ident_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(LIBEVENT_CFLAGS) $(SODIUM_CFLAGS) $(PROTOBUFC_CFLAGS) \
	-I$(top_srcdir)/daemon/agent -I$(top_srcdir)/proto
tests_unit_test_agent_ident_LDADD = libp2pcommon.la $(SODIUM_LIBS) \
	$(CRITERION_LIBS)

dist_noinst_SCRIPTS += tests/integration/groups.sh
TESTS += tests/integration/groups.sh

dist_noinst_SCRIPTS += tests/integration/tcp_fallback.sh
TESTS += tests/integration/tcp_fallback.sh

# Port mapping (PCP, NAT-PMP, UPnP IGD through a helper process): built and
# tested on its own with the driver pmdriver until the agent takes it up.
PORTMAP_SOURCES = daemon/agent/portmap.c daemon/agent/portmap.h \
	daemon/agent/portmap_int.h daemon/agent/portmap_pcp.c \
	daemon/agent/portmap_upnp.c daemon/agent/portmap_helper.c
check_PROGRAMS += tests/integration/pmdriver tests/integration/fakegw
tests_integration_pmdriver_SOURCES = tests/integration/pmdriver.c \
	$(PORTMAP_SOURCES)
tests_integration_pmdriver_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(SODIUM_CFLAGS) $(MINIUPNPC_CFLAGS) -I$(top_srcdir)/daemon/agent
tests_integration_pmdriver_LDADD = libp2pcommon.la libp2pcore.la libp2pproto.la \
	$(LIBEVENT_LIBS) $(SODIUM_LIBS) $(PROTOBUFC_LIBS) $(MINIUPNPC_LIBS)
tests_integration_fakegw_SOURCES = tests/integration/fakegw.c
TESTS += tests/integration/portmap.sh tests/integration/portmap_hostile.sh
EXTRA_DIST += tests/integration/portmap.sh tests/integration/portmap_hostile.sh \
	tests/fuzz/fuzz_pcp.c tests/fuzz/fuzz_pcp.sources tests/fuzz/corpus/pcp \
	tests/fuzz/fuzz_upnpmsg.c tests/fuzz/fuzz_upnpmsg.sources \
	tests/fuzz/corpus/upnpmsg
