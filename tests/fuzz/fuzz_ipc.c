/* SPDX-License-Identifier: ISC */
/*
 * fuzz_ipc.c: IPC frames from an untrusted peer: header parse, then the
 * validating unpack of the body, the way p2pd and libp2pclient read them:
 * into an arena (a small first block, so frames take several).
 */
#include <stddef.h>
#include <stdint.h>

#include "ipcmsg.h"
#include "ipcmsg_arena.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct ipcmsg_arena	arena;
static int			arena_ready;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	P2p__Ipc__Frame	*f;
	uint32_t	 blen = 0;
	uint8_t		 ver = 0;
	char		 err[256], msg[256];

	/* The header, then the body as it is announced. */
	if (ipcmsg_hdr_parse(data, len, &blen, &ver) == IPC_HDR_OK &&
	    blen <= len - IPC_HDR_LEN) {
		f = ipcmsg_unpack(data + IPC_HDR_LEN, blen, err, sizeof(err));
		ipcmsg_free(f);
	} else
		ipcmsg_hdr_strerror(ipcmsg_hdr_parse(data, len, &blen, &ver),
		    ver, blen, msg, sizeof(msg));
	/* And the whole input as a body, to reach deeper into unpack. */
	f = ipcmsg_unpack(data, len, err, sizeof(err));
	ipcmsg_free(f);
	if (!arena_ready) {
		ipcmsg_arena_init(&arena, 256);
		arena_ready = 1;
	}
	(void)ipcmsg_unpack_with(data, len, &arena.alloc, err, sizeof(err));
	ipcmsg_arena_reset(&arena);
	return 0;
}
