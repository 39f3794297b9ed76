/* SPDX-License-Identifier: ISC */
/*
 * test_pcp.c: NAT-PMP (RFC 6886) and PCP (RFC 6887) messages: the requests
 * byte for byte as the RFCs lay them out, answers a router sends (and
 * ones it should not), the public-address check and the default gateway
 * from /proc/net/route.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "pcp.h"

static const uint8_t nonce[PCP_NONCE_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9,
    10, 11, 12 };

Test(pcp, natpmp_requests)
{
	uint8_t	b[64];
	static const uint8_t map[] = { 0, 1, 0, 0, 0x13, 0x88, 0x13, 0x89,
	    0, 0, 0x1c, 0x20 };

	cr_assert_eq(pcp_natpmp_addr_req(b, sizeof(b)), 2);
	cr_assert(b[0] == 0 && b[1] == 0);
	cr_assert_eq(pcp_natpmp_map_req(b, sizeof(b), 5000, 5001, 7200), 12);
	cr_assert_arr_eq(b, map, sizeof(map));
	cr_assert_eq(pcp_natpmp_map_req(b, 11, 5000, 5001, 7200), 0,
	    "a short buffer builds nothing");
}

Test(pcp, pcp_requests)
{
	uint8_t	b[128];

	cr_assert_eq(pcp_announce_req(b, sizeof(b), 0x0a010002), 24);
	cr_assert(b[0] == 2 && b[1] == 0, "version 2, R=0, opcode ANNOUNCE");
	cr_assert(b[18] == 0xff && b[19] == 0xff && b[20] == 10 && b[23] == 2,
	    "client address as ::ffff:10.1.0.2");
	cr_assert_eq(pcp_map_req(b, sizeof(b), 0x0a010002, nonce, 5000, 5000,
	    0, 7200), 60);
	cr_assert(b[1] == 1, "opcode MAP");
	cr_assert(b[4] == 0 && b[5] == 0 && b[6] == 0x1c && b[7] == 0x20,
	    "lifetime 7200");
	cr_assert_arr_eq(b + 24, nonce, PCP_NONCE_LEN);
	cr_assert_eq(b[36], 17, "protocol UDP");
	cr_assert(b[40] == 0x13 && b[41] == 0x88, "internal port 5000");
	cr_assert(b[42] == 0x13 && b[43] == 0x88, "suggested port 5000");
	cr_assert(b[54] == 0xff && b[55] == 0xff && b[56] == 0,
	    "any external IPv4 address: ::ffff:0.0.0.0");
	cr_assert_eq(pcp_map_req(b, 59, 1, nonce, 1, 1, 0, 1), 0);
}

Test(pcp, natpmp_answers)
{
	struct pcp_answer	a;
	static const uint8_t	addr[] = { 0, 128, 0, 0, 0, 0, 1, 0, 11, 4,
	    0, 2 };
	static const uint8_t	map[] = { 0, 129, 0, 0, 0, 0, 1, 1, 0x13,
	    0x88, 0x9c, 0x40, 0, 0, 0x0e, 0x10 };
	static const uint8_t	refused[] = { 0, 129, 0, 2, 0, 0, 1, 1 };

	cr_assert_eq(pcp_parse(addr, sizeof(addr), &a), 0);
	cr_assert(a.version == 0 && a.opcode == NATPMP_OP_ADDR &&
	    a.result == 0 && a.epoch == 256 && a.has_ip &&
	    a.external_ip == 0x0b040002);
	cr_assert_eq(pcp_parse(map, sizeof(map), &a), 0);
	cr_assert(a.opcode == NATPMP_OP_MAP_UDP && a.internal_port == 5000 &&
	    a.external_port == 40000 && a.lifetime == 3600 && !a.has_ip);
	cr_assert_eq(pcp_parse(refused, sizeof(refused), &a), 0,
	    "an error answer is 8 bytes");
	cr_assert_eq(a.result, 2);
	cr_assert_str_eq(pcp_result_str(0, a.result), "NOT_AUTHORIZED");
	/* a success must have its opcode's length, no more, no less */
	cr_assert_eq(pcp_parse(map, sizeof(map) - 1, &a), PCP_ERR_LENGTH);
	cr_assert_eq(pcp_parse(addr, 8, &a), PCP_ERR_LENGTH);
	cr_assert_eq(pcp_parse(refused, 7, &a), PCP_ERR_LENGTH);
}

Test(pcp, natpmp_refusals)
{
	struct pcp_answer	a;
	uint8_t			b[20];

	memset(b, 0, sizeof(b));
	b[1] = 1;	/* a request echoed back */
	cr_assert_eq(pcp_parse(b, 12, &a), PCP_ERR_REQUEST);
	b[1] = 128 + 7;
	cr_assert_eq(pcp_parse(b, 12, &a), PCP_ERR_OPCODE);
	b[1] = 129;
	cr_assert_eq(pcp_parse(b, 20, &a), PCP_ERR_LENGTH, "too long");
	b[0] = 1;
	cr_assert_eq(pcp_parse(b, 16, &a), PCP_ERR_VERSION);
	cr_assert_eq(pcp_parse(b, 1, &a), PCP_ERR_LENGTH);
	cr_assert_eq(pcp_parse(b, 0, &a), PCP_ERR_LENGTH);
}

/* A PCP MAP answer: success, lifetime 7200, epoch 42, 11.4.0.2:40000. */
static size_t
map_answer(uint8_t *b, size_t cap)
{
	size_t	n = pcp_map_req(b, cap, 0, nonce, 5000, 40000, 0x0b040002,
		    7200);

	b[1] = 0x80 | PCP_OP_MAP;
	b[3] = 0;		/* result */
	memset(b + 8, 0, 16);
	b[11] = 42;		/* epoch */
	return n;
}

Test(pcp, pcp_answers)
{
	struct pcp_answer	a;
	uint8_t			b[PCP_MSG_MAX + 8];
	size_t			n = map_answer(b, sizeof(b));

	cr_assert_eq(pcp_parse(b, n, &a), 0);
	cr_assert(a.version == 2 && a.opcode == PCP_OP_MAP && a.result == 0 &&
	    a.lifetime == 7200 && a.epoch == 42 && a.protocol == 17 &&
	    a.internal_port == 5000 && a.external_port == 40000 && a.has_ip &&
	    a.external_ip == 0x0b040002);
	cr_assert_arr_eq(a.nonce, nonce, PCP_NONCE_LEN);
	/* with an option (code 1 THIRD_PARTY, 16 bytes) */
	memset(b + n, 0, 20);
	b[n] = 1;
	b[n + 3] = 16;
	cr_assert_eq(pcp_parse(b, n + 20, &a), 0);
	b[n + 3] = 17;	/* padded to 20: overruns */
	cr_assert_eq(pcp_parse(b, n + 20, &a), PCP_ERR_OPTION);
	/* lengths: not a multiple of 4, shorter than MAP, longer than 1100 */
	cr_assert_eq(pcp_parse(b, n + 2, &a), PCP_ERR_LENGTH);
	cr_assert_eq(pcp_parse(b, 56, &a), PCP_ERR_LENGTH);
	cr_assert_eq(pcp_parse(b, PCP_MSG_MAX + 4, &a), PCP_ERR_LENGTH);
	/* an IPv6 external address is not taken for IPv4 */
	n = map_answer(b, sizeof(b));
	b[44] = 0x20;
	cr_assert_eq(pcp_parse(b, n, &a), 0);
	cr_assert(!a.has_ip);
	/* the R bit must be set */
	b[1] = PCP_OP_MAP;
	cr_assert_eq(pcp_parse(b, n, &a), PCP_ERR_REQUEST);
	b[1] = 0x80 | 2;	/* PEER: never asked */
	cr_assert_eq(pcp_parse(b, n, &a), PCP_ERR_OPCODE);
}

Test(pcp, pcp_announce_answer)
{
	struct pcp_answer	a;
	uint8_t			b[24];

	cr_assert_eq(pcp_announce_req(b, sizeof(b), 0), 24);
	b[1] = 0x80;
	b[3] = 4;	/* UNSUPP_OPCODE: still a PCP server */
	cr_assert_eq(pcp_parse(b, sizeof(b), &a), 0);
	cr_assert(a.opcode == PCP_OP_ANNOUNCE && a.result == 4);
	cr_assert_str_eq(pcp_result_str(2, 4), "UNSUPP_OPCODE");
	cr_assert_str_eq(pcp_result_str(2, 99), "UNKNOWN");
}

Test(pcp, public_addresses)
{
	cr_assert(pcp_addr_public(0x0b040002), "11.4.0.2");
	cr_assert(pcp_addr_public(0x08080808), "8.8.8.8");
	cr_assert(pcp_addr_public(0xc6336500), "198.51.101.0 is past TEST-NET-2");
	cr_assert(!pcp_addr_public(0), "0.0.0.0");
	cr_assert(!pcp_addr_public(0x0a000001), "10.0.0.1");
	cr_assert(!pcp_addr_public(0x64400001), "100.64.0.1");
	cr_assert(!pcp_addr_public(0x7f000001), "127.0.0.1");
	cr_assert(!pcp_addr_public(0xa9fe0101), "169.254.1.1");
	cr_assert(!pcp_addr_public(0xac1f0001), "172.31.0.1");
	cr_assert(!pcp_addr_public(0xc0a80101), "192.168.1.1");
	cr_assert(!pcp_addr_public(0xcb007101), "203.0.113.1");
	cr_assert(!pcp_addr_public(0xe0000001), "224.0.0.1");
	cr_assert(!pcp_addr_public(0xffffffff), "255.255.255.255");
}

Test(pcp, gateway)
{
	static const char route[] =
	    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask"
	    "\t\tMTU\tWindow\tIRTT\n"
	    "eth0\t0001010A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
	    "eth1\t00000000\t0102000A\t0003\t0\t0\t200\t00000000\t0\t0\t0\n"
	    "eth0\t00000000\t0100010A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";
	static const char none[] =
	    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
	    "eth0\t0001010A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
	uint32_t	gw = 0;

	cr_assert_eq(pcp_gateway_parse(route, strlen(route), &gw), 0);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	cr_assert_eq(gw, 0x0a010001, "the lowest metric: 10.1.0.1, got %08x",
	    gw);
#endif
	cr_assert_eq(pcp_gateway_parse(none, strlen(none), &gw), -1);
	cr_assert_eq(pcp_gateway_parse("", 0, &gw), -1);
	cr_assert_eq(pcp_gateway_parse(route, 40, &gw), -1, "header only");
}
