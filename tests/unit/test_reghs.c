/* SPDX-License-Identifier: ISC */
/*
 * test_reghs.c: the registration handshake (PROTOCOL.md §2.1): the test
 * vector printed there (also computed by tests/unit/vectors/reghs.py, an
 * independent implementation), a wrong server key, forged and tampered
 * messages, and the cookie.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "chan.h"
#include "reghs.h"
#include "wire.h"

static void
fill(uint8_t *p, size_t n, uint8_t first)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static void
hexeq(const uint8_t *got, size_t len, const char *want, const char *what)
{
	char h[2 * 2048 + 1];

	cr_assert_lt(len, 2048);
	sodium_bin2hex(h, sizeof(h), got, len);
	cr_assert_str_eq(h, want, "%s", what);
}

/* The inputs of the vector (PROTOCOL.md §2.1.1). */
struct vec {
	uint8_t s_sk[32], s_pk[32], e_sk[32], e_pk[32], re_sk[32];
	uint8_t master[32], addr[REGHS_ADDR_LEN];
};

static void
vec_init(struct vec *v)
{
	static const uint8_t ip[4] = { 192, 0, 2, 1 };

	fill(v->s_sk, 32, 0x00);
	fill(v->e_sk, 32, 0x20);
	fill(v->re_sk, 32, 0x40);
	fill(v->master, 32, 0x60);
	crypto_scalarmult_base(v->s_pk, v->s_sk);
	crypto_scalarmult_base(v->e_pk, v->e_sk);
	cr_assert_eq(reghs_addr_bytes(ip, 4, 40000, v->addr), 0);
}

#define BUCKET		56666666ULL
#define P1		"p2pd register"
#define P2		"p2pd registered"

/* Hex of the vector's outputs, as in PROTOCOL.md. */
#define V_S_PK	"8f40c5adb68f25624ae5b214ea767a6ec94d829d3d7b5e1ad1ba6f3e" \
	"2138285f"
#define V_E_PK	"358072d6365880d1aeea329adf9121383851ed21a28e3b75e965d0d2" \
	"cd166254"
#define V_SECRET	"43a6a55bdd147848b7b344c21531758e6a2b3131176ef19eaccc6022" \
	"1d05eb33"
#define V_COOKIE	"08d74f3fef288ec9856c28a2bf15195a"
#define V_INIT	"590200008f40c5ad08d74f3fef288ec9856c28a2bf15195a358072d6" \
	"365880d1aeea329adf9121383851ed21a28e3b75e965d0d2cd166254" \
	"5f425f72ef038855d4869bb2fe201f8bdb624afa8e2b2acc6e4fb1f5" \
	"40"
#define V_ACCEPT	"5a02000079a631eede1bf9c98f12032cdeadd0e7a079398fc786b88c" \
	"c846ec89af85a51a679660c366b35a8aa265d2ab45f905f5084b461d" \
	"d5be0c3b25c1f9a04db938"
#define V_TX	"cab403af677a4bd36497c4df7a676e288dc730ebe1475417de57d252" \
	"0e560d29"
#define V_RX	"004faaf1b958ce20e5c1992352fbfbd9551622938e8836804287fbd8" \
	"2460d62d"


Test(reghs, vector)
{
	struct vec v;
	struct reghs ag, sv;
	struct reghs_keys ka, ks;
	uint8_t secret[32], cookie[16], init[512], acc[512], pl[256];
	uint8_t id[4], ck2[16], epk2[32];
	size_t plen;
	int n1, n2;

	vec_init(&v);
	hexeq(v.s_pk, 32, V_S_PK, "server static public key");
	hexeq(v.e_pk, 32, V_E_PK, "agent ephemeral public key");
	reghs_cookie_secret(v.master, BUCKET, secret);
	hexeq(secret, 32, V_SECRET, "cookie secret");
	reghs_cookie(secret, v.addr, v.e_pk, cookie);
	hexeq(cookie, 16, V_COOKIE, "cookie");

	cr_assert_eq(reghs_client_start(&ag, v.s_pk, v.e_sk), 0);
	cr_assert(memcmp(ag.e_pk, v.e_pk, 32) == 0);
	n1 = reghs_init_write(&ag, cookie, (const uint8_t *)P1,
	    strlen(P1), init, sizeof(init));
	cr_assert_eq(n1, WIRE_REG_INIT_HDR_LEN + 32 + (int)strlen(P1) + 16);
	hexeq(init, (size_t)n1, V_INIT, "REG_INIT");

	cr_assert_eq(reghs_init_peek(init, (size_t)n1, id, ck2, epk2), 0);
	cr_assert(memcmp(id, v.s_pk, 4) == 0);
	cr_assert(memcmp(ck2, cookie, 16) == 0);
	cr_assert(memcmp(epk2, v.e_pk, 32) == 0);
	cr_assert_eq(reghs_init_read(&sv, v.s_sk, init, (size_t)n1, pl,
	    sizeof(pl), &plen), 0);
	cr_assert_eq(plen, strlen(P1));
	cr_assert(memcmp(pl, P1, plen) == 0);
	cr_assert(memcmp(sv.e_pk, v.e_pk, 32) == 0);

	n2 = reghs_accept_write(&sv, v.re_sk, (const uint8_t *)P2, strlen(P2),
	    acc, sizeof(acc), &ks);
	cr_assert_eq(n2, WIRE_REG_ACCEPT_HDR_LEN + 32 + (int)strlen(P2) + 16);
	hexeq(acc, (size_t)n2, V_ACCEPT, "REG_ACCEPT");
	cr_assert_eq(reghs_accept_read(&ag, acc, (size_t)n2, pl, sizeof(pl),
	    &plen, &ka), 0);
	cr_assert_eq(plen, strlen(P2));
	cr_assert(memcmp(pl, P2, plen) == 0);
	cr_assert(memcmp(ka.tx, ks.rx, 32) == 0);
	cr_assert(memcmp(ka.rx, ks.tx, 32) == 0);
	hexeq(ka.tx, 32, V_TX, "agent tx (agent -> server)");
	hexeq(ka.rx, 32, V_RX, "agent rx (server -> agent)");
	reghs_wipe(&ag);
}

/* A forged or tampered REG_ACCEPT is refused and the wait goes on. */
Test(reghs, forged_accept_keeps_waiting)
{
	struct vec v;
	struct reghs ag, sv, fake;
	struct reghs_keys ka, ks;
	uint8_t cookie[16] = { 0 }, init[512], acc[512], bad[512], pl[256];
	uint8_t other_sk[32], other_pk[32];
	size_t plen;
	int n1, n2, nb;

	vec_init(&v);
	cr_assert_eq(reghs_client_start(&ag, v.s_pk, v.e_sk), 0);
	n1 = reghs_init_write(&ag, cookie, (const uint8_t *)P1, strlen(P1),
	    init, sizeof(init));
	cr_assert_gt(n1, 0);
	/* A server without the key cannot read message 1 ... */
	fill(other_sk, 32, 0x99);
	crypto_scalarmult_base(other_pk, other_sk);
	cr_assert_eq(reghs_init_read(&fake, other_sk, init, (size_t)n1, pl,
	    sizeof(pl), &plen), -1);
	/* ... and its own message 2 (made as if its key were the real
	 * one) does not open for the agent. */
	cr_assert_eq(reghs_client_start(&fake, other_pk, v.e_sk), 0);
	cr_assert_gt(reghs_init_write(&fake, cookie, (const uint8_t *)P1,
	    strlen(P1), bad, sizeof(bad)), 0);
	cr_assert_eq(reghs_init_read(&sv, other_sk, bad, (size_t)n1, pl,
	    sizeof(pl), &plen), 0);
	nb = reghs_accept_write(&sv, NULL, (const uint8_t *)P2, strlen(P2),
	    bad, sizeof(bad), &ks);
	cr_assert_gt(nb, 0);
	cr_assert_eq(reghs_accept_read(&ag, bad, (size_t)nb, pl, sizeof(pl),
	    &plen, &ka), -1);
	/* The real one still opens, also after a bit-flipped copy. */
	cr_assert_eq(reghs_init_read(&sv, v.s_sk, init, (size_t)n1, pl,
	    sizeof(pl), &plen), 0);
	n2 = reghs_accept_write(&sv, NULL, (const uint8_t *)P2, strlen(P2),
	    acc, sizeof(acc), &ks);
	cr_assert_gt(n2, 0);
	memcpy(bad, acc, (size_t)n2);
	bad[n2 - 1] ^= 1;
	cr_assert_eq(reghs_accept_read(&ag, bad, (size_t)n2, pl, sizeof(pl),
	    &plen, &ka), -1);
	cr_assert_eq(reghs_accept_read(&ag, acc, (size_t)n2 - 1, pl, sizeof(pl),
	    &plen, &ka), -1);
	cr_assert_eq(reghs_accept_read(&ag, acc, (size_t)n2, pl, sizeof(pl),
	    &plen, &ka), 0);
	cr_assert(memcmp(ka.tx, ks.rx, 32) == 0);
	reghs_wipe(&ag);
	reghs_wipe(&fake);
}

/* Every bit of REG_INIT past the clear fields is covered. */
Test(reghs, tampered_init_refused)
{
	struct vec v;
	struct reghs ag, sv;
	uint8_t cookie[16] = { 0 }, init[512], pl[256];
	size_t plen, i;
	int n1;

	vec_init(&v);
	cr_assert_eq(reghs_client_start(&ag, v.s_pk, v.e_sk), 0);
	n1 = reghs_init_write(&ag, cookie, (const uint8_t *)P1, strlen(P1),
	    init, sizeof(init));
	for (i = WIRE_REG_INIT_HDR_LEN; i < (size_t)n1; i++) {
		init[i] ^= 0x10;
		cr_assert_eq(reghs_init_read(&sv, v.s_sk, init, (size_t)n1, pl,
		    sizeof(pl), &plen), -1, "byte %zu", i);
		init[i] ^= 0x10;
	}
	/* version byte and type: not a REG_INIT */
	init[1] = 1;
	cr_assert_eq(reghs_init_read(&sv, v.s_sk, init, (size_t)n1, pl,
	    sizeof(pl), &plen), -1);
	init[1] = WIRE_VERSION;
	for (i = 0; i < WIRE_REG_INIT_HDR_LEN + REGHS_MSG_OVERHEAD; i++)
		cr_assert_eq(reghs_init_peek(init, i, pl, pl + 4, pl + 20), -1);
	cr_assert_eq(reghs_init_read(&sv, v.s_sk, init, (size_t)n1, pl,
	    sizeof(pl), &plen), 0);
	reghs_wipe(&ag);
	reghs_wipe(&sv);
}

/* The cookie depends on the address, the port, e and the bucket. */
Test(reghs, cookie_binds_address_key_and_time)
{
	static const uint8_t ip4[4] = { 192, 0, 2, 1 }, ip4b[4] = { 192, 0, 2,
	    2 };
	uint8_t master[32], s1[32], s2[32], a[REGHS_ADDR_LEN], b[REGHS_ADDR_LEN];
	uint8_t e1[32], e2[32], c[16], d[16], ip6[16];

	fill(master, 32, 1);
	fill(e1, 32, 2);
	fill(e2, 32, 3);
	reghs_cookie_secret(master, 10, s1);
	reghs_cookie_secret(master, 11, s2);
	cr_assert(memcmp(s1, s2, 32) != 0);
	cr_assert_eq(reghs_addr_bytes(ip4, 4, 1000, a), 0);
	reghs_cookie(s1, a, e1, c);
	reghs_cookie(s2, a, e1, d);
	cr_assert(memcmp(c, d, 16) != 0, "bucket");
	reghs_cookie(s1, a, e2, d);
	cr_assert(memcmp(c, d, 16) != 0, "ephemeral key");
	cr_assert_eq(reghs_addr_bytes(ip4, 4, 1001, b), 0);
	reghs_cookie(s1, b, e1, d);
	cr_assert(memcmp(c, d, 16) != 0, "port");
	cr_assert_eq(reghs_addr_bytes(ip4b, 4, 1000, b), 0);
	reghs_cookie(s1, b, e1, d);
	cr_assert(memcmp(c, d, 16) != 0, "address");
	/* An IPv4 address and its IPv4-mapped IPv6 form are one address. */
	memset(ip6, 0, 16);
	ip6[10] = ip6[11] = 0xff;
	memcpy(ip6 + 12, ip4, 4);
	cr_assert_eq(reghs_addr_bytes(ip6, 16, 1000, b), 0);
	cr_assert(memcmp(a, b, REGHS_ADDR_LEN) == 0);
	cr_assert_eq(reghs_addr_bytes(ip6, 5, 1000, b), -1);
}

Test(reghs, key_base64)
{
	uint8_t k[32], got[32];
	char b[REGHS_KEY_B64_LEN + 1], bad[64];

	fill(k, 32, 0xf0);
	reghs_key_to_b64(k, b);
	cr_assert_eq(strlen(b), 44);
	cr_assert_eq(b[43], '=');
	cr_assert_eq(reghs_key_from_b64(b, got), 0);
	cr_assert(memcmp(k, got, 32) == 0);
	/* wrong length, bad characters, the URL-safe alphabet, spaces */
	cr_assert_eq(reghs_key_from_b64("", got), -1);
	cr_assert_eq(reghs_key_from_b64(NULL, got), -1);
	snprintf(bad, sizeof(bad), "%.43s", b);
	cr_assert_eq(reghs_key_from_b64(bad, got), -1);
	snprintf(bad, sizeof(bad), "%s=", b);
	cr_assert_eq(reghs_key_from_b64(bad, got), -1);
	snprintf(bad, sizeof(bad), "%s", b);
	bad[5] = '!';
	cr_assert_eq(reghs_key_from_b64(bad, got), -1);
	bad[5] = ' ';
	cr_assert_eq(reghs_key_from_b64(bad, got), -1);
	snprintf(bad, sizeof(bad), "%s", b);
	bad[0] = '_';
	cr_assert_eq(reghs_key_from_b64(bad, got), -1);
}
