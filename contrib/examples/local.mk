# SPDX-License-Identifier: ISC
# contrib/examples: the example game (docs/GAMES.md), built with the tests
# (`make check`) and run by tests/integration/duel.sh with two agents.
check_PROGRAMS += contrib/examples/duel
contrib_examples_duel_SOURCES = contrib/examples/duel.c
contrib_examples_duel_LDADD = libp2pclient.la
TESTS += tests/integration/duel.sh
EXTRA_DIST += tests/integration/duel.sh
