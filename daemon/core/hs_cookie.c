/* SPDX-License-Identifier: ISC */
/*
 * hs_cookie.c: the responder's load guard and the initiator's cookie
 * (hs_cookie.h).
 */
#include <string.h>

#include <sodium.h>

#include "hs_cookie.h"

#define US	1000000ULL

void
hs_guard_init(struct hs_guard *g, const uint8_t self_x_pk[32],
    uint32_t load_per_s)
{
	memset(g, 0, sizeof(*g));
	hs_mac1_key(self_x_pk, g->mac1_key);
	hs_cookie_key(self_x_pk, g->cookie_key);
	randombytes_buf(g->nonce, sizeof(g->nonce));
	g->load_per_s = load_per_s != 0 ? load_per_s : HS_GUARD_LOAD_PER_S;
	ratelim_init(&g->per_addr, HS_GUARD_ADDR_PER_S, HS_GUARD_ADDR_BURST);
}

void
hs_guard_wipe(struct hs_guard *g)
{
	sodium_memzero(g, sizeof(*g));
}

/* A fresh secret every HS_COOKIE_SECRET_S; the one before stays valid. */
static void
hs_guard_secret(struct hs_guard *g, uint64_t now)
{
	if (g->secret_at != 0 && now - g->secret_at <
	    (uint64_t)HS_COOKIE_SECRET_S * US)
		return;
	g->have_prev = g->secret_at != 0 && now - g->secret_at <
	    2 * (uint64_t)HS_COOKIE_SECRET_S * US;
	memcpy(g->prev, g->secret, sizeof(g->prev));
	randombytes_buf(g->secret, sizeof(g->secret));
	g->secret_at = now != 0 ? now : 1;
}

/* Move the one-second window on. */
static void
hs_guard_window(struct hs_guard *g, uint64_t now)
{
	if (now - g->win_at < US)
		return;
	g->last_n = now - g->win_at < 2 * US ? g->win_n : 0;
	g->win_at = now;
	g->win_n = 0;
}

int
hs_guard_loaded(const struct hs_guard *g, uint64_t now)
{
	if (now - g->win_at >= 2 * US)
		return 0;
	if (now - g->win_at >= US)
		return g->win_n > g->load_per_s;
	return g->win_n > g->load_per_s || g->last_n > g->load_per_s;
}

/* Was mac2 made with the cookie of addr under one of our secrets? */
static int
hs_guard_mac2(struct hs_guard *g, const uint8_t *pkt, size_t len,
    const uint8_t *addr, size_t addrlen, uint64_t now)
{
	static const uint8_t zero[HS_MAC_LEN];
	uint8_t cookie[HS_COOKIE_LEN];
	int ok;

	/* No cookie at all: no MAC to compute. */
	if (sodium_memcmp(pkt + len - HS_MAC_LEN, zero, HS_MAC_LEN) == 0)
		return 0;
	hs_guard_secret(g, now);
	hs_cookie_make(g->secret, addr, addrlen, cookie);
	ok = hs_mac2_ok(pkt, len, cookie);
	if (!ok && g->have_prev) {
		hs_cookie_make(g->prev, addr, addrlen, cookie);
		ok = hs_mac2_ok(pkt, len, cookie);
	}
	sodium_memzero(cookie, sizeof(cookie));
	return ok;
}

enum hs_verdict
hs_guard_check(struct hs_guard *g, const uint8_t *pkt, size_t len,
    const uint8_t *addr, size_t addrlen, uint64_t now)
{
	if (len < HS_INIT_MIN || !hs_mac1_ok_key(pkt, len, g->mac1_key)) {
		g->bad_mac1++;
		return HS_VERDICT_DROP;
	}
	hs_guard_window(g, now);
	if (g->win_n < UINT32_MAX)
		g->win_n++;
	if (!hs_guard_loaded(g, now) || addr == NULL)
		return HS_VERDICT_PROCESS;
	if (!hs_guard_mac2(g, pkt, len, addr, addrlen, now))
		return HS_VERDICT_COOKIE;
	if (!ratelim_take(&g->per_addr, addr, addrlen, now)) {
		g->over_rate++;
		return HS_VERDICT_DROP;
	}
	g->mac2_ok++;
	return HS_VERDICT_PROCESS;
}

int
hs_guard_cookie_reply(struct hs_guard *g, const uint8_t *pkt, size_t len,
    const uint8_t *addr, size_t addrlen, uint64_t now, uint8_t *out,
    size_t cap)
{
	uint8_t cookie[HS_COOKIE_LEN];
	int n;

	if (addr == NULL)
		return -1;
	hs_guard_secret(g, now);
	hs_cookie_make(g->secret, addr, addrlen, cookie);
	/* XChaCha20's 192-bit nonce: a random start and a counter never
	 * repeat under the one key. */
	sodium_increment(g->nonce, 8);
	n = hs_cookie_reply_seal(out, cap, pkt, len, g->cookie_key, g->nonce,
	    cookie);
	sodium_memzero(cookie, sizeof(cookie));
	if (n > 0)
		g->cookies++;
	return n;
}

int
hs_cookie_take(struct hs_cookie *ck, struct hs *hs, const uint8_t *pkt,
    size_t len, const uint8_t responder_x_pk[32], uint64_t now)
{
	uint8_t cookie[HS_COOKIE_LEN];

	if (hs == NULL || hs->state != HS_INIT_SENT || !hs->cookie_open ||
	    hs_cookie_reply_open_for(pkt, len, hs->local_index, hs->sent_mac1,
	    responder_x_pk, cookie) == -1)
		return -1;
	hs->cookie_open = 0;
	memcpy(ck->cookie, cookie, sizeof(ck->cookie));
	ck->at_us = now != 0 ? now : 1;
	sodium_memzero(cookie, sizeof(cookie));
	return 0;
}

int
hs_cookie_use(const struct hs_cookie *ck, uint8_t *pkt, size_t len,
    uint64_t now)
{
	if (ck->at_us == 0 || now - ck->at_us >=
	    (uint64_t)HS_COOKIE_USE_S * US || len < HS_INIT_MIN)
		return 0;
	hs_mac2_seal(pkt, len, ck->cookie);
	return 1;
}
