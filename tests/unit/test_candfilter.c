/* SPDX-License-Identifier: ISC */
/*
 * test_candfilter.c: where an agent may send probes (issue 15, finding 4):
 * every kind of address, IPv4-mapped IPv6, own networks, the birthday
 * method's target.
 */
#include <arpa/inet.h>

#include <string.h>

#include <criterion/criterion.h>

#include "candfilter.h"

/* Parse a textual address into ip; returns its length (4 or 16). */
static size_t
ip(const char *s, uint8_t out[16])
{
	if (inet_pton(AF_INET, s, out) == 1)
		return 4;
	cr_assert_eq(inet_pton(AF_INET6, s, out), 1, "bad address %s", s);
	return 16;
}

Test(candfilter, kinds)
{
	static const struct {
		const char	*a;
		int		 kind;
	} t[] = {
		{ "8.8.8.8", CAND_PUBLIC }, { "203.0.113.9", CAND_PUBLIC },
		{ "10.1.2.3", CAND_PRIVATE }, { "172.16.0.1", CAND_PRIVATE },
		{ "172.31.255.1", CAND_PRIVATE }, { "172.32.0.1", CAND_PUBLIC },
		{ "192.168.1.1", CAND_PRIVATE }, { "100.64.0.1", CAND_PRIVATE },
		{ "100.128.0.1", CAND_PUBLIC }, { "127.0.0.1", CAND_LOOPBACK },
		{ "127.9.9.9", CAND_LOOPBACK }, { "169.254.1.1", CAND_LINKLOCAL },
		{ "224.0.0.1", CAND_MULTICAST }, { "239.255.255.250",
		CAND_MULTICAST }, { "0.0.0.0", CAND_UNSPECIFIED },
		{ "0.1.2.3", CAND_UNSPECIFIED }, { "255.255.255.255",
		CAND_BROADCAST }, { "240.0.0.1", CAND_RESERVED },
		{ "2001:db8::1", CAND_PUBLIC }, { "fd00::1", CAND_PRIVATE },
		{ "fc00::1", CAND_PRIVATE }, { "::1", CAND_LOOPBACK },
		{ "fe80::1", CAND_LINKLOCAL }, { "febf::1", CAND_LINKLOCAL },
		{ "ff02::1", CAND_MULTICAST }, { "::", CAND_UNSPECIFIED },
		/* IPv4-mapped: judged as the IPv4 address (coturn's CVEs) */
		{ "::ffff:127.0.0.1", CAND_LOOPBACK },
		{ "::ffff:10.0.0.1", CAND_PRIVATE },
		{ "::ffff:8.8.4.4", CAND_PUBLIC },
	};
	uint8_t b[16];
	size_t i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = ip(t[i].a, b);
		cr_assert_eq(cand_classify(b, n), t[i].kind, "%s: %s", t[i].a,
		    cand_kind_name(cand_classify(b, n)));
		cr_assert_eq(cand_host_ok(b, n), t[i].kind == CAND_PUBLIC ||
		    t[i].kind == CAND_PRIVATE, "%s", t[i].a);
	}
	cr_assert_eq(cand_classify(b, 5), -1);
	cr_assert_eq(cand_host_ok(b, 0), 0);
}

Test(candfilter, own_networks_only_as_host_candidates)
{
	struct cand_net own[2];
	uint8_t b[16];
	size_t n;

	memset(own, 0, sizeof(own));
	own[0].iplen = ip("192.168.1.20", own[0].ip);
	own[0].prefix = 24;
	own[1].iplen = ip("fd00:1:2:3::5", own[1].ip);
	own[1].prefix = 64;
	n = ip("192.168.1.77", b);
	cr_assert(cand_in_nets(b, n, own, 2));
	cr_assert_eq(cand_probe_ok(b, n, own, 2, 0), 0,
	    "our own LAN, not the peer's host candidate");
	cr_assert_eq(cand_probe_ok(b, n, own, 2, 1), 1,
	    "the peer's host candidate on our LAN");
	n = ip("192.168.2.77", b);
	cr_assert(!cand_in_nets(b, n, own, 2));
	cr_assert_eq(cand_probe_ok(b, n, own, 2, 0), 1);
	n = ip("::ffff:192.168.1.5", b);
	cr_assert(cand_in_nets(b, n, own, 2), "mapped form of our LAN");
	n = ip("fd00:1:2:3:ffff::1", b);
	cr_assert(cand_in_nets(b, n, own, 2));
	n = ip("fd00:1:2:4::1", b);
	cr_assert(!cand_in_nets(b, n, own, 2));
	/* Never, host candidate or not. */
	n = ip("127.0.0.1", b);
	cr_assert_eq(cand_probe_ok(b, n, own, 2, 1), 0);
	n = ip("224.0.0.251", b);
	cr_assert_eq(cand_probe_ok(b, n, own, 2, 1), 0);
	n = ip("fe80::2", b);
	cr_assert_eq(cand_probe_ok(b, n, own, 2, 1), 0);
	/* Odd prefixes. */
	own[0].prefix = 20;
	n = ip("192.168.15.1", b);
	cr_assert(cand_in_nets(b, n, own, 1));
	n = ip("192.168.16.1", b);
	cr_assert(!cand_in_nets(b, n, own, 1));
	own[0].prefix = 33;
	cr_assert(!cand_in_nets(b, n, own, 1), "a prefix longer than the address");
}

Test(candfilter, spray_only_to_the_validated_reflexive_ip)
{
	struct cand_net own;
	uint8_t srflx[16], b[16];
	size_t sl, n;

	memset(&own, 0, sizeof(own));
	own.iplen = ip("10.0.0.2", own.ip);
	own.prefix = 8;
	sl = ip("203.0.113.5", srflx);
	n = ip("203.0.113.5", b);
	cr_assert_eq(cand_spray_ok(b, n, srflx, sl, &own, 1), 1);
	n = ip("::ffff:203.0.113.5", b);
	cr_assert_eq(cand_spray_ok(b, n, srflx, sl, &own, 1), 1);
	n = ip("203.0.113.6", b);
	cr_assert_eq(cand_spray_ok(b, n, srflx, sl, &own, 1), 0,
	    "a third host (finding 4's victim)");
	/* A reflexive address that is our own network or loopback: none. */
	sl = ip("10.9.9.9", srflx);
	n = ip("10.9.9.9", b);
	cr_assert_eq(cand_spray_ok(b, n, srflx, sl, &own, 1), 0);
	sl = ip("127.0.0.1", srflx);
	n = ip("127.0.0.1", b);
	cr_assert_eq(cand_spray_ok(b, n, srflx, sl, &own, 1), 0);
}

/* The agent's rule for every check it sends (route.c, guard_send.c). */
Test(candfilter, checks_by_what_the_agent_knows)
{
	struct cand_net own[2];
	struct cand_ctx c;
	uint8_t mine[16], theirs[16], b[16];
	size_t n;

	memset(own, 0, sizeof(own));
	own[0].iplen = ip("192.168.1.20", own[0].ip);
	own[0].prefix = 24;
	own[1].iplen = ip("127.0.0.1", own[1].ip);
	own[1].prefix = 8;
	memset(&c, 0, sizeof(c));
	c.own = own;
	c.nown = 2;
	c.mine = mine;
	c.minelen = ip("198.51.100.1", mine);
	c.theirs = theirs;
	c.theirslen = ip("203.0.113.9", theirs);

	/* A peer elsewhere whose LAN has our private range (or claims it). */
	cr_assert_eq(cand_same_lan(&c), 0);
	n = ip("192.168.1.7", b);
	cr_assert_eq(cand_check_ok(&c, b, n, 1), 0,
	    "our own LAN as the host candidate of a peer elsewhere");
	cr_assert_eq(cand_check_ok(&c, b, n, 0), 0);
	n = ip("10.1.2.3", b);
	cr_assert_eq(cand_check_ok(&c, b, n, 1), 1,
	    "a private address that is not one of our networks");
	n = ip("203.0.113.9", b);
	cr_assert_eq(cand_check_ok(&c, b, n, 0), 1, "its reflexive address");
	/* Never, whatever the peer is. */
	static const char *never[] = { "127.0.0.1", "::1", "169.254.3.3",
	    "fe80::1", "224.0.0.251", "ff02::1", "0.0.0.0", "::",
	    "255.255.255.255", "240.0.0.1", "::ffff:127.0.0.1",
	    "::ffff:169.254.1.1" };
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		n = ip(never[i], b);
		cr_assert_eq(cand_check_ok(&c, b, n, 1), 0, "%s", never[i]);
	}

	/* Behind our NAT: the server sees it at our public IP. */
	c.theirslen = ip("198.51.100.1", theirs);
	cr_assert_eq(cand_same_lan(&c), 1);
	n = ip("192.168.1.7", b);
	cr_assert_eq(cand_check_ok(&c, b, n, 1), 1, "same-LAN host candidate");
	cr_assert_eq(cand_check_ok(&c, b, n, 0), 0,
	    "our LAN, but not an address the peer announced");
	n = ip("::ffff:192.168.1.7", b);
	cr_assert_eq(cand_check_ok(&c, b, n, 1), 1);

	/* No NAT between us: the server sees it inside our network. */
	c.theirslen = ip("192.168.1.30", theirs);
	cr_assert_eq(cand_same_lan(&c), 1);
	n = ip("192.168.1.30", b);
	cr_assert_eq(cand_check_ok(&c, b, n, 1), 1);
	c.theirslen = 0;
	cr_assert_eq(cand_same_lan(&c), 0, "the peer's address unknown");
	cr_assert_eq(cand_check_ok(&c, b, n, 1), 0);

	/* The server on this host saw both of us on loopback: the tests'
	 * case, and two agents of one machine. */
	c.minelen = ip("127.0.0.1", mine);
	c.theirslen = ip("127.0.0.1", theirs);
	n = ip("127.0.0.1", b);
	cr_assert_eq(cand_check_ok(&c, b, n, 0), 1);
	n = ip("127.0.0.2", b);
	cr_assert_eq(cand_check_ok(&c, b, n, 1), 0,
	    "another loopback address than the one the server saw");
	/* ... but only when the server saw us there too. */
	c.minelen = ip("198.51.100.1", mine);
	n = ip("127.0.0.1", b);
	cr_assert_eq(cand_check_ok(&c, b, n, 0), 0);
	c.minelen = 0;
	cr_assert_eq(cand_check_ok(&c, b, n, 0), 0, "our address unknown");
}
