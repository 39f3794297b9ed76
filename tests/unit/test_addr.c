/* SPDX-License-Identifier: ISC */
/* test_addr.c: address parsing, formatting, normalising, protobuf form. */
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "addr.h"

static char err[256];

static const char *
roundtrip(const char *in, uint16_t defport)
{
	static char out[ADDR_STRLEN];
	struct sockaddr_storage ss;
	socklen_t len;

	cr_assert_eq(addr_parse(in, &ss, &len, defport, err, sizeof(err)), 0,
	    "%s: %s", in, err);
	cr_assert_eq(len, addr_len((struct sockaddr *)&ss));
	return addr_fmt((struct sockaddr *)&ss, out, sizeof(out));
}

Test(addr, parse_and_format)
{
	cr_assert_str_eq(roundtrip("1.2.3.4:5", 0), "1.2.3.4:5");
	cr_assert_str_eq(roundtrip("[::1]:5", 0), "[::1]:5");
	cr_assert_str_eq(roundtrip("127.0.0.1", 3478), "127.0.0.1:3478");
	cr_assert_str_eq(roundtrip("[2001:db8::7]", 9), "[2001:db8::7]:9");
	cr_assert_str_eq(roundtrip("0.0.0.0:0", 1), "0.0.0.0:0");
	/* A name goes through the resolver: either loopback will do. */
	{
		const char *s = roundtrip("localhost:65535", 0);

		cr_assert(strcmp(s, "127.0.0.1:65535") == 0 ||
		    strcmp(s, "[::1]:65535") == 0, "localhost -> %s", s);
	}
}

Test(addr, mapped_is_normalised)
{
	cr_assert_str_eq(roundtrip("[::ffff:10.1.2.3]:80", 0), "10.1.2.3:80");
}

Test(addr, bad_strings)
{
	const char *bad[] = { "", ":5", "1.2.3.4:", "1.2.3.4:65536",
	    "1.2.3.4:-1", "1.2.3.4:5x", "[::1", "[::1]x", "[::1]:99999",
	    "[nothost]:5", "[]:5", "999.1.1.1:5", NULL };
	struct sockaddr_storage ss;
	socklen_t len;
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		err[0] = '\0';
		cr_assert_eq(addr_parse(bad[i], &ss, &len, 1, err,
		    sizeof(err)), -1, "'%s' accepted", bad[i]);
		cr_assert(err[0] != '\0', "no message for '%s'", bad[i]);
	}
	cr_assert_eq(addr_parse(NULL, &ss, &len, 1, err, sizeof(err)), -1);
}

Test(addr, equal)
{
	struct sockaddr_storage a, b, c;
	socklen_t l;

	cr_assert_eq(addr_parse("10.0.0.1:5", &a, &l, 0, err, sizeof(err)), 0);
	cr_assert_eq(addr_parse("[::ffff:10.0.0.1]:5", &b, &l, 0, err,
	    sizeof(err)), 0);
	cr_assert_eq(addr_parse("10.0.0.1:6", &c, &l, 0, err, sizeof(err)), 0);
	cr_assert(addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
	cr_assert_not(addr_equal((struct sockaddr *)&a, (struct sockaddr *)&c));
	cr_assert_eq(addr_port((struct sockaddr *)&c), 6);
	cr_assert_eq(addr_parse("[::1]:6", &b, &l, 0, err, sizeof(err)), 0);
	cr_assert_not(addr_equal((struct sockaddr *)&c, (struct sockaddr *)&b));
}

Test(addr, protobuf_roundtrip)
{
	P2p__Srv__Addr pb = P2P__SRV__ADDR__INIT;
	struct sockaddr_storage a, b;
	uint8_t ipbuf[16];
	char s[ADDR_STRLEN];
	socklen_t l;

	cr_assert_eq(addr_parse("[::ffff:192.0.2.1]:7", &a, &l, 0, err,
	    sizeof(err)), 0);
	cr_assert_eq(addr_to_pb((struct sockaddr *)&a, &pb, ipbuf), 0);
	cr_assert_eq(pb.ip.len, 4);
	cr_assert_eq(pb.port, 7);
	cr_assert_eq(addr_from_pb(&pb, &b, &l), 0);
	cr_assert_str_eq(addr_fmt((struct sockaddr *)&b, s, sizeof(s)),
	    "192.0.2.1:7");

	cr_assert_eq(addr_parse("[2001:db8::1]:9", &a, &l, 0, err,
	    sizeof(err)), 0);
	cr_assert_eq(addr_to_pb((struct sockaddr *)&a, &pb, ipbuf), 0);
	cr_assert_eq(pb.ip.len, 16);
	cr_assert_eq(addr_from_pb(&pb, &b, &l), 0);
	cr_assert(addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
}

Test(addr, protobuf_untrusted)
{
	P2p__Srv__Addr pb = P2P__SRV__ADDR__INIT;
	struct sockaddr_storage ss;
	uint8_t ip[17] = { 0 };
	socklen_t l;

	cr_assert_eq(addr_from_pb(&pb, &ss, &l), -1, "empty ip");
	pb.ip.data = ip;
	pb.ip.len = 5;
	cr_assert_eq(addr_from_pb(&pb, &ss, &l), -1, "5-byte ip");
	pb.ip.len = 17;
	cr_assert_eq(addr_from_pb(&pb, &ss, &l), -1, "17-byte ip");
	pb.ip.len = 4;
	pb.port = 65536;
	cr_assert_eq(addr_from_pb(&pb, &ss, &l), -1, "port too big");
	cr_assert_eq(addr_from_pb(NULL, &ss, &l), -1);
}

Test(addr, fmt_unknown_family)
{
	struct sockaddr_storage ss;
	char s[ADDR_STRLEN];

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	cr_assert_str_eq(addr_fmt((struct sockaddr *)&ss, s, sizeof(s)), "?");
	cr_assert_eq(addr_len((struct sockaddr *)&ss), 0);
}
