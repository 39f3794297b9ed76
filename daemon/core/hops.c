/* SPDX-License-Identifier: ISC */
/*
 * hops.c: the TTL that opens our NAT and dies before the peer's (hops.h).
 */
#include <sys/socket.h>

#include <string.h>

#include "hops.h"

void
hops_start(struct hops *h, const uint8_t rnd[STUN_TXID_LEN], uint64_t now)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->txid, rnd, STUN_TXID_LEN);
	h->next_ttl = 1;
	h->round = 1;
	h->round_at = now;
}

/* The TTL a transaction id names, or 0 if it is none of ours. */
static unsigned
hops_ttl_of(const struct hops *h, const uint8_t *txid)
{
	if (memcmp(txid + 1, h->txid + 1, STUN_TXID_LEN - 1) != 0 ||
	    txid[0] < 1 || txid[0] > HOPS_MAX)
		return 0;
	return txid[0];
}

int
hops_output(struct hops *h, uint64_t now, struct hops_out *o)
{
	uint8_t txid[STUN_TXID_LEN];

	(void)now;
	if (h->done || h->next_ttl == 0 || h->next_ttl > HOPS_MAX)
		return 0;
	/* Past a TTL that reached the server, more hops tell nothing. */
	if (h->next_ttl > 1 && h->reached[h->next_ttl - 1]) {
		h->next_ttl = 0;
		return 0;
	}
	memcpy(txid, h->txid, sizeof(txid));
	txid[0] = (uint8_t)h->next_ttl;
	o->ttl = h->next_ttl;
	o->len = stun_build_binding_request(o->pkt, sizeof(o->pkt), txid);
	h->next_ttl++;
	return o->len > 0;
}

void
hops_on_reply(struct hops *h, const uint8_t *pkt, size_t len)
{
	struct stun_msg m;
	unsigned ttl;

	if (stun_parse(pkt, len, &m) == -1 || m.type != STUN_BINDING_SUCCESS ||
	    (ttl = hops_ttl_of(h, m.txid)) == 0) {
		h->ignored++;
		return;
	}
	h->reached[ttl] = 1;
	h->answers++;
}

/*
 * The quoted datagram is our request as the kernel kept it (the UDP
 * payload); only its transaction id matters.
 */
void
hops_on_exceeded(struct hops *h, const uint8_t *pkt, size_t len, uint32_t ip)
{
	unsigned ttl;

	if (len < STUN_HDR_LEN || (ttl = hops_ttl_of(h, pkt + 8)) == 0 ||
	    ip == 0) {
		h->ignored++;
		return;
	}
	h->offender[ttl] = ip;
	h->answers++;
}

static int
hops_known(const struct hops *h)
{
	unsigned t;

	/* Enough to decide: a public router, or the server, answered. */
	for (t = 1; t <= HOPS_MAX; t++)
		if (h->reached[t] || hops_public(h->offender[t]))
			return 1;
	return 0;
}

/*
 * Every hop below the one that decides has answered (a private router),
 * and that one did (a public router, or the server): the result is final,
 * and waiting out the round would only delay the first punching rounds
 * after a registration (PROTOCOL.md §2.7, timed punching).
 */
static int
hops_settled(const struct hops *h)
{
	unsigned t;

	for (t = 1; t <= HOPS_MAX; t++) {
		if (h->reached[t] || hops_public(h->offender[t]))
			return 1;
		if (h->offender[t] == 0)
			return 0;	/* silent, or not yet */
	}
	return 0;
}

void
hops_tick(struct hops *h, uint64_t now)
{
	if (h->done)
		return;
	if (hops_settled(h)) {
		h->done = 1;
		return;
	}
	if (now < h->round_at + HOPS_WAIT_US)
		return;
	if (hops_known(h) || h->round >= HOPS_TRIES) {
		h->done = 1;
		return;
	}
	h->round++;
	h->round_at = now;
	h->next_ttl = 1;
}

uint64_t
hops_next_us(const struct hops *h)
{
	return h->done ? UINT64_MAX : h->round_at + HOPS_WAIT_US;
}

int
hops_done(const struct hops *h)
{
	return h->done;
}

unsigned
hops_low_ttl(const struct hops *h)
{
	unsigned t;

	for (t = 1; t <= HOPS_MAX; t++) {
		if (h->reached[t])
			return 0;	/* the server came first */
		if (hops_public(h->offender[t]))
			return t;
	}
	return 0;
}

uint32_t
hops_low_router(const struct hops *h)
{
	unsigned t = hops_low_ttl(h);

	return t == 0 ? 0 : h->offender[t];
}

int
hops_public(uint32_t ip)
{
	uint8_t a = ip >> 24, b = (ip >> 16) & 0xff;

	return !(ip == 0 || a == 0 || a == 10 || a == 127 || a >= 224 ||
	    (a == 100 && (b & 0xc0) == 64) ||		/* 100.64/10 CGNAT */
	    (a == 169 && b == 254) ||
	    (a == 172 && (b & 0xf0) == 16) ||
	    (a == 192 && b == 168));
}
