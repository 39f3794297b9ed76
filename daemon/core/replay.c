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
replay_check_ring(uint64_t top, const uint64_t *ring, unsigned words,
    uint64_t counter)
{
	uint64_t c, word;

	if (counter == UINT64_MAX)
		return -1;
	c = counter + 1;
	if (c > top)
		return 0;
	if (top - c >= ((uint64_t)words - 1) * 64)
		return -1;
	word = ring[(c >> 6) & (words - 1)];
	return (word & ((uint64_t)1 << (c & 63))) ? -1 : 0;
}

void
replay_update_ring(uint64_t *top, uint64_t *ring, unsigned words,
    uint64_t counter)
{
	uint64_t c, idx, cur, i, n;

	if (replay_check_ring(*top, ring, words, counter) != 0)
		return;
	c = counter + 1;
	idx = c >> 6;
	if (c > *top) {
		/* Clear the words the window slides over, at most all. */
		cur = *top >> 6;
		n = idx - cur;
		if (n > words)
			n = words;
		for (i = 1; i <= n; i++)
			ring[(cur + i) & (words - 1)] = 0;
		*top = c;
	}
	ring[idx & (words - 1)] |= (uint64_t)1 << (c & 63);
}

int
replay_check(const struct replay *r, uint64_t counter)
{
	return replay_check_ring(r->top, r->ring, REPLAY_WORDS, counter);
}

void
replay_update(struct replay *r, uint64_t counter)
{
	replay_update_ring(&r->top, r->ring, REPLAY_WORDS, counter);
}
