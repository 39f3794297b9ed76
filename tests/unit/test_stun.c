/* SPDX-License-Identifier: ISC */
/*
 * test_stun.c: the STUN codec against RFC 5769's vectors, our own
 * request/response round trips, and malformed input.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "stun.h"

static const uint8_t rfc_txid[12] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae
};

/* Reads the hex bytes of one named section of the vector file. */
static size_t
vector(const char *name, uint8_t *out, size_t cap)
{
	const char	*top = getenv("top_srcdir");
	char		 path[4096], line[512], *p, *end;
	FILE		*f;
	size_t		 n = 0;
	int		 in = 0;
	unsigned long	 v;

	snprintf(path, sizeof(path), "%s/tests/unit/vectors/stun-rfc5769.txt",
	    top != NULL ? top : ".");
	f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s (set top_srcdir)", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0') {
			if (in && n > 0)
				break;
			continue;
		}
		if (!in) {
			in = strcmp(line, name) == 0;
			continue;
		}
		if (strchr("0123456789abcdefABCDEF", line[0]) == NULL)
			break;
		for (p = line; *p != '\0'; p = end) {
			v = strtoul(p, &end, 16);
			if (end == p)
				break;
			cr_assert_lt(n, cap);
			out[n++] = (uint8_t)v;
		}
	}
	fclose(f);
	cr_assert_gt(n, 0, "no vector %s in %s", name, path);
	return n;
}

static struct sockaddr_storage
sa4(const char *ip, uint16_t port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET, ip, &s->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage
sa6(const char *ip, uint16_t port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in6	*s = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET6, ip, &s->sin6_addr), 1);
	return ss;
}

/* "ip:port" or "[ip6]:port" of an address, for readable assertions. */
static const char *
fmt(const struct sockaddr_storage *ss)
{
	static char	buf[80];
	char		ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s:%u", ip, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "[%s]:%u", ip, ntohs(s->sin6_port));
	} else
		snprintf(buf, sizeof(buf), "family %d", ss->ss_family);
	return buf;
}

Test(stun, crc32_check_value)
{
	cr_assert_eq(crc32_ieee("123456789", 9), 0xCBF43926U);
	cr_assert_eq(crc32_ieee("", 0), 0);
}

Test(stun, rfc5769_request_parses_and_fingerprint_verifies)
{
	uint8_t		pkt[256];
	struct stun_msg	m;
	size_t		n = vector("request", pkt, sizeof(pkt));

	cr_assert_eq(n, 108);
	cr_assert(stun_is_stun(pkt, n));
	cr_assert_eq(stun_parse(pkt, n, &m), 0);
	cr_assert_eq(m.type, STUN_BINDING_REQUEST);
	cr_assert_eq(m.length, 88);
	cr_assert(memcmp(m.txid, rfc_txid, 12) == 0);
	cr_assert(m.has & STUN_HAS_FINGERPRINT);
	cr_assert(m.has & STUN_HAS_INTEGRITY);
	/* PRIORITY (ICE) is comprehension-required and unknown to us. */
	cr_assert_eq(m.nunknown, 1);
	cr_assert_eq(m.unknown[0], 0x0024);
}

Test(stun, rfc5769_request_gets_420_listing_priority)
{
	uint8_t			pkt[256], out[256];
	struct sockaddr_storage	from = sa4("192.0.2.1", 32853);
	struct stun_msg		m;
	size_t			n = vector("request", pkt, sizeof(pkt)), r;

	r = stun_server_reply(pkt, n, (struct sockaddr *)&from, out,
	    sizeof(out));
	/* header + ERROR-CODE("Unknown Attribute") + UNKNOWN-ATTRIBUTES(1) + FP */
	cr_assert_eq(r, 20 + 4 + 4 + 20 + 4 + 4 + 8);
	cr_assert_eq(stun_parse(out, r, &m), 0);
	cr_assert_eq(m.type, STUN_BINDING_ERROR);
	cr_assert(m.has & STUN_HAS_ERROR);
	cr_assert_eq(m.error_code, 420);
	cr_assert(m.has & STUN_HAS_FINGERPRINT);
	cr_assert(memcmp(m.txid, rfc_txid, 12) == 0);
	/* UNKNOWN-ATTRIBUTES value right after the error attribute */
	cr_assert_eq(out[48], 0x00);
	cr_assert_eq(out[49], 0x0a);
	cr_assert_eq(out[52], 0x00);
	cr_assert_eq(out[53], 0x24);
}

Test(stun, rfc5769_ipv4_response)
{
	uint8_t			pkt[256];
	struct stun_msg		m;
	struct sockaddr_storage	mapped;
	size_t			n = vector("response-ipv4", pkt, sizeof(pkt));

	cr_assert_eq(n, 80);
	cr_assert_eq(stun_parse(pkt, n, &m), 0);
	cr_assert(m.has & STUN_HAS_FINGERPRINT);
	cr_assert_eq(stun_parse_binding_success(pkt, n, rfc_txid, &mapped), 0);
	cr_assert_str_eq(fmt(&mapped), "192.0.2.1:32853");
}

Test(stun, rfc5769_ipv6_response)
{
	uint8_t			pkt[256];
	struct stun_msg		m;
	struct sockaddr_storage	mapped;
	size_t			n = vector("response-ipv6", pkt, sizeof(pkt));

	cr_assert_eq(n, 92);
	cr_assert_eq(stun_parse(pkt, n, &m), 0);
	cr_assert(m.has & STUN_HAS_FINGERPRINT);
	cr_assert_eq(stun_parse_binding_success(pkt, n, rfc_txid, &mapped), 0);
	cr_assert_str_eq(fmt(&mapped),
	    "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

Test(stun, client_checks_txid)
{
	uint8_t			pkt[256], other[12];
	struct sockaddr_storage	mapped;
	size_t			n = vector("response-ipv4", pkt, sizeof(pkt));

	memcpy(other, rfc_txid, 12);
	other[11] ^= 1;
	cr_assert_eq(stun_parse_binding_success(pkt, n, other, &mapped), -1);
}

Test(stun, flipped_fingerprint_or_body_bit_is_rejected)
{
	const char	*names[] = { "request", "response-ipv4",
			    "response-ipv6" };
	uint8_t		 pkt[256];
	struct stun_msg	 m;
	size_t		 i, n, bit;

	for (i = 0; i < 3; i++) {
		n = vector(names[i], pkt, sizeof(pkt));
		/* every bit of the FINGERPRINT value */
		for (bit = (n - 4) * 8; bit < n * 8; bit++) {
			pkt[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			cr_assert_eq(stun_parse(pkt, n, &m), -1,
			    "%s bit %zu", names[i], bit);
			pkt[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		}
		/* and a bit of the SOFTWARE text the CRC covers */
		pkt[25] ^= 0x20;
		cr_assert_eq(stun_parse(pkt, n, &m), -1, "%s", names[i]);
		pkt[25] ^= 0x20;
		cr_assert_eq(stun_parse(pkt, n, &m), 0);
	}
}

Test(stun, every_truncation_is_rejected)
{
	const char	*names[] = { "request", "response-ipv4",
			    "response-ipv6" };
	uint8_t		 pkt[256], cut[256], out[256];
	struct stun_msg	 m;
	struct sockaddr_storage from = sa4("10.0.0.1", 1);
	size_t		 i, n, k;

	for (i = 0; i < 3; i++) {
		n = vector(names[i], pkt, sizeof(pkt));
		for (k = 0; k < n; k++) {
			/* a fresh copy of exactly k bytes, so ASan sees overreads */
			memcpy(cut, pkt, k);
			cr_assert_eq(stun_parse(cut, k, &m), -1, "%s len %zu",
			    names[i], k);
			cr_assert_eq(stun_server_reply(cut, k,
			    (struct sockaddr *)&from, out, sizeof(out)), 0);
			/*
			 * With the header length fixed up, a cut at an
			 * attribute boundary is a valid shorter message and
			 * one inside an attribute is not (see below); either
			 * way nothing is read beyond k bytes (ASan).
			 */
			if (k >= 20) {
				cut[2] = (uint8_t)((k - 20) >> 8);
				cut[3] = (uint8_t)(k - 20);
				(void)stun_parse(cut, k, &m);
			}
		}
	}
}

Test(stun, attribute_cut_inside_is_rejected)
{
	uint8_t		pkt[256];
	struct stun_msg	m;
	size_t		n = vector("response-ipv4", pkt, sizeof(pkt));

	(void)n;
	/* Keep SOFTWARE (16 bytes) and half of XOR-MAPPED-ADDRESS: 24 + 4. */
	pkt[2] = 0;
	pkt[3] = 16 + 8;
	cr_assert_eq(stun_parse(pkt, 20 + 24, &m), -1);
	/* At the boundary after SOFTWARE it is a valid message. */
	pkt[3] = 16;
	cr_assert_eq(stun_parse(pkt, 20 + 16, &m), 0);
	cr_assert_eq(m.has, 0);
}

Test(stun, length_not_multiple_of_4_and_mismatch)
{
	uint8_t		pkt[64], txid[12] = { 9 };
	struct stun_msg	m;
	size_t		n = stun_build_binding_request(pkt, sizeof(pkt), txid);

	cr_assert_eq(n, 28);
	cr_assert_eq(stun_parse(pkt, n, &m), 0);
	pkt[n] = 0;
	pkt[n + 1] = 0;
	pkt[3] = (uint8_t)(n - 20 + 2);
	cr_assert_eq(stun_parse(pkt, n + 2, &m), -1);
	pkt[3] = (uint8_t)(n - 20);
	cr_assert_eq(stun_parse(pkt, n + 4, &m), -1, "trailing bytes");
	pkt[3] = (uint8_t)(n - 20 + 4);
	cr_assert_eq(stun_parse(pkt, n, &m), -1, "length beyond datagram");
}

Test(stun, wrong_cookie_or_top_bits)
{
	uint8_t			pkt[64], out[128], txid[12] = { 1 };
	struct stun_msg		m;
	struct sockaddr_storage	from = sa4("10.0.0.1", 5);
	size_t			n;

	n = stun_build_binding_request(pkt, sizeof(pkt), txid);
	pkt[7] ^= 0x01;
	cr_assert_not(stun_is_stun(pkt, n));
	cr_assert_eq(stun_parse(pkt, n, &m), -1);
	cr_assert_eq(stun_server_reply(pkt, n, (struct sockaddr *)&from, out,
	    sizeof(out)), 0);
	pkt[7] ^= 0x01;
	pkt[0] |= 0x40;
	cr_assert_not(stun_is_stun(pkt, n));
	cr_assert_eq(stun_parse(pkt, n, &m), -1);
}

Test(stun, our_request_is_minimal_and_fingerprinted)
{
	uint8_t		pkt[64], txid[12];
	struct stun_msg	m;
	size_t		i;

	for (i = 0; i < 12; i++)
		txid[i] = (uint8_t)(i * 17);
	cr_assert_eq(stun_build_binding_request(pkt, 27, txid), 0);
	cr_assert_eq(stun_build_binding_request(pkt, sizeof(pkt), txid), 28);
	cr_assert_eq(pkt[0], 0x00);
	cr_assert_eq(pkt[1], 0x01);
	cr_assert_eq(stun_parse(pkt, 28, &m), 0);
	cr_assert_eq(m.type, STUN_BINDING_REQUEST);
	cr_assert(m.has & STUN_HAS_FINGERPRINT);
	cr_assert(memcmp(m.txid, txid, 12) == 0);
}

static void
round_trip(struct sockaddr_storage from, size_t want_len, const char *want)
{
	uint8_t			req[64], out[128], txid[12] = { 4, 5, 6 };
	struct sockaddr_storage	mapped;
	size_t			n, r;

	n = stun_build_binding_request(req, sizeof(req), txid);
	r = stun_server_reply(req, n, (struct sockaddr *)&from, out,
	    sizeof(out));
	cr_assert_eq(r, want_len, "reply for %s is %zu bytes", want, r);
	cr_assert_eq(out[0], 0x01);
	cr_assert_eq(out[1], 0x01);
	cr_assert_eq(stun_parse_binding_success(out, r, txid, &mapped), 0);
	cr_assert_str_eq(fmt(&mapped), want);
	/* one byte less of room and there is no reply at all */
	cr_assert_eq(stun_server_reply(req, n, (struct sockaddr *)&from, out,
	    want_len - 1), 0);
}

Test(stun, server_reply_round_trips_and_is_minimal)
{
	/* header 20 + XOR-MAPPED-ADDRESS (4 + 8 | 4 + 20) + FINGERPRINT 8 */
	round_trip(sa4("203.0.113.5", 40000), 40, "203.0.113.5:40000");
	round_trip(sa6("2001:db8::1", 443), 52, "[2001:db8::1]:443");
	/* IPv4-mapped sources are answered and reported as IPv4 */
	round_trip(sa6("::ffff:198.51.100.7", 3478), 40, "198.51.100.7:3478");
}

Test(stun, server_drops_what_is_not_a_binding_request)
{
	uint8_t			pkt[256], out[256], req[64], txid[12] = { 7 };
	struct sockaddr_storage	from = sa4("10.1.2.3", 99);
	struct sockaddr		unix_sa = { .sa_family = AF_UNIX };
	size_t			n;

	n = vector("response-ipv4", pkt, sizeof(pkt));
	cr_assert_eq(stun_server_reply(pkt, n, (struct sockaddr *)&from, out,
	    sizeof(out)), 0, "a response is never answered");
	n = stun_build_binding_request(req, sizeof(req), txid);
	cr_assert_eq(stun_server_reply(req, n, &unix_sa, out, sizeof(out)), 0);
	cr_assert_eq(stun_server_reply(req, n, NULL, out, sizeof(out)), 0);
	/* indication: class bits 01 */
	req[1] = 0x11;
	cr_assert_eq(stun_server_reply(req, n, (struct sockaddr *)&from, out,
	    sizeof(out)), 0, "FINGERPRINT now wrong and class wrong");
	n = stun_build_binding_error(req, sizeof(req), txid, 400, "x", NULL, 0);
	cr_assert_gt(n, 0);
	cr_assert_eq(stun_server_reply(req, n, (struct sockaddr *)&from, out,
	    sizeof(out)), 0);
}

/* A request with arbitrary attributes (no FINGERPRINT). */
static size_t
req_with(uint8_t *pkt, const uint16_t *types, size_t ntypes)
{
	size_t	off = 20, i;

	memset(pkt, 0, 20);
	pkt[1] = 0x01;
	pkt[4] = 0x21; pkt[5] = 0x12; pkt[6] = 0xa4; pkt[7] = 0x42;
	for (i = 0; i < 12; i++)
		pkt[8 + i] = (uint8_t)(0xa0 + i);
	for (i = 0; i < ntypes; i++) {
		pkt[off] = (uint8_t)(types[i] >> 8);
		pkt[off + 1] = (uint8_t)types[i];
		pkt[off + 2] = 0;
		pkt[off + 3] = 4;
		memset(pkt + off + 4, 0, 4);
		off += 8;
	}
	pkt[2] = (uint8_t)((off - 20) >> 8);
	pkt[3] = (uint8_t)(off - 20);
	return off;
}

Test(stun, unknown_attributes)
{
	uint8_t			pkt[256], out[256];
	uint16_t		types[12];
	struct sockaddr_storage	from = sa4("10.9.9.9", 1000), mapped;
	struct stun_msg		m;
	size_t			n, r, i;

	/* comprehension-optional: ignored, a normal success */
	types[0] = 0x8055;
	n = req_with(pkt, types, 1);
	r = stun_server_reply(pkt, n, (struct sockaddr *)&from, out,
	    sizeof(out));
	cr_assert_eq(r, 40);
	cr_assert_eq(stun_parse_binding_success(out, r, pkt + 8, &mapped), 0);

	/* comprehension-required: 420, with each unknown type once */
	types[0] = 0x7777;
	types[1] = 0x0027;	/* RESPONSE-PORT: not supported */
	types[2] = 0x7777;
	n = req_with(pkt, types, 3);
	r = stun_server_reply(pkt, n, (struct sockaddr *)&from, out,
	    sizeof(out));
	cr_assert_eq(r, 20 + 28 + 8 + 8);
	cr_assert_eq(stun_parse(out, r, &m), 0);
	cr_assert_eq(m.error_code, 420);
	cr_assert_eq(out[48 + 4] << 8 | out[48 + 5], 0x7777);
	cr_assert_eq(out[48 + 6] << 8 | out[48 + 7], 0x0027);

	/* the list is capped; the reply stays bounded */
	for (i = 0; i < 12; i++)
		types[i] = (uint16_t)(0x7000 + i);
	n = req_with(pkt, types, 12);
	cr_assert_eq(stun_parse(pkt, n, &m), 0);
	cr_assert_eq(m.nunknown, STUN_MAX_UNKNOWN);
	cr_assert(m.unknown_overflow);
	r = stun_server_reply(pkt, n, (struct sockaddr *)&from, out,
	    sizeof(out));
	cr_assert_eq(r, 20 + 28 + 4 + 2 * STUN_MAX_UNKNOWN + 8);
	cr_assert_leq(r, n, "a 420 is never larger than its request here");
}

Test(stun, fingerprint_must_be_last)
{
	uint8_t		pkt[64], txid[12] = { 3 };
	struct stun_msg	m;
	size_t		n = stun_build_binding_request(pkt, sizeof(pkt), txid);

	/* append a SOFTWARE attribute after FINGERPRINT */
	memcpy(pkt + n, "\x80\x22\x00\x04" "abcd", 8);
	pkt[3] = (uint8_t)(n - 20 + 8);
	cr_assert_eq(stun_parse(pkt, n + 8, &m), -1);
}

Test(stun, malformed_address_attributes)
{
	uint8_t		pkt[64];
	uint16_t	t = STUN_ATTR_XOR_MAPPED_ADDRESS;
	struct stun_msg	m;
	size_t		n = req_with(pkt, &t, 1);

	/* a 4-byte XOR-MAPPED-ADDRESS has no room for any address */
	cr_assert_eq(stun_parse(pkt, n, &m), -1);
	/* family 3 */
	pkt[23] = 12;
	pkt[3] = 16;
	memset(pkt + 24, 0, 12);
	pkt[25] = 3;
	cr_assert_eq(stun_parse(pkt, 36, &m), -1);
	pkt[25] = 1;	/* IPv4 needs exactly 8 bytes, not 12 */
	cr_assert_eq(stun_parse(pkt, 36, &m), -1);
	pkt[23] = 8;	/* 8 bytes + 4 more of a zero-typed TLV: 0x0000 len 0 */
	cr_assert_eq(stun_parse(pkt, 36, &m), 0);
	cr_assert(m.has & STUN_HAS_XOR_MAPPED);
}

Test(stun, change_request_and_rfc5780_attributes)
{
	uint8_t			req[64], out[256], txid[12] = { 8, 8 };
	struct sockaddr_storage	from = sa4("192.0.2.50", 6000);
	struct sockaddr_storage	other = sa4("192.0.2.2", 3479);
	struct sockaddr_storage	origin = sa4("192.0.2.1", 3478);
	struct stun_reply_opts	opts = { (struct sockaddr *)&other,
				    (struct sockaddr *)&origin };
	struct stun_msg		m;
	size_t			n, r;

	n = stun_build_binding_request_change(req, sizeof(req), txid,
	    STUN_CHANGE_IP | STUN_CHANGE_PORT);
	cr_assert_eq(n, 36);
	cr_assert_eq(stun_parse(req, n, &m), 0);
	cr_assert(m.has & STUN_HAS_CHANGE);
	cr_assert_eq(m.change, 6);

	/* without an alternate address: 420 naming CHANGE-REQUEST */
	r = stun_server_reply(req, n, (struct sockaddr *)&from, out,
	    sizeof(out));
	cr_assert_gt(r, 0);
	cr_assert_eq(stun_parse(out, r, &m), 0);
	cr_assert_eq(m.error_code, 420);
	cr_assert_eq(out[52] << 8 | out[53], STUN_ATTR_CHANGE_REQUEST);

	/* with one: success with OTHER-ADDRESS and RESPONSE-ORIGIN */
	r = stun_server_reply_opts(req, n, (struct sockaddr *)&from, &opts,
	    out, sizeof(out));
	cr_assert_eq(r, 20 + 12 + 12 + 12 + 8);
	cr_assert_eq(stun_parse(out, r, &m), 0);
	cr_assert(m.has & STUN_HAS_OTHER);
	cr_assert(m.has & STUN_HAS_ORIGIN);
	cr_assert_str_eq(fmt(&m.other), "192.0.2.2:3479");
	cr_assert_str_eq(fmt(&m.origin), "192.0.2.1:3478");
	cr_assert_str_eq(fmt(&m.mapped), "192.0.2.50:6000");
}

/* RESPONSE-PORT (RFC 5780 §7.5): parsed; 420 without an alternate address. */
Test(stun, response_port)
{
	uint8_t			pkt[64], out[256];
	uint16_t		types[2] = { STUN_ATTR_CHANGE_REQUEST,
				    STUN_ATTR_RESPONSE_PORT };
	struct sockaddr_storage	from = sa4("192.0.2.50", 6000);
	struct sockaddr_storage	other = sa4("192.0.2.2", 3479);
	struct stun_reply_opts	opts = { (struct sockaddr *)&other, NULL };
	struct stun_msg		m;
	size_t			n, r;

	n = req_with(pkt, types, 2);
	pkt[20 + 8 + 4] = 0x9d;		/* RESPONSE-PORT 40286 */
	pkt[20 + 8 + 5] = 0x5e;
	pkt[20 + 4 + 3] = STUN_CHANGE_PORT;
	cr_assert_eq(stun_parse(pkt, n, &m), 0);
	cr_assert(m.has & STUN_HAS_RESPONSE_PORT);
	cr_assert_eq(m.response_port, 40286);
	cr_assert_eq(m.nunknown, 0, "RESPONSE-PORT is understood");

	/* no alternate address: one 420 naming both, in request order */
	r = stun_server_reply(pkt, n, (struct sockaddr *)&from, out,
	    sizeof(out));
	cr_assert_eq(stun_parse(out, r, &m), 0);
	cr_assert_eq(m.error_code, 420);
	cr_assert_eq(out[52] << 8 | out[53], STUN_ATTR_CHANGE_REQUEST);
	cr_assert_eq(out[54] << 8 | out[55], STUN_ATTR_RESPONSE_PORT);

	/* with one: a success; where it goes is the caller's business */
	r = stun_server_reply_opts(pkt, n, (struct sockaddr *)&from, &opts,
	    out, sizeof(out));
	cr_assert_eq(stun_parse(out, r, &m), 0);
	cr_assert_eq(m.type, STUN_BINDING_SUCCESS);
	cr_assert_str_eq(fmt(&m.other), "192.0.2.2:3479");

	/* a RESPONSE-PORT of another length is malformed */
	pkt[20 + 8 + 3] = 2;
	cr_assert_eq(stun_parse(pkt, n, &m), -1);
}

/* Recompute the FINGERPRINT of a message after a test edited it. */
static void
refingerprint(uint8_t *p, size_t len)
{
	uint32_t	fp = crc32_ieee(p, len - 8) ^ STUN_FINGERPRINT_XOR;

	p[len - 4] = (uint8_t)(fp >> 24);
	p[len - 3] = (uint8_t)(fp >> 16);
	p[len - 2] = (uint8_t)(fp >> 8);
	p[len - 1] = (uint8_t)fp;
}

Test(stun, error_builder_limits)
{
	uint8_t		out[256], txid[12] = { 0 };
	struct stun_msg	m;
	char		lng[200];
	size_t		r;

	memset(lng, 'x', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	cr_assert_eq(stun_build_binding_error(out, sizeof(out), txid, 299,
	    "x", NULL, 0), 0);
	cr_assert_eq(stun_build_binding_error(out, sizeof(out), txid, 700,
	    "x", NULL, 0), 0);
	cr_assert_eq(stun_build_binding_error(out, sizeof(out), txid, 400,
	    lng, NULL, 0), 0);
	r = stun_build_binding_error(out, sizeof(out), txid, 438, "Stale",
	    NULL, 0);
	cr_assert_eq(r, 20 + 4 + 4 + 8 + 8);
	cr_assert_eq(stun_parse(out, r, &m), 0);
	cr_assert_eq(m.error_code, 438);
	refingerprint(out, r);
	cr_assert_eq(stun_parse(out, r, &m), 0, "refingerprint works");
	out[26] = 7;	/* class 7 does not exist */
	refingerprint(out, r);
	cr_assert_eq(stun_parse(out, r, &m), -1);
	out[26] = 4;
	out[27] = 100;	/* number 0..99 */
	refingerprint(out, r);
	cr_assert_eq(stun_parse(out, r, &m), -1);
}

Test(stun, v4_mapped_on_the_wire_is_reported_as_ipv4)
{
	uint8_t			out[128], txid[12] = { 1, 2, 3, 4, 5 }, key[16];
	struct sockaddr_storage	to = sa6("2001:db8::1", 5000), mapped;
	static const uint8_t	v4m[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff, 1, 2, 3, 4 };
	size_t			r, i;

	r = stun_build_binding_success(out, sizeof(out), txid,
	    (struct sockaddr *)&to, NULL);
	cr_assert_eq(r, 52);
	/* rewrite the IPv6 address (after type, len, 0, family, port) */
	key[0] = 0x21; key[1] = 0x12; key[2] = 0xa4; key[3] = 0x42;
	memcpy(key + 4, txid, 12);
	for (i = 0; i < 16; i++)
		out[28 + i] = v4m[i] ^ key[i];
	refingerprint(out, r);
	cr_assert_eq(stun_parse_binding_success(out, r, txid, &mapped), 0);
	cr_assert_str_eq(fmt(&mapped), "1.2.3.4:5000");
}
