# SPDX-License-Identifier: ISC
# daemon/agent rules: p2pd, the agent.
sbin_PROGRAMS += p2pd
# The engine: peers and sessions, routes, the socket, the server link.
P2PD_ENGINE = daemon/agent/engine.c daemon/agent/engine.h \
	daemon/agent/peer.c daemon/agent/peer_conn.c daemon/agent/peer.h \
	daemon/agent/session.c daemon/agent/session_hs.c \
	daemon/agent/session_tp.c daemon/agent/session_stream.c \
	daemon/agent/session_queue.c daemon/agent/session.h \
	daemon/agent/pindex.c daemon/agent/input.c \
	daemon/agent/guard.c daemon/agent/guard.h daemon/agent/guard_send.c \
	daemon/agent/route.c daemon/agent/spray.c daemon/agent/route.h \
	daemon/agent/udp.c daemon/agent/reg.c daemon/agent/reg.h \
	daemon/agent/reg_ctrl.c daemon/agent/reg_hs.c daemon/agent/reg_live.c \
	daemon/agent/reg_nodes.c daemon/agent/reg_status.c \
	daemon/agent/regtcp.c \
	daemon/agent/nat.c daemon/agent/reg_nat.c daemon/agent/stats.c \
	daemon/agent/natmap.c daemon/agent/lowttl.c daemon/agent/refl.c \
	$(PORTMAP_SOURCES)
# The control side: the IPC socket and one file per command group.
P2PD_CONTROL = daemon/agent/ctl.c daemon/agent/ctl.h \
	daemon/agent/ctl_status.c daemon/agent/ctl_conn.c \
	daemon/agent/ctl_msg.c daemon/agent/ctl_recv.c \
	daemon/agent/ctl_events.c daemon/agent/ctl_pipe.c \
	daemon/agent/ctl_group.c daemon/agent/ctl_nat.c \
	daemon/agent/ctl_match.c daemon/agent/ctl_match_info.c \
	daemon/agent/ctl_metrics.c daemon/agent/ctl_http.c \
	daemon/agent/ctl_log.c \
	daemon/agent/ipc.c daemon/agent/ipc_out.c daemon/agent/ipc_buf.c \
	daemon/agent/ipc.h
p2pd_SOURCES = daemon/agent/p2pd.c daemon/agent/agent.h \
	daemon/agent/clock.c daemon/agent/ident.c \
	daemon/agent/svc.c daemon/agent/svc.h \
	daemon/agent/group_hdr.c daemon/agent/group_hdr.h \
	$(P2PD_ENGINE) $(P2PD_CONTROL)
p2pd_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/proto $(LIBEVENT_CFLAGS) $(SODIUM_CFLAGS) $(PROTOBUFC_CFLAGS) \
	$(MINIUPNPC_CFLAGS)
p2pd_LDADD = libp2pcore.la libp2pcommon.la libp2pnotify.la libp2pproto.la $(LIBEVENT_LIBS) \
	$(SODIUM_LIBS) $(PROTOBUFC_LIBS) $(MINIUPNPC_LIBS)

check_PROGRAMS += tests/unit/test_agent_svc
TESTS += tests/unit/test_agent_svc
tests_unit_test_agent_svc_SOURCES = tests/unit/test_agent_svc.c \
	daemon/agent/svc.c daemon/agent/svc.h
tests_unit_test_agent_svc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	-I$(top_srcdir)/daemon/agent
tests_unit_test_agent_svc_LDADD = $(CRITERION_LIBS)

# The receiver index table against a plain model of it.
check_PROGRAMS += tests/unit/test_agent_pindex
TESTS += tests/unit/test_agent_pindex
tests_unit_test_agent_pindex_SOURCES = tests/unit/test_agent_pindex.c \
	daemon/agent/pindex.c
tests_unit_test_agent_pindex_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) \
	$(LIBEVENT_CFLAGS) $(SODIUM_CFLAGS) $(PROTOBUFC_CFLAGS) \
	-I$(top_srcdir)/daemon/agent -I$(top_srcdir)/proto
tests_unit_test_agent_pindex_LDADD = $(CRITERION_LIBS)

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

# Port mapping (PCP, NAT-PMP, UPnP IGD through a helper process): in p2pd
# (natmap.c), and tested on its own with the driver pmdriver.
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

# SIGHUP: the options read again, what can change applied (p2pd_reload.c).
p2pd_SOURCES += daemon/agent/p2pd.h daemon/agent/p2pd_reload.c
dist_noinst_SCRIPTS += tests/integration/agent_reload.sh
TESTS += tests/integration/agent_reload.sh

# Operators: --metrics, p2pctl metrics, log-level, status/peers/events figures.
dist_noinst_SCRIPTS += tests/integration/agent_metrics.sh
TESTS += tests/integration/agent_metrics.sh
