/* SPDX-License-Identifier: ISC */
/*
 * replay.c: RFC 6479 replay window, laid out as WireGuard's.
 *
 * Internally counters are shifted by one (top = greatest + 1) so that an
 * empty window needs no flag: counter 0 is simply fresh at first.
 */
#include <string.h>

#include "replay.h"

void
replay_init(struct replay *r)
{
	memset(r, 0, sizeof *r);
}

int
replay_check(const struct replay *r, uint64_t counter)
{
	uint64_t c, word;

	if (counter == UINT64_MAX)
		return -1;
	c = counter + 1;
	if (c > r->top)
		return 0;
	if (r->top - c >= REPLAY_WINDOW)
		return -1;
	word = r->ring[(c >> 6) % REPLAY_WORDS];
	return (word & ((uint64_t)1 << (c & 63))) ? -1 : 0;
}

void
replay_update(struct replay *r, uint64_t counter)
{
	uint64_t c, idx, cur, i, n;

	if (replay_check(r, counter) != 0)
		return;
	c = counter + 1;
	idx = c >> 6;
	if (c > r->top) {
		/* Clear the words the window slides over, at most all. */
		cur = r->top >> 6;
		n = idx - cur;
		if (n > REPLAY_WORDS)
			n = REPLAY_WORDS;
		for (i = 1; i <= n; i++)
			r->ring[(cur + i) % REPLAY_WORDS] = 0;
		r->top = c;
	}
	r->ring[idx % REPLAY_WORDS] |= (uint64_t)1 << (c & 63);
}
