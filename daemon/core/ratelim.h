/* SPDX-License-Identifier: ISC */
/*
 * ratelim.h: at most `per_s` answers a second to one source address, with
 * a burst of `burst` (issue 15, findings 4 and 5).
 *
 * A fixed table of RATELIM_SLOTS buckets, the slot chosen by a keyed hash
 * (SipHash, a random key per table) of the address bytes (addr_key()).
 * Addresses that share a slot share its budget: an attacker cannot make
 * the table grow, nor learn which of its addresses collide with a peer's,
 * and a collision can only make answers scarcer, never more plentiful.
 * Each slot is a GCRA (virtual scheduling): the time the next answer is
 * due, one 64-bit word. Pure: the caller passes the clock in.
 */
#ifndef P2P_RATELIM_H
#define P2P_RATELIM_H

#include <stddef.h>
#include <stdint.h>

#define RATELIM_SLOTS	1024

struct ratelim {
	uint8_t		key[16];
	uint64_t	interval_us;	/* 1 s / per_s */
	uint64_t	burst_us;	/* (burst - 1) intervals of credit */
	uint64_t	tat[RATELIM_SLOTS];
	uint64_t	passed;
	uint64_t	dropped;
};

/* per_s and burst at least 1. */
void	ratelim_init(struct ratelim *, unsigned per_s, unsigned burst);
/* 1: one more answer to addr may go now (and it is counted), 0: drop. */
int	ratelim_take(struct ratelim *, const uint8_t *addr, size_t addrlen,
	    uint64_t now_us);

#endif /* P2P_RATELIM_H */
