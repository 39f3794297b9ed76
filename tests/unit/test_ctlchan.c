/* SPDX-License-Identifier: ISC */
/*
 * test_ctlchan.c: the server's compact control channel talks to an agent's
 * struct chan (same keys from crypto_kx, same packets both ways), refuses
 * replays, forgeries and counters older than its window, and is small.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "chan.h"
#include "ctlchan.h"

#define CTRL	0x52
#define RELAY	0x57

static struct chan agent;
static struct ctlchan srv;

static void
setup(void)
{
	uint8_t apk[32], ask[32], spk[32], ssk[32];

	cr_assert(sodium_init() >= 0);
	crypto_kx_keypair(apk, ask);
	crypto_kx_keypair(spk, ssk);
	cr_assert_eq(chan_init_kx_client(&agent, apk, ask, spk, 0x1234), 0);
	cr_assert_eq(ctlchan_init_kx_server(&srv, spk, ssk, apk, 0x1234), 0);
}

TestSuite(ctlchan, .init = setup);

/* The agent seals counter ctr (by setting its counter) and srv opens it. */
static ssize_t
agent_to_srv(uint64_t ctr, uint8_t type, uint8_t *pkt, size_t *len)
{
	uint8_t pt[64];
	ssize_t n;

	agent.tx_counter = ctr;
	n = chan_seal(&agent, type, (const uint8_t *)"ping", 4, pkt, 128);
	cr_assert_gt(n, 0);
	*len = (size_t)n;
	return ctlchan_open(&srv, type, pkt, *len, pt, sizeof(pt));
}

Test(ctlchan, talks_to_an_agent_chan)
{
	uint8_t pkt[128], pt[64];
	size_t len;
	ssize_t n;

	cr_assert_eq(agent_to_srv(0, CTRL, pkt, &len), 4);
	n = ctlchan_seal(&srv, RELAY, (const uint8_t *)"pong!", 5, pkt,
	    sizeof(pkt));
	cr_assert_eq(n, 5 + CHAN_OVERHEAD);
	cr_assert_eq(chan_peek_index(pkt, (size_t)n), 0x1234);
	cr_assert_eq(chan_open(&agent, RELAY, pkt, (size_t)n, pt, sizeof(pt),
	    NULL), 5);
	cr_assert(memcmp(pt, "pong!", 5) == 0);
	cr_assert_eq(chan_open(&agent, CTRL, pkt, (size_t)n, pt, sizeof(pt),
	    NULL), -1, "the type is authenticated");
}

Test(ctlchan, replay_window)
{
	uint8_t pkt[128], old[128], pt[64];
	size_t len, oldlen;

	cr_assert_eq(agent_to_srv(5, CTRL, old, &oldlen), 4);
	cr_assert_eq(ctlchan_open(&srv, CTRL, old, oldlen, pt, sizeof(pt)),
	    -1, "a replay is refused");
	cr_assert_eq(agent_to_srv(3, CTRL, pkt, &len), 4, "reordered: fine");
	cr_assert_eq(agent_to_srv(5 + CTLCHAN_WINDOW, CTRL, pkt, &len), 4);
	cr_assert_eq(agent_to_srv(6, CTRL, pkt, &len), 4,
	    "the oldest counter still inside the window");
	cr_assert_eq(agent_to_srv(5, CTRL, pkt, &len), -1, "seen");
	cr_assert_eq(agent_to_srv(4 + 1, CTRL, pkt, &len), -1);
	cr_assert_eq(agent_to_srv(4, CTRL, pkt, &len), -1,
	    "older than the window");
}

Test(ctlchan, forgery_does_not_move_the_window)
{
	uint8_t pkt[128], pt[64];
	size_t len;

	agent.tx_counter = 100000;
	cr_assert_gt(chan_seal(&agent, CTRL, (const uint8_t *)"x", 1, pkt,
	    sizeof(pkt)), 0);
	len = 1 + CHAN_OVERHEAD;
	pkt[len - 1] ^= 1;
	cr_assert_eq(ctlchan_open(&srv, CTRL, pkt, len, pt, sizeof(pt)), -1);
	cr_assert_eq(agent_to_srv(1, CTRL, pkt, &len), 4,
	    "counter 1 is still inside the window");
	cr_assert_eq(ctlchan_open(&srv, CTRL, pkt, 10, pt, sizeof(pt)), -1,
	    "too short");
	cr_assert_eq(ctlchan_open(&srv, CTRL, pkt, len, pt, 2), -1,
	    "no room");
}

Test(ctlchan, is_small)
{
	cr_assert_lt(sizeof(struct ctlchan), 400, "%zu bytes",
	    sizeof(struct ctlchan));
	cr_assert_gt(sizeof(struct chan), 3000, "what it replaces");
}

/*
 * RELAY_MAC: the body travels in the clear; the tag covers the header, the
 * length and the body's first 20 and last 16 bytes. Both ends interoperate,
 * a changed covered byte or a replay is refused, and a change elsewhere
 * (inside the end-to-end packet) passes the relay's check but not the
 * receiving session's: the property the relay's cheaper check relies on.
 */
#define RELAY_MAC	0x5c

Test(ctlchan, relay_mac_both_ways)
{
	uint8_t body[300], pkt[400];
	ssize_t n;
	size_t i;

	for (i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)i;
	n = chan_seal_mac(&agent, RELAY_MAC, body, sizeof(body), pkt,
	    sizeof(pkt));
	cr_assert_eq(n, (ssize_t)(sizeof(body) + CHAN_OVERHEAD));
	cr_assert(memcmp(pkt + CHAN_HDR_LEN, body, sizeof(body)) == 0,
	    "the body is in the clear after the header");
	cr_assert_eq(ctlchan_open_mac(&srv, RELAY_MAC, pkt, (size_t)n),
	    (ssize_t)sizeof(body));
	cr_assert_eq(ctlchan_open_mac(&srv, RELAY_MAC, pkt, (size_t)n), -1,
	    "a replay is refused");
	/* Sealed in place: the body already where the seal puts it. */
	memcpy(pkt + CHAN_HDR_LEN, body, sizeof(body));
	n = ctlchan_seal_mac(&srv, RELAY_MAC, pkt + CHAN_HDR_LEN, sizeof(body),
	    pkt, sizeof(pkt));
	cr_assert_eq(n, (ssize_t)(sizeof(body) + CHAN_OVERHEAD));
	cr_assert_eq(chan_open_mac(&agent, RELAY_MAC, pkt, (size_t)n, NULL),
	    (ssize_t)sizeof(body));
	cr_assert(memcmp(pkt + CHAN_HDR_LEN, body, sizeof(body)) == 0);
	/* The other form does not open it, nor the reverse. */
	n = ctlchan_seal_mac(&srv, RELAY_MAC, body, sizeof(body), pkt,
	    sizeof(pkt));
	cr_assert_eq(chan_open(&agent, RELAY_MAC, pkt, (size_t)n, body,
	    sizeof(body), NULL), -1);
}

Test(ctlchan, relay_mac_covers_head_tail_and_length)
{
	const size_t at[] = { 0, 4, 8, 15, 16, 19, 16 + 19, 16 + 284,
	    16 + 299 };
	uint8_t body[300], pkt[400], copy[400];
	size_t i;
	ssize_t n;

	memset(body, 0x5a, sizeof(body));
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		n = chan_seal_mac(&agent, RELAY_MAC, body, sizeof(body), pkt,
		    sizeof(pkt));
		cr_assert_gt(n, 0);
		memcpy(copy, pkt, (size_t)n);
		copy[at[i]] ^= 1;
		cr_assert_eq(ctlchan_open_mac(&srv, RELAY_MAC, copy,
		    (size_t)n), -1, "byte %zu changed, yet accepted", at[i]);
		/* One byte less (the tag moved up): the length is covered. */
		memcpy(copy, pkt, (size_t)n);
		memmove(copy + n - 17, copy + n - 16, 16);
		cr_assert_eq(ctlchan_open_mac(&srv, RELAY_MAC, copy,
		    (size_t)n - 1), -1);
		/* The untouched packet still opens: nothing moved the window. */
		cr_assert_eq(ctlchan_open_mac(&srv, RELAY_MAC, pkt, (size_t)n),
		    (ssize_t)sizeof(body));
	}
}

Test(ctlchan, relay_mac_middle_is_the_sessions_to_check)
{
	uint8_t k[32], inner[256], body[300], pkt[400], pt[256];
	struct chan a, b;
	ssize_t in, n;

	randombytes_buf(k, sizeof(k));
	cr_assert_eq(chan_init(&a, AEAD_CHACHAPOLY, k, k, 7), 0);
	cr_assert_eq(chan_init(&b, AEAD_CHACHAPOLY, k, k, 7), 0);
	memset(pt, 0x11, sizeof(pt));
	in = chan_seal(&a, 0x55, pt, 200, inner, sizeof(inner));
	cr_assert_gt(in, 0);
	memset(body, 0, 4);
	memcpy(body + 4, inner, (size_t)in);
	n = chan_seal_mac(&agent, RELAY_MAC, body, 4 + (size_t)in, pkt,
	    sizeof(pkt));
	cr_assert_gt(n, 0);
	pkt[CHAN_HDR_LEN + 4 + 100] ^= 0x80;	/* inside the ciphertext */
	cr_assert_eq(ctlchan_open_mac(&srv, RELAY_MAC, pkt, (size_t)n),
	    4 + in);
	cr_assert_eq(chan_open(&b, 0x55, pkt + CHAN_HDR_LEN + 4, (size_t)in,
	    pt, sizeof(pt), NULL), -1, "the session refuses what the relay "
	    "passed");
	chan_wipe(&a);
	chan_wipe(&b);
}
