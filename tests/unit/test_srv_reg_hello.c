/* SPDX-License-Identifier: ISC */
/*
 * test_srv_reg_hello.c: which REG_HELLOs the server answers during a flood
 * (srv_reg_hello.c; issue 15, finding 2): known sources and TCP always,
 * every other source within one shared budget, generations that forget.
 */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "srv_reg_hello.h"

static struct sockaddr_storage
v4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage
v6(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	return ss;
}

#define SA(x)	((struct sockaddr *)&(x))

/* Strangers from every address of 10.0.0.0/16 at once: how many answered. */
static unsigned
stranger_burst(struct srv_reg_hello *h, unsigned n, uint64_t now)
{
	struct sockaddr_storage ss;
	char ip[32];
	unsigned i, ok = 0;

	for (i = 0; i < n; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", 100 + i / 65536,
		    (i / 256) % 256, i % 256);
		ss = v4(ip, (uint16_t)(1024 + i % 60000));
		ok += (unsigned)srv_reg_hello_answer(h, SA(ss), 0, now);
	}
	return ok;
}

Test(reg_hello, strangers_share_a_budget_known_are_answered)
{
	struct srv_reg_hello h;
	struct sockaddr_storage real = v4("192.0.2.7", 4000);
	struct sockaddr_storage other_port = v4("192.0.2.7", 5000);
	struct sockaddr_storage fresh = v4("198.51.100.9", 4000);
	uint64_t now = 1000000;
	unsigned ok, i;

	cr_assert_eq(srv_reg_hello_init(&h, now), 0);
	/* Alone, a stranger is answered. */
	cr_assert_eq(srv_reg_hello_answer(&h, SA(fresh), 0, now), 1);
	srv_reg_hello_known(&h, SA(real));
	/* A flood of 20,000 strangers in one second: the budget, no more. */
	ok = stranger_burst(&h, 20000, now);
	cr_assert(ok <= SRV_HELLO_STRANGER_PER_S, "%u answered", ok);
	cr_assert(ok >= SRV_HELLO_STRANGER_PER_S - 2, "%u answered", ok);
	cr_assert_eq(h.held, 20000 - ok);
	/* ... while the known IP (any port) and TCP are answered every time. */
	for (i = 0; i < 1000; i++) {
		cr_assert_eq(srv_reg_hello_answer(&h, SA(real), 0, now), 1);
		cr_assert_eq(srv_reg_hello_answer(&h, SA(other_port), 0, now),
		    1);
		cr_assert_eq(srv_reg_hello_answer(&h, SA(fresh), 1, now), 1);
	}
	/* The stranger over UDP waits for the budget to refill. */
	cr_assert_eq(srv_reg_hello_answer(&h, SA(fresh), 0, now), 0);
	cr_assert_eq(srv_reg_hello_answer(&h, SA(fresh), 0, now + 1000), 1);
	/* A second later the flood gets a second's budget again, not more. */
	ok = stranger_burst(&h, 20000, now + 2000000);
	cr_assert(ok <= SRV_HELLO_STRANGER_PER_S, "%u answered", ok);
	srv_reg_hello_free(&h);
}

Test(reg_hello, ipv6_known_by_its_64)
{
	struct srv_reg_hello h;
	struct sockaddr_storage a = v6("2001:db8:1:2::10", 4000);
	struct sockaddr_storage same64 = v6("2001:db8:1:2:abcd::99", 7000);
	struct sockaddr_storage other64 = v6("2001:db8:1:3::10", 4000);
	struct sockaddr_storage mapped = v6("::ffff:192.0.2.7", 4000);
	struct sockaddr_storage plain = v4("192.0.2.7", 9);
	uint64_t now = 5000000;

	cr_assert_eq(srv_reg_hello_init(&h, now), 0);
	srv_reg_hello_known(&h, SA(a));
	srv_reg_hello_known(&h, SA(mapped));
	/* Use the strangers' budget up. */
	stranger_burst(&h, 3 * SRV_HELLO_STRANGER_PER_S, now);
	cr_assert_eq(srv_reg_hello_answer(&h, SA(same64), 0, now), 1);
	cr_assert_eq(srv_reg_hello_answer(&h, SA(plain), 0, now), 1);
	cr_assert_eq(srv_reg_hello_answer(&h, SA(other64), 0, now), 0);
	srv_reg_hello_free(&h);
}

Test(reg_hello, generations_forget)
{
	struct srv_reg_hello h;
	struct sockaddr_storage old = v4("192.0.2.1", 1);
	struct sockaddr_storage kept = v4("192.0.2.2", 1);
	uint64_t now = 1, age = (uint64_t)SRV_HELLO_AGE_S * 1000000;

	cr_assert_eq(srv_reg_hello_init(&h, now), 0);
	srv_reg_hello_known(&h, SA(old));
	srv_reg_hello_known(&h, SA(kept));
	cr_assert_eq(srv_reg_hello_due(&h, now + age - 1), 0);
	cr_assert_eq(srv_reg_hello_due(&h, now + age), 1);
	/* One turn: both still known (the previous generation). */
	srv_reg_hello_turn(&h, now + age);
	srv_reg_hello_known(&h, SA(kept));	/* still registered there */
	stranger_burst(&h, 3 * SRV_HELLO_STRANGER_PER_S, now + age);
	cr_assert_eq(srv_reg_hello_answer(&h, SA(old), 0, now + age), 1);
	/* Two turns: only what was marked again. */
	srv_reg_hello_turn(&h, now + 2 * age);
	stranger_burst(&h, 3 * SRV_HELLO_STRANGER_PER_S, now + 2 * age);
	cr_assert_eq(srv_reg_hello_answer(&h, SA(kept), 0, now + 2 * age), 1);
	cr_assert_eq(srv_reg_hello_answer(&h, SA(old), 0, now + 2 * age), 0);
	srv_reg_hello_free(&h);
}
