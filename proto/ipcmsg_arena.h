/* SPDX-License-Identifier: ISC */
/*
 * ipcmsg_arena.h: an arena that IPC frames are unpacked into (protobuf-c
 * with ipcmsg_unpack_with), shared by p2pd and libp2pclient.
 *
 * protobuf-c makes several allocations per frame (the frame, each nested
 * message, each string and bytes field); a steady stream of frames
 * unpacked here allocates nothing. Everything goes at once with
 * ipcmsg_arena_reset(), after the frame has been handled: nothing may
 * point into it afterwards. It grows to the largest frame seen (a frame
 * that took several blocks makes one block of all on the next reset).
 */
#ifndef P2P_IPCMSG_ARENA_H
#define P2P_IPCMSG_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct ipcmsg_blk;

struct ipcmsg_arena {
	ProtobufCAllocator	 alloc;		/* give this to protobuf-c */
	struct ipcmsg_blk	*blk;		/* the newest block first */
	size_t			 min;		/* bytes of the first block */
};

/* An empty arena whose first block (made on first use) has min bytes. */
void	ipcmsg_arena_init(struct ipcmsg_arena *, size_t min);
/* Forget everything allocated; keeps (one) block for the next frame. */
void	ipcmsg_arena_reset(struct ipcmsg_arena *);
/* Free the blocks too. */
void	ipcmsg_arena_free(struct ipcmsg_arena *);

#endif /* P2P_IPCMSG_ARENA_H */
