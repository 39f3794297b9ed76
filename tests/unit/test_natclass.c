/* SPDX-License-Identifier: ISC */
/*
 * test_natclass.c: the RFC 5780 classifier against simulated NATs.
 *
 * A tiny fake network: one host behind a NAT whose mapping and filtering
 * are chosen per test, and an RFC 5780 server with two IPs and two ports
 * (or one address, answering CHANGE-REQUEST with 420, like p2p-server
 * without --alt-listen). Requests and answers cross the NAT's rules, a
 * loss pattern can eat packets, and time only moves when the classifier
 * waits, so every run is exact and repeatable.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <criterion/criterion.h>

#include "natclass.h"
#include "stun.h"

enum beh { B_NONE, B_EI, B_AD, B_APD };

#define MAPS_MAX	16

struct fake_map {
	struct sockaddr_in	dst;	/* the destination that created it */
	uint16_t		ext;	/* external port, host order */
};

struct fake {
	enum beh		mapping;	/* B_NONE: no NAT at all */
	enum beh		filtering;
	int			blocked;	/* drop every packet */
	int			alt;		/* server has --alt-listen */
	int			ignore_change;	/* server answers from primary */
	unsigned		lose_mask;	/* drop packet n if bit n set */
	unsigned		npkts;
	struct fake_map		maps[MAPS_MAX];
	size_t			nmaps;
	/* what the host sent through the NAT: (dst, ext port) */
	struct fake_map		sent[64];
	size_t			nsent;
	uint16_t		next_port;
	uint32_t		rnd;
	unsigned		requests;
	/* answers to change-IP requests arrive after the next answer */
	int			late_change_ip;
	uint8_t			held[512];
	size_t			nheld;
	struct sockaddr_in	held_from;
};

static struct sockaddr_in host, nat_ip, srv[4];

static struct sockaddr_in
sin4(const char *ip, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET, ip, &s.sin_addr), 1);
	return s;
}

static void
setup(void)
{
	host = sin4("10.0.0.2", 5000);
	nat_ip = sin4("203.0.113.7", 0);
	/* index bit 0: alternate port, bit 1: alternate IP */
	srv[0] = sin4("198.51.100.1", 3478);
	srv[1] = sin4("198.51.100.1", 3479);
	srv[2] = sin4("198.51.100.2", 3478);
	srv[3] = sin4("198.51.100.2", 3479);
}

static void
fake_rand(void *arg, uint8_t *buf, size_t len)
{
	struct fake *f = arg;
	size_t i;

	for (i = 0; i < len; i++) {
		f->rnd = f->rnd * 1103515245U + 12345U;
		buf[i] = (uint8_t)(f->rnd >> 16);
	}
}

static int
sin_eq(const struct sockaddr_in *a, const struct sockaddr_in *b, int port)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr &&
	    (!port || a->sin_port == b->sin_port);
}

/* The external port for a packet to dst, made on first use. */
static uint16_t
fake_map(struct fake *f, const struct sockaddr_in *dst)
{
	size_t i;

	for (i = 0; i < f->nmaps; i++) {
		if (f->mapping == B_EI ||
		    (f->mapping == B_AD && sin_eq(&f->maps[i].dst, dst, 0)) ||
		    (f->mapping == B_APD && sin_eq(&f->maps[i].dst, dst, 1)))
			return f->maps[i].ext;
	}
	cr_assert_lt(f->nmaps, MAPS_MAX);
	f->maps[f->nmaps].dst = *dst;
	f->maps[f->nmaps].ext = f->next_port++;
	return f->maps[f->nmaps++].ext;
}

/* Does the NAT let an answer from src to external port ext in? */
static int
fake_filter_ok(struct fake *f, const struct sockaddr_in *src, uint16_t ext)
{
	size_t i;

	for (i = 0; i < f->nsent; i++) {
		if (f->sent[i].ext != ext)
			continue;
		if (f->filtering == B_EI ||
		    (f->filtering == B_AD && sin_eq(&f->sent[i].dst, src, 0)) ||
		    (f->filtering == B_APD && sin_eq(&f->sent[i].dst, src, 1)))
			return 1;
	}
	return 0;
}

static int
fake_lost(struct fake *f)
{
	unsigned n = f->npkts++;

	return n < 32 && (f->lose_mask & (1U << n));
}

/* One request from the host through the NAT to the server and back. */
static void
fake_deliver(struct fake *f, struct natclass *nc,
    const struct natclass_out *o, uint64_t now)
{
	struct sockaddr_in dst, pub, *from;
	struct stun_reply_opts opts;
	struct stun_msg m;
	uint8_t out[512];
	size_t n;
	int i, j;

	cr_assert_eq(o->to.ss_family, AF_INET);
	memcpy(&dst, &o->to, sizeof(dst));
	f->requests++;
	if (f->blocked || fake_lost(f))
		return;
	/* outbound through the NAT */
	pub = host;
	if (f->mapping != B_NONE) {
		pub.sin_addr = nat_ip.sin_addr;
		pub.sin_port = htons(fake_map(f, &dst));
		cr_assert_lt(f->nsent, 64);
		f->sent[f->nsent].dst = dst;
		f->sent[f->nsent++].ext = ntohs(pub.sin_port);
	}
	/* the server: which of its addresses got it */
	for (i = 0; i < 4; i++)
		if (sin_eq(&srv[i], &dst, 1))
			break;
	cr_assert_lt(i, 4, "request to an address the server does not have");
	if (!f->alt && i != 0)
		return;
	cr_assert_eq(stun_parse(o->pkt, o->len, &m), 0);
	j = i;
	if (f->alt && !f->ignore_change && (m.has & STUN_HAS_CHANGE))
		j = i ^ ((m.change & STUN_CHANGE_IP) ? 2 : 0) ^
		    ((m.change & STUN_CHANGE_PORT) ? 1 : 0);
	opts.other = (struct sockaddr *)&srv[i ^ 3];
	opts.origin = (struct sockaddr *)&srv[j];
	n = stun_server_reply_opts(o->pkt, o->len, (struct sockaddr *)&pub,
	    f->alt ? &opts : NULL, out, sizeof(out));
	cr_assert_gt(n, 0);
	from = &srv[j];
	/* inbound through the NAT */
	if (fake_lost(f))
		return;
	if (f->mapping != B_NONE &&
	    !fake_filter_ok(f, from, ntohs(pub.sin_port)))
		return;
	if (f->late_change_ip && (m.has & STUN_HAS_CHANGE) &&
	    (m.change & STUN_CHANGE_IP) && f->nheld == 0) {
		memcpy(f->held, out, n);
		f->nheld = n;
		f->held_from = *from;
		return;
	}
	(void)natclass_input(nc, out, n, (struct sockaddr *)from, now);
	if (f->nheld > 0) {
		n = f->nheld;
		f->nheld = 0;
		(void)natclass_input(nc, f->held, n,
		    (struct sockaddr *)&f->held_from, now);
	}
}

/* A fake NAT of these behaviours behind a server with --alt-listen. */
static void
fake_init(struct fake *f, enum beh mapping, enum beh filtering)
{
	memset(f, 0, sizeof(*f));
	f->mapping = mapping;
	f->filtering = filtering;
	f->alt = 1;
}

/* Run a whole classification; returns the time it took. */
static uint64_t
run(struct fake *f, struct natclass *nc)
{
	struct sockaddr_storage local;
	struct natclass_out o;
	uint64_t now = 1000000, t0 = now, next;
	int guard = 0;

	memset(&local, 0, sizeof(local));
	memcpy(&local, &host, sizeof(host));
	f->next_port = 40000;
	natclass_start(nc, (struct sockaddr *)&srv[0], &local, 1, fake_rand,
	    f, now);
	cr_assert(natclass_running(nc));
	for (;;) {
		while (natclass_output(nc, now, &o))
			fake_deliver(f, nc, &o, now);
		if ((next = natclass_next_us(nc)) == 0)
			break;
		cr_assert_gt(next, now, "a timer in the past would spin");
		now = next;
		cr_assert_lt(++guard, 100);
	}
	cr_assert(natclass_done(nc));
	cr_assert_leq(now - t0, NATCLASS_RUN_MAX_US);
	return now - t0;
}

static void
expect(enum beh mapping, enum beh filtering, const char *type,
    const char *mw, const char *fw)
{
	struct fake f;
	struct natclass nc;

	fake_init(&f, mapping, filtering);
	(void)run(&f, &nc);
	cr_expect_str_eq(natclass_type(&nc), type, "detail: %s",
	    natclass_detail(&nc));
	cr_expect_str_eq(natclass_mapping(&nc), mw);
	cr_expect_str_eq(natclass_filtering(&nc), fw);
	cr_expect_not_null(natclass_other(&nc));
	cr_assert_not_null(natclass_mapped(&nc));
}

TestSuite(natclass, .init = setup);

Test(natclass, open_internet)
{
	struct fake f;
	struct natclass nc;
	struct sockaddr_in m;

	expect(B_NONE, B_NONE, "open", NATCLASS_EI, NATCLASS_EI);
	memset(&f, 0, sizeof(f));
	f.alt = 1;
	(void)run(&f, &nc);
	memcpy(&m, natclass_mapped(&nc), sizeof(m));
	cr_expect(sin_eq(&m, &host, 1));
	cr_expect(sin_eq((const struct sockaddr_in *)natclass_other(&nc),
	    &srv[3], 1));
}

Test(natclass, full_cone)
{
	expect(B_EI, B_EI, "full-cone", NATCLASS_EI, NATCLASS_EI);
}

Test(natclass, restricted)
{
	expect(B_EI, B_AD, "restricted", NATCLASS_EI, NATCLASS_AD);
}

Test(natclass, port_restricted)
{
	expect(B_EI, B_APD, "port-restricted", NATCLASS_EI, NATCLASS_APD);
}

Test(natclass, symmetric_address_dependent)
{
	expect(B_AD, B_APD, "symmetric", NATCLASS_AD, NATCLASS_APD);
}

Test(natclass, symmetric_address_and_port_dependent)
{
	expect(B_APD, B_APD, "symmetric", NATCLASS_APD, NATCLASS_APD);
	expect(B_APD, B_AD, "symmetric", NATCLASS_APD, NATCLASS_AD);
}

/* A NAT (mapped address not ours) with EIM and EIF is not "open". */
Test(natclass, full_cone_is_not_open)
{
	struct fake f;
	struct natclass nc;

	fake_init(&f, B_EI, B_EI);
	(void)run(&f, &nc);
	cr_expect_str_neq(natclass_type(&nc), "open");
	cr_expect(((const struct sockaddr_in *)natclass_mapped(&nc))->
	    sin_addr.s_addr == nat_ip.sin_addr.s_addr);
}

Test(natclass, blocked)
{
	struct fake f;
	struct natclass nc;
	uint64_t took;

	fake_init(&f, B_EI, B_APD);
	f.blocked = 1;
	took = run(&f, &nc);
	cr_expect_str_eq(natclass_type(&nc), "blocked");
	cr_expect_str_eq(natclass_mapping(&nc), NATCLASS_UNKNOWN);
	cr_expect_null(natclass_mapped(&nc));
	cr_expect_eq(f.requests, NATCLASS_TRIES);
	cr_expect_eq(took, NATCLASS_TRIES * NATCLASS_RTO_US);
	cr_expect(strstr(natclass_detail(&nc), "blocked") != NULL);
}

Test(natclass, server_without_alt_listen)
{
	struct fake f;
	struct natclass nc;

	memset(&f, 0, sizeof(f));
	f.mapping = B_EI;
	f.filtering = B_APD;
	f.alt = 0;
	(void)run(&f, &nc);
	cr_expect_str_eq(natclass_type(&nc), "unknown");
	cr_expect_str_eq(natclass_mapping(&nc), NATCLASS_UNKNOWN);
	cr_expect_str_eq(natclass_filtering(&nc), NATCLASS_UNKNOWN);
	cr_expect_null(natclass_other(&nc));
	cr_expect_not_null(natclass_mapped(&nc));
	cr_expect(strstr(natclass_detail(&nc), "--alt-listen") != NULL,
	    "detail: %s", natclass_detail(&nc));
	cr_expect_eq(f.requests, 1, "one Binding is enough to know");
}

/* Lost requests and answers are retransmitted; the result holds. */
Test(natclass, lost_packets)
{
	struct fake f;
	struct natclass nc;

	fake_init(&f, B_EI, B_AD);
	/* test I: request lost, then the answer lost; F-II times out
	 * (filtered); F-III: first request lost */
	f.lose_mask = 0x1 | 0x4;
	(void)run(&f, &nc);
	cr_expect_str_eq(natclass_type(&nc), "restricted", "detail: %s",
	    natclass_detail(&nc));
	cr_expect_gt(f.requests, 5);
}

/* Loss in both directions, many patterns: never a wrong cone type. */
Test(natclass, loss_patterns_never_lie)
{
	struct fake f;
	struct natclass nc;
	unsigned mask;
	const char *t;

	for (mask = 0; mask < 4096; mask += 7) {
		fake_init(&f, B_EI, B_APD);
		f.lose_mask = mask;
		(void)run(&f, &nc);
		t = natclass_type(&nc);
		/* loss can only make filtering look stricter or the
		 * result unknown/blocked, never looser */
		cr_expect(strcmp(t, "port-restricted") == 0 ||
		    strcmp(t, "unknown") == 0 || strcmp(t, "blocked") == 0,
		    "mask %#x: %s (%s)", mask, t, natclass_detail(&nc));
	}
}

/* A server that ignores CHANGE-REQUEST must not make us say full cone. */
Test(natclass, server_ignores_change_request)
{
	struct fake f;
	struct natclass nc;

	fake_init(&f, B_EI, B_APD);
	f.ignore_change = 1;
	(void)run(&f, &nc);
	cr_expect_str_eq(natclass_filtering(&nc), NATCLASS_UNKNOWN);
	cr_expect_str_eq(natclass_type(&nc), "unknown");
	cr_expect(strstr(natclass_detail(&nc), "came from") != NULL);
}

/* Stray and foreign datagrams are ignored. */
Test(natclass, ignores_junk)
{
	struct fake f;
	struct natclass nc;
	struct sockaddr_storage local;
	struct natclass_out o;
	uint8_t txid[STUN_TXID_LEN], pkt[128];
	size_t n;

	memset(&f, 0, sizeof(f));
	memset(&local, 0, sizeof(local));
	memcpy(&local, &host, sizeof(host));
	natclass_start(&nc, (struct sockaddr *)&srv[0], &local, 1, fake_rand,
	    &f, 10);
	cr_assert(natclass_output(&nc, 10, &o));
	cr_expect_eq(natclass_output(&nc, 10, &o), 0, "not due yet");
	cr_expect_eq(natclass_input(&nc, (const uint8_t *)"hello", 5,
	    (struct sockaddr *)&srv[0], 20), 0);
	memset(txid, 0xab, sizeof(txid));
	n = stun_build_binding_success(pkt, sizeof(pkt), txid,
	    (struct sockaddr *)&host, NULL);
	cr_assert_gt(n, 0);
	cr_expect_eq(natclass_input(&nc, pkt, n, (struct sockaddr *)&srv[0],
	    20), 0, "another transaction");
	/* our own request echoed back is not an answer */
	cr_expect_eq(natclass_input(&nc, o.pkt, o.len,
	    (struct sockaddr *)&srv[0], 20), 0);
	cr_expect(natclass_running(&nc));
	cr_expect_str_eq(natclass_type(&nc), "unknown");
}

/*
 * Both filtering tests go out together: a NAT that filters both answers
 * (port-restricted, symmetric) costs one timeout, not one per test; one
 * that lets only the other-port answer in sends F-II once more and waits.
 */
Test(natclass, filtering_tests_together)
{
	struct fake f;
	struct natclass nc;
	uint64_t t;

	fake_init(&f, B_EI, B_APD);
	t = run(&f, &nc);
	cr_expect_str_eq(natclass_type(&nc), "port-restricted");
	cr_expect_leq(t, NATCLASS_TRIES * NATCLASS_RTO_US, "took %llu us",
	    (unsigned long long)t);
	fake_init(&f, B_APD, B_APD);
	t = run(&f, &nc);
	cr_expect_str_eq(natclass_type(&nc), "symmetric");
	cr_expect_leq(t, NATCLASS_TRIES * NATCLASS_RTO_US);
	fake_init(&f, B_EI, B_AD);
	t = run(&f, &nc);
	cr_expect_str_eq(natclass_type(&nc), "restricted");
	cr_expect_leq(t, 2 * NATCLASS_RTO_US);
}

/* A full cone whose first F-II answer is lost is still a full cone. */
Test(natclass, full_cone_first_change_ip_answer_lost)
{
	struct fake f;
	struct natclass nc;

	fake_init(&f, B_EI, B_EI);
	f.lose_mask = 0x8;	/* packets: I req, I ans, F-II req, F-II ans */
	(void)run(&f, &nc);
	cr_expect_str_eq(natclass_type(&nc), "full-cone", "detail: %s",
	    natclass_detail(&nc));
}

/* F-III's answer first, F-II's right after it: still a full cone. */
Test(natclass, change_ip_answer_after_change_port_answer)
{
	struct fake f;
	struct natclass nc;

	fake_init(&f, B_EI, B_EI);
	f.late_change_ip = 1;
	(void)run(&f, &nc);
	cr_expect_str_eq(natclass_type(&nc), "full-cone", "detail: %s",
	    natclass_detail(&nc));
}
