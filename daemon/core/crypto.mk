# SPDX-License-Identifier: ISC
# crypto: AEAD, replay window, Noise, secure channel, peer handshake.
# Included from daemon/core/local.mk.
noinst_LTLIBRARIES += libp2pcrypto.la
libp2pcrypto_la_SOURCES = \
	daemon/core/aead.c daemon/core/aead.h \
	daemon/core/replay.c daemon/core/replay.h \
	daemon/core/noise.c daemon/core/noise.h \
	daemon/core/noise_sym.c daemon/core/noise_sym.h \
	daemon/core/chan.c daemon/core/chan.h \
	daemon/core/hs.c daemon/core/hs.h daemon/core/hs_mac.c \
	daemon/core/reghs.c daemon/core/reghs.h \
	daemon/core/ctlchan.c daemon/core/ctlchan.h \
	daemon/core/nodemsg.c daemon/core/nodemsg.h
libp2pcrypto_la_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS)
libp2pcrypto_la_LIBADD = $(SODIUM_LIBS)
libp2pcore_la_LIBADD += libp2pcrypto.la

CRYPTO_TEST_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) $(CRITERION_CFLAGS)
CRYPTO_TEST_LIBS = libp2pcrypto.la $(SODIUM_LIBS) $(CRITERION_LIBS)

check_PROGRAMS += tests/unit/test_aead tests/unit/test_replay \
	tests/unit/test_noise tests/unit/test_chan tests/unit/test_hs
TESTS += tests/unit/test_aead tests/unit/test_replay \
	tests/unit/test_noise tests/unit/test_chan tests/unit/test_hs

tests_unit_test_aead_SOURCES = tests/unit/test_aead.c
tests_unit_test_aead_CFLAGS = $(CRYPTO_TEST_CFLAGS)
tests_unit_test_aead_LDADD = $(CRYPTO_TEST_LIBS)

tests_unit_test_replay_SOURCES = tests/unit/test_replay.c
tests_unit_test_replay_CFLAGS = $(CRYPTO_TEST_CFLAGS)
tests_unit_test_replay_LDADD = $(CRYPTO_TEST_LIBS)

tests_unit_test_noise_SOURCES = tests/unit/test_noise.c
tests_unit_test_noise_CFLAGS = $(CRYPTO_TEST_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_noise_LDADD = $(CRYPTO_TEST_LIBS) $(JSONC_LIBS)

tests_unit_test_chan_SOURCES = tests/unit/test_chan.c
tests_unit_test_chan_CFLAGS = $(CRYPTO_TEST_CFLAGS)
tests_unit_test_chan_LDADD = $(CRYPTO_TEST_LIBS)

tests_unit_test_hs_SOURCES = tests/unit/test_hs.c
tests_unit_test_hs_CFLAGS = $(CRYPTO_TEST_CFLAGS)
tests_unit_test_hs_LDADD = $(CRYPTO_TEST_LIBS)

# tests/fuzz (fuzz_chan, fuzz_hs and their corpora) ships whole: tests/local.mk.
EXTRA_DIST += tests/unit/vectors/noise-ik-xx.json tests/unit/vectors/noise-nk.json

check_PROGRAMS += tests/unit/test_rekey
TESTS += tests/unit/test_rekey
tests_unit_test_rekey_SOURCES = tests/unit/test_rekey.c
tests_unit_test_rekey_CFLAGS = $(CRYPTO_TEST_CFLAGS)
tests_unit_test_rekey_LDADD = $(CRYPTO_TEST_LIBS)

# The registration handshake (NK + cookie) uses the wire headers too.
check_PROGRAMS += tests/unit/test_reghs
TESTS += tests/unit/test_reghs
tests_unit_test_reghs_SOURCES = tests/unit/test_reghs.c
tests_unit_test_reghs_CFLAGS = $(CRYPTO_TEST_CFLAGS)
tests_unit_test_reghs_LDADD = libp2pcore.la $(SODIUM_LIBS) $(CRITERION_LIBS)
check_PROGRAMS += tests/unit/test_ctlchan
TESTS += tests/unit/test_ctlchan
tests_unit_test_ctlchan_SOURCES = tests/unit/test_ctlchan.c
tests_unit_test_ctlchan_CFLAGS = $(CRYPTO_TEST_CFLAGS)
tests_unit_test_ctlchan_LDADD = $(CRYPTO_TEST_LIBS)

check_PROGRAMS += tests/unit/test_nodemsg
TESTS += tests/unit/test_nodemsg
tests_unit_test_nodemsg_SOURCES = tests/unit/test_nodemsg.c
tests_unit_test_nodemsg_CFLAGS = $(CRYPTO_TEST_CFLAGS)
tests_unit_test_nodemsg_LDADD = $(CRYPTO_TEST_LIBS)
