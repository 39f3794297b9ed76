/* SPDX-License-Identifier: ISC */
/*
 * test_chan.c: the secure channel: CTRL/DATA packets sealed by one end and
 * opened by the other, tampering, replay, reordering, kx key agreement.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "chan.h"

#define DATA 0x55
#define CTRL 0x52

static const uint8_t ka[32] = { 0xa1 }, kb[32] = { 0xb2 };

static void
pair(struct chan *a, struct chan *b, enum aead_cipher c)
{
	cr_assert_eq(chan_init(a, c, ka, kb, 0x11223344), 0);
	cr_assert_eq(chan_init(b, c, kb, ka, 0x55667788), 0);
}

static void
roundtrip(enum aead_cipher c)
{
	struct chan a, b;
	uint8_t pkt[256], pt[256];
	const uint8_t hdr[8] = { DATA, CHAN_VERSION, 0, 0, 0x11, 0x22, 0x33, 0x44 };
	uint64_t ctr = 99;
	ssize_t n, m;

	pair(&a, &b, c);
	cr_assert_eq(a.tx_counter, 0);
	n = chan_seal(&a, DATA, (const uint8_t *)"hello", 5, pkt, sizeof pkt);
	cr_assert_eq(n, 5 + CHAN_OVERHEAD);
	cr_assert(memcmp(pkt, hdr, 8) == 0);
	cr_assert_eq(chan_peek_index(pkt, (size_t)n), 0x11223344);
	cr_assert(memmem(pkt, (size_t)n, "hello", 5) == NULL,
	    "plaintext on the wire");
	m = chan_open(&b, DATA, pkt, (size_t)n, pt, sizeof pt, &ctr);
	cr_assert_eq(m, 5);
	cr_assert(memcmp(pt, "hello", 5) == 0);
	cr_assert_eq(ctr, 0);
	/* And back, with the second packet number. */
	n = chan_seal(&b, DATA, (const uint8_t *)"x", 1, pkt, sizeof pkt);
	n = chan_seal(&b, DATA, (const uint8_t *)"yz", 2, pkt, sizeof pkt);
	cr_assert_eq(chan_peek_index(pkt, (size_t)n), 0x55667788);
	cr_assert_eq(chan_open(&a, DATA, pkt, (size_t)n, pt, sizeof pt, &ctr),
	    2);
	cr_assert_eq(ctr, 1);
	cr_assert_eq(b.tx_packets, 2);
	cr_assert_eq(a.rx_ok, 1);
	chan_wipe(&a);
	chan_wipe(&b);
	cr_assert_eq(chan_seal(&a, DATA, pt, 1, pkt, sizeof pkt), -1);
}

Test(chan, roundtrip_chachapoly)
{
	roundtrip(AEAD_CHACHAPOLY);
}

Test(chan, roundtrip_aesgcm)
{
	if (!aead_available(AEAD_AESGCM))
		cr_skip_test("no AES-NI");
	roundtrip(AEAD_AESGCM);
}

Test(chan, tamper_anywhere_is_refused)
{
	struct chan a, b;
	uint8_t pkt[128], pt[128];
	ssize_t n;
	size_t i;

	pair(&a, &b, AEAD_CHACHAPOLY);
	n = chan_seal(&a, DATA, (const uint8_t *)"secret data", 11, pkt,
	    sizeof pkt);
	cr_assert_gt(n, 0);
	/* Header (type, version, b2, b3, index, counter), ciphertext, tag. */
	for (i = 0; i < (size_t)n; i++) {
		pkt[i] ^= 0x01;
		cr_assert_eq(chan_open(&b, DATA, pkt, (size_t)n, pt, sizeof pt,
		    NULL), -1, "flip at byte %zu accepted", i);
		pkt[i] ^= 0x01;
	}
	cr_assert_eq(b.rx_ok, 0);
	cr_assert_eq(b.rx_fail + b.rx_malformed, (uint64_t)n);
	cr_assert_eq(b.rx_malformed, 4, "type/version/b2/b3 caught first");
	/* The untouched packet still opens: failures did not move state. */
	cr_assert_eq(chan_open(&b, DATA, pkt, (size_t)n, pt, sizeof pt, NULL),
	    11);
}

Test(chan, wrong_type_version_and_truncation)
{
	struct chan a, b;
	uint8_t pkt[128], pt[128];
	ssize_t n;
	size_t i;

	pair(&a, &b, AEAD_CHACHAPOLY);
	n = chan_seal(&a, CTRL, (const uint8_t *)"abc", 3, pkt, sizeof pkt);
	cr_assert_eq(chan_open(&b, DATA, pkt, (size_t)n, pt, sizeof pt, NULL),
	    -1);
	pkt[1] = 1;
	cr_assert_eq(chan_open(&b, CTRL, pkt, (size_t)n, pt, sizeof pt, NULL),
	    -1);
	pkt[1] = CHAN_VERSION;
	for (i = 0; i < (size_t)n; i++)
		cr_assert_eq(chan_open(&b, CTRL, pkt, i, pt, sizeof pt, NULL),
		    -1, "truncated to %zu accepted", i);
	/* Plaintext buffer too small. */
	cr_assert_eq(chan_open(&b, CTRL, pkt, (size_t)n, pt, 2, NULL), -1);
	cr_assert_eq(chan_open(&b, CTRL, pkt, (size_t)n, pt, 3, NULL), 3);
	cr_assert_eq(chan_peek_index(pkt, 7), 0);
	/* Output too small: refused, counter not spent. */
	cr_assert_eq(chan_seal(&a, CTRL, pt, 3, pkt, 3 + CHAN_OVERHEAD - 1),
	    -1);
	cr_assert_eq(a.tx_counter, 1);
}

Test(chan, replay_and_old_counters)
{
	struct chan a, b;
	uint8_t first[64], pkt[64], pt[64];
	ssize_t n0, n;
	uint64_t i, ctr;

	pair(&a, &b, AEAD_CHACHAPOLY);
	n0 = chan_seal(&a, DATA, (const uint8_t *)"0", 1, first, sizeof first);
	cr_assert_eq(chan_open(&b, DATA, first, (size_t)n0, pt, sizeof pt,
	    NULL), 1);
	cr_assert_eq(chan_open(&b, DATA, first, (size_t)n0, pt, sizeof pt,
	    NULL), -1, "replay accepted");
	cr_assert_eq(b.rx_replayed, 1);
	for (i = 1; i <= REPLAY_WINDOW; i++) {
		n = chan_seal(&a, DATA, (const uint8_t *)"p", 1, pkt,
		    sizeof pkt);
		cr_assert_eq(chan_open(&b, DATA, pkt, (size_t)n, pt, sizeof pt,
		    &ctr), 1);
		cr_assert_eq(ctr, i);
	}
	/* Packet 0 is now older than the window: rejected even if new. */
	b.rx_replay.ring[0] = 0;
	cr_assert_eq(chan_open(&b, DATA, first, (size_t)n0, pt, sizeof pt,
	    NULL), -1);
	cr_assert_eq(b.rx_replayed, 2);
}

Test(chan, reordered_within_window_accepted)
{
	struct chan a, b;
	uint8_t pkts[50][64], pt[64];
	ssize_t len[50];
	uint64_t ctr;
	int i;

	pair(&a, &b, AEAD_CHACHAPOLY);
	for (i = 0; i < 50; i++) {
		cr_assert_eq(a.tx_counter, (uint64_t)i);
		len[i] = chan_seal(&a, DATA, (const uint8_t *)&i, sizeof i,
		    pkts[i], sizeof pkts[i]);
		cr_assert_gt(len[i], 0);
	}
	for (i = 49; i >= 0; i -= 2) {
		cr_assert_eq(chan_open(&b, DATA, pkts[i], (size_t)len[i], pt,
		    sizeof pt, &ctr), (ssize_t)sizeof i);
		cr_assert_eq(ctr, (uint64_t)i);
		cr_assert(memcmp(pt, &i, sizeof i) == 0);
	}
	for (i = 0; i < 50; i += 2)
		cr_assert_eq(chan_open(&b, DATA, pkts[i], (size_t)len[i], pt,
		    sizeof pt, &ctr), (ssize_t)sizeof i);
	for (i = 0; i < 50; i++)
		cr_assert_eq(chan_open(&b, DATA, pkts[i], (size_t)len[i], pt,
		    sizeof pt, &ctr), -1);
	cr_assert_eq(b.rx_ok, 50);
	cr_assert_eq(b.rx_replayed, 50);
}

Test(chan, forged_counter_does_not_move_window)
{
	struct chan a, b;
	uint8_t pkt[64], pt[64];
	ssize_t n;

	pair(&a, &b, AEAD_CHACHAPOLY);
	n = chan_seal(&a, DATA, (const uint8_t *)"a", 1, pkt, sizeof pkt);
	/* Forge a huge counter: tag fails, the window must stay put. */
	pkt[8] = 0x7f;
	cr_assert_eq(chan_open(&b, DATA, pkt, (size_t)n, pt, sizeof pt, NULL),
	    -1);
	pkt[8] = 0;
	cr_assert_eq(chan_open(&b, DATA, pkt, (size_t)n, pt, sizeof pt, NULL),
	    1);
}

Test(chan, kx_control_channel)
{
	uint8_t cpk[32], csk[32], spk[32], ssk[32], pkt[64], pt[64];
	struct chan agent, server;
	ssize_t n;

	crypto_kx_keypair(cpk, csk);
	crypto_kx_keypair(spk, ssk);
	cr_assert_eq(chan_init_kx_client(&agent, cpk, csk, spk, 7), 0);
	cr_assert_eq(chan_init_kx_server(&server, spk, ssk, cpk, 7), 0);
	n = chan_seal(&agent, CTRL, (const uint8_t *)"reg", 3, pkt, sizeof pkt);
	cr_assert_eq(chan_open(&server, CTRL, pkt, (size_t)n, pt, sizeof pt,
	    NULL), 3);
	n = chan_seal(&server, CTRL, (const uint8_t *)"ok", 2, pkt, sizeof pkt);
	cr_assert_eq(chan_open(&agent, CTRL, pkt, (size_t)n, pt, sizeof pt,
	    NULL), 2);
	/* Own packets do not open on the sender (distinct directions). */
	n = chan_seal(&agent, CTRL, (const uint8_t *)"r", 1, pkt, sizeof pkt);
	cr_assert_eq(chan_open(&agent, CTRL, pkt, (size_t)n, pt, sizeof pt,
	    NULL), -1);
	/* An invalid (low-order) server key is refused. */
	memset(spk, 0, sizeof spk);
	cr_assert_eq(chan_init_kx_client(&agent, cpk, csk, spk, 7), -1);
}

Test(chan, counter_exhaustion)
{
	struct chan a;
	uint8_t pkt[64];

	cr_assert_eq(chan_init(&a, AEAD_CHACHAPOLY, ka, kb, 1), 0);
	a.tx_counter = CHAN_MAX_COUNTER - 1;
	cr_assert_gt(chan_seal(&a, DATA, NULL, 0, pkt, sizeof pkt), 0);
	cr_assert_eq(chan_seal(&a, DATA, NULL, 0, pkt, sizeof pkt), -1);
}

/*
 * Key sets of a rekeyed channel (PROTOCOL.md §2.5), with fixed keys: the
 * index picks the key, the responder switches on the first packet under
 * next, previous keys live for the overlap after the first packet under the
 * new current key, and a channel without rekeying ignores the index.
 */
static const uint8_t kc[32] = { 0xc3 }, kd[32] = { 0xd4 };

static ssize_t
rk_seal(struct chan *c, uint8_t *pkt, size_t cap)
{
	return chan_seal(c, DATA, (const uint8_t *)"data", 4, pkt, cap);
}

Test(chan, rekey_key_sets)
{
	struct chan_rekey_cfg cfg;
	struct chan a, b;
	uint8_t old[64], pkt[64], pt[64];
	ssize_t n, no;
	uint64_t ctr;

	chan_rekey_cfg_default(&cfg, AEAD_CHACHAPOLY);
	cfg.overlap_us = 1000;
	/* a's local index 10, b's 20; the new keys: 11 and 21. */
	cr_assert_eq(chan_init(&a, AEAD_CHACHAPOLY, ka, kb, 20), 0);
	cr_assert_eq(chan_init(&b, AEAD_CHACHAPOLY, kb, ka, 10), 0);
	chan_rekey_enable(&a, &cfg, 10, 1, 0);
	chan_rekey_enable(&b, &cfg, 20, 0, 0);
	cr_assert(chan_has_index(&a, 10) && !chan_has_index(&a, 11));

	no = rk_seal(&a, old, sizeof old);		/* counter 0, old key */
	cr_assert_eq(chan_rekey_install(&b, AEAD_CHACHAPOLY, kd, kc, 21, 11, 0,
	    5), 0);
	cr_assert(chan_has_index(&b, 21) && chan_has_index(&b, 20));
	n = rk_seal(&b, pkt, sizeof pkt);
	cr_assert_eq(chan_peek_index(pkt, (size_t)n), 10, "b waits for a");
	cr_assert_eq(chan_rekey_install(&a, AEAD_CHACHAPOLY, kc, kd, 11, 21, 1,
	    5), 0);
	cr_assert_eq(chan_open(&a, DATA, pkt, (size_t)n, pt, sizeof pt, &ctr),
	    4, "previous key still opens");
	cr_assert_eq(a.rx_old, 1);
	n = rk_seal(&a, pkt, sizeof pkt);
	cr_assert_eq(chan_peek_index(pkt, (size_t)n), 21);
	cr_assert_eq(chan_open(&b, DATA, pkt, (size_t)n, pt, sizeof pt, &ctr),
	    4);
	cr_assert_eq(ctr, 1, "the counter ran on across keys");
	cr_assert_eq(b.local_index, 21);
	cr_assert_eq(b.remote_index, 11);
	/* The packet sealed before the switch, arriving late. */
	cr_assert_eq(chan_open(&b, DATA, old, (size_t)no, pt, sizeof pt, &ctr),
	    4);
	cr_assert_eq(ctr, 0);
	/* The overlap starts at the first packet under the new key. */
	cr_assert_eq(chan_rekey_due(&b, 100), CHAN_REKEY_NO);
	cr_assert_eq(chan_rekey_next(&b, 0) <= 1100, 1);
	cr_assert(chan_has_index(&b, 20));
	(void)chan_rekey_due(&b, 1100);
	cr_assert(!chan_has_index(&b, 20), "previous key dropped");
	/* Unknown index under rekeying: refused before any decryption. */
	old[7] = 99;
	cr_assert_eq(chan_open(&b, DATA, old, (size_t)no, pt, sizeof pt, NULL),
	    -1);
	cr_assert_eq(b.rx_fail, 0);
	cr_assert_eq(b.rx_malformed, 1);
	/* Rekeying off: install refused, the index is not looked at. */
	chan_wipe(&a);
	cr_assert_eq(chan_init(&a, AEAD_CHACHAPOLY, ka, kb, 20), 0);
	cr_assert_eq(chan_rekey_install(&a, AEAD_CHACHAPOLY, kc, kd, 11, 21, 1,
	    5), -1);
	cr_assert_eq(chan_rekey_due(&a, UINT64_MAX / 2), CHAN_REKEY_NO);
	cr_assert_eq(chan_rekey_next(&a, 0), UINT64_MAX);
	chan_wipe(&b);
	cr_assert_eq(chan_init(&b, AEAD_CHACHAPOLY, kb, ka, 10), 0);
	n = rk_seal(&a, pkt, sizeof pkt);
	pkt[7] = 99;	/* index is AD: a changed one fails the tag */
	cr_assert_eq(chan_open(&b, DATA, pkt, (size_t)n, pt, sizeof pt, NULL),
	    -1);
	cr_assert_eq(b.rx_fail, 1);
	chan_wipe(&a);
	chan_wipe(&b);
}
