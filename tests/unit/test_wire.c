/* SPDX-License-Identifier: ISC */
/*
 * test_wire.c: datagram classification and the p2pd packet headers
 * (docs/PROTOCOL.md §1, §2).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "stun.h"
#include "wire.h"

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

Test(wire, hello_layout_and_round_trip)
{
	uint8_t	eph[32], got[32], pkt[256];
	size_t	i;

	fill(eph, 32, 1);
	cr_assert_eq(wire_hello_build(pkt, sizeof(pkt), eph), WIRE_HELLO_LEN);
	cr_assert_eq(pkt[0], 0x50);
	cr_assert_eq(pkt[1], 2);
	cr_assert_eq(pkt[2], 0);
	cr_assert_eq(pkt[3], 0);
	cr_assert(memcmp(pkt + 4, eph, 32) == 0);
	for (i = 36; i < WIRE_HELLO_LEN; i++)
		cr_assert_eq(pkt[i], 0, "padding byte %zu not zero", i);
	cr_assert_eq(wire_hello_parse(pkt, WIRE_HELLO_LEN, got), 0);
	cr_assert(memcmp(got, eph, 32) == 0);
	/* HELLO must be larger than the challenge it asks for. */
	cr_assert_gt(WIRE_HELLO_LEN, WIRE_CHALLENGE_MAX);
	cr_assert_eq(wire_hello_build(pkt, WIRE_HELLO_LEN - 1, eph), -1);
}

Test(wire, hello_rejects_wrong_length_type_version)
{
	uint8_t	eph[32], got[32], pkt[WIRE_HELLO_LEN + 1];
	size_t	n;

	fill(eph, 32, 9);
	cr_assert_eq(wire_hello_build(pkt, sizeof(pkt), eph), WIRE_HELLO_LEN);
	for (n = 0; n < WIRE_HELLO_LEN; n++)
		cr_assert_eq(wire_hello_parse(pkt, n, got), -1, "len %zu", n);
	pkt[WIRE_HELLO_LEN] = 0;
	cr_assert_eq(wire_hello_parse(pkt, WIRE_HELLO_LEN + 1, got), -1);
	pkt[1] = 1;
	cr_assert_eq(wire_hello_parse(pkt, WIRE_HELLO_LEN, got), -1);
	pkt[1] = WIRE_VERSION;
	pkt[0] = WIRE_REG_CHALLENGE;
	cr_assert_eq(wire_hello_parse(pkt, WIRE_HELLO_LEN, got), -1);
}

Test(wire, challenge_round_trip)
{
	uint8_t		cookie[16], keys[2][32], c2[16], k2[2][32];
	uint8_t		pkt[WIRE_CHALLENGE_MAX + 1];
	unsigned	nk, n;
	size_t		len;

	fill(cookie, 16, 3);
	fill(keys[0], 32, 77);
	fill(keys[1], 32, 99);
	for (n = 0; n <= 2; n++) {
		len = WIRE_CHALLENGE_MIN + 32 * n;
		cr_assert_eq(wire_challenge_build(pkt, sizeof(pkt), cookie,
		    (const uint8_t *)keys, n), (int)len);
		cr_assert_eq(pkt[0], 0x51);
		cr_assert_eq(pkt[1], WIRE_VERSION);
		cr_assert_eq(pkt[2], n);
		cr_assert(memcmp(pkt + 4, cookie, 16) == 0);
		cr_assert_eq(wire_challenge_parse(pkt, len, c2, k2, &nk), 0);
		cr_assert_eq(nk, n);
		cr_assert(memcmp(c2, cookie, 16) == 0);
		cr_assert(n == 0 || memcmp(k2, keys, 32 * n) == 0);
		/* the count in b2 must match the length exactly */
		cr_assert_eq(wire_challenge_parse(pkt, len - 1, c2, k2, &nk),
		    -1);
		cr_assert_eq(wire_challenge_parse(pkt, len + 1, c2, k2, &nk),
		    -1);
		cr_assert_eq(wire_challenge_build(pkt, len - 1, cookie,
		    (const uint8_t *)keys, n), -1);
	}
	pkt[2] = 3;
	cr_assert_eq(wire_challenge_parse(pkt, WIRE_CHALLENGE_MAX, c2, k2,
	    &nk), -1, "more keys than the layout has room for");
	cr_assert_eq(wire_challenge_build(pkt, sizeof(pkt), cookie,
	    (const uint8_t *)keys, 3), -1);
	cr_assert_lt(WIRE_CHALLENGE_MAX, WIRE_HELLO_LEN);
}

Test(wire, reg_init_accept_headers)
{
	uint8_t	pkt[128], id[4] = { 1, 2, 3, 4 }, cookie[16], i2[4], c2[16];
	size_t	n;

	fill(cookie, 16, 40);
	memset(pkt, 0, sizeof(pkt));
	cr_assert_eq(wire_reg_init_hdr_build(pkt, sizeof(pkt), id, cookie),
	    WIRE_REG_INIT_HDR_LEN);
	cr_assert_eq(pkt[0], WIRE_REG_INIT);
	cr_assert_eq(pkt[1], WIRE_VERSION);
	cr_assert(memcmp(pkt + 4, id, 4) == 0);
	cr_assert(memcmp(pkt + 8, cookie, 16) == 0);
	/* e and a tag must follow */
	for (n = 0; n < WIRE_REG_INIT_HDR_LEN + 48; n++)
		cr_assert_eq(wire_reg_init_hdr_parse(pkt, n, i2, c2), -1);
	cr_assert_eq(wire_reg_init_hdr_parse(pkt, n, i2, c2),
	    WIRE_REG_INIT_HDR_LEN);
	cr_assert(memcmp(i2, id, 4) == 0 && memcmp(c2, cookie, 16) == 0);
	cr_assert_eq(wire_classify(pkt, n, NULL, NULL), WIRE_CLASS_P2P);
	cr_assert_eq(wire_classify(pkt, n - 1, NULL, NULL), WIRE_CLASS_JUNK);
	cr_assert_eq(wire_reg_accept_hdr_build(pkt, sizeof(pkt)), 4);
	cr_assert_eq(pkt[0], WIRE_REG_ACCEPT);
	cr_assert_eq(wire_reg_accept_hdr_parse(pkt, 51), -1);
	cr_assert_eq(wire_reg_accept_hdr_parse(pkt, 52), 4);
	cr_assert_eq(wire_agent_dest(pkt, 52, &pkt[100]), WIRE_DEST_SERVER);
	pkt[0] = WIRE_REG_INIT;	/* agents never get one */
	cr_assert_eq(wire_agent_dest(pkt, 72, &pkt[100]), WIRE_DEST_NONE);
	cr_assert_str_eq(wire_type_name(WIRE_REG_INIT), "REG_INIT");
	cr_assert_str_eq(wire_type_name(WIRE_REG_ACCEPT), "REG_ACCEPT");
}

Test(wire, unknown_reg_round_trip)
{
	uint8_t		pkt[16], want[8] = { 0x56, 2, 0, 0, 0, 0, 0x12, 0x34 };
	uint32_t	id;

	cr_assert_eq(wire_unknown_reg_build(pkt, sizeof(pkt), 0x1234), 8);
	cr_assert(memcmp(pkt, want, 8) == 0);
	cr_assert_eq(wire_unknown_reg_parse(pkt, 8, &id), 0);
	cr_assert_eq(id, 0x1234);
	cr_assert_eq(wire_unknown_reg_parse(pkt, 7, &id), -1);
	cr_assert_eq(wire_unknown_reg_parse(pkt, 9, &id), -1);
	cr_assert_eq(wire_unknown_reg_build(pkt, 7, 1), -1);
}

Test(wire, version_error_names_both_versions)
{
	uint8_t	pkt[8], sv, rv;

	cr_assert_eq(wire_version_error_build(pkt, sizeof(pkt), 7), 3);
	cr_assert_eq(pkt[0], 0x5f);
	cr_assert_eq(pkt[1], WIRE_VERSION);
	cr_assert_eq(pkt[2], 7);
	cr_assert_eq(wire_version_error_parse(pkt, 3, &sv, &rv), 0);
	cr_assert_eq(sv, WIRE_VERSION);
	cr_assert_eq(rv, 7);
	/* a server of another version still gets its version reported */
	pkt[1] = 9;
	cr_assert_eq(wire_version_error_parse(pkt, 3, &sv, &rv), 0);
	cr_assert_eq(sv, 9);
	cr_assert_eq(wire_classify(pkt, 3, NULL, NULL), WIRE_CLASS_P2P);
	cr_assert_eq(wire_version_error_parse(pkt, 2, &sv, &rv), -1);
	cr_assert_eq(wire_version_error_parse(pkt, 4, &sv, &rv), -1);
	cr_assert_eq(wire_version_error_build(pkt, 2, 7), -1);
}

Test(wire, classify_stun_p2p_junk)
{
	uint8_t	req[64], pkt[256], eph[32] = { 0 }, txid[12] = { 1, 2, 3 };
	uint8_t	t = 0, v = 0;
	size_t	n;

	n = stun_build_binding_request(req, sizeof(req), txid);
	cr_assert_gt(n, 0);
	cr_assert_eq(wire_classify(req, n, &t, &v), WIRE_CLASS_STUN);
	req[5] ^= 1;	/* broken cookie: not STUN, and 0x00 is not p2pd */
	cr_assert_eq(wire_classify(req, n, &t, &v), WIRE_CLASS_JUNK);

	cr_assert_eq(wire_hello_build(pkt, sizeof(pkt), eph), WIRE_HELLO_LEN);
	cr_assert_eq(wire_classify(pkt, WIRE_HELLO_LEN, &t, &v),
	    WIRE_CLASS_P2P);
	cr_assert_eq(t, WIRE_REG_HELLO);
	cr_assert_eq(v, WIRE_VERSION);
	cr_assert_eq(wire_classify(pkt, WIRE_HELLO_LEN - 1, &t, &v),
	    WIRE_CLASS_JUNK, "short HELLO must not reach the handler");

	pkt[1] = 1;	/* an agent or server of wire version 1 */
	cr_assert_eq(wire_classify(pkt, WIRE_HELLO_LEN, &t, &v),
	    WIRE_CLASS_BAD_VERSION);
	cr_assert_eq(v, 1);
	/* even a short packet of another version learns of the mismatch */
	cr_assert_eq(wire_classify(pkt, 3, &t, &v), WIRE_CLASS_BAD_VERSION);
	/* but not if the 3-byte answer would be larger than the packet */
	cr_assert_eq(wire_classify(pkt, 2, &t, &v), WIRE_CLASS_JUNK);

	pkt[0] = 0x5d;	/* unassigned type in the p2pd range */
	cr_assert_eq(wire_classify(pkt, 128, &t, &v), WIRE_CLASS_BAD_VERSION,
	    "another version may have types we do not know");
	pkt[1] = WIRE_VERSION;
	cr_assert_eq(wire_classify(pkt, 128, &t, &v), WIRE_CLASS_JUNK);
	pkt[0] = 0x60;
	cr_assert_eq(wire_classify(pkt, 128, &t, &v), WIRE_CLASS_JUNK);
	pkt[0] = 0x4f;
	cr_assert_eq(wire_classify(pkt, 128, &t, &v), WIRE_CLASS_JUNK);
	cr_assert_eq(wire_classify(pkt, 0, &t, &v), WIRE_CLASS_JUNK);
	cr_assert_eq(wire_classify(NULL, 10, &t, &v), WIRE_CLASS_JUNK);
	pkt[0] = 0x55;
	cr_assert_eq(wire_classify(pkt, 1, &t, &v), WIRE_CLASS_JUNK);
}

Test(wire, classify_checks_every_minimum_length)
{
	static const uint8_t	types[] = { 0x50, 0x51, 0x52, 0x53, 0x54,
				    0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b,
				    0x5c, 0x5f };
	uint8_t			pkt[512];
	size_t			i, min, n;

	memset(pkt, 0, sizeof(pkt));
	for (i = 0; i < sizeof(types); i++) {
		min = wire_min_len(types[i]);
		cr_assert_gt(min, 2);
		pkt[0] = types[i];
		pkt[1] = WIRE_VERSION;
		for (n = 0; n < min; n++)
			cr_assert_eq(wire_classify(pkt, n, NULL, NULL),
			    WIRE_CLASS_JUNK, "%s len %zu",
			    wire_type_name(types[i]), n);
		cr_assert_eq(wire_classify(pkt, min, NULL, NULL),
		    WIRE_CLASS_P2P, "%s", wire_type_name(types[i]));
	}
	cr_assert_eq(wire_min_len(0x5d), 0);
}

Test(wire, encrypted_headers_round_trip)
{
	uint8_t		pkt[128];
	uint32_t	a, b;
	uint64_t	c;
	uint8_t		ci;

	memset(pkt, 0xaa, sizeof(pkt));
	cr_assert_eq(wire_ctrl_hdr_build(pkt, sizeof(pkt), 42,
	    0x0102030405060708ULL), WIRE_CTRL_HDR_LEN);
	cr_assert_eq(pkt[0], WIRE_CTRL);
	cr_assert_eq(pkt[15], 0x08);
	cr_assert_eq(wire_ctrl_hdr_parse(pkt, 32, &a, &c), 16);
	cr_assert_eq(a, 42);
	cr_assert_eq(c, 0x0102030405060708ULL);
	cr_assert_eq(wire_ctrl_hdr_parse(pkt, 31, &a, &c), -1, "no tag");
	cr_assert_eq(wire_data_hdr_parse(pkt, 32, &a, &c), -1, "wrong type");

	cr_assert_eq(wire_data_hdr_build(pkt, sizeof(pkt), 7, 99), 16);
	cr_assert_eq(wire_data_hdr_parse(pkt, 32, &a, &c), 16);
	cr_assert_eq(a, 7);
	cr_assert_eq(c, 99);
	pkt[1] = 0;
	cr_assert_eq(wire_data_hdr_parse(pkt, 32, &a, &c), -1, "version");

	cr_assert_eq(wire_hs_init_hdr_build(pkt, sizeof(pkt),
	    WIRE_CIPHER_AESGCM, 5), WIRE_HS_INIT_HDR_LEN);
	cr_assert_eq(pkt[2], WIRE_CIPHER_AESGCM);
	cr_assert_eq(wire_hs_init_hdr_parse(pkt, wire_min_len(WIRE_HS_INIT),
	    &ci, &a), 8);
	cr_assert_eq(ci, WIRE_CIPHER_AESGCM);
	cr_assert_eq(a, 5);
	cr_assert_eq(wire_hs_init_hdr_parse(pkt,
	    wire_min_len(WIRE_HS_INIT) - 1, &ci, &a), -1);

	cr_assert_eq(wire_hs_resp_hdr_build(pkt, sizeof(pkt), 11, 12), 12);
	cr_assert_eq(wire_hs_resp_hdr_parse(pkt, wire_min_len(WIRE_HS_RESP),
	    &a, &b), 12);
	cr_assert_eq(a, 11);
	cr_assert_eq(b, 12);
	cr_assert_eq(wire_hs_resp_hdr_parse(pkt,
	    wire_min_len(WIRE_HS_RESP) - 1, &a, &b), -1);
	cr_assert_eq(wire_hs_resp_hdr_build(pkt, 11, 1, 2), -1);
}

Test(wire, names)
{
	char	buf[80];

	cr_assert(p2p_name_valid("alice"));
	cr_assert(p2p_name_valid("A.b_c-9"));
	cr_assert_not(p2p_name_valid(""));
	cr_assert_not(p2p_name_valid(NULL));
	cr_assert_not(p2p_name_valid("bob smith"));
	cr_assert_not(p2p_name_valid("bob/x"));
	cr_assert_not(p2p_name_valid("caf\xc3\xa9"));
	memset(buf, 'a', 64);
	buf[64] = '\0';
	cr_assert(p2p_name_valid(buf));
	buf[64] = 'a';
	buf[65] = '\0';
	cr_assert_not(p2p_name_valid(buf));
	cr_assert(p2p_name_valid_len("ab\0", 2));
	cr_assert_not(p2p_name_valid_len("ab\0", 3));
	cr_assert_str_eq(wire_type_name(WIRE_DATA), "DATA");
	cr_assert_str_eq(wire_type_name(0x00), "UNKNOWN");
}

Test(wire, agent_dest)
{
	uint8_t pkt[200], type = 0;

	memset(pkt, 0, sizeof(pkt));
	pkt[1] = WIRE_VERSION;
	pkt[0] = WIRE_CTRL;
	cr_assert_eq(wire_agent_dest(pkt, 32, &type), WIRE_DEST_SERVER);
	cr_assert_eq(type, WIRE_CTRL);
	pkt[0] = WIRE_RELAY;
	cr_assert_eq(wire_agent_dest(pkt, 36, &type), WIRE_DEST_SERVER);
	cr_assert_eq(wire_agent_dest(pkt, 35, &type), WIRE_DEST_NONE,
	    "a RELAY shorter than header, relay id and tag");
	pkt[0] = WIRE_DATA;
	cr_assert_eq(wire_agent_dest(pkt, 32, &type), WIRE_DEST_PEER);
	pkt[0] = WIRE_COOKIE_REPLY;	/* a peer under load answers */
	cr_assert_eq(wire_agent_dest(pkt, WIRE_COOKIE_REPLY_LEN, &type),
	    WIRE_DEST_PEER);
	cr_assert_eq(type, WIRE_COOKIE_REPLY);
	cr_assert_eq(wire_agent_dest(pkt, WIRE_COOKIE_REPLY_LEN - 1, &type),
	    WIRE_DEST_NONE, "a COOKIE_REPLY has exactly its length");
	pkt[0] = WIRE_REG_HELLO;	/* agents never get one */
	cr_assert_eq(wire_agent_dest(pkt, WIRE_HELLO_LEN, &type),
	    WIRE_DEST_NONE);
	pkt[0] = WIRE_DATA;
	pkt[1] = 1;			/* another version */
	cr_assert_eq(wire_agent_dest(pkt, 32, &type), WIRE_DEST_NONE);
	pkt[0] = WIRE_VERSION_ERROR;	/* the server tells us its version */
	cr_assert_eq(wire_agent_dest(pkt, WIRE_VERSION_ERROR_LEN, &type),
	    WIRE_DEST_SERVER);
	pkt[0] = 0x17;
	cr_assert_eq(wire_agent_dest(pkt, 32, &type), WIRE_DEST_NONE);
}
