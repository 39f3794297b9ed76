/* SPDX-License-Identifier: ISC */
/*
 * guard.h: what the agent answers, and how much, when it is attacked
 * (issue 15, findings 4 and 5).
 *
 * HS_INIT (guard_hs_init, before any Diffie-Hellman): core hs_cookie.c's
 * guard decides; under load the agent sends a COOKIE_REPLY instead of
 * working on an HS_INIT without a valid mac2, and logs when a flood starts
 * and ends (with what it cost). A cookie reply costs a send, which under
 * a flood from forged sources is most of the agent's time: an IP that
 * some introduced peer was introduced with (guard_known: a keyed bitmap
 * of them, never emptied) always gets its cookie; any other source gets
 * one within GUARD_COOKIE_STRANGER_PER_S a second for all of them, and
 * beyond that nothing. A real initiator's IP is one its introduction
 * named (or its handshake comes over the relay, which needs no cookie). PATH_CHALLENGE (guard_probe_answer): a
 * PATH_RESPONSE goes only to an address the session expects the peer at,
 * at most GUARD_PROBE_PER_S a second per address; the rest are dropped and
 * counted. Peer-reflexive candidates (guard_prflx): an authenticated packet
 * from an address the session does not expect the peer at does not make
 * the agent check that address.
 *
 * The agent's own checks and probes (guard_send.c): a candidate goes to
 * the path selector only if core candfilter.c allows a check to it
 * (guard_cand), the birthday method only against a reflexive address it
 * allows (guard_spray), and every check or probe is asked again as it
 * leaves, at most GUARD_SEND_EXTRA + --birthday-rate a second to one IP
 * (guard_send).
 */
#ifndef P2P_AGENT_GUARD_H
#define P2P_AGENT_GUARD_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "candfilter.h"
#include "hs_cookie.h"
#include "log.h"
#include "ratelim.h"

#define GUARD_PROBE_PER_S	20	/* PATH_RESPONSEs per address */
#define GUARD_PROBE_BURST	40
#define GUARD_SEND_EXTRA	100	/* checks a second to one IP, over the
					   birthday method's own rate */
#define GUARD_NETS_MAX		32	/* the agent's networks, listed */
#define GUARD_COOKIE_STRANGER_PER_S 200	/* cookies to unknown IPs, all */
#define GUARD_KNOWN_BITS	(1u << 18)	/* introduced peers' IPs */

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
	uint64_t		 flood_held;
	uint64_t		 probe_unexpected;
	uint64_t		 probe_over_rate;
	uint64_t		 prflx_refused;
	struct log_rl		 probe_rl;
	/* cookies: introduced peers' IPs, and the budget for the rest */
	uint8_t			 known_key[16];
	uint64_t		 known[GUARD_KNOWN_BITS / 64];
	struct ratelim		 strangers;
	uint64_t		 cookies_held;	/* not sent: over the budget */
	/* guard_send.c: where our own checks may go */
	struct cand_net		 nets[GUARD_NETS_MAX];
	size_t			 nnets;
	uint64_t		 nets_at;	/* listed then (agent_now) */
	struct ratelim		 sends;		/* per destination IP */
	uint64_t		 cand_refused;
	uint64_t		 send_refused;
	uint64_t		 send_over_rate;
	struct log_rl		 cand_rl;
};

int	guard_init(struct agent *) __attribute__((warn_unused_result));
void	guard_free(struct agent *);
/* 1: work on this HS_INIT; 0: dropped or answered with a cookie. */
int	guard_hs_init(struct agent *, const uint8_t *pkt, size_t len,
	    const struct sockaddr *src);
/* The peer was introduced with these addresses: its IPs get cookies. */
void	guard_known(struct agent *, const struct sockaddr *);
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

/* guard_send.c: 1 if `to`, an address of session s's peer, may become a
 * candidate to check; 0: refused (counted, logged). */
int	guard_cand(struct agent *, const struct session *,
	    const struct sockaddr *to);
/* 1 if the birthday method may probe the peer's reflexive IP. */
int	guard_spray(struct agent *, const struct session *);
/* 1 if a check or birthday probe of s may go to `to` now; 0: not sent
 * (counted). */
int	guard_send(struct agent *, const struct session *,
	    const struct sockaddr *to);

#endif /* P2P_AGENT_GUARD_H */
