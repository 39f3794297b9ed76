/* SPDX-License-Identifier: ISC */
/*
 * test_rekey.c: rekeying a running session (PROTOCOL.md §2.5) with the real
 * handshake (hs) and channels (chan): traffic in flight both ways across the
 * switch, reordered packets inside the overlap, old keys refused after it,
 * forged rekey messages ignored, the three triggers, and many rekeys in a
 * row with every packet delivered once.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "chan.h"
#include "hs.h"

#define DATA	0x55
#define NOW	1763770000123456789ULL	/* wall clock, ns */
#define SEC	1000000ULL		/* monotonic clock, us */
#define MAXPKT	128

struct end {
	struct hs_identity	id;
	struct hs		hs;
	struct chan		chan;
	const char		*name;
	uint32_t		next_idx;
	uint64_t		rx_seen[4096];	/* counters delivered, by value */
	size_t			nrx;
};

struct pkt {
	uint8_t		b[MAXPKT];
	size_t		len;
	uint64_t	pn;
};

static struct chan_rekey_cfg tiny = {
	.after_us = 10 * SEC,
	.max_packets = 1000,
	.max_fail = 5,
	.overlap_us = 2 * SEC,
};

static void
mkend(struct end *e, const char *name, uint32_t first_idx)
{
	uint8_t pk[32], sk[64];

	memset(e, 0, sizeof *e);
	cr_assert_eq(crypto_sign_keypair(pk, sk), 0);
	cr_assert_eq(hs_identity_from_ed25519(&e->id, sk), 0);
	sodium_memzero(sk, sizeof sk);
	e->name = name;
	e->next_idx = first_idx;
}

static void	seal(struct end *, struct pkt *);
static int	deliver(struct end *, const struct pkt *);

/* A session a (initiator) -> b, rekeying on with cfg, at time now. */
static void
session(struct end *a, struct end *b, enum aead_cipher c,
    const struct chan_rekey_cfg *cfg, uint64_t now)
{
	struct hs_init_info info;
	struct hs_result ra, rb;
	struct pkt p;
	uint8_t p1[256], p2[256];
	size_t l1, l2;
	uint32_t ia = a->next_idx++, ib = b->next_idx++;

	cr_assert_eq(hs_initiate(&a->hs, &a->id, b->id.ed_pk, c, ia, a->name,
	    NOW, p1, sizeof p1, &l1), 0);
	cr_assert_eq(hs_read_init(&b->hs, &b->id, p1, l1, &info), 0);
	cr_assert_eq(info.rekey_index, 0, "a new session is not a rekey");
	cr_assert_eq(hs_respond(&b->hs, ib, p2, sizeof p2, &l2, &rb), 0);
	cr_assert_eq(hs_finish(&a->hs, p2, l2, &ra), 0);
	cr_assert_eq(chan_init(&a->chan, c, ra.tx, ra.rx, ra.remote_index), 0);
	cr_assert_eq(chan_init(&b->chan, c, rb.tx, rb.rx, rb.remote_index), 0);
	chan_rekey_enable(&a->chan, cfg, ia, 1, now);
	chan_rekey_enable(&b->chan, cfg, ib, 0, now);
	hs_wipe(&a->hs);
	hs_wipe(&b->hs);
	/* One packet each way: both sides have seen the key in use. */
	seal(a, &p);
	cr_assert_eq(deliver(b, &p), 0);
	seal(b, &p);
	cr_assert_eq(deliver(a, &p), 0);
}

static void
seal(struct end *e, struct pkt *p)
{
	uint8_t pt[8];
	ssize_t n;

	p->pn = e->chan.tx_counter;
	memcpy(pt, &p->pn, 8);
	n = chan_seal(&e->chan, DATA, pt, sizeof pt, p->b, sizeof p->b);
	cr_assert_eq(n, (ssize_t)(8 + CHAN_OVERHEAD), "%s: seal failed",
	    e->name);
	p->len = (size_t)n;
}

/* 0 if e accepted p (and checks the payload and the packet number). */
static int
deliver(struct end *e, const struct pkt *p)
{
	uint8_t pt[MAXPKT];
	uint64_t pn = 0, got;
	ssize_t n;

	n = chan_open(&e->chan, DATA, p->b, p->len, pt, sizeof pt, &pn);
	if (n < 0)
		return -1;
	cr_assert_eq(n, 8);
	memcpy(&got, pt, 8);
	cr_assert_eq(got, p->pn);
	cr_assert_eq(pn, p->pn, "the packet number is the counter");
	cr_assert_lt(e->nrx, sizeof e->rx_seen / sizeof e->rx_seen[0]);
	e->rx_seen[e->nrx++] = pn;
	return 0;
}

/* i starts a rekey: the HS_INIT. */
static size_t
rekey_init(struct end *i, struct end *r, uint8_t *pkt, size_t cap,
    uint64_t wall)
{
	size_t len;

	cr_assert_eq(hs_initiate_rekey(&i->hs, &i->id, r->id.ed_pk,
	    i->chan.keys.cipher, i->next_idx++, i->name, i->chan.remote_index,
	    wall, pkt, cap, &len), 0);
	cr_assert_leq(len, HS_REKEY_INIT_MAX);
	return len;
}

/* r answers: holds the keys as next, returns the HS_RESP. */
static size_t
rekey_respond(struct end *r, struct end *i, const uint8_t *init, size_t ilen,
    uint8_t *out, size_t cap, uint64_t now)
{
	struct hs_init_info info;
	struct hs_result res;
	size_t len;

	cr_assert_eq(hs_read_init(&r->hs, &r->id, init, ilen, &info), 0);
	cr_assert(memcmp(info.peer_x_pk, i->id.x_pk, 32) == 0);
	cr_assert_neq(info.rekey_index, 0);
	cr_assert(chan_has_index(&r->chan, info.rekey_index),
	    "the rekey names r's session");
	cr_assert_eq(hs_respond(&r->hs, r->next_idx++, out, cap, &len, &res),
	    0);
	cr_assert_eq(chan_rekey_install(&r->chan, res.cipher, res.tx, res.rx,
	    res.local_index, res.remote_index, 0, now), 0);
	sodium_memzero(&res, sizeof res);
	hs_wipe(&r->hs);
	return len;
}

static void
rekey_finish(struct end *i, const uint8_t *resp, size_t len, uint64_t now)
{
	struct hs_result res;

	cr_assert_eq(hs_finish(&i->hs, resp, len, &res), 0);
	cr_assert_eq(chan_rekey_install(&i->chan, res.cipher, res.tx, res.rx,
	    res.local_index, res.remote_index, 1, now), 0);
	sodium_memzero(&res, sizeof res);
	hs_wipe(&i->hs);
}

static void
in_flight(enum aead_cipher c)
{
	struct end a, b;
	struct pkt ab[6], ba[6], late;
	uint8_t p1[256], p2[256];
	size_t l1, l2, k;
	uint64_t now = 100 * SEC, pn_before;
	uint32_t a_old, b_old;

	mkend(&a, "alice", 0x1000);
	mkend(&b, "bob", 0x2000);
	session(&a, &b, c, &tiny, now);
	a_old = b.chan.remote_index;
	b_old = a.chan.remote_index;

	/* Traffic both ways, none of it delivered yet. */
	for (k = 0; k < 3; k++) {
		seal(&a, &ab[k]);
		seal(&b, &ba[k]);
	}
	seal(&a, &late);	/* will arrive after everything else */

	now += 11 * SEC;
	cr_assert_eq(chan_rekey_due(&a.chan, now), CHAN_REKEY_TIME);
	cr_assert_eq(chan_rekey_due(&b.chan, now), CHAN_REKEY_NO,
	    "the responder of the key waits longer");
	l1 = rekey_init(&a, &b, p1, sizeof p1, NOW + 1);
	l2 = rekey_respond(&b, &a, p1, l1, p2, sizeof p2, now);
	/* b keeps sending under the old key until it sees the new one used. */
	seal(&b, &ba[3]);
	cr_assert_eq(chan_peek_index(ba[3].b, ba[3].len), a_old);
	pn_before = a.chan.tx_counter;
	rekey_finish(&a, p2, l2, now);
	cr_assert_eq(a.chan.tx_counter, pn_before, "counter runs on");
	cr_assert_eq(a.chan.rekeys, 1);
	/* a switched at once. */
	seal(&a, &ab[3]);
	cr_assert_neq(chan_peek_index(ab[3].b, ab[3].len), b_old);
	cr_assert_eq(ab[3].pn, pn_before);

	/* Old-key packets from a arrive first, then the new one. */
	for (k = 0; k < 3; k++)
		cr_assert_eq(deliver(&b, &ab[k]), 0);
	cr_assert_eq(b.chan.rekeys, 0);
	cr_assert_eq(deliver(&b, &ab[3]), 0);
	cr_assert_eq(b.chan.rekeys, 1, "first packet under next switches b");
	seal(&b, &ba[4]);
	cr_assert_neq(chan_peek_index(ba[4].b, ba[4].len), a_old,
	    "b now sends under the new key");
	cr_assert(chan_has_index(&a.chan,
	    chan_peek_index(ba[4].b, ba[4].len)));

	/* a gets b's packets in a different order than they were sent. */
	cr_assert_eq(deliver(&a, &ba[4]), 0);
	cr_assert_eq(deliver(&a, &ba[2]), 0);
	cr_assert_eq(deliver(&a, &ba[0]), 0);
	cr_assert_eq(deliver(&a, &ba[3]), 0);
	cr_assert_eq(a.chan.rx_old, 3, "old-key packets within the overlap");
	cr_assert_eq(deliver(&a, &ba[0]), -1, "a replay stays a replay");

	/* Overlap: still fine a moment later, refused after it. */
	(void)chan_rekey_due(&a.chan, now);
	(void)chan_rekey_due(&b.chan, now);
	cr_assert_eq(deliver(&b, &late), 0, "reordered old-key packet");
	cr_assert_eq(b.chan.rx_old, 1);
	now += tiny.overlap_us + 1;
	(void)chan_rekey_due(&a.chan, now);
	(void)chan_rekey_due(&b.chan, now);
	cr_assert_eq(chan_has_index(&a.chan, a_old), 0);
	cr_assert_eq(chan_has_index(&b.chan, b_old), 0);
	cr_assert_eq(deliver(&a, &ba[1]), -1, "old key refused after overlap");
	cr_assert_eq(a.chan.rx_malformed, 1);

	/* And the session goes on under the new key both ways. */
	seal(&a, &ab[4]);
	seal(&b, &ba[5]);
	cr_assert_eq(deliver(&b, &ab[4]), 0);
	cr_assert_eq(deliver(&a, &ba[5]), 0);
	cr_assert_eq(chan_rekey_due(&a.chan, now), CHAN_REKEY_NO);
	chan_wipe(&a.chan);
	chan_wipe(&b.chan);
}

Test(rekey, in_flight_chachapoly)
{
	in_flight(AEAD_CHACHAPOLY);
}

Test(rekey, in_flight_aesgcm)
{
	if (!aead_available(AEAD_AESGCM))
		cr_skip_test("no AES-NI");
	in_flight(AEAD_AESGCM);
}

Test(rekey, forged_messages_ignored)
{
	struct end a, b, m;
	struct hs_init_info info;
	struct hs_result res;
	struct pkt p, forged;
	uint8_t p1[256], p2[256], bad[256];
	size_t l1, l2;
	uint64_t now = 5 * SEC;
	uint32_t b_cur;

	mkend(&a, "alice", 0x1000);
	mkend(&b, "bob", 0x2000);
	mkend(&m, "mallory", 0x3000);
	session(&a, &b, AEAD_CHACHAPOLY, &tiny, now);
	b_cur = a.chan.remote_index;

	/* A rekey HS_INIT with one bit flipped does not authenticate. */
	l1 = rekey_init(&a, &b, p1, sizeof p1, NOW + 1);
	memcpy(bad, p1, l1);
	bad[l1 - 2 * HS_MAC_LEN - 3] ^= 0x01;	/* the ciphertext */
	hs_mac1_seal(bad, l1, b.id.x_pk);	/* a valid mac1 over it */
	cr_assert_eq(hs_read_init(&b.hs, &b.id, bad, l1, &info), -1);
	/* Mallory's own rekey is valid Noise but under her static key: the
	 * agent finds no session of hers, so b's channel is untouched. */
	cr_assert_eq(hs_initiate_rekey(&m.hs, &m.id, b.id.ed_pk,
	    AEAD_CHACHAPOLY, 77, "alice", b_cur, NOW + 2, bad, sizeof bad,
	    &l2), 0);
	cr_assert_eq(hs_read_init(&b.hs, &b.id, bad, l2, &info), 0);
	cr_assert(memcmp(info.peer_x_pk, a.id.x_pk, 32) != 0);
	hs_wipe(&b.hs);

	/* A forged HS_RESP to a's rekey index: a keeps waiting, unchanged. */
	l2 = rekey_respond(&b, &a, p1, l1, p2, sizeof p2, now);
	memcpy(bad, p2, l2);
	bad[l2 - 1] ^= 0x80;
	cr_assert_eq(hs_finish(&a.hs, bad, l2, &res), -1);
	randombytes_buf(bad + 12, l2 - 12);
	cr_assert_eq(hs_finish(&a.hs, bad, l2, &res), -1);
	cr_assert_eq(a.chan.rekeys, 0);
	cr_assert_eq(a.chan.remote_index, b_cur);
	cr_assert_eq(a.hs.state, HS_INIT_SENT);

	/* A forged DATA packet under b's next index does not switch b. */
	seal(&a, &p);	/* still the old key */
	forged = p;
	forged.b[4] = (uint8_t)(b.chan.next.local_index >> 24);
	forged.b[5] = (uint8_t)(b.chan.next.local_index >> 16);
	forged.b[6] = (uint8_t)(b.chan.next.local_index >> 8);
	forged.b[7] = (uint8_t)b.chan.next.local_index;
	cr_assert_eq(deliver(&b, &forged), -1);
	cr_assert_eq(b.chan.rekeys, 0);
	cr_assert(b.chan.next.set, "the real next key is still pending");
	cr_assert_eq(deliver(&b, &p), 0);

	/* The genuine answer still completes the rekey. */
	rekey_finish(&a, p2, l2, now);
	seal(&a, &p);
	cr_assert_eq(deliver(&b, &p), 0);
	cr_assert_eq(b.chan.rekeys, 1);
	chan_wipe(&a.chan);
	chan_wipe(&b.chan);
}

Test(rekey, a_lost_answer_is_replaced)
{
	struct end a, b;
	struct pkt p;
	uint8_t p1[256], p2[256];
	size_t l1, l2;
	uint64_t now = 5 * SEC;

	mkend(&a, "alice", 0x1000);
	mkend(&b, "bob", 0x2000);
	session(&a, &b, AEAD_CHACHAPOLY, &tiny, now);
	/* First HS_RESP lost; a retries with a fresh HS_INIT. */
	l1 = rekey_init(&a, &b, p1, sizeof p1, NOW + 1);
	(void)rekey_respond(&b, &a, p1, l1, p2, sizeof p2, now);
	l1 = rekey_init(&a, &b, p1, sizeof p1, NOW + 2);
	l2 = rekey_respond(&b, &a, p1, l1, p2, sizeof p2, now);
	rekey_finish(&a, p2, l2, now);
	seal(&a, &p);
	cr_assert_eq(deliver(&b, &p), 0);
	cr_assert_eq(b.chan.rekeys, 1);
	seal(&b, &p);
	cr_assert_eq(deliver(&a, &p), 0);
	chan_wipe(&a.chan);
	chan_wipe(&b.chan);
}

Test(rekey, triggers)
{
	struct end a, b;
	struct pkt p, bad;
	uint64_t now = 1 * SEC;
	int k;

	mkend(&a, "alice", 0x1000);
	mkend(&b, "bob", 0x2000);
	session(&a, &b, AEAD_CHACHAPOLY, &tiny, now);

	/* Age: 10 s for the key's initiator, 12.5 s for the other side. */
	cr_assert_eq(chan_rekey_due(&a.chan, now + 10 * SEC - 1),
	    CHAN_REKEY_NO);
	cr_assert_eq(chan_rekey_due(&a.chan, now + 10 * SEC), CHAN_REKEY_TIME);
	cr_assert_eq(chan_rekey_next(&a.chan, 0), now + 10 * SEC);
	cr_assert_eq(chan_rekey_next(&a.chan, 1), UINT64_MAX,
	    "no age wake-up while rekeying");
	cr_assert_eq(chan_rekey_due(&b.chan, now + 12 * SEC), CHAN_REKEY_NO);
	cr_assert_eq(chan_rekey_due(&b.chan, now + 12500000), CHAN_REKEY_TIME);

	/* A new key is not due for anything before the peer used it. */
	{
		uint8_t p1[256], p2[256];
		size_t l1, l2;

		l1 = rekey_init(&a, &b, p1, sizeof p1, NOW + 1);
		l2 = rekey_respond(&b, &a, p1, l1, p2, sizeof p2, now);
		rekey_finish(&a, p2, l2, now);
		cr_assert_eq(chan_rekey_due(&a.chan, now + 100 * SEC),
		    CHAN_REKEY_NO, "a rekey before b switched");
		cr_assert_eq(chan_rekey_next(&a.chan, 0), UINT64_MAX);
		seal(&a, &p);
		cr_assert_eq(deliver(&b, &p), 0);
		seal(&b, &p);
		cr_assert_eq(deliver(&a, &p), 0);
		cr_assert_eq(chan_rekey_due(&a.chan, now + 10 * SEC),
		    CHAN_REKEY_TIME);
	}

	/* Failed decryptions under one key: max_fail of them. */
	seal(&a, &p);
	bad = p;
	bad.b[bad.len - 1] ^= 1;
	for (k = 0; k < 5; k++) {
		cr_assert_eq(chan_rekey_due(&b.chan, now), CHAN_REKEY_NO);
		cr_assert_eq(deliver(&b, &bad), -1);
	}
	cr_assert_eq(chan_rekey_due(&b.chan, now), CHAN_REKEY_FAILURES);
	cr_assert_eq(deliver(&b, &p), 0, "the real packet still opens");

	/* Packets: due at 3/4 of the limit, sealing stops at the limit. */
	while (a.chan.tx_counter - a.chan.key_tx_start < 749)
		seal(&a, &p);
	cr_assert_eq(chan_rekey_due(&a.chan, now), CHAN_REKEY_NO);
	seal(&a, &p);
	cr_assert_eq(chan_rekey_due(&a.chan, now), CHAN_REKEY_PACKETS);
	while (a.chan.tx_counter - a.chan.key_tx_start < 1000)
		seal(&a, &p);
	cr_assert_eq(chan_seal(&a.chan, DATA, p.b, 8, p.b, sizeof p.b), -1,
	    "no packet beyond the cipher's limit under one key");

	/* The defaults are the protocol's. */
	chan_rekey_cfg_default(&tiny, AEAD_AESGCM);
	cr_assert_eq(tiny.max_packets, (uint64_t)1 << 23);
	cr_assert_eq(tiny.after_us, 120 * SEC);
	cr_assert_eq(tiny.max_fail, (uint64_t)1 << 20);
	chan_rekey_cfg_default(&tiny, AEAD_CHACHAPOLY);
	cr_assert_eq(tiny.max_packets, (uint64_t)1 << 60);
	tiny.after_us = 10 * SEC;
	tiny.max_packets = 1000;
	tiny.max_fail = 5;
	tiny.overlap_us = 2 * SEC;
	chan_wipe(&a.chan);
	chan_wipe(&b.chan);
}

/*
 * Many rekeys, either side starting (the responder of a key starts the
 * next one half the time), with a queue of packets in flight both ways,
 * delivered in a shuffled order: every packet sent within the overlap
 * arrives exactly once.
 */
#define QN	16
Test(rekey, many_with_traffic)
{
	struct end e[2];
	struct pkt q[2][QN];
	size_t nq[2] = { 0, 0 }, k, l1, l2;
	uint8_t p1[256], p2[256];
	uint64_t now = 1 * SEC, sent[2] = { 1, 1 };
	int round, s, i, r;

	mkend(&e[0], "alice", 0x1000);
	mkend(&e[1], "bob", 0x2000);
	session(&e[0], &e[1], AEAD_CHACHAPOLY, &tiny, now);
	for (round = 0; round < 50; round++) {
		/* Fill the queues. */
		for (s = 0; s < 2; s++) {
			while (nq[s] < QN / 2) {
				seal(&e[s], &q[s][nq[s]++]);
				sent[s]++;
			}
		}
		/* Rekey, started by one side. */
		i = randombytes_uniform(2);
		r = 1 - i;
		l1 = rekey_init(&e[i], &e[r], p1, sizeof p1,
		    NOW + (uint64_t)round + 1);
		l2 = rekey_respond(&e[r], &e[i], p1, l1, p2, sizeof p2, now);
		rekey_finish(&e[i], p2, l2, now);
		for (s = 0; s < 2; s++) {
			while (nq[s] < QN) {
				seal(&e[s], &q[s][nq[s]++]);
				sent[s]++;
			}
		}
		/* Deliver everything, shuffled. */
		for (s = 0; s < 2; s++) {
			for (k = nq[s] - 1; k > 0; k--) {
				size_t j = randombytes_uniform((uint32_t)k + 1);
				struct pkt t = q[s][k];

				q[s][k] = q[s][j];
				q[s][j] = t;
			}
			for (k = 0; k < nq[s]; k++)
				cr_assert_eq(deliver(&e[1 - s], &q[s][k]), 0,
				    "round %d: packet %llu refused", round,
				    (unsigned long long)q[s][k].pn);
			nq[s] = 0;
		}
		/* The responder's next key is in use by now: it switched. */
		cr_assert(!e[r].chan.next.set);
		now += tiny.overlap_us + 1;
		(void)chan_rekey_due(&e[0].chan, now);
		(void)chan_rekey_due(&e[1].chan, now);
	}
	cr_assert_eq(e[0].nrx, sent[1]);
	cr_assert_eq(e[1].nrx, sent[0]);
	cr_assert_eq(e[0].chan.rekeys, 50);
	cr_assert_eq(e[1].chan.rekeys, 50);
	chan_wipe(&e[0].chan);
	chan_wipe(&e[1].chan);
}
