/* SPDX-License-Identifier: ISC */
/*
 * ipcmsg_arena.c: the arena IPC frames are unpacked into (ipcmsg_arena.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "ipcmsg_arena.h"

struct ipcmsg_blk {
	struct ipcmsg_blk	*next;
	size_t			 cap;
	size_t			 used;
	max_align_t		 data[];
};

static void *
ipcmsg_arena_alloc(void *arg, size_t n)
{
	struct ipcmsg_arena *ar = arg;
	struct ipcmsg_blk *b = ar->blk, *nb;
	size_t need = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
	    sizeof(max_align_t), cap;

	if (need < n)
		return NULL;
	if (b != NULL && b->cap - b->used >= need) {
		b->used += need;
		return (uint8_t *)b->data + b->used - need;
	}
	cap = b != NULL && b->cap * 2 > need ? b->cap * 2 : need;
	if (cap < ar->min)
		cap = ar->min;
	if (cap > SIZE_MAX - sizeof(*nb) ||
	    (nb = malloc(sizeof(*nb) + cap)) == NULL)
		return NULL;
	nb->cap = cap;
	nb->used = need;
	nb->next = b;
	ar->blk = nb;
	return nb->data;
}

static void
ipcmsg_arena_release(void *arg, void *p)
{
	(void)arg;	/* all of it goes at once (ipcmsg_arena_reset) */
	(void)p;
}

void
ipcmsg_arena_init(struct ipcmsg_arena *ar, size_t min)
{
	ar->alloc.alloc = ipcmsg_arena_alloc;
	ar->alloc.free = ipcmsg_arena_release;
	ar->alloc.allocator_data = ar;
	ar->blk = NULL;
	ar->min = min;
}

void
ipcmsg_arena_reset(struct ipcmsg_arena *ar)
{
	struct ipcmsg_blk *b = ar->blk, *nb;
	size_t total = 0;

	if (b == NULL)
		return;
	if (b->next == NULL) {
		b->used = 0;
		return;
	}
	while (b != NULL) {
		total += b->cap;
		nb = b->next;
		free(b);
		b = nb;
	}
	if ((b = malloc(sizeof(*b) + total)) != NULL) {
		b->cap = total;
		b->used = 0;
		b->next = NULL;
	}
	ar->blk = b;
}

void
ipcmsg_arena_free(struct ipcmsg_arena *ar)
{
	struct ipcmsg_blk *b, *nb;

	for (b = ar->blk; b != NULL; b = nb) {
		nb = b->next;
		free(b);
	}
	ar->blk = NULL;
}
