/* SPDX-License-Identifier: ISC */
/*
 * test_cluster_ev.c: the cluster's change events as Redis delivers them:
 * a registration decodes to the peer a node would use, and malformed or
 * hostile events are refused (they come from outside the node).
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cluster_ev.h"

static struct cluster_ev ev;
static char err[256];

static int
parse(const char *s)
{
	return cluster_ev_parse(s, strlen(s), &ev, err, sizeof(err));
}

Test(cluster_ev, registration)
{
	char msg[600], key[65], nat[32];
	uint8_t k[32];
	struct state_peer p;
	struct sockaddr_in *sin = (struct sockaddr_in *)&p.public_addr;

	memset(k, 0xab, sizeof(k));
	cluster_ev_hex(k, 32, key);
	snprintf(msg, sizeof(msg), "7\nR\nalice\n3\n50331649\n%s\n100\n200\n1\n"
	    "0\n198.51.100.4:5000\n192.168.1.2:5000,[2001:db8::1]:6000\n"
	    "lobby,raid\nport-restricted", key);
	cr_assert_eq(parse(msg), 0, "%s", err);
	cr_assert_eq(ev.seq, 7);
	cr_assert_str_eq(ev.type, "R");
	cr_assert_eq(cluster_ev_peer(&ev, &p, nat, sizeof(nat), err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(p.peer_id, "alice");
	cr_assert_eq(p.node, 3);
	cr_assert_eq(p.reg_id, 50331649);
	cr_assert(memcmp(p.identity_key, k, 32) == 0);
	cr_assert_eq(p.issued_at, 100);
	cr_assert_eq(p.expires_at, 200);
	cr_assert_eq(p.aesni, 1);
	cr_assert_eq(p.transport, STATE_UDP);
	cr_assert_eq(sin->sin_family, AF_INET);
	cr_assert_eq(ntohs(sin->sin_port), 5000);
	cr_assert_eq(p.nlocal, 2);
	cr_assert_eq(p.local_addrs[1].ss_family, AF_INET6);
	cr_assert_eq(p.ngroups, 2);
	cr_assert_str_eq(p.groups[1], "raid");
	cr_assert_str_eq(nat, "port-restricted");
}

Test(cluster_ev, refuses)
{
	static const char *const bad[] = {
		"", "R", "0\nU\na\n1", "x\nU\na\n1", "5\nQ\na", "5\nU\na",
		"5\nU\na\n1\n2", "5\nU\na\x01\n1",
		"99999999999999999999999\nU\na\n1",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse(bad[i]), -1, "accepted '%s'", bad[i]);
	cr_assert_eq(cluster_ev_parse("5\nU\na\0\n1", 8, &ev, err,
	    sizeof(err)), -1, "a NUL byte");
}

Test(cluster_ev, bad_registrations)
{
	static const char *const bad[] = {
		/* node out of range, reg 0, short key, bad address, name */
		"1\nR\na\n256\n5\nab\n1\n2\n0\n0\n\n\n\nunknown",
		"1\nR\na\n1\n0\nab\n1\n2\n0\n0\n\n\n\nunknown",
		"1\nR\na\n1\n5\nab\n1\n2\n0\n0\n\n\n\nunknown",
		"1\nR\nb c\n1\n5\nab\n1\n2\n0\n0\n\n\n\nunknown",
	};
	struct state_peer p;
	char nat[32];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i]), 0, "%s", err);
		cr_assert_eq(cluster_ev_peer(&ev, &p, nat, sizeof(nat), err,
		    sizeof(err)), -1, "decoded '%s'", bad[i]);
	}
}

Test(cluster_ev, addresses_are_numeric_only)
{
	struct sockaddr_storage ss;

	cr_assert_eq(cluster_ev_addr("127.0.0.1:1", 11, &ss), 0);
	cr_assert_eq(cluster_ev_addr("[::1]:2", 7, &ss), 0);
	cr_assert_eq(cluster_ev_addr("localhost:1", 11, &ss), -1);
	cr_assert_eq(cluster_ev_addr("1.2.3.4:70000", 13, &ss), -1);
	cr_assert_eq(cluster_ev_addr("1.2.3.4", 7, &ss), -1);
	cr_assert_eq(cluster_ev_addr("[::1:2", 6, &ss), -1);
}

Test(cluster_ev, nat_reports)
{
	struct state_peer p;
	const struct sockaddr_in6 *o6 = (const void *)&p.other;

	cr_assert_eq(parse("9\nN\nalice\n50331649\nsymmetric"), 0, "%s", err);
	cr_assert_eq(cluster_ev_nat(&ev, &p), 0);
	cr_assert_str_eq(p.peer_id, "alice");
	cr_assert_eq(p.reg_id, 50331649);
	cr_assert_str_eq(state_nat_type(p.nat), "symmetric");
	cr_assert_eq(p.portmap.sin_port, 0, "no mapping given, none kept");
	cr_assert_eq(p.other.ss_family, 0);
	cr_assert_eq(p.rtt_us, 0);
	cr_assert_eq(parse("9\nN\nalice\n7\nport-restricted\n"
	    "198.51.100.4:41000"), 0, "%s", err);
	cr_assert_eq(cluster_ev_nat(&ev, &p), 0);
	cr_assert_str_eq(state_nat_type(p.nat), "port-restricted");
	cr_assert_eq(p.portmap.sin_family, AF_INET);
	cr_assert_eq(ntohs(p.portmap.sin_port), 41000);
	/* The other family's address and the round trip. */
	cr_assert_eq(parse("9\nN\nalice\n7\nsymmetric\n\n"
	    "[2001:db8::7]:4000\n30000"), 0, "%s", err);
	cr_assert_eq(cluster_ev_nat(&ev, &p), 0);
	cr_assert_eq(p.portmap.sin_port, 0);
	cr_assert_eq(p.other.ss_family, AF_INET6);
	cr_assert_eq(ntohs(o6->sin6_port), 4000);
	cr_assert_eq(p.rtt_us, 30000);
	/* A round trip beyond the cap is the cap. */
	cr_assert_eq(parse("9\nN\nalice\n7\nsymmetric\n\n\n"
	    "4000000000"), 0, "%s", err);
	cr_assert_eq(cluster_ev_nat(&ev, &p), 0);
	cr_assert_eq(p.rtt_us, STATE_RTT_MAX_US);
	/* A word nobody sends is "unknown", never copied through. */
	cr_assert_eq(parse("9\nN\nalice\n7\nsymmetric;rm"), 0, "%s", err);
	cr_assert_eq(cluster_ev_nat(&ev, &p), 0);
	cr_assert_eq(p.nat, 0);
}

Test(cluster_ev, bad_nat_reports)
{
	static const char *const bad[] = {
		"9\nN\nalice\n0\nopen",			/* reg 0 */
		"9\nN\nbad name\n7\nopen",
		"9\nN\nalice\n7\nopen\n[2001:db8::1]:5000",	/* not IPv4 */
		"9\nN\nalice\n7\nopen\n198.51.100.4:0",	/* no port */
		"9\nN\nalice\n7\nopen\nexample.com:5000",
		"9\nN\nalice\n7\nopen\n\nexample.com:5000",	/* other */
		"9\nN\nalice\n7\nopen\n\n[2001:db8::1]:0",
		"9\nN\nalice\n7\nopen\n\n\n-5",		/* round trip */
		"9\nN\nalice\n7\nopen\n\n\n99999999999",
		"9\nU\nalice\n7",			/* not N */
	};
	struct state_peer p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i]), 0, "%s: %s", bad[i], err);
		cr_assert_eq(cluster_ev_nat(&ev, &p), -1,
		    "decoded '%s'", bad[i]);
	}
	cr_assert_eq(parse("9\nN\nalice\n7\nopen\n1.2.3.4:5\n\n1\nx"), -1,
	    "a seventh field");
}

Test(cluster_ev, registration_with_a_port_mapping)
{
	char msg[600], key[65], nat[32];
	uint8_t k[32];
	struct state_peer p;

	memset(k, 0xcd, sizeof(k));
	cluster_ev_hex(k, 32, key);
	snprintf(msg, sizeof(msg), "7\nR\nbob\n2\n33554433\n%s\n100\n200\n0\n"
	    "0\n198.51.100.9:5000\n\n\nfull-cone\n198.51.100.9:6000", key);
	cr_assert_eq(parse(msg), 0, "%s", err);
	cr_assert_eq(cluster_ev_peer(&ev, &p, nat, sizeof(nat), err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(state_nat_type(p.nat), "full-cone");
	cr_assert_eq(ntohs(p.portmap.sin_port), 6000);
	snprintf(msg, sizeof(msg), "7\nR\nbob\n2\n33554433\n%s\n100\n200\n0\n"
	    "0\n198.51.100.9:5000\n\n\nfull-cone\nnot-an-address", key);
	cr_assert_eq(parse(msg), 0, "%s", err);
	cr_assert_eq(cluster_ev_peer(&ev, &p, nat, sizeof(nat), err,
	    sizeof(err)), -1, "a bad port mapping decoded");
}

Test(cluster_ev, registration_with_its_nat_facts)
{
	char msg[600], key[65], nat[32];
	uint8_t k[32];
	struct state_peer p;

	memset(k, 0xef, sizeof(k));
	cluster_ev_hex(k, 32, key);
	snprintf(msg, sizeof(msg), "7\nR\nbob\n2\n33554433\n%s\n100\n200\n0\n"
	    "0\n198.51.100.9:5000\n\n\nsymmetric\n\n[2001:db8::9]:5001\n"
	    "42000", key);
	cr_assert_eq(parse(msg), 0, "%s", err);
	cr_assert_eq(cluster_ev_peer(&ev, &p, nat, sizeof(nat), err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(state_nat_type(p.nat), "symmetric");
	cr_assert_eq(p.portmap.sin_port, 0);
	cr_assert_eq(p.other.ss_family, AF_INET6);
	cr_assert_eq(p.rtt_us, 42000);
	snprintf(msg, sizeof(msg), "7\nR\nbob\n2\n33554433\n%s\n100\n200\n0\n"
	    "0\n198.51.100.9:5000\n\n\nsymmetric\n\n\nfast", key);
	cr_assert_eq(parse(msg), 0, "%s", err);
	cr_assert_eq(cluster_ev_peer(&ev, &p, nat, sizeof(nat), err,
	    sizeof(err)), -1, "a bad round trip decoded");
	snprintf(msg, sizeof(msg), "7\nR\nbob\n2\n33554433\n%s\n100\n200\n0\n"
	    "0\n198.51.100.9:5000\n\n\nsymmetric\n\n\n1\nx", key);
	cr_assert_eq(parse(msg), -1, "a sixteenth field");
}
