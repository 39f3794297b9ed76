/* SPDX-License-Identifier: ISC */
/*
 * ratelim.c: per-address answer budgets (ratelim.h).
 */
#include <string.h>

#include <sodium.h>

#include "ratelim.h"

void
ratelim_init(struct ratelim *rl, unsigned per_s, unsigned burst)
{
	memset(rl, 0, sizeof(*rl));
	randombytes_buf(rl->key, sizeof(rl->key));
	if (per_s == 0)
		per_s = 1;
	if (burst == 0)
		burst = 1;
	rl->interval_us = 1000000 / per_s;
	if (rl->interval_us == 0)
		rl->interval_us = 1;
	rl->burst_us = (uint64_t)(burst - 1) * rl->interval_us;
}

int
ratelim_take(struct ratelim *rl, const uint8_t *addr, size_t addrlen,
    uint64_t now_us)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t *tat, v;

	crypto_shorthash(h, addr, addrlen, rl->key);
	memcpy(&v, h, sizeof(v));
	tat = &rl->tat[v % RATELIM_SLOTS];
	/* GCRA: refuse while the next due time is more than a burst ahead. */
	if (*tat > now_us && *tat - now_us > rl->burst_us) {
		rl->dropped++;
		return 0;
	}
	*tat = (*tat > now_us ? *tat : now_us) + rl->interval_us;
	rl->passed++;
	return 1;
}
