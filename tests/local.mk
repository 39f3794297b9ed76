# SPDX-License-Identifier: ISC
# Integration tests (shell, real daemons on loopback) and their helpers.
EXTRA_DIST += tests/integration/lib.sh tests/integration/netns_lib.sh tests/fuzz

if SANITIZERS
AM_TESTS_ENVIRONMENT += P2P_SANITIZERS=1; export P2P_SANITIZERS;
endif

INTEGRATION_TESTS = tests/integration/basic.sh tests/integration/flood.sh \
	tests/integration/pipe.sh tests/integration/badinput.sh tests/integration/wirecheck.sh \
	tests/integration/server_basic.sh tests/integration/restart.sh tests/integration/flowctl.sh \
	tests/integration/netns_lossy.sh tests/integration/rekey.sh tests/integration/churn.sh \
	tests/integration/relay.sh tests/integration/relay_quota.sh
INTEGRATION_TESTS += tests/integration/modes.sh tests/integration/maxmsg.sh \
	tests/integration/reintro.sh

# systemd's notify protocol against a socket the test listens on.
INTEGRATION_TESTS += tests/integration/notify.sh tests/integration/units.sh \
	tests/integration/reload.sh
check_PROGRAMS += tests/integration/notifysock
tests_integration_notifysock_SOURCES = tests/integration/notifysock.c
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS)

check_PROGRAMS += tests/integration/p2ptest
tests_integration_p2ptest_SOURCES = tests/integration/p2ptest.c
tests_integration_p2ptest_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS)
tests_integration_p2ptest_LDADD = $(SODIUM_LIBS)

# Benchmarks print numbers; they are not part of make check.
# The drivers are EXTRA_PROGRAMS (built by `make bench` only); ENet is linked
# into enetbench alone, found with pkg-config at bench time, so configure
# does not require it.
EXTRA_DIST += tests/bench/benchclient.h tests/bench/benchdata.h \
	tests/bench/churn.sh tests/bench/cluster.sh tests/bench/enetbench.c \
	tests/bench/loopback.sh tests/bench/placement.sh \
	tests/bench/sessions.sh
EXTRA_PROGRAMS += tests/bench/p2pbench tests/bench/rawbench tests/bench/turnbench
tests_bench_p2pbench_SOURCES = tests/bench/p2pbench.c tests/bench/benchdata.h
tests_bench_p2pbench_CPPFLAGS = $(P2PC_CPPFLAGS)
tests_bench_p2pbench_LDADD = libp2pclient.la
tests_bench_rawbench_SOURCES = tests/bench/rawbench.c tests/bench/benchdata.h
tests_bench_rawbench_LDADD = -lpthread
tests_bench_turnbench_SOURCES = tests/bench/turnbench.c tests/bench/benchdata.h
tests_bench_turnbench_LDADD = -lpthread
BENCH_PROGS = tests/bench/p2pbench$(EXEEXT) tests/bench/rawbench$(EXEEXT) \
	tests/bench/enetbench$(EXEEXT)
CLEANFILES += $(BENCH_PROGS)

tests/bench/enetbench$(EXEEXT): $(top_srcdir)/tests/bench/enetbench.c \
	    $(top_srcdir)/tests/bench/benchdata.h
	@$(MKDIR_P) tests/bench
	@$(PKG_CONFIG) --exists libenet || \
	    { echo "make bench needs ENet: apt-get install libenet-dev" >&2; exit 1; }
	$(AM_V_CC)$(CC) $(DEFS) $(AM_CPPFLAGS) $(CPPFLAGS) $(AM_CFLAGS) $(CFLAGS) \
	    `$(PKG_CONFIG) --cflags libenet` -o $@ \
	    $(top_srcdir)/tests/bench/enetbench.c $(AM_LDFLAGS) $(LDFLAGS) \
	    `$(PKG_CONFIG) --libs libenet` -lpthread

bench: all $(BENCH_PROGS) tests/integration/churn$(EXEEXT) \
	    tests/sim/sim_prio$(EXEEXT) tests/bench/malloccount.la
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    $(SHELL) $(top_srcdir)/tests/bench/loopback.sh
	tests/sim/sim_prio$(EXEEXT) 30
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    $(SHELL) $(top_srcdir)/tests/bench/churn.sh
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    $(SHELL) $(top_srcdir)/tests/bench/sessions.sh
.PHONY: bench

check_PROGRAMS += tests/integration/churn
tests_integration_churn_SOURCES = tests/integration/churn.c
tests_integration_churn_CPPFLAGS = $(P2PC_CPPFLAGS)
tests_integration_churn_LDADD = libp2pclient.la

# The NAT lab (docs/NATLAB.md): natlab_emul.sh checks the namespaces' NAT
# emulation with natprobe and a STUN client; natlab.sh runs the matrix of NAT
# types (root, normal build; else exit 77) behind ISP routers with home
# routers' firewalls. `make natlab` runs every variant of the lab
# (natlab_variants.sh: bare Linux gateways, the adjacent topology, connects
# right after registration, the IPv6 core's trials); NATLAB_CELLS picks
# cells. natlab_v6.sh: two hosts behind stateful IPv6 firewalls go direct.
check_PROGRAMS += tests/integration/natprobe
tests_integration_natprobe_SOURCES = tests/integration/natprobe.c
check_PROGRAMS += tests/integration/delayq
tests_integration_delayq_SOURCES = tests/integration/delayq.c
TESTS += tests/integration/natlab_emul.sh tests/integration/natlab.sh \
	tests/integration/natlab_v6.sh
EXTRA_DIST += tests/integration/natlab_emul.sh tests/integration/natlab.sh \
	tests/integration/natlab_lib.sh tests/integration/natlab_variants.sh \
	tests/integration/natlab_v6.sh tests/integration/natlab_family.sh

check_PROGRAMS += tests/integration/firstmsg
tests_integration_firstmsg_SOURCES = tests/integration/firstmsg.c
tests_integration_firstmsg_CPPFLAGS = $(P2PC_CPPFLAGS)
tests_integration_firstmsg_LDADD = libp2pclient.la

natlab: all tests/integration/natprobe$(EXEEXT) tests/integration/msgflood$(EXEEXT) \
	    tests/integration/firstmsg$(EXEEXT) tests/integration/delayq$(EXEEXT)
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    $(SHELL) $(top_srcdir)/tests/integration/natlab_variants.sh
.PHONY: natlab

# The harness the seeded workloads over the simulated network share.
tests_sim_test_sim_SOURCES += tests/sim/simrun.c tests/sim/simrun.h
tests_sim_test_sim_modes_SOURCES += tests/sim/simrun.c tests/sim/simrun.h

# Congestion control: the controllers' arithmetic, and the sims of
# slow start on a finite queue and of CUBIC next to NewReno.
check_PROGRAMS += tests/unit/test_cc
TESTS += tests/unit/test_cc
tests_unit_test_cc_SOURCES = tests/unit/test_cc.c
tests_unit_test_cc_CFLAGS = $(TP_TEST_CFLAGS)
tests_unit_test_cc_LDADD = $(TP_TEST_LIBS)
check_PROGRAMS += tests/sim/test_sim_hystart
TESTS += tests/sim/test_sim_hystart
tests_sim_test_sim_hystart_SOURCES = tests/sim/test_sim_hystart.c \
	tests/sim/sim.c tests/sim/sim.h
tests_sim_test_sim_hystart_CFLAGS = $(TP_TEST_CFLAGS)
tests_sim_test_sim_hystart_LDADD = $(TP_TEST_LIBS)
check_PROGRAMS += tests/sim/test_sim_cubic
TESTS += tests/sim/test_sim_cubic
tests_sim_test_sim_cubic_SOURCES = tests/sim/test_sim_cubic.c \
	tests/sim/sim.c tests/sim/sim.h
tests_sim_test_sim_cubic_CFLAGS = $(TP_TEST_CFLAGS)
tests_sim_test_sim_cubic_LDADD = $(TP_TEST_LIBS)

# The fake agent's script shapes the client and p2pctl tests share.
tests_unit_test_client_SOURCES += tests/unit/test_client_script.c \
	tests/unit/test_client_script.h
tests_unit_test_client_ctl_SOURCES += tests/unit/test_client_script.c \
	tests/unit/test_client_script.h

# What the libp2pclient drivers share (p2pbench, msgflood, firstmsg).
tests_bench_p2pbench_SOURCES += tests/bench/benchclient.h

# The agent's IPC socket under clients that trickle, burst and cut frames.
check_PROGRAMS += tests/integration/ipcpoke
tests_integration_ipcpoke_SOURCES = tests/integration/ipcpoke.c
tests_integration_ipcpoke_CPPFLAGS = $(P2PC_CPPFLAGS) $(PROTOBUFC_CFLAGS)
tests_integration_ipcpoke_LDADD = libp2pproto.la $(PROTOBUFC_LIBS)
TESTS += tests/integration/ipcedge.sh
EXTRA_DIST += tests/integration/ipcedge.sh

# The agent's shape on its object files: circles of files, long files,
# file-static state (contrib/symgraph.py; needs Debian's python3).
TESTS += tests/lint/symgraph.sh
EXTRA_DIST += tests/lint/symgraph.sh

# No allocation per message in a steady state: malloccount.so counts the
# agents' allocations (built without sanitizers: ASan has its own
# allocator, and the test skips there).
check_LTLIBRARIES = tests/bench/malloccount.la
tests_bench_malloccount_la_SOURCES = tests/bench/malloccount.c
tests_bench_malloccount_la_CFLAGS = $(WARN_CFLAGS)
tests_bench_malloccount_la_LDFLAGS = -module -avoid-version -shared \
	-rpath /nowhere
TESTS += tests/integration/allocs.sh
EXTRA_DIST += tests/integration/allocs.sh

# make distcheck-unit (contrib/check.sh): the release tarball's build runs the
# unit tests and the checks of the ABI and the manual pages; the integration
# tests already ran in the two builds of the tree.
DISTCHECK_TESTS = $(filter tests/unit/%,$(TESTS)) tests/abi/abicheck.sh \
	tests/man/manlint.sh tests/man/manflags.sh
distcheck-unit:
	$(MAKE) $(AM_MAKEFLAGS) distcheck TESTS='$(DISTCHECK_TESTS)'
.PHONY: distcheck-unit
