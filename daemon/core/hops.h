/* SPDX-License-Identifier: ISC */
/*
 * hops.h: how far a packet must go to open this side's NAT, and no
 * further (issue 12: punching that does not poison the other NAT).
 *
 * Behind a Linux gateway without an input firewall, the first check that
 * reaches the peer's NAT before the peer's own packet left confirms a
 * conntrack entry there whose reply tuple takes the port the peer needs:
 * its mapping moves and the pair breaks each other's holes. A first packet
 * whose IP TTL runs out past our NAT(s) but before the peer's opens our
 * mapping and never reaches the peer; the checks that follow at full TTL
 * then find both NATs open (RakNet's NatPunchthrough, REFERENCE.md).
 *
 * The TTL is measured, not guessed: Binding requests to the server with
 * TTL 1..HOPS_MAX (each with its own transaction id) bring ICMP time
 * exceeded from the routers on the way (the caller reads them from its
 * socket's error queue and hands over the quoted request and the router's
 * address) and a Binding response from the server once a TTL reaches it.
 * The low TTL is the smallest whose time exceeded came from a public
 * address (past every private and carrier-grade NAT) and below any TTL that
 * reached the server: a packet with it dies at the first router of the
 * Internet. None (0) when no router answered, or the first public hop is
 * the server itself (nothing between our NAT and the Internet's core: a
 * low TTL cannot stop short of the peer's NAT there either).
 *
 * Pure logic: no sockets, no clock (like natclass.h).
 */
#ifndef P2P_HOPS_H
#define P2P_HOPS_H

#include <stddef.h>
#include <stdint.h>

#include "stun.h"

#define HOPS_MAX	8
#define HOPS_TRIES	3		/* rounds of probes */
#define HOPS_WAIT_US	500000ULL	/* answers awaited per round */

struct hops {
	uint8_t		 txid[STUN_TXID_LEN];	/* [0] = the TTL */
	uint32_t	 offender[HOPS_MAX + 1];	/* host order; 0: none */
	int		 reached[HOPS_MAX + 1];
	unsigned	 round;		/* rounds sent */
	unsigned	 next_ttl;	/* next probe of this round (1-based) */
	uint64_t	 round_at;	/* the current round started */
	int		 done;
	uint64_t	 answers;	/* matched replies and time exceeded */
	uint64_t	 ignored;	/* did not parse or match */
};

struct hops_out {
	unsigned	 ttl;
	uint8_t		 pkt[64];
	size_t		 len;
};

/* Start; rnd is STUN_TXID_LEN random bytes. */
void		hops_start(struct hops *, const uint8_t rnd[STUN_TXID_LEN],
		    uint64_t now);
/* A probe to send now to the server with out->ttl? Call until 0. */
int		hops_output(struct hops *, uint64_t now, struct hops_out *);
/* A datagram from the server (a Binding response, maybe ours). */
void		hops_on_reply(struct hops *, const uint8_t *, size_t);
/* An ICMP time exceeded from router ip (host order), quoting pkt. */
void		hops_on_exceeded(struct hops *, const uint8_t *pkt, size_t len,
		    uint32_t ip);
/*
 * Rounds and waits over (the caller calls it when next_us passes, and
 * after answers: it ends at once when they settle the result).
 */
void		hops_tick(struct hops *, uint64_t now);
uint64_t	hops_next_us(const struct hops *);
int		hops_done(const struct hops *);
/* The low TTL (see above), 0: none. */
unsigned	hops_low_ttl(const struct hops *);
/* The public router that ends it, host order (0: none). */
uint32_t	hops_low_router(const struct hops *);
/* An address beyond every NAT: not private, CGNAT, loopback, link-local. */
int		hops_public(uint32_t ip);

#endif /* P2P_HOPS_H */
