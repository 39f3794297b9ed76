# SPDX-License-Identifier: ISC
# p2p-server: the rendezvous server (STUN, registration, signalling).
SRV_CLUSTER_SOURCES = daemon/server/cluster.c daemon/server/cluster.h \
	daemon/server/cluster_node.c daemon/server/cluster_int.h \
	daemon/server/cluster_claim.c \
	daemon/server/cluster_url.c daemon/server/cluster_url.h \
	daemon/server/cluster_redis.c daemon/server/cluster_redis.h \
	daemon/server/cluster_ev.c daemon/server/cluster_ev.h \
	daemon/server/cluster_lua.c daemon/server/cluster_lua.h \
	daemon/server/cluster_lua_match.c \
	daemon/server/state_redis.c daemon/server/state_redis.h \
	daemon/server/state_redis_int.h daemon/server/state_redis_sync.c \
	daemon/server/state_redis_write.c daemon/server/state_redis_quota.c \
	daemon/server/state_redis_group.c daemon/server/state_redis_match.c \
	daemon/server/srv_cluster.c daemon/server/srv_node.c \
	daemon/server/srv_http_cluster.c daemon/server/srv_drain.c \
	daemon/server/srv_nodes.c
SRV_STATE_SOURCES = daemon/server/state.h daemon/server/state_mem.h \
	daemon/server/state_group.h \
	daemon/server/state_mem.c daemon/server/state_mem_group.c \
	daemon/server/state_mem_table.c \
	daemon/server/state_mem_intro.c daemon/server/state_mem_view.c \
	daemon/server/state_mem_match.c daemon/server/state_file.c
SRV_GROUP_SOURCES = daemon/server/srv_group.c daemon/server/srv_group.h \
	daemon/server/srv_group_int.h daemon/server/srv_group_track.c \
	daemon/server/srv_group_sync.c daemon/server/srv_group_match.c
sbin_PROGRAMS += p2p-server
p2p_server_SOURCES = daemon/server/server.c daemon/server/server.h \
	daemon/server/srv_wire.c daemon/server/srv_push.c \
	daemon/server/srv_clock.c daemon/server/srv_portfile.c \
	daemon/server/srv_token.c \
	daemon/server/srv_udp.c daemon/server/srv_tcp.c \
	daemon/server/srv_stun.c daemon/server/srv_listen.c \
	daemon/server/srv_reg.c daemon/server/srv_ctrl.c \
	daemon/server/srv_ctrl_out.c \
	daemon/server/srv_sess.c daemon/server/srv_recent.c \
	daemon/server/srv_quota.c daemon/server/srv_quota.h \
	daemon/server/srv_quota_lease.c daemon/server/srv_roam.c \
	daemon/server/srv_ratelim.c daemon/server/srv_ratelim.h \
	daemon/server/srv_reg_hello.c daemon/server/srv_reg_hello.h \
	daemon/server/srv_ident.c daemon/server/srv_ident.h \
	daemon/server/srv_key.c daemon/server/srv_key.h \
	daemon/server/srv_signal.c daemon/server/srv_relay.c \
	$(SRV_GROUP_SOURCES) \
	daemon/server/srv_http.c daemon/server/srv_http.h \
	daemon/server/srv_http_reply.c \
	daemon/server/srv_http_conn.c daemon/server/srv_http_head.c \
	daemon/server/srv_http_stream.c \
	daemon/server/srv_http_api.c daemon/server/srv_http_metrics.c \
	daemon/server/srv_http_match.c \
	daemon/server/srv_match.c daemon/server/srv_match.h \
	daemon/server/srv_match_int.h daemon/server/srv_match_tick.c \
	daemon/server/srv_match_ctrl.c daemon/server/srv_match_srv.c \
	daemon/server/srv_json.c daemon/server/srv_json.h \
	$(SRV_STATE_SOURCES) $(SRV_CLUSTER_SOURCES) \
	daemon/server/srv_reload.c \
	daemon/server/srv_health.c daemon/server/srv_health.h
p2p_server_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(SODIUM_CFLAGS) \
	$(PROTOBUFC_CFLAGS) $(JSONC_CFLAGS) $(HIREDIS_CFLAGS)
p2p_server_LDADD = libp2pcore.la libp2pcommon.la libp2pnotify.la libp2pproto.la \
	$(LIBEVENT_LIBS) $(SODIUM_LIBS) $(PROTOBUFC_LIBS) $(JSONC_LIBS) \
	$(HIREDIS_LIBS)

check_PROGRAMS += tests/unit/test_state tests/unit/test_srv_secret \
	tests/unit/test_srv_group tests/unit/test_srv_http
TESTS += tests/unit/test_state tests/unit/test_srv_secret \
	tests/unit/test_srv_group tests/unit/test_srv_http
tests_unit_test_state_SOURCES = tests/unit/test_state.c \
	tests/unit/test_state_match.c $(SRV_STATE_SOURCES)
tests_unit_test_state_CFLAGS = $(COMMON_TEST_CFLAGS) -I$(top_srcdir)/daemon/server
tests_unit_test_state_LDADD = $(COMMON_TEST_LIBS)
tests_unit_test_srv_group_SOURCES = tests/unit/test_srv_group.c \
	$(SRV_GROUP_SOURCES) $(SRV_STATE_SOURCES)
tests_unit_test_srv_group_CFLAGS = $(COMMON_TEST_CFLAGS) \
	-I$(top_srcdir)/daemon/server
tests_unit_test_srv_group_LDADD = $(COMMON_TEST_LIBS)
tests_unit_test_srv_http_SOURCES = tests/unit/test_srv_http.c \
	$(SRV_GROUP_SOURCES) $(SRV_STATE_SOURCES)
tests_unit_test_srv_http_CFLAGS = $(COMMON_TEST_CFLAGS) \
	-I$(top_srcdir)/daemon/server
tests_unit_test_srv_http_LDADD = $(COMMON_TEST_LIBS)
tests_unit_test_srv_secret_SOURCES = tests/unit/test_srv_secret.c
tests_unit_test_srv_secret_CFLAGS = $(COMMON_TEST_CFLAGS)
tests_unit_test_srv_secret_LDADD = $(COMMON_TEST_LIBS)

# Integration test (registered by tests/local.mk) and its helper.
check_PROGRAMS += tests/integration/udpjunk
tests_integration_udpjunk_SOURCES = tests/integration/udpjunk.c

# server_groups.sh is a test (SKIP when p2p-server lacks --join-timeout).
TESTS += tests/integration/server_groups.sh tests/integration/server_http.sh
TESTS += tests/integration/nat_discovery.sh tests/integration/server_mem.sh \
	tests/integration/cluster.sh tests/integration/cluster_relay.sh \
	tests/integration/cluster_drain.sh tests/integration/match.sh \
	tests/integration/match_cluster.sh tests/integration/match_agent.sh \
	tests/integration/cluster_move.sh tests/integration/cluster_quota.sh \
	tests/integration/cluster_nat.sh
EXTRA_DIST += tests/integration/match.sh tests/integration/match_cluster.sh \
	tests/integration/match_lib.sh tests/integration/match_agent.sh
EXTRA_DIST += tests/integration/server_mem.sh tests/integration/cluster.sh \
	tests/integration/cluster_relay.sh tests/integration/cluster_drain.sh \
	tests/integration/cluster_lib.sh tests/integration/cluster_move.sh \
	tests/integration/cluster_quota.sh tests/integration/cluster_nat.sh
EXTRA_DIST += tests/integration/nat_discovery.sh
TESTS += tests/integration/dual_listen.sh tests/integration/cluster_v6.sh \
	tests/integration/cluster_quota_down.sh
EXTRA_DIST += tests/integration/dual_listen.sh tests/integration/stunask.pl \
	tests/integration/cluster_v6.sh tests/integration/cluster_quota_down.sh
EXTRA_DIST += tests/integration/server_basic.sh \
	tests/integration/server_http.sh \
	tests/integration/server_groups.sh \
	tests/fuzz/fuzz_conf.c tests/fuzz/fuzz_conf.sources \
	tests/fuzz/corpus/conf
check_PROGRAMS += tests/integration/srvclient
tests_integration_srvclient_SOURCES = tests/integration/srvclient.c \
	tests/integration/regclient.c tests/integration/regclient.h
tests_integration_srvclient_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) $(PROTOBUFC_CFLAGS)
tests_integration_srvclient_LDADD = libp2pcommon.la libp2pcore.la libp2pproto.la \
	$(SODIUM_LIBS) $(PROTOBUFC_LIBS) -lpthread

# The server's identity (PROTOCOL.md §2.1): an attacker of the registration
# (a fake server, a man in the middle, forged packets) and the test that
# runs it on loopback and on a namespace path.
check_PROGRAMS += tests/integration/regmitm
tests_integration_regmitm_SOURCES = tests/integration/regmitm.c \
	tests/integration/rawudp.c tests/integration/rawudp.h
tests_integration_regmitm_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) $(PROTOBUFC_CFLAGS)
tests_integration_regmitm_LDADD = libp2pcore.la libp2pproto.la \
	$(SODIUM_LIBS) $(PROTOBUFC_LIBS) -lpthread
TESTS += tests/integration/regauth.sh
EXTRA_DIST += tests/integration/regauth.sh tests/unit/vectors/reghs.py

# The attacks of the security review (issue 15): p2pattack measures each;
# amplify.sh (make check) asserts the amplification table, attack.sh
# (make attack) prints every figure against a local server.
check_PROGRAMS += tests/attack/p2pattack
tests_attack_p2pattack_SOURCES = tests/attack/p2pattack.c \
	tests/integration/regclient.c tests/integration/regclient.h \
	tests/integration/rawudp.c tests/integration/rawudp.h
tests_attack_p2pattack_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) \
	$(PROTOBUFC_CFLAGS) -I$(top_srcdir)/tests/integration
tests_attack_p2pattack_LDADD = libp2pcommon.la libp2pcore.la libp2pproto.la \
	$(SODIUM_LIBS) $(PROTOBUFC_LIBS) -lpthread
TESTS += tests/integration/amplify.sh tests/integration/roam.sh \
	tests/integration/http_abuse.sh tests/integration/hsflood.sh \
	tests/integration/probeflood.sh tests/integration/probelan.sh \
	tests/integration/helloflood.sh
EXTRA_DIST += tests/integration/amplify.sh tests/integration/roam.sh \
	tests/integration/http_abuse.sh tests/integration/hsflood.sh \
	tests/integration/probeflood.sh tests/integration/probelan.sh \
	tests/integration/helloflood.sh \
	tests/attack/attack.sh tests/attack/fresh_agent.sh

# The seeded chaos on a cluster (docs/CLUSTER.md): CHAOS_ROUNDS (500 here)
# and CHAOS_SEED (random; a failure prints it) choose the run.
EXTRA_DIST += tests/integration/cluster_chaos.sh
chaos: all
	CHAOS_ROUNDS=$${CHAOS_ROUNDS:-500} \
	    top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    $(SHELL) $(top_srcdir)/tests/integration/cluster_chaos.sh
.PHONY: chaos

attack: all tests/attack/p2pattack$(EXEEXT)
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    $(SHELL) $(top_srcdir)/tests/attack/attack.sh
.PHONY: attack

check_PROGRAMS += tests/unit/test_srv_reg_hello
TESTS += tests/unit/test_srv_reg_hello
tests_unit_test_srv_reg_hello_SOURCES = tests/unit/test_srv_reg_hello.c \
	daemon/server/srv_reg_hello.c
tests_unit_test_srv_reg_hello_CFLAGS = $(COMMON_TEST_CFLAGS) \
	-I$(top_srcdir)/daemon/server
tests_unit_test_srv_reg_hello_LDADD = $(COMMON_TEST_LIBS)

check_PROGRAMS += tests/unit/test_srv_http_head
TESTS += tests/unit/test_srv_http_head
tests_unit_test_srv_http_head_SOURCES = tests/unit/test_srv_http_head.c \
	daemon/server/srv_http_head.c
tests_unit_test_srv_http_head_CFLAGS = $(COMMON_TEST_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/daemon/server
tests_unit_test_srv_http_head_LDADD = $(COMMON_TEST_LIBS)

# The load generator (tests/bench/loadgen.c): simulated peers registering
# over UDP; server_mem.sh uses it, and so do the cluster benchmarks.
check_PROGRAMS += tests/bench/loadgen
tests_bench_loadgen_SOURCES = tests/bench/loadgen.c tests/bench/loadgen.h \
	tests/bench/loadgen_relay.c tests/bench/loadgen_rehome.c
tests_bench_loadgen_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) $(PROTOBUFC_CFLAGS)
tests_bench_loadgen_LDADD = libp2pcommon.la libp2pcore.la libp2pproto.la \
	$(SODIUM_LIBS) $(PROTOBUFC_LIBS) -lpthread

check_PROGRAMS += tests/unit/test_cluster_url
TESTS += tests/unit/test_cluster_url
tests_unit_test_cluster_url_SOURCES = tests/unit/test_cluster_url.c \
	daemon/server/cluster_url.c daemon/server/cluster_url.h
tests_unit_test_cluster_url_CFLAGS = $(COMMON_TEST_CFLAGS) \
	-I$(top_srcdir)/daemon/server
tests_unit_test_cluster_url_LDADD = $(COMMON_TEST_LIBS)

check_PROGRAMS += tests/unit/test_cluster_ev
TESTS += tests/unit/test_cluster_ev
tests_unit_test_cluster_ev_SOURCES = tests/unit/test_cluster_ev.c \
	daemon/server/cluster_ev.c daemon/server/cluster_ev.h
tests_unit_test_cluster_ev_CFLAGS = $(COMMON_TEST_CFLAGS) \
	-I$(top_srcdir)/daemon/server
tests_unit_test_cluster_ev_LDADD = $(COMMON_TEST_LIBS)

# Cluster benchmarks (tests/bench/cluster.sh, docs/PERFORMANCE.md): a Redis
# and three nodes on loopback; not part of make check.
bench-cluster: all tests/bench/loadgen$(EXEEXT) tests/bench/p2pbench$(EXEEXT) \
	    tests/bench/turnbench$(EXEEXT)
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    $(SHELL) $(top_srcdir)/tests/bench/cluster.sh $(PEERS)
.PHONY: bench-cluster
