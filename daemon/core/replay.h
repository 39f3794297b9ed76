/* SPDX-License-Identifier: ISC */
/*
 * replay.h: anti-replay window for 64-bit packet counters (RFC 6479).
 *
 * A ring of 64-bit words (8192 bits) of which one word is always being
 * recycled, so the window reliably covers REPLAY_WINDOW = 8128 counters
 * below the greatest seen, as in WireGuard. Counters older than that are
 * rejected. Counter UINT64_MAX is never valid (Noise reserves it).
 *
 * The check and the update are separate on purpose: check before spending
 * work, verify the AEAD tag, and only then update, so a forged packet never
 * moves the window.
 *
 * replay_check_ring / replay_update_ring work on a ring of any power-of-two
 * number of words, for channels that need a smaller window than a data
 * session (the server's control channels, ctlchan.h): the window is then
 * (words - 1) * 64 counters.
 */
#ifndef P2P_REPLAY_H
#define P2P_REPLAY_H

#include <stdint.h>

#define REPLAY_BITS	8192
#define REPLAY_WORDS	(REPLAY_BITS / 64)
#define REPLAY_WINDOW	(REPLAY_BITS - 64)	/* 8128 */

struct replay {
	uint64_t	top;	/* greatest counter seen + 1; 0: none yet */
	uint64_t	ring[REPLAY_WORDS];
};

void	replay_init(struct replay *);
/* 0 if counter is fresh, -1 if replayed or too old. No state change. */
int	replay_check(const struct replay *, uint64_t counter);
/* Record counter as seen; only after its packet's tag verified. */
void	replay_update(struct replay *, uint64_t counter);
int	replay_check_ring(uint64_t top, const uint64_t *ring, unsigned words,
	    uint64_t counter);
void	replay_update_ring(uint64_t *top, uint64_t *ring, unsigned words,
	    uint64_t counter);

#endif /* P2P_REPLAY_H */
