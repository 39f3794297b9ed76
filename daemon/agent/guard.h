/* SPDX-License-Identifier: ISC */
/*
 * guard.h: what the agent answers, and how much, when it is attacked
 * (issue 15, findings 4 and 5).
 *
 * HS_INIT (guard_hs_init, before any Diffie-Hellman): core hs_cookie.c's
 * guard decides; under load the agent sends a COOKIE_REPLY instead of
 * working on an HS_INIT without a valid mac2, and logs when a flood starts
 * and ends (with what it cost). PATH_CHALLENGE (guard_probe_answer): a
 * PATH_RESPONSE goes only to an address the session expects the peer at,
 * at most GUARD_PROBE_PER_S a second per address; the rest are dropped and
 * counted. Peer-reflexive candidates (guard_prflx): an authenticated packet
 * from an address the session does not expect the peer at does not make
 * the agent check that address.
 */
#ifndef P2P_AGENT_GUARD_H
#define P2P_AGENT_GUARD_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_cookie.h"
#include "log.h"
#include "ratelim.h"

#define GUARD_PROBE_PER_S	20	/* PATH_RESPONSEs per address */
#define GUARD_PROBE_BURST	40

struct agent;
struct session;

struct agent_guard {
	struct hs_guard		 hs;
	struct ratelim		 probes;
	int			 flood;		/* logged as started */
	uint64_t		 flood_at;	/* agent_now() when it began */
	uint64_t		 flood_last;	/* ... last seen */
	uint64_t		 flood_cookies;	/* counters then */
	uint64_t		 flood_bad;
	uint64_t		 probe_unexpected;
	uint64_t		 probe_over_rate;
	uint64_t		 prflx_refused;
	struct log_rl		 probe_rl;
};

int	guard_init(struct agent *) __attribute__((warn_unused_result));
void	guard_free(struct agent *);
/* 1: work on this HS_INIT; 0: dropped or answered with a cookie. */
int	guard_hs_init(struct agent *, const uint8_t *pkt, size_t len,
	    const struct sockaddr *src);
/* 1 if src is where session s expects its peer (an IP it was introduced
 * with, its reflexive address, or where its handshake came from; any
 * port: NATs move them). */
int	guard_peer_addr(const struct session *, const struct sockaddr *src);
/* 1 if an authenticated packet from src may make src a candidate to
 * check (guard_peer_addr); 0: not learned (counted). */
int	guard_prflx(struct agent *, const struct session *,
	    const struct sockaddr *src);
/* 1: a PATH_RESPONSE may go to src for session s now; 0: drop (counted). */
int	guard_probe_answer(struct agent *, const struct session *,
	    const struct sockaddr *src);

#endif /* P2P_AGENT_GUARD_H */
