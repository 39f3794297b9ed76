/* SPDX-License-Identifier: ISC */
/*
 * ipc_buf.c: a client's input or output bytes (ipc.h): one contiguous
 * buffer with a read offset, grown by doubling and kept, so reads, frames
 * and writes allocate nothing in steady state (libevent's evbuffer frees
 * each drained chain and allocates the next: one allocation per message
 * delivered). A buffer that emptied after growing past IPC_BUF_KEEP shrinks
 * back to that, so an idle client holds little.
 */
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

#define IPC_BUF_MIN	4096
#define IPC_BUF_KEEP	(1024 * 1024)

uint8_t *
ipc_buf_reserve(struct ipc_buf *b, size_t n)
{
	size_t cap;
	uint8_t *nb;

	if (b->cap - b->off - b->len >= n)
		return b->b + b->off + b->len;
	/* Move what is unread to the front when that makes room. */
	if (b->off > 0 && b->cap - b->len >= n) {
		memmove(b->b, b->b + b->off, b->len);
		b->off = 0;
		return b->b + b->len;
	}
	cap = b->cap ? b->cap : IPC_BUF_MIN;
	while (cap - b->len < n)
		cap *= 2;
	if ((nb = malloc(cap)) == NULL)
		return NULL;
	if (b->len > 0)
		memcpy(nb, b->b + b->off, b->len);
	free(b->b);
	b->b = nb;
	b->cap = cap;
	b->off = 0;
	return b->b + b->len;
}

void
ipc_buf_consume(struct ipc_buf *b, size_t n)
{
	uint8_t *nb;

	if (n > b->len)
		n = b->len;
	b->off += n;
	b->len -= n;
	if (b->len > 0)
		return;
	b->off = 0;
	if (b->cap > IPC_BUF_KEEP && (nb = realloc(b->b, IPC_BUF_KEEP)) !=
	    NULL) {
		b->b = nb;
		b->cap = IPC_BUF_KEEP;
	}
}

void
ipc_buf_free(struct ipc_buf *b)
{
	free(b->b);
	memset(b, 0, sizeof(*b));
}
