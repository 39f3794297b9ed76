# SPDX-License-Identifier: ISC
# Protocol buffers: generated at build time into $(builddir)/proto.
PROTO_FILES = proto/ipc.proto proto/server.proto
PROTO_GEN = proto/ipc.pb-c.c proto/ipc.pb-c.h proto/server.pb-c.c proto/server.pb-c.h
BUILT_SOURCES += $(PROTO_GEN)
CLEANFILES += $(PROTO_GEN)
EXTRA_DIST += $(PROTO_FILES)

proto/%.pb-c.c proto/%.pb-c.h: $(top_srcdir)/proto/%.proto
	@$(MKDIR_P) proto
	$(AM_V_GEN)$(PROTOC_C) -I$(top_srcdir)/proto --c_out=proto $<

noinst_LTLIBRARIES += libp2pproto.la
nodist_libp2pproto_la_SOURCES = proto/ipc.pb-c.c proto/ipc.pb-c.h proto/server.pb-c.c proto/server.pb-c.h
libp2pproto_la_SOURCES = proto/ipcmsg.c proto/ipcmsg.h proto/ipcmsg_arena.c \
	proto/ipcmsg_arena.h
libp2pproto_la_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS)
libp2pproto_la_LIBADD = $(PROTOBUFC_LIBS)
