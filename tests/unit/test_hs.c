/* SPDX-License-Identifier: ISC */
/*
 * test_hs.c: the p2pd peer handshake end to end, then DATA through chan.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "chan.h"
#include "hs.h"

#define NOW	1763770000123456789ULL	/* a wall-clock time in ns */

struct peer {
	struct hs_identity	id;
	struct hs		hs;
	struct hs_result	res;
	struct chan		chan;
};

static void
mkpeer(struct peer *p)
{
	uint8_t pk[32], sk[64];

	memset(p, 0, sizeof *p);
	cr_assert_eq(crypto_sign_keypair(pk, sk), 0);
	cr_assert_eq(hs_identity_from_ed25519(&p->id, sk), 0);
	cr_assert(memcmp(p->id.ed_pk, pk, 32) == 0);
	sodium_memzero(sk, sizeof sk);
}

/* alice initiates to bob; returns the HS_INIT packet. */
static size_t
init_pkt(struct peer *a, struct peer *b, enum aead_cipher c, uint64_t now,
    uint8_t *pkt, size_t cap)
{
	size_t len;

	cr_assert_eq(hs_initiate(&a->hs, &a->id, b->id.ed_pk, c, 1001,
	    "alice", now, pkt, cap, &len), 0);
	cr_assert_eq(len, HS_INIT_MIN - 1 + 5);
	cr_assert_eq(pkt[0], HS_TYPE_INIT);
	cr_assert_eq(pkt[1], HS_VERSION);
	cr_assert_eq(pkt[2], c);
	cr_assert_eq(hs_init_sender_index(pkt, len), 1001);
	return len;
}

static void
full(enum aead_cipher c)
{
	struct peer a, b;
	struct hs_init_info info;
	uint8_t p1[256], p2[256], pkt[256], pt[256];
	size_t l1, l2;
	ssize_t n;
	uint64_t ctr;

	mkpeer(&a);
	mkpeer(&b);
	l1 = init_pkt(&a, &b, c, NOW, p1, sizeof p1);
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &info), 0);
	/* The caller identifies the initiator from its static key. */
	cr_assert(memcmp(info.peer_x_pk, a.id.x_pk, 32) == 0);
	cr_assert_str_eq(info.peer_id, "alice");
	cr_assert_eq(info.sender_index, 1001);
	cr_assert_eq(info.cipher, c);
	cr_assert_eq(hs_respond(&b.hs, 2002, p2, sizeof p2, &l2, &b.res), 0);
	cr_assert_eq(l2, HS_RESP_LEN);
	cr_assert_eq(hs_resp_receiver_index(p2, l2), 1001);
	cr_assert_eq(hs_finish(&a.hs, p2, l2, &a.res), 0);
	cr_assert_eq(a.res.remote_index, 2002);
	cr_assert_eq(b.res.remote_index, 1001);
	cr_assert(memcmp(a.res.tx, b.res.rx, 32) == 0);
	cr_assert(memcmp(a.res.rx, b.res.tx, 32) == 0);
	cr_assert(memcmp(a.res.hash, b.res.hash, 64) == 0);
	cr_assert_eq(a.res.cipher, c);

	cr_assert_eq(chan_init(&a.chan, c, a.res.tx, a.res.rx,
	    a.res.remote_index), 0);
	cr_assert_eq(chan_init(&b.chan, c, b.res.tx, b.res.rx,
	    b.res.remote_index), 0);
	n = chan_seal(&a.chan, 0x55, (const uint8_t *)"ping", 4, pkt,
	    sizeof pkt);
	cr_assert_eq(chan_peek_index(pkt, (size_t)n), 2002);
	cr_assert_eq(chan_open(&b.chan, 0x55, pkt, (size_t)n, pt, sizeof pt,
	    &ctr), 4);
	cr_assert(memcmp(pt, "ping", 4) == 0);
	n = chan_seal(&b.chan, 0x55, (const uint8_t *)"pong!", 5, pkt,
	    sizeof pkt);
	cr_assert_eq(chan_peek_index(pkt, (size_t)n), 1001);
	cr_assert_eq(chan_open(&a.chan, 0x55, pkt, (size_t)n, pt, sizeof pt,
	    &ctr), 5);
	cr_assert(memcmp(pt, "pong!", 5) == 0);
	/* The handshake is over: a second HS_RESP is refused. */
	cr_assert_eq(hs_finish(&a.hs, p2, l2, &a.res), -1);
}

Test(hs, full_handshake_chachapoly)
{
	full(AEAD_CHACHAPOLY);
}

Test(hs, full_handshake_aesgcm)
{
	if (!aead_available(AEAD_AESGCM))
		cr_skip_test("no AES-NI");
	full(AEAD_AESGCM);
}

Test(hs, tai64n)
{
	uint8_t t[12];
	const uint8_t want[12] = { 0x40, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 5 };

	hs_tai64n(t, 1000000005ULL);
	cr_assert(memcmp(t, want, 12) == 0);
}

Test(hs, replayed_init_detected_by_timestamp)
{
	struct peer a, b;
	struct hs_init_info first, again, later;
	uint8_t p1[256], p3[256];
	size_t l1, l3;

	mkpeer(&a);
	mkpeer(&b);
	l1 = init_pkt(&a, &b, AEAD_CHACHAPOLY, NOW, p1, sizeof p1);
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &first), 0);
	/* The same packet again authenticates, with the same timestamp... */
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &again), 0);
	/* ...which the caller's "greater than the last" rule rejects. */
	cr_assert(memcmp(again.timestamp, first.timestamp, 12) <= 0);
	/* A new initiation, 1 ns later, passes that rule. */
	l3 = init_pkt(&a, &b, AEAD_CHACHAPOLY, NOW + 1, p3, sizeof p3);
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p3, l3, &later), 0);
	cr_assert(memcmp(later.timestamp, first.timestamp, 12) > 0);
	/* A whole second later beats a larger nanosecond field. */
	hs_tai64n(first.timestamp, 5 * 1000000000ULL + 999999999);
	hs_tai64n(later.timestamp, 6 * 1000000000ULL);
	cr_assert(memcmp(later.timestamp, first.timestamp, 12) > 0);
}

Test(hs, tampered_init_refused_everywhere)
{
	struct peer a, b;
	struct hs_init_info info;
	uint8_t p1[256];
	size_t l1, i;

	mkpeer(&a);
	mkpeer(&b);
	l1 = init_pkt(&a, &b, AEAD_CHACHAPOLY, NOW, p1, sizeof p1);
	/* mac1 covers everything before it, the clear sender_index too;
	 * mac2 is checked only under load (hs_mac2_ok). */
	for (i = 0; i < l1 - HS_MAC_LEN; i++) {
		p1[i] ^= 0x20;
		cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &info), -1,
		    "flip at %zu accepted", i);
		cr_assert_eq(b.hs.state, HS_NONE);
		p1[i] ^= 0x20;
	}
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &info), 0);
}

Test(hs, truncated_init_and_resp_refused)
{
	struct peer a, b;
	struct hs_init_info info;
	uint8_t p1[256], p2[256];
	size_t l1, l2, i;

	mkpeer(&a);
	mkpeer(&b);
	l1 = init_pkt(&a, &b, AEAD_CHACHAPOLY, NOW, p1, sizeof p1);
	for (i = 0; i < l1; i++)
		cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, i, &info), -1,
		    "HS_INIT cut to %zu accepted", i);
	p1[l1] = 0;
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1 + 1, &info), -1);
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &info), 0);
	cr_assert_eq(hs_respond(&b.hs, 2002, p2, sizeof p2, &l2, &b.res), 0);
	for (i = 0; i < l2; i++) {
		cr_assert_eq(hs_finish(&a.hs, p2, i, &a.res), -1,
		    "HS_RESP cut to %zu accepted", i);
		/* Garbage must not abort the pending handshake. */
		cr_assert_eq(a.hs.state, HS_INIT_SENT);
	}
	for (i = 0; i < l2; i++) {
		if (i >= 4 && i < 8)
			continue;	/* responder's index: clear */
		p2[i] ^= 0x04;
		cr_assert_eq(hs_finish(&a.hs, p2, l2, &a.res), -1,
		    "HS_RESP flip at %zu accepted", i);
		p2[i] ^= 0x04;
	}
	cr_assert_eq(hs_finish(&a.hs, p2, l2, &a.res), 0);
}

Test(hs, wrong_responder_key)
{
	struct peer a, b, c;
	struct hs_init_info info;
	uint8_t p1[256];
	size_t l1;

	mkpeer(&a);
	mkpeer(&b);
	mkpeer(&c);
	/* Alice thinks she talks to b, but c receives it. */
	l1 = init_pkt(&a, &b, AEAD_CHACHAPOLY, NOW, p1, sizeof p1);
	cr_assert_eq(hs_read_init(&c.hs, &c.id, p1, l1, &info), -1);
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &info), 0);
}

Test(hs, response_to_another_handshake_refused)
{
	struct peer a, b, a2;
	struct hs_init_info info;
	uint8_t p1[256], p2[256], q1[256];
	size_t l1, l2, m1;

	mkpeer(&a);
	mkpeer(&b);
	a2 = a;
	/* Two initiations from alice with the same index; b answers one. */
	l1 = init_pkt(&a, &b, AEAD_CHACHAPOLY, NOW, p1, sizeof p1);
	m1 = init_pkt(&a2, &b, AEAD_CHACHAPOLY, NOW + 5, q1, sizeof q1);
	cr_assert_eq(hs_read_init(&b.hs, &b.id, q1, m1, &info), 0);
	cr_assert_eq(hs_respond(&b.hs, 2002, p2, sizeof p2, &l2, &b.res), 0);
	cr_assert_eq(hs_finish(&a.hs, p2, l2, &a.res), -1);
	cr_assert_eq(hs_finish(&a2.hs, p2, l2, &a2.res), 0);
	(void)l1;
}

Test(hs, version_two_and_bad_header_refused)
{
	struct peer a, b;
	struct hs_init_info info;
	uint8_t p1[256], p2[256];
	size_t l1, l2;

	mkpeer(&a);
	mkpeer(&b);
	l1 = init_pkt(&a, &b, AEAD_CHACHAPOLY, NOW, p1, sizeof p1);
	p1[1] = 1;
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &info), -1);
	p1[1] = HS_VERSION;
	p1[2] = 3;	/* unknown cipher */
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &info), -1);
	p1[2] = 1;
	p1[0] = HS_TYPE_RESP;
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &info), -1);
	p1[0] = HS_TYPE_INIT;
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &info), 0);
	cr_assert_eq(hs_respond(&b.hs, 2002, p2, sizeof p2, &l2, &b.res), 0);
	p2[1] = 1;
	cr_assert_eq(hs_finish(&a.hs, p2, l2, &a.res), -1);
	p2[1] = HS_VERSION;
	p2[11] ^= 1;	/* receiver_index not ours */
	cr_assert_eq(hs_finish(&a.hs, p2, l2, &a.res), -1);
	p2[11] ^= 1;
	cr_assert_eq(hs_finish(&a.hs, p2, l2, &a.res), 0);
}

Test(hs, cipher_byte_is_bound_to_the_handshake)
{
	struct peer a, b;
	struct hs_init_info info;
	uint8_t p1[256];
	size_t l1;

	if (!aead_available(AEAD_AESGCM))
		cr_skip_test("no AES-NI");
	mkpeer(&a);
	mkpeer(&b);
	/* b2 is in clear, but it names the Noise protocol: a swap fails. */
	l1 = init_pkt(&a, &b, AEAD_AESGCM, NOW, p1, sizeof p1);
	p1[2] = AEAD_CHACHAPOLY;
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &info), -1);
	p1[2] = AEAD_AESGCM;
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &info), 0);
	cr_assert_eq(info.cipher, AEAD_AESGCM);
	/* A zero sender_index is not a valid index. */
	memset(p1 + 4, 0, 4);
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &info), -1);
}

Test(hs, identity_from_key_file)
{
	struct hs_identity id;
	uint8_t pk[32], sk[64], x[32];

	cr_assert_eq(crypto_sign_keypair(pk, sk), 0);
	cr_assert_eq(hs_identity_from_ed25519(&id, sk), 0);
	cr_assert(memcmp(id.ed_pk, pk, 32) == 0);
	/* The X25519 public key is the one the peer derives from ed_pk. */
	cr_assert_eq(hs_x25519_pk(x, pk), 0);
	cr_assert(memcmp(id.x_pk, x, 32) == 0);
	crypto_scalarmult_base(x, id.x_sk);
	cr_assert(memcmp(id.x_pk, x, 32) == 0);
	/* A secret key whose public half was corrupted is refused. */
	sk[40] ^= 1;
	cr_assert_eq(hs_identity_from_ed25519(&id, sk), -1);
	cr_assert(sodium_is_zero(id.x_sk, 32));
}

Test(hs, bad_arguments)
{
	struct peer a, b;
	uint8_t pkt[256], bad[32];
	size_t len;
	char longid[80];

	mkpeer(&a);
	mkpeer(&b);
	memset(longid, 'x', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	cr_assert_eq(hs_initiate(&a.hs, &a.id, b.id.ed_pk, AEAD_CHACHAPOLY, 1,
	    longid, NOW, pkt, sizeof pkt, &len), -1);
	cr_assert_eq(hs_initiate(&a.hs, &a.id, b.id.ed_pk, AEAD_CHACHAPOLY, 1,
	    "bad id", NOW, pkt, sizeof pkt, &len), -1);
	cr_assert_eq(hs_initiate(&a.hs, &a.id, b.id.ed_pk, AEAD_CHACHAPOLY, 0,
	    "alice", NOW, pkt, sizeof pkt, &len), -1);
	cr_assert_eq(hs_initiate(&a.hs, &a.id, b.id.ed_pk, 9, 1, "alice", NOW,
	    pkt, sizeof pkt, &len), -1);
	cr_assert_eq(hs_initiate(&a.hs, &a.id, b.id.ed_pk, AEAD_CHACHAPOLY, 1,
	    "alice", NOW, pkt, 40, &len), -1);
	/* An Ed25519 key that is not a curve point. */
	memset(bad, 0xff, sizeof bad);
	cr_assert_eq(hs_x25519_pk(bad, bad), -1);
	cr_assert_eq(hs_respond(&a.hs, 5, pkt, sizeof pkt, &len, &a.res), -1);
	cr_assert_eq(hs_resp_receiver_index(pkt, 11), 0);
	/* A 64-character id is the longest allowed. */
	longid[64] = '\0';
	cr_assert_eq(hs_initiate(&a.hs, &a.id, b.id.ed_pk, AEAD_CHACHAPOLY, 1,
	    longid, NOW, pkt, sizeof pkt, &len), 0);
	cr_assert_eq(len, HS_INIT_MAX);
}

/* mac1 is checked before any DH; mac2 and the cookie reply (§2.3). */
Test(hs, mac1_mac2_and_cookie_reply)
{
	struct peer a, b, c;
	struct hs_init_info info;
	uint8_t p1[256], re[256], secret[HS_COOKIE_SECRET_LEN], cookie[16];
	uint8_t got[16], addr[18] = { 192, 0, 2, 1 };
	size_t l1;
	int n;

	mkpeer(&a);
	mkpeer(&b);
	mkpeer(&c);
	l1 = init_pkt(&a, &b, AEAD_CHACHAPOLY, NOW, p1, sizeof p1);
	cr_assert(hs_mac1_ok(p1, l1, b.id.x_pk));
	/* Meant for b: c (who b is not) refuses it by mac1 alone. */
	cr_assert(!hs_mac1_ok(p1, l1, c.id.x_pk));
	cr_assert_eq(hs_read_init(&c.hs, &c.id, p1, l1, &info), -1);
	/* No cookie yet: mac2 is zero and does not verify. */
	randombytes_buf(secret, sizeof(secret));
	hs_cookie_make(secret, addr, sizeof(addr), cookie);
	cr_assert(!hs_mac2_ok(p1, l1, cookie));
	/* b, under load, answers with a cookie only a's HS_INIT can open. */
	n = hs_cookie_reply_build(re, sizeof(re), p1, l1, b.id.x_pk, cookie);
	cr_assert_eq(n, HS_COOKIE_REPLY_LEN);
	cr_assert_eq(re[0], HS_TYPE_COOKIE);
	cr_assert_eq(hs_cookie_reply_open(re, (size_t)n, p1, l1, c.id.x_pk,
	    got), -1, "another responder's key");
	re[40] ^= 1;
	cr_assert_eq(hs_cookie_reply_open(re, (size_t)n, p1, l1, b.id.x_pk,
	    got), -1, "tampered");
	re[40] ^= 1;
	cr_assert_eq(hs_cookie_reply_open(re, (size_t)n - 1, p1, l1, b.id.x_pk,
	    got), -1, "short");
	cr_assert_eq(hs_cookie_reply_open(re, (size_t)n, p1, l1, b.id.x_pk,
	    got), 0);
	cr_assert(memcmp(got, cookie, 16) == 0);
	/* a sends again with mac2: b checks it; mac1 still holds. */
	hs_mac2_seal(p1, l1, got);
	cr_assert(hs_mac2_ok(p1, l1, cookie));
	cr_assert(hs_mac1_ok(p1, l1, b.id.x_pk));
	cr_assert_eq(hs_read_init(&b.hs, &b.id, p1, l1, &info), 0);
	/* A reply bound to another HS_INIT (another mac1) does not open. */
	p1[l1 - 2 * HS_MAC_LEN] ^= 1;
	cr_assert_eq(hs_cookie_reply_open(re, (size_t)n, p1, l1, b.id.x_pk,
	    got), -1);
	/* The cookie depends on the address and the secret. */
	addr[3] = 2;
	hs_cookie_make(secret, addr, sizeof(addr), got);
	cr_assert(memcmp(got, cookie, 16) != 0);
}
