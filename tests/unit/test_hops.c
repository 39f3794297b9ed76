/* SPDX-License-Identifier: ISC */
/*
 * test_hops.c: the low TTL (core/hops.c) against simulated paths: a list
 * of routers (their addresses) between the host and the server, with the
 * ones that send no ICMP, and the server's answer; time only moves when
 * the prober waits.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <criterion/criterion.h>

#include "hops.h"
#include "stun.h"

#define IP(a, b, c, d)	((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

struct net {
	uint32_t	 hop[HOPS_MAX];	/* router at hop i+1; 0: silent */
	unsigned	 nhops;		/* routers before the server */
	int		 server_silent;
	unsigned	 sent;
};

/* Run the prober to its end over the simulated path. */
static unsigned
run(struct net *n, struct hops *h)
{
	struct sockaddr_in srv, mapped;
	struct hops_out o;
	struct stun_msg m;
	uint8_t rnd[STUN_TXID_LEN], reply[128];
	uint64_t now = 1000;
	size_t len;
	int guard = 0;

	memset(rnd, 0x5a, sizeof(rnd));
	memset(&srv, 0, sizeof(srv));
	srv.sin_family = AF_INET;
	mapped = srv;
	hops_start(h, rnd, now);
	while (!hops_done(h) && guard++ < 100) {
		while (hops_output(h, now, &o)) {
			n->sent++;
			if (o.ttl <= n->nhops) {
				if (n->hop[o.ttl - 1] != 0)
					hops_on_exceeded(h, o.pkt, o.len,
					    n->hop[o.ttl - 1]);
				continue;
			}
			if (n->server_silent)
				continue;
			cr_assert_eq(stun_parse(o.pkt, o.len, &m), 0);
			len = stun_build_binding_success(reply, sizeof(reply),
			    m.txid, (struct sockaddr *)&mapped, NULL);
			cr_assert_gt(len, 0);
			hops_on_reply(h, reply, len);
		}
		now = hops_next_us(h);
		hops_tick(h, now);
	}
	cr_assert(hops_done(h), "the prober never ended");
	return hops_low_ttl(h);
}

Test(hops, behind_a_nat_and_an_isp_router)
{
	/* The lab's transit topology: NAT (LAN side answers), ISP, core. */
	struct net n = { { IP(10, 1, 0, 1), IP(11, 1, 0, 1),
	    IP(11, 0, 0, 254) }, 3, 0, 0 };
	struct hops h;

	cr_assert_eq(run(&n, &h), 2);
	cr_assert_eq(hops_low_router(&h), IP(11, 1, 0, 1));
}

Test(hops, open_host)
{
	struct net n = { { IP(11, 3, 0, 1), IP(11, 0, 0, 254) }, 2, 0, 0 };
	struct hops h;

	cr_assert_eq(run(&n, &h), 1);
}

Test(hops, carrier_grade_nat_and_home_nat)
{
	/* home NAT, the ISP's CGNAT network, then a public router */
	struct net n = { { IP(192, 168, 1, 1), IP(100, 64, 3, 1),
	    IP(172, 16, 0, 9), IP(198, 51, 100, 7) }, 4, 0, 0 };
	struct hops h;

	cr_assert_eq(run(&n, &h), 4);
}

Test(hops, nat_next_to_the_server)
{
	/* The adjacent topology: the server is the first hop past the NAT:
	 * no TTL opens our NAT and stops short of the Internet. */
	struct net n = { { IP(10, 1, 0, 1) }, 1, 0, 0 };
	struct hops h;

	cr_assert_eq(run(&n, &h), 0);
}

Test(hops, silent_routers_and_no_server)
{
	/* No ICMP at all: no low TTL, after HOPS_TRIES rounds. */
	struct net n = { { 0, 0, 0 }, 3, 1, 0 };
	struct hops h;

	cr_assert_eq(run(&n, &h), 0);
	cr_assert_eq(n.sent, HOPS_TRIES * HOPS_MAX);
}

Test(hops, silent_nat_public_isp)
{
	/* The NAT sends no time exceeded; the ISP router does. */
	struct net n = { { 0, IP(11, 1, 0, 1), IP(11, 0, 0, 254) }, 3, 0, 0 };
	struct hops h;

	cr_assert_eq(run(&n, &h), 2);
}

Test(hops, foreign_and_garbage_answers_ignored)
{
	struct hops h;
	struct hops_out o;
	uint8_t rnd[STUN_TXID_LEN], junk[40];

	memset(rnd, 1, sizeof(rnd));
	hops_start(&h, rnd, 0);
	cr_assert(hops_output(&h, 0, &o));
	/* another transaction id */
	o.pkt[9] ^= 0xff;
	hops_on_exceeded(&h, o.pkt, o.len, IP(11, 1, 0, 1));
	/* too short, and a reply that does not parse */
	hops_on_exceeded(&h, o.pkt, 10, IP(11, 1, 0, 1));
	memset(junk, 0xee, sizeof(junk));
	hops_on_reply(&h, junk, sizeof(junk));
	cr_assert_eq(h.ignored, 3);
	cr_assert_eq(h.answers, 0);
	cr_assert_eq(hops_low_ttl(&h), 0);
}

Test(hops, public_ranges)
{
	cr_assert(hops_public(IP(11, 1, 0, 1)));
	cr_assert(hops_public(IP(8, 8, 8, 8)));
	cr_assert(!hops_public(IP(10, 0, 0, 1)));
	cr_assert(!hops_public(IP(172, 31, 255, 1)));
	cr_assert(hops_public(IP(172, 32, 0, 1)));
	cr_assert(!hops_public(IP(192, 168, 0, 1)));
	cr_assert(!hops_public(IP(100, 127, 0, 1)));
	cr_assert(hops_public(IP(100, 128, 0, 1)));
	cr_assert(!hops_public(IP(169, 254, 1, 1)));
	cr_assert(!hops_public(0));
}

Test(hops, settles_without_waiting)
{
	/* Every hop up to the first public router answered at once: the
	 * result is final without waiting out the round (HOPS_WAIT_US), so
	 * punching right after a registration has it. With that router
	 * silent it waits. */
	uint32_t hop[2][2] = { { IP(10, 1, 0, 1), IP(11, 1, 0, 1) },
	    { IP(10, 1, 0, 1), 0 } };
	struct hops h;
	struct hops_out o;
	uint8_t rnd[STUN_TXID_LEN];
	int k;

	memset(rnd, 7, sizeof(rnd));
	for (k = 0; k < 2; k++) {
		hops_start(&h, rnd, 1000);
		while (hops_output(&h, 1000, &o))
			if (o.ttl <= 2 && hop[k][o.ttl - 1] != 0)
				hops_on_exceeded(&h, o.pkt, o.len,
				    hop[k][o.ttl - 1]);
		hops_tick(&h, 1001);
		cr_assert_eq(hops_done(&h), k == 0, "case %d: done %d", k,
		    hops_done(&h));
	}
	hops_start(&h, rnd, 1000);
	while (hops_output(&h, 1000, &o))
		if (o.ttl <= 2)
			hops_on_exceeded(&h, o.pkt, o.len, hop[0][o.ttl - 1]);
	hops_tick(&h, 1001);
	cr_assert_eq(hops_low_ttl(&h), 2);
}
