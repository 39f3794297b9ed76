/* SPDX-License-Identifier: ISC */
/*
 * ipcmsg.h: IPC framing shared by p2pd and libp2pclient.
 *
 * A frame is an 8-byte header followed by one packed p2p.ipc.Frame:
 *   'P' '2' | version u8 | reserved u8 (0) | body length u32 (big-endian)
 * The header is checked before anything of the body is buffered: a bad magic,
 * another version or a body over IPC_MAX_FRAME is an error the caller reports
 * and then closes the connection.
 */
#ifndef P2P_IPCMSG_H
#define P2P_IPCMSG_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.pb-c.h"

#define IPC_VERSION	1
#define IPC_HDR_LEN	8
#define IPC_MAX_FRAME	(256 * 1024)	/* body bytes */
#define IPC_MAX_CHUNK	(192 * 1024)	/* data bytes per SendReq/Message/PipeData */

enum ipc_hdr_status {
	IPC_HDR_OK = 0,
	IPC_HDR_SHORT,		/* fewer than IPC_HDR_LEN bytes */
	IPC_HDR_BAD_MAGIC,
	IPC_HDR_BAD_VERSION,	/* *version holds the version received */
	IPC_HDR_TOO_BIG,	/* *body_len holds the length announced */
};

enum ipc_hdr_status ipcmsg_hdr_parse(const uint8_t *buf, size_t len,
	    uint32_t *body_len, uint8_t *version);
void	ipcmsg_hdr_write(uint8_t out[IPC_HDR_LEN], uint32_t body_len);
const char *ipcmsg_hdr_strerror(enum ipc_hdr_status st, uint8_t version,
	    uint32_t body_len, char *buf, size_t len);

/* Header + packed frame in one malloc'ed buffer; NULL if too big. */
uint8_t	*ipcmsg_pack(const P2p__Ipc__Frame *f, size_t *len);
/*
 * A peer, service or group name: 1-64 of A-Z a-z 0-9 . _ - (or empty when
 * empty_ok). NULL is never valid.
 */
int	 ipcmsg_name_ok(const char *s, int empty_ok);
/* The body's size, and packing into IPC_HDR_LEN + that many bytes. */
size_t	 ipcmsg_packed_size(const P2p__Ipc__Frame *f);
void	 ipcmsg_pack_into(const P2p__Ipc__Frame *f, uint8_t *out, size_t blen);

/*
 * Unpack and validate a body: every oneof must be set (NOT_SET is rejected),
 * names (peer ids, services, pipe names) must be valid, chunks within
 * IPC_MAX_CHUNK. On error returns NULL with a reason in err.
 */
P2p__Ipc__Frame *ipcmsg_unpack(const uint8_t *body, size_t len, char *err,
	    size_t errlen);
void	ipcmsg_free(P2p__Ipc__Frame *f);
/* The same with protobuf-c's allocator al (NULL: malloc), e.g. an arena. */
P2p__Ipc__Frame *ipcmsg_unpack_with(const uint8_t *body, size_t len,
	    ProtobufCAllocator *al, char *err, size_t errlen);
void	ipcmsg_free_with(P2p__Ipc__Frame *f, ProtobufCAllocator *al);

#endif /* P2P_IPCMSG_H */
