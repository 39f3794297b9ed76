# SPDX-License-Identifier: ISC
# The protocol core: no sockets, no clocks. Linked into both daemons and the tests.
noinst_LTLIBRARIES += libp2pcore.la
libp2pcore_la_SOURCES = daemon/core/buf.h
libp2pcore_la_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS)
libp2pcore_la_LIBADD = $(SODIUM_LIBS)

# Unit tests link with this.
CORE_TEST_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) $(CRITERION_CFLAGS)
CORE_TEST_LIBS = libp2pcore.la $(SODIUM_LIBS) $(CRITERION_LIBS)

include daemon/core/crypto.mk
include daemon/core/codec.mk
include daemon/core/transport.mk
