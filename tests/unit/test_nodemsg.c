/* SPDX-License-Identifier: ISC */
/*
 * test_nodemsg.c: node-to-node packets: two nodes with the same cluster key
 * talk (ChaCha20-Poly1305, and AES-256-GCM where both take it), a node with
 * another key cannot, and replays, tampering, packets out of time (clocks
 * 30 s apart are fine), a sender's older run and AES-256-GCM at a node that
 * does not take it are refused.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "nodemsg.h"

static struct nodemsg a, b, evil;
static const uint8_t ck[40] = "0123456789abcdef0123456789abcdef-cluster";
static const uint8_t other[40] = "another cluster key, 32 bytes or longer";
#define T0	1800000000000ULL

static void
setup(void)
{
	cr_assert(sodium_init() >= 0);
	cr_assert_eq(nodemsg_init(&a, ck, sizeof(ck), 1, 7), 0);
	cr_assert_eq(nodemsg_init(&b, ck, sizeof(ck), 2, 3), 0);
	cr_assert_eq(nodemsg_init(&evil, other, sizeof(other), 1, 7), 0);
}

TestSuite(nodemsg, .init = setup);

static int deliver_aead = NODEMSG_CHACHA;

static ssize_t
deliver(struct nodemsg *from, struct nodemsg *to, uint64_t t_from,
    uint64_t t_to, uint8_t *pkt, size_t *plen)
{
	uint8_t pt[256], slot, kind;
	const uint8_t *body;
	ssize_t n, m;

	n = nodemsg_seal(from, t_from, NODEMSG_RELAY, deliver_aead,
	    (const uint8_t *)"relayed!", 8, pkt, 256);
	cr_assert_gt(n, 0);
	*plen = (size_t)n;
	m = nodemsg_open(to, t_to, pkt, (size_t)n, pt, sizeof(pt), &slot,
	    &kind, &body);
	if (m >= 0) {
		cr_assert_eq(m, 8);
		cr_assert(memcmp(body, "relayed!", 8) == 0);
		cr_assert_eq(slot, from->slot);
		cr_assert_eq(kind, NODEMSG_RELAY);
	}
	return m;
}

Test(nodemsg, talk_and_replay)
{
	uint8_t pkt[256], pt[256], slot, kind;
	const uint8_t *body;
	size_t len;

	cr_assert_eq(deliver(&a, &b, T0, T0, pkt, &len), 8);
	cr_assert_eq(pkt[0], NODEMSG_TYPE);
	cr_assert(memmem(pkt, len, "relayed!", 8) == NULL, "not in clear");
	cr_assert_eq(nodemsg_open(&b, T0, pkt, len, pt, sizeof(pt), &slot,
	    &kind, &body), -1, "a replay");
	cr_assert_eq(deliver(&b, &a, T0, T0, pkt, &len), 8, "both ways");
	pkt[len - 1] ^= 1;
	cr_assert_eq(nodemsg_open(&a, T0, pkt, len, pt, sizeof(pt), &slot,
	    &kind, &body), -1, "tampered");
	pkt[len - 1] ^= 1;
	pkt[2] = 9;	/* another sender slot: another key */
	cr_assert_eq(nodemsg_open(&a, T0, pkt, len, pt, sizeof(pt), &slot,
	    &kind, &body), -1, "the header is authenticated");
}

Test(nodemsg, another_cluster_key)
{
	uint8_t pkt[256];
	size_t len;

	cr_assert_eq(deliver(&evil, &b, T0, T0, pkt, &len), -1);
	cr_assert_eq(b.rx_bad, 1);
}

Test(nodemsg, clocks)
{
	uint8_t pkt[256];
	size_t len;

	cr_assert_eq(deliver(&a, &b, T0, T0 - 30000, pkt, &len), 8,
	    "sender 30 s ahead");
	cr_assert_eq(deliver(&a, &b, T0, T0 + 30000, pkt, &len), 8,
	    "sender 30 s behind");
	cr_assert_eq(deliver(&a, &b, T0, T0 - 31000, pkt, &len), -1,
	    "too far ahead");
	cr_assert_eq(deliver(&a, &b, T0, T0 + 61000, pkt, &len), -1,
	    "too old");
}

Test(nodemsg, restart)
{
	uint8_t pkt[256], old[256], pt[256], slot, kind;
	const uint8_t *body;
	size_t len, oldlen;

	cr_assert_eq(deliver(&a, &b, T0, T0, old, &oldlen), 8);
	nodemsg_wipe(&a);
	cr_assert_eq(nodemsg_init(&a, ck, sizeof(ck), 1, 8), 0);
	cr_assert_eq(deliver(&a, &b, T0, T0, pkt, &len), 8,
	    "the new run, counter 0 again");
	cr_assert_eq(nodemsg_open(&b, T0, old, oldlen, pt, sizeof(pt), &slot,
	    &kind, &body), -1, "the old run is gone");
	cr_assert_eq(b.rx_stale, 1);
}

Test(nodemsg, malformed)
{
	uint8_t pkt[256], pt[256], slot, kind;
	const uint8_t *body;
	size_t len;

	cr_assert_eq(deliver(&a, &b, T0, T0, pkt, &len), 8);
	cr_assert_eq(nodemsg_open(&b, T0, pkt, 20, pt, sizeof(pt), &slot,
	    &kind, &body), -1, "short");
	cr_assert_eq(nodemsg_open(&b, T0, pkt, len, pt, 4, &slot, &kind,
	    &body), -1, "no room");
	cr_assert_eq(nodemsg_open(&a, T0, pkt, len, pt, sizeof(pt), &slot,
	    &kind, &body), -1, "from our own slot");
}

/* AES-256-GCM where both nodes run it (the CPU has AES-NI). */
Test(nodemsg, aes)
{
	uint8_t pkt[256], pt[256], slot, kind;
	const uint8_t *body;
	size_t len;

	if (!a.aes || !b.aes)
		cr_skip_test("no AES-256-GCM on this CPU");
	deliver_aead = NODEMSG_AES;
	cr_assert_eq(deliver(&a, &b, T0, T0, pkt, &len), 8, "first of a run");
	cr_assert_eq(pkt[3], NODEMSG_AES);
	cr_assert(memmem(pkt, len, "relayed!", 8) == NULL, "not in clear");
	cr_assert_eq(nodemsg_open(&b, T0, pkt, len, pt, sizeof(pt), &slot,
	    &kind, &body), -1, "a replay");
	cr_assert_eq(deliver(&a, &b, T0, T0, pkt, &len), 8, "the key kept");
	pkt[3] = NODEMSG_CHACHA;
	cr_assert_eq(nodemsg_open(&b, T0, pkt, len, pt, sizeof(pt), &slot,
	    &kind, &body), -1, "the AEAD byte is authenticated");
	deliver_aead = NODEMSG_CHACHA;
	cr_assert_eq(deliver(&a, &b, T0, T0, pkt, &len), 8,
	    "ChaCha20-Poly1305 from the same run, one counter");
	deliver_aead = NODEMSG_AES;
	cr_assert_eq(deliver(&b, &a, T0, T0, pkt, &len), 8, "both ways");
	pkt[len - 1] ^= 1;
	cr_assert_eq(nodemsg_open(&a, T0, pkt, len, pt, sizeof(pt), &slot,
	    &kind, &body), -1, "tampered");
	deliver_aead = NODEMSG_CHACHA;
}

/* A node that does not take AES (an older one, or no AES-NI) refuses it. */
Test(nodemsg, aes_refused)
{
	uint8_t pkt[256];
	size_t len;

	if (!a.aes)
		cr_skip_test("no AES-256-GCM on this CPU");
	b.aes = 0;
	deliver_aead = NODEMSG_AES;
	cr_assert_eq(deliver(&a, &b, T0, T0, pkt, &len), -1);
	cr_assert_eq(b.rx_bad, 1);
	a.aes = 0;
	cr_assert_eq(nodemsg_seal(&a, T0, NODEMSG_RELAY, NODEMSG_AES,
	    (const uint8_t *)"x", 1, pkt, sizeof(pkt)), -1,
	    "no AES seal where it is off");
	cr_assert_eq(nodemsg_seal(&a, T0, NODEMSG_RELAY, 2,
	    (const uint8_t *)"x", 1, pkt, sizeof(pkt)), -1, "an unknown AEAD");
	deliver_aead = NODEMSG_CHACHA;
	cr_assert_eq(deliver(&a, &b, T0, T0, pkt, &len), 8,
	    "ChaCha20-Poly1305 still");
}

/* The first packet of a sender's new run may be AES: its key, its window. */
Test(nodemsg, aes_restart)
{
	uint8_t pkt[256], old[256], pt[256], slot, kind;
	const uint8_t *body;
	size_t len, oldlen;

	if (!a.aes || !b.aes)
		cr_skip_test("no AES-256-GCM on this CPU");
	deliver_aead = NODEMSG_AES;
	cr_assert_eq(deliver(&a, &b, T0, T0, old, &oldlen), 8);
	nodemsg_wipe(&a);
	cr_assert_eq(nodemsg_init(&a, ck, sizeof(ck), 1, 8), 0);
	cr_assert_eq(deliver(&a, &b, T0, T0, pkt, &len), 8, "the new run");
	cr_assert_eq(deliver(&a, &b, T0, T0, pkt, &len), 8, "and on");
	cr_assert_eq(nodemsg_open(&b, T0, old, oldlen, pt, sizeof(pt), &slot,
	    &kind, &body), -1, "the old run is gone");
	deliver_aead = NODEMSG_CHACHA;
}
