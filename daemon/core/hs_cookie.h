/* SPDX-License-Identifier: ISC */
/*
 * hs_cookie.h: when an agent answers HS_INIT with a COOKIE_REPLY instead
 * of Diffie-Hellman, and how the initiator uses the cookie (PROTOCOL.md
 * §2.3; issue 15, finding 5). The MACs and the COOKIE_REPLY packet are
 * hs_mac.c's; this is the state around them.
 *
 * The responder (struct hs_guard) measures its load as the HS_INITs with a
 * valid mac1 that reach it per second (a one-second window, and the one
 * before). Up to HS_GUARD_LOAD_PER_S a second it works on every one; beyond,
 * it works only on an HS_INIT whose mac2 was made with the cookie of its
 * source address (under the current cookie secret or the one before), at
 * most HS_GUARD_ADDR_PER_S a second per address; every other one gets a
 * COOKIE_REPLY (64 bytes: smaller than any HS_INIT) and costs one hash and
 * one small encryption, never a DH (the keys of mac1 and of the reply are
 * made once, the reply's nonce is a counter after a random start, and an
 * HS_INIT whose mac2 is zero, as an initiator without a cookie sends it,
 * skips the mac2 check). A flood from forged sources never sees
 * its cookies. HS_INITs over the relay (addr NULL) come from a peer the
 * server registered, inside its relay quota: they count as load but need
 * no cookie. The cookie secret changes every HS_COOKIE_SECRET_S.
 *
 * The initiator keeps the cookie of each responder (struct hs_cookie, in
 * its peer entry) for HS_COOKIE_USE_S after it came, and seals mac2 with it
 * into every HS_INIT it sends that responder meanwhile. A COOKIE_REPLY is
 * taken only for the last HS_INIT sent (its receiver_index and mac1) and
 * only once, so a forged one cannot make it send more than one HS_INIT
 * again.
 *
 * Pure: times are the caller's microsecond clock; no sockets.
 */
#ifndef P2P_HS_COOKIE_H
#define P2P_HS_COOKIE_H

#include <stddef.h>
#include <stdint.h>

#include "hs.h"
#include "ratelim.h"

#define HS_GUARD_LOAD_PER_S	128	/* HS_INITs a second: under load */
#define HS_GUARD_ADDR_PER_S	8	/* with a cookie, per source address */
#define HS_GUARD_ADDR_BURST	16
#define HS_COOKIE_USE_S		(HS_COOKIE_SECRET_S - 10)

enum hs_verdict {
	HS_VERDICT_DROP,	/* bad mac1, or an address over its budget */
	HS_VERDICT_COOKIE,	/* answer with hs_guard_cookie_reply() */
	HS_VERDICT_PROCESS	/* hs_read_init() may do its DH */
};

struct hs_guard {
	uint8_t		mac1_key[32];	/* of our static key */
	uint8_t		cookie_key[32];
	uint8_t		nonce[24];	/* random, then a counter in 0-7 */
	uint8_t		secret[HS_COOKIE_SECRET_LEN];
	uint8_t		prev[HS_COOKIE_SECRET_LEN];
	uint64_t	secret_at;	/* when secret was made; 0: none yet */
	int		have_prev;
	uint64_t	win_at;		/* start of the current window */
	uint32_t	win_n;		/* mac1-valid HS_INITs in it */
	uint32_t	last_n;		/* in the window before */
	uint32_t	load_per_s;
	struct ratelim	per_addr;
	/* counters */
	uint64_t	bad_mac1;
	uint64_t	cookies;	/* COOKIE_REPLYs made */
	uint64_t	mac2_ok;	/* worked on under load, with a cookie */
	uint64_t	over_rate;	/* a cookie, but over its address's rate */
};

struct hs_cookie {
	uint8_t		cookie[HS_COOKIE_LEN];
	uint64_t	at_us;		/* when it came; 0: none */
};

/* For the responder with this X25519 static key; load_per_s 0:
 * HS_GUARD_LOAD_PER_S. */
void	hs_guard_init(struct hs_guard *, const uint8_t self_x_pk[32],
	    uint32_t load_per_s);
void	hs_guard_wipe(struct hs_guard *);
/* 1 if the last or the current second had more than load_per_s. */
int	hs_guard_loaded(const struct hs_guard *, uint64_t now_us);
/* What to do with this HS_INIT from addr (addr_key() bytes; NULL: relay). */
enum hs_verdict hs_guard_check(struct hs_guard *, const uint8_t *pkt,
	    size_t len, const uint8_t *addr, size_t addrlen, uint64_t now_us);
/* The COOKIE_REPLY to an HS_INIT hs_guard_check() said COOKIE to: its
 * length, or -1. */
int	hs_guard_cookie_reply(struct hs_guard *, const uint8_t *pkt, size_t len,
	    const uint8_t *addr, size_t addrlen, uint64_t now_us, uint8_t *out,
	    size_t cap) __attribute__((warn_unused_result));

/*
 * Initiator: the cookie in a COOKIE_REPLY to the last HS_INIT hs sent, for
 * the responder whose X25519 key is responder_x_pk: 0 (kept in ck), or -1
 * (not for that HS_INIT, forged, or one was taken for it already).
 */
int	hs_cookie_take(struct hs_cookie *ck, struct hs *hs, const uint8_t *pkt,
	    size_t len, const uint8_t responder_x_pk[32], uint64_t now_us)
	    __attribute__((warn_unused_result));
/* Seal mac2 into an HS_INIT if ck holds a cookie still fresh; 1 if so. */
int	hs_cookie_use(const struct hs_cookie *ck, uint8_t *pkt, size_t len,
	    uint64_t now_us);

#endif /* P2P_HS_COOKIE_H */
