/* SPDX-License-Identifier: ISC */
/*
 * test_cluster_url.c: the --cluster URL: what is accepted, and that each
 * malformed form is refused with a reason (never echoing a password).
 */
#include <criterion/criterion.h>

#include <string.h>

#include "cluster_url.h"

static struct cluster_url u;
static char err[512];

Test(cluster_url, accepts)
{
	cr_assert_eq(cluster_url_parse("redis://127.0.0.1:6379", 0, &u, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(u.host, "127.0.0.1");
	cr_assert_eq(u.port, 6379);
	cr_assert_eq(u.db, 0);
	cr_assert_eq(cluster_url_parse("redis://p2p@redis.example:7000/3", 0,
	    &u, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(u.user, "p2p");
	cr_assert_str_eq(u.host, "redis.example");
	cr_assert_eq(u.port, 7000);
	cr_assert_eq(u.db, 3);
	cr_assert_eq(cluster_url_parse("redis://[::1]:6380", 0, &u, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(u.host, "::1");
	cr_assert_eq(cluster_url_parse("unix:///run/redis/redis.sock", 0, &u,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert(u.unix_socket);
	cr_assert_str_eq(u.path, "/run/redis/redis.sock");
	cr_assert_eq(cluster_url_parse("redis://app:s3cret@h:1/0", 1, &u, err,
	    sizeof(err)), 0, "from a config file: %s", err);
	cr_assert_str_eq(u.password, "s3cret");
	cr_assert_str_eq(u.user, "app");
}

static void
refused(const char *s, int allow, const char *want)
{
	cr_assert_eq(cluster_url_parse(s, allow, &u, err, sizeof(err)), -1,
	    "accepted %s", s);
	cr_assert(strstr(err, want) != NULL, "%s: '%s' lacks '%s'", s, err,
	    want);
	cr_assert(strstr(err, "s3cret") == NULL, "the password leaked: %s",
	    err);
}

Test(cluster_url, refuses)
{
	refused("", 0, "empty");
	refused("http://h:1", 0, "not redis://");
	refused("rediss://h:1", 0, "TLS");
	refused("redis://h", 0, "no port");
	refused("redis://h:0", 0, "port");
	refused("redis://h:65536", 0, "port");
	refused("redis://h:12x", 0, "port");
	refused("redis://:1", 0, "bad host");
	refused("redis://h:1/1024", 0, "database");
	refused("redis://h:1/x", 0, "database");
	refused("redis://app:s3cret@h:1", 0, "--cluster-password-file");
	refused("redis://app:@h:1", 1, "password");
	refused("redis://@h:1", 0, "empty user");
	refused("redis://[::1:6379", 0, "IPv6");
	refused("redis://h h:1", 0, "bad host");
	refused("unix://relative.sock", 0, "absolute");
}

Test(cluster_url, formats_without_password)
{
	char buf[300];

	cr_assert_eq(cluster_url_parse("redis://app:s3cret@[::1]:1/2", 1, &u,
	    err, sizeof(err)), 0);
	cr_assert_str_eq(cluster_url_fmt(&u, buf, sizeof(buf)),
	    "redis://app@[::1]:1/2");
}

static int
hp(const char *s, int v6)
{
	return cluster_hostport_ok(s, strlen(s), v6);
}

Test(cluster_url, node_addresses)
{
	cr_assert(hp("[::1]:3478", 1));
	cr_assert(hp("[2001:db8::7]:65535", 1));
	cr_assert(hp("[::1]:3478", 0));
	cr_assert(hp("127.0.0.1:3478", 0));
	cr_assert(hp("relay-1.example.net:443", 0));
	cr_assert(!hp("127.0.0.1:3478", 1), "IPv4 as an IPv6 address");
	cr_assert(!hp("relay.example:1", 1), "a name as an IPv6 address");
	cr_assert(!hp("[::1]", 1), "no port");
	cr_assert(!hp("[::1]:0", 1), "port 0");
	cr_assert(!hp("[::1]:65536", 1), "port too large");
	cr_assert(!hp("[::1]:12x", 1), "port not a number");
	cr_assert(!hp("[::1]:", 1), "empty port");
	cr_assert(!hp("[::g]:1", 1), "not an IPv6 address");
	cr_assert(!hp("[]:1", 1), "empty brackets");
	cr_assert(!hp("[::1:1", 1), "no closing bracket");
	cr_assert(!hp(":1", 0), "empty host");
	cr_assert(!hp("a b:1", 0), "a space in the name");
	cr_assert(!hp("a\nb:1", 0), "a newline in the name");
	cr_assert(!hp("", 0), "empty");
	cr_assert(!cluster_hostport_ok("[::1]:1\0junk", 12, 1),
	    "a NUL inside");
}
