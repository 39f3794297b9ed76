/* SPDX-License-Identifier: ISC */
/*
 * test_hs_cookie.c: the responder's load guard and the initiator's cookie
 * (hs_cookie.h), and the per-address answer budget (ratelim.h): what an
 * HS_INIT flood gets, and that a real initiator still gets through.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "hs_cookie.h"
#include "ratelim.h"

#define NOW	1763770000123456789ULL	/* wall clock for the TAI64N, ns */
#define T0	5000000ULL		/* the guard's clock, us */
#define US	1000000ULL

struct who {
	struct hs_identity	id;
	struct hs		hs;
};

static void
mk(struct who *w)
{
	uint8_t pk[32], sk[64];

	memset(w, 0, sizeof(*w));
	cr_assert_eq(crypto_sign_keypair(pk, sk), 0);
	cr_assert_eq(hs_identity_from_ed25519(&w->id, sk), 0);
	sodium_memzero(sk, sizeof(sk));
}

static size_t
init_to(struct who *a, const struct who *b, uint32_t idx, uint64_t ns,
    uint8_t *pkt, size_t cap)
{
	size_t len;

	cr_assert_eq(hs_initiate(&a->hs, &a->id, b->id.ed_pk,
	    AEAD_CHACHAPOLY, idx, "alice", ns, pkt, cap, &len), 0);
	return len;
}

/* Push the guard over its load with n valid-mac1 HS_INITs at time t. */
static void
load(struct hs_guard *g, const uint8_t *pkt, size_t len, unsigned n,
    uint64_t t)
{
	uint8_t src[7] = { 4, 198, 51, 100, 9, 1, 2 };
	unsigned i;

	for (i = 0; i < n; i++) {
		src[4] = (uint8_t)i;	/* forged sources */
		(void)hs_guard_check(g, pkt, len, src, sizeof(src), t);
	}
}

Test(hs_guard, quiet_responder_works_on_every_valid_init)
{
	struct who a, b;
	struct hs_guard g, ga;
	uint8_t pkt[256], addr[7] = { 4, 192, 0, 2, 1, 0, 80 };
	size_t len;

	mk(&a);
	mk(&b);
	hs_guard_init(&g, b.id.x_pk, 10);
	hs_guard_init(&ga, a.id.x_pk, 10);
	len = init_to(&a, &b, 7, NOW, pkt, sizeof(pkt));
	cr_assert_eq(hs_guard_check(&g, pkt, len, addr,
	    sizeof(addr), T0), HS_VERDICT_PROCESS);
	cr_assert(!hs_guard_loaded(&g, T0));
	/* Garbage and initiations meant for someone else: dropped, one hash. */
	pkt[20] ^= 1;
	cr_assert_eq(hs_guard_check(&g, pkt, len, addr,
	    sizeof(addr), T0), HS_VERDICT_DROP);
	pkt[20] ^= 1;
	cr_assert_eq(hs_guard_check(&ga, pkt, len, addr,
	    sizeof(addr), T0), HS_VERDICT_DROP, "meant for b, not a");
	cr_assert_eq(hs_guard_check(&g, pkt, 40, addr,
	    sizeof(addr), T0), HS_VERDICT_DROP);
	cr_assert_eq(g.bad_mac1 + ga.bad_mac1, 3);
	cr_assert_eq(g.cookies, 0);
}

/* The whole exchange under load: cookie, take, mac2, processed. */
Test(hs_guard, loaded_responder_answers_cookies_and_initiator_retries)
{
	struct who a, b, c;
	struct hs_guard g;
	struct hs_cookie ck;
	struct hs_init_info info;
	struct hs rhs;
	uint8_t pkt[256], flood[256], re[128];
	uint8_t addr[7] = { 4, 192, 0, 2, 1, 0, 80 };
	uint8_t other[7] = { 4, 192, 0, 2, 2, 0, 80 };
	size_t len, flen;
	int n;

	mk(&a);
	mk(&b);
	mk(&c);
	memset(&ck, 0, sizeof(ck));
	hs_guard_init(&g, b.id.x_pk, 10);
	/* A flood of replayed, valid-mac1 initiations from forged sources. */
	flen = init_to(&c, &b, 99, NOW, flood, sizeof(flood));
	load(&g, flood, flen, 12, T0);
	cr_assert(hs_guard_loaded(&g, T0));
	cr_assert_eq(g.cookies, 0, "the guard only decides; replies are made "
	    "on request");
	/* The real initiator: its first HS_INIT gets a COOKIE_REPLY. */
	len = init_to(&a, &b, 7, NOW, pkt, sizeof(pkt));
	cr_assert_eq(hs_cookie_use(&ck, pkt, len, T0), 0, "no cookie yet");
	cr_assert_eq(hs_guard_check(&g, pkt, len, addr,
	    sizeof(addr), T0), HS_VERDICT_COOKIE);
	n = hs_guard_cookie_reply(&g, pkt, len, addr, sizeof(addr),
	    T0, re, sizeof(re));
	cr_assert_eq(n, HS_COOKIE_REPLY_LEN);
	cr_assert_lt((size_t)n, len, "a COOKIE_REPLY is smaller than its "
	    "HS_INIT");
	cr_assert_eq(g.cookies, 1);
	/* Not for c's HS_INIT, not with c's key as responder. */
	cr_assert_eq(hs_cookie_take(&ck, &c.hs, re, (size_t)n, b.id.x_pk, T0),
	    -1);
	cr_assert_eq(hs_cookie_take(&ck, &a.hs, re, (size_t)n, c.id.x_pk, T0),
	    -1);
	cr_assert_eq(hs_cookie_take(&ck, &a.hs, re, (size_t)n, b.id.x_pk, T0),
	    0);
	/* Once per HS_INIT: a replayed COOKIE_REPLY is not taken again. */
	cr_assert_eq(hs_cookie_take(&ck, &a.hs, re, (size_t)n, b.id.x_pk, T0),
	    -1);
	/* The initiator sends a fresh HS_INIT with mac2: worked on. */
	len = init_to(&a, &b, 8, NOW + 1000, pkt, sizeof(pkt));
	cr_assert_eq(hs_cookie_use(&ck, pkt, len, T0 + 1000), 1);
	cr_assert_eq(hs_guard_check(&g, pkt, len, addr,
	    sizeof(addr), T0 + 1000), HS_VERDICT_PROCESS);
	cr_assert_eq(g.mac2_ok, 1);
	memset(&rhs, 0, sizeof(rhs));
	cr_assert_eq(hs_read_init(&rhs, &b.id, pkt, len, &info), 0);
	cr_assert_eq(info.sender_index, 8);
	hs_wipe(&rhs);
	/* The same cookie from another address is worth nothing. */
	cr_assert_eq(hs_guard_check(&g, pkt, len, other,
	    sizeof(other), T0 + 1000), HS_VERDICT_COOKIE);
	/* Over the relay (the server vouches for the sender): no cookie. */
	cr_assert_eq(hs_guard_check(&g, flood, flen, NULL, 0,
	    T0 + 1000), HS_VERDICT_PROCESS);
	cr_assert_eq(hs_guard_cookie_reply(&g, flood, flen, NULL, 0,
	    T0, re, sizeof(re)), -1);
}

Test(hs_guard, load_ends_a_second_after_the_flood)
{
	struct who b, c;
	struct hs_guard g;
	uint8_t flood[256];
	size_t flen;

	mk(&b);
	mk(&c);
	hs_guard_init(&g, b.id.x_pk, 10);
	flen = init_to(&c, &b, 99, NOW, flood, sizeof(flood));
	load(&g, flood, flen, 10, T0);
	cr_assert(!hs_guard_loaded(&g, T0), "10 a second is not load");
	load(&g, flood, flen, 1, T0 + 10);
	cr_assert(hs_guard_loaded(&g, T0 + 10));
	/* The next second still remembers the last one... */
	load(&g, flood, flen, 1, T0 + US + 20);
	cr_assert_eq(g.last_n, 11);
	cr_assert(hs_guard_loaded(&g, T0 + US + 20));
	/* ...and the one after that is quiet again. */
	cr_assert(!hs_guard_loaded(&g, T0 + 2 * US + 30));
	cr_assert(!hs_guard_loaded(&g, T0 + 10 * US));
}

/* A real address that got a cookie cannot flood with it either. */
Test(hs_guard, cookie_holder_is_rate_capped)
{
	struct who a, b;
	struct hs_guard g;
	struct hs_cookie ck;
	uint8_t pkt[256], re[128], addr[7] = { 4, 203, 0, 113, 5, 0, 80 };
	size_t len;
	unsigned i, ok = 0;
	int n;

	mk(&a);
	mk(&b);
	memset(&ck, 0, sizeof(ck));
	hs_guard_init(&g, b.id.x_pk, 1);
	len = init_to(&a, &b, 7, NOW, pkt, sizeof(pkt));
	cr_assert_eq(hs_guard_check(&g, pkt, len, addr,
	    sizeof(addr), T0), HS_VERDICT_PROCESS, "the first is under load");
	cr_assert_eq(hs_guard_check(&g, pkt, len, addr,
	    sizeof(addr), T0), HS_VERDICT_COOKIE);
	n = hs_guard_cookie_reply(&g, pkt, len, addr, sizeof(addr),
	    T0, re, sizeof(re));
	cr_assert_eq(hs_cookie_take(&ck, &a.hs, re, (size_t)n, b.id.x_pk, T0),
	    0);
	cr_assert_eq(hs_cookie_use(&ck, pkt, len, T0), 1);
	for (i = 0; i < 1000; i++)
		if (hs_guard_check(&g, pkt, len, addr, sizeof(addr),
		    T0 + i) == HS_VERDICT_PROCESS)
			ok++;
	cr_assert_eq(ok, HS_GUARD_ADDR_BURST, "a burst, then the rate");
	cr_assert_eq(g.over_rate, 1000 - HS_GUARD_ADDR_BURST);
	/* A second later, HS_GUARD_ADDR_PER_S more. */
	for (i = 0, ok = 0; i < 1000; i++)
		if (hs_guard_check(&g, pkt, len, addr, sizeof(addr),
		    T0 + US + i) == HS_VERDICT_PROCESS)
			ok++;
	cr_assert_eq(ok, HS_GUARD_ADDR_PER_S);
}

/* Cookies outlive a secret change by one period, and expire at the
 * initiator before the responder forgets the secret. */
Test(hs_guard, cookie_survives_one_secret_change)
{
	struct who a, b, c;
	struct hs_guard g;
	struct hs_cookie ck;
	uint8_t pkt[256], flood[256], re[128];
	uint8_t addr[7] = { 4, 192, 0, 2, 1, 0, 80 };
	uint64_t t;
	size_t len, flen;
	int n;

	mk(&a);
	mk(&b);
	mk(&c);
	memset(&ck, 0, sizeof(ck));
	hs_guard_init(&g, b.id.x_pk, 10);
	flen = init_to(&c, &b, 99, NOW, flood, sizeof(flood));
	load(&g, flood, flen, 20, T0);
	len = init_to(&a, &b, 7, NOW, pkt, sizeof(pkt));
	cr_assert_eq(hs_guard_check(&g, pkt, len, addr,
	    sizeof(addr), T0), HS_VERDICT_COOKIE);
	n = hs_guard_cookie_reply(&g, pkt, len, addr, sizeof(addr),
	    T0, re, sizeof(re));
	cr_assert_eq(hs_cookie_take(&ck, &a.hs, re, (size_t)n, b.id.x_pk, T0),
	    0);
	/* 100 s later the secret has changed once (at 120 s: not yet). */
	t = T0 + 100 * US;
	load(&g, flood, flen, 20, t);
	cr_assert_eq(hs_cookie_use(&ck, pkt, len, t), 1);
	cr_assert_eq(hs_guard_check(&g, pkt, len, addr,
	    sizeof(addr), t), HS_VERDICT_PROCESS);
	t = T0 + 125 * US;	/* a new secret; the old one still counts */
	load(&g, flood, flen, 20, t);
	cr_assert_eq(hs_guard_check(&g, pkt, len, addr,
	    sizeof(addr), t), HS_VERDICT_PROCESS);
	/* The initiator stops using it after HS_COOKIE_USE_S. */
	cr_assert_eq(hs_cookie_use(&ck, pkt, len, T0 + HS_COOKIE_USE_S * US),
	    0);
	/* Two changes later the responder refuses it. */
	t = T0 + 250 * US;
	load(&g, flood, flen, 20, t);
	cr_assert_eq(hs_guard_check(&g, pkt, len, addr,
	    sizeof(addr), t), HS_VERDICT_COOKIE);
}

Test(ratelim, per_address_budget)
{
	struct ratelim rl;
	uint8_t a[7] = { 4, 10, 0, 0, 1, 0, 1 }, b[7] = { 4, 10, 0, 0, 2, 0, 1 };
	unsigned i, na = 0, nb = 0;

	ratelim_init(&rl, 10, 5);
	for (i = 0; i < 100; i++) {
		na += ratelim_take(&rl, a, sizeof(a), T0 + i * 1000);
		nb += ratelim_take(&rl, b, sizeof(b), T0 + i * 1000);
	}
	/* 0.1 s: a burst of 5 and one more at 0.1 s, each. */
	cr_assert_leq(na, 6);
	cr_assert_geq(na, 5);
	cr_assert_leq(nb, 6);
	cr_assert_geq(nb, 5);
	/* 10 s at 1000 tries a second: 10 a second. */
	for (i = 0, na = 0; i < 10000; i++)
		na += ratelim_take(&rl, a, sizeof(a), T0 + US + i * 1000);
	cr_assert_geq(na, 95);
	cr_assert_leq(na, 106);
	cr_assert_eq(rl.passed + rl.dropped, 10200);
}
