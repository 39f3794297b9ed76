# Integration tests (shell, real daemons on loopback) and their helpers.
EXTRA_DIST += tests/integration/lib.sh tests/fuzz

if SANITIZERS
AM_TESTS_ENVIRONMENT += P2P_SANITIZERS=1; export P2P_SANITIZERS;
endif

INTEGRATION_TESTS =
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS)
