# Integration tests (shell, real daemons on loopback) and their helpers.
EXTRA_DIST += tests/integration/lib.sh tests/fuzz

if SANITIZERS
AM_TESTS_ENVIRONMENT += P2P_SANITIZERS=1; export P2P_SANITIZERS;
endif

INTEGRATION_TESTS = tests/integration/basic.sh tests/integration/flood.sh \
	tests/integration/pipe.sh tests/integration/badinput.sh tests/integration/wirecheck.sh \
	tests/integration/server_basic.sh tests/integration/restart.sh tests/integration/flowctl.sh
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS)

check_PROGRAMS += tests/integration/p2ptest
tests_integration_p2ptest_SOURCES = tests/integration/p2ptest.c
tests_integration_p2ptest_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS)
tests_integration_p2ptest_LDADD = $(SODIUM_LIBS)

# Benchmarks print numbers; they are not part of make check.
EXTRA_DIST += tests/bench
bench: all $(check_PROGRAMS)
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    $(SHELL) $(top_srcdir)/tests/bench/loopback.sh
.PHONY: bench
