# SPDX-License-Identifier: ISC
# transport: frames, reliable streams, loss recovery, congestion control.
# Included from daemon/core/local.mk.
noinst_LTLIBRARIES += libp2ptp.la
libp2ptp_la_SOURCES = daemon/core/frame.c daemon/core/frame.h \
	daemon/core/cc.c daemon/core/cc.h \
	daemon/core/pacer.c daemon/core/pacer.h \
	daemon/core/tp.c daemon/core/tp.h daemon/core/tp_int.h \
	daemon/core/tp_range.c daemon/core/tp_send.c daemon/core/tp_recv.c \
	daemon/core/tp_output.c daemon/core/tp_recovery.c \
	daemon/core/tp_dgram.c daemon/core/tp_prio.c \
	daemon/core/path.c daemon/core/path.h
libp2ptp_la_CFLAGS = $(AM_CFLAGS)
libp2pcore_la_LIBADD += libp2ptp.la

TP_TEST_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
# path.c formats and compares addresses with addr_fmt.c (codec).
TP_TEST_LIBS = libp2ptp.la libp2pcodec.la $(CRITERION_LIBS)

check_PROGRAMS += tests/unit/test_frame tests/unit/test_tp tests/unit/test_path
TESTS += tests/unit/test_frame tests/unit/test_tp tests/unit/test_path
tests_unit_test_path_SOURCES = tests/unit/test_path.c
tests_unit_test_path_CFLAGS = $(TP_TEST_CFLAGS)
tests_unit_test_path_LDADD = $(TP_TEST_LIBS)
tests_unit_test_frame_SOURCES = tests/unit/test_frame.c
tests_unit_test_frame_CFLAGS = $(TP_TEST_CFLAGS)
tests_unit_test_frame_LDADD = $(TP_TEST_LIBS)
tests_unit_test_tp_SOURCES = tests/unit/test_tp.c
tests_unit_test_tp_CFLAGS = $(TP_TEST_CFLAGS)
tests_unit_test_tp_LDADD = $(TP_TEST_LIBS)

check_PROGRAMS += tests/sim/test_sim tests/sim/sim_goodput
TESTS += tests/sim/test_sim
tests_sim_test_sim_SOURCES = tests/sim/test_sim.c tests/sim/sim.c \
	tests/sim/sim.h
tests_sim_test_sim_CFLAGS = $(TP_TEST_CFLAGS)
tests_sim_test_sim_LDADD = $(TP_TEST_LIBS)
check_PROGRAMS += tests/sim/test_sim_modes
TESTS += tests/sim/test_sim_modes
tests_sim_test_sim_modes_SOURCES = tests/sim/test_sim_modes.c tests/sim/sim.c \
	tests/sim/sim.h
tests_sim_test_sim_modes_CFLAGS = $(TP_TEST_CFLAGS)
tests_sim_test_sim_modes_LDADD = $(TP_TEST_LIBS)
check_PROGRAMS += tests/sim/test_sim_flows
TESTS += tests/sim/test_sim_flows
tests_sim_test_sim_flows_SOURCES = tests/sim/test_sim_flows.c tests/sim/sim.c \
	tests/sim/sim.h
tests_sim_test_sim_flows_CFLAGS = $(TP_TEST_CFLAGS) $(SODIUM_CFLAGS)
tests_sim_test_sim_flows_LDADD = $(TP_TEST_LIBS) libp2pcrypto.la $(SODIUM_LIBS)
check_PROGRAMS += tests/sim/test_sim_pacing
TESTS += tests/sim/test_sim_pacing
tests_sim_test_sim_pacing_SOURCES = tests/sim/test_sim_pacing.c tests/sim/sim.c \
	tests/sim/sim.h
tests_sim_test_sim_pacing_CFLAGS = $(TP_TEST_CFLAGS)
tests_sim_test_sim_pacing_LDADD = $(TP_TEST_LIBS)
tests_sim_sim_goodput_SOURCES = tests/sim/sim_goodput.c tests/sim/sim.c \
	tests/sim/sim.h
tests_sim_sim_goodput_CFLAGS = $(AM_CFLAGS)
tests_sim_sim_goodput_LDADD = libp2ptp.la

# Priority classes: a game's messages beside a bulk transfer (make bench
# prints sim_prio; test_sim_prio asserts on the same runs).
check_PROGRAMS += tests/sim/test_sim_prio tests/sim/sim_prio
TESTS += tests/sim/test_sim_prio
tests_sim_test_sim_prio_SOURCES = tests/sim/test_sim_prio.c tests/sim/sim.c \
	tests/sim/sim.h tests/sim/simprio.c tests/sim/simprio.h
tests_sim_test_sim_prio_CFLAGS = $(TP_TEST_CFLAGS)
tests_sim_test_sim_prio_LDADD = $(TP_TEST_LIBS)
tests_sim_sim_prio_SOURCES = tests/sim/sim_prio.c tests/sim/sim.c \
	tests/sim/sim.h tests/sim/simprio.c tests/sim/simprio.h
tests_sim_sim_prio_CFLAGS = $(AM_CFLAGS)
tests_sim_sim_prio_LDADD = libp2ptp.la

EXTRA_DIST += tests/fuzz/fuzz_frame.c tests/fuzz/fuzz_frame.sources \
	tests/fuzz/fuzz_tp.c tests/fuzz/fuzz_tp.sources \
	tests/fuzz/corpus/frame tests/fuzz/corpus/tp
