/* SPDX-License-Identifier: ISC */
/*
 * test_cc.c: the congestion controllers' arithmetic against numbers
 * worked out by hand: NewReno's cuts, CUBIC's K, W_cubic, its cut to 0.7,
 * fast convergence and the Reno-friendly estimate, and HyStart++'s rounds,
 * thresholds, conservative slow start and exits. Windows are in bytes,
 * with a 1000-byte packet so that packets are easy to read off.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "cc.h"

#define MS	1000ULL		/* us */
#define T0	1000000ULL

static double
dabs(double x)
{
	return x < 0 ? -x : x;
}

Test(cc, newreno)
{
	struct cc c;

	cc_init(&c, 1000, CC_NEWRENO);
	cr_expect_eq(c.algo, CC_NEWRENO);
	cr_expect_eq(c.cwnd, 10000);
	cc_on_sent(&c, 10000, 0);
	cr_expect(!cc_can_send(&c, 1000));
	cc_on_acked(&c, 1000, 0, 10, 20);
	cr_expect_eq(c.cwnd, 11000, "slow start adds what was acked");
	cc_on_congestion(&c, 20, 100);
	cr_expect_eq(c.cwnd, 5500);
	cc_on_congestion(&c, 50, 110);
	cr_expect_eq(c.cwnd, 5500, "one cut per recovery period");
	cc_on_congestion(&c, 200, 300);
	cr_expect_eq(c.cwnd, 2750);
	cc_on_persistent_congestion(&c);
	cr_expect_eq(c.cwnd, 2000);
	cc_on_congestion(&c, 400, 500);
	cr_expect_eq(c.cwnd, 2000, "never below two packets");
}

Test(cc, pacing_rate)
{
	struct cc c;

	cc_init(&c, 1000, CC_NEWRENO);
	cr_expect_eq(cc_pacing_rate(&c, 0), 0, "no RTT: no rate");
	/* Slow start: 2 x 10000 bytes / 10 ms. */
	cr_expect_eq(cc_pacing_rate(&c, 10000), 2000000 + 1);
	cc_on_congestion(&c, 1, 2);
	/* Then 1.25 x 5000 bytes / 10 ms. */
	cr_expect_eq(cc_pacing_rate(&c, 10000), 625000 + 1);
	cc_init(&c, 1000, CC_CUBIC);
	cc_on_congestion(&c, 1, 2);
	/* CUBIC cuts to 7000: 1.25 x 7000 bytes / 10 ms. */
	cr_expect_eq(cc_pacing_rate(&c, 10000), 875000 + 1);
}

Test(cc, names)
{
	struct cc c;

	cr_expect_eq(cc_parse("newreno"), CC_NEWRENO);
	cr_expect_eq(cc_parse("cubic"), CC_CUBIC);
	cr_expect_eq(cc_parse("bbr"), -1);
	cr_expect_eq(cc_parse("CUBIC"), -1);
	cr_expect_str_eq(cc_name(CC_NEWRENO), "newreno");
	cr_expect_str_eq(cc_name(CC_CUBIC), "cubic");
	cc_init(&c, 1000, 0);
	cr_expect_eq(c.algo, CC_DEFAULT, "0 is the default");
}

Test(cc, cbrt)
{
	cr_expect_eq(cc_cbrt(0), 0);
	cr_expect(dabs(cc_cbrt(27) - 3) < 1e-12);
	cr_expect(dabs(cc_cbrt(0.001) - 0.1) < 1e-12);
	cr_expect(dabs(cc_cbrt(-8) + 2) < 1e-12);
	cr_expect(dabs(cc_cbrt(8e18) - 2e6) < 1e-6);
	/* K for W_max - cwnd = 30 packets: cbrt(30 / 0.4) = cbrt(75). */
	cr_expect(dabs(cc_cbrt(75) - 4.2171633265) < 1e-9);
}

/* A window of 100 packets cut by a loss, then acks in avoidance. */
Test(cc, cubic_window)
{
	struct cc c;

	cc_init(&c, 1000, CC_CUBIC);
	c.cwnd = 100000;
	cc_on_congestion(&c, T0, T0 + 10 * MS);
	cr_expect_eq(c.cwnd, 70000, "cut to 0.7");
	cr_expect_eq(c.ssthresh, 70000);
	cr_expect_eq(c.w_max, 100000, "W_max: the window before the cut");
	cr_expect_eq(c.cwnd_prior, 100000);
	cc_on_rtt(&c, 100 * MS, 100 * MS);

	/*
	 * The first ack of a packet sent after the cut starts the epoch:
	 * K = cbrt((100 - 70) / 0.4) = 4.2171633 s. W_est = 70000 +
	 * 9/17 x 1000 x 1000 / 70000 = 70007.56; W_cubic(0) = 70000 is
	 * below it, so the window is the Reno-friendly 70007.
	 */
	c.bytes_in_flight = 200000;	/* the window is the limit */
	cc_on_acked(&c, 1000, 100, T0 + 20 * MS, T0 + 100 * MS);
	cr_expect(dabs(c.k - 4.2171633265) < 1e-9, "K %f", c.k);
	cr_expect_eq(c.w_est, 70007);
	cr_expect_eq(c.cwnd, 70007, "Reno-friendly region");

	/* W_cubic(t) = 0.4 x (t - K)^3 x 1000 + 100000. */
	cr_expect(llabs((long long)cc_cubic_window(&c, 0) - 70000) <= 1);
	cr_expect(llabs((long long)cc_cubic_window(&c, c.k) - 100000) <= 1,
	    "the plateau at K");
	/* 0.4 x (1 - 4.2171633)^3 x 1000 + 100000 = 86680.76 */
	cr_expect_eq(cc_cubic_window(&c, 1), 86680);
	/* 0.4 x 2^3 x 1000 past the plateau */
	cr_expect(llabs((long long)cc_cubic_window(&c, c.k + 2) - 103200) <= 1);

	/*
	 * 5 s later: W_cubic(5) = 100191.9 is above W_est (70015), so
	 * the cubic region: target W_cubic(5 + 0.1) = 100275.23, and the
	 * window grows by (100275 - 70007) x 1000 / 70007 = 432.36.
	 */
	cc_on_acked(&c, 1000, 101, T0 + 30 * MS, T0 + 100 * MS + 5000 * MS);
	cr_expect_eq(c.w_est, 70015);
	cr_expect_eq(c.cwnd, 70439, "cwnd %llu", (unsigned long long)c.cwnd);

	/*
	 * A loss below W_max: fast convergence keeps W_max =
	 * 70439 x 0.85 = 59873 and cuts to 70439 x 0.7 = 49307, K =
	 * cbrt((59.873 - 49.307) / 0.4) = 2.9781749 s.
	 */
	cc_on_congestion(&c, T0 + 5200 * MS, T0 + 5300 * MS);
	cr_expect_eq(c.w_max, 59873);
	cr_expect_eq(c.cwnd, 49307);
	cr_expect_eq(c.cwnd_prior, 70439);
	c.bytes_in_flight = 200000;
	cc_on_acked(&c, 1000, 200, T0 + 5400 * MS, T0 + 5500 * MS);
	cr_expect(dabs(c.k - 2.9781749406) < 1e-9, "K %f", c.k);
}

Test(cc, cubic_reno_friendly)
{
	struct cc c;

	/*
	 * 10 packets cut to 7: K = cbrt(3 / 0.4) = 1.957 s, and W_cubic
	 * stays below Reno's estimate for a while: each 1000-byte ack
	 * adds 9/17 x 1000 x 1000 / cwnd to W_est, and cwnd follows it.
	 */
	cc_init(&c, 1000, CC_CUBIC);
	cc_on_congestion(&c, T0, T0 + 10 * MS);
	cr_expect_eq(c.cwnd, 7000);
	cc_on_rtt(&c, 20 * MS, 20 * MS);
	c.bytes_in_flight = 100000;
	/* 9e6 / (17 x 7000) = 75.63 */
	cc_on_acked(&c, 1000, 10, T0 + 20 * MS, T0 + 30 * MS);
	cr_expect_eq(c.cwnd, 7075);
	/* Once W_est passes the window before the cut, alpha is 1. */
	c.w_est = c.cwnd = 10000;
	c.w_est_rem = 0;
	c.bytes_in_flight = 100000;
	/* 17 x 1e6 / (17 x 10000) = 100; W_cubic(0.1 s) = 7437 is less. */
	cc_on_acked(&c, 1000, 11, T0 + 40 * MS, T0 + 130 * MS);
	cr_expect_eq(c.w_est, 10100);
	cr_expect_eq(c.cwnd, 10100);
}

Test(cc, cubic_not_limited)
{
	struct cc c;
	uint64_t w;

	/* An application-limited sender: neither window nor clock moves. */
	cc_init(&c, 1000, CC_CUBIC);
	c.cwnd = 100000;
	cc_on_congestion(&c, T0, T0 + 10 * MS);
	cc_on_rtt(&c, 100 * MS, 100 * MS);
	c.bytes_in_flight = 200000;
	cc_on_acked(&c, 1000, 100, T0 + 20 * MS, T0 + 100 * MS);
	w = c.cwnd;
	c.bytes_in_flight = 10000;
	cc_on_acked(&c, 1000, 101, T0 + 30 * MS, T0 + 10100 * MS);
	cr_expect_eq(c.cwnd, w);
	cr_expect_eq(c.epoch_start, T0 + 100 * MS + 10000 * MS,
	    "the idle 10 s do not count");
}

/* --- HyStart++ ---------------------------------------------------------- */

struct hs {
	struct cc	 c;
	uint64_t	 now;
	uint64_t	 next_pn;	/* next to send */
	uint64_t	 acked;		/* next to ack */
	uint64_t	 sent_at[65536];
};

static void
hs_send(struct hs *h)
{
	while (cc_can_send(&h->c, 1000) && h->next_pn < 65536) {
		h->sent_at[h->next_pn] = h->now;
		cc_on_sent(&h->c, 1000, h->next_pn++);
	}
}

/* Acks every packet in flight now, one ack each, every sample rtt. */
static void
hs_flight(struct hs *h, uint64_t rtt)
{
	uint64_t end;

	hs_send(h);
	end = h->next_pn;
	while (h->acked < end) {
		h->now += 100;
		cc_on_acked(&h->c, 1000, h->acked, h->sent_at[h->acked],
		    h->now);
		cc_on_rtt(&h->c, rtt, rtt);
		h->acked++;
		hs_send(h);
	}
}

static struct hs *
hs_new(int algo)
{
	struct hs *h = calloc(1, sizeof(*h));

	cr_assert_not_null(h);
	cc_init(&h->c, 1000, algo);
	h->now = T0;
	return h;
}

Test(hystart, steady_rtt_stays_in_slow_start)
{
	struct hs *h = hs_new(CC_NEWRENO);
	int i;

	for (i = 0; i < 6; i++)
		hs_flight(h, 40 * MS + (i % 2) * 3 * MS);	/* jitter */
	cr_expect_eq(h->c.hs_css_entries, 0);
	cr_expect_eq(h->c.ssthresh, UINT64_MAX);
	/* Six doublings of 10 packets. */
	cr_expect_eq(h->c.cwnd, 640000, "cwnd %llu",
	    (unsigned long long)h->c.cwnd);
	free(h);
}

Test(hystart, rtt_rise_enters_css_and_jitter_returns)
{
	struct hs *h = hs_new(CC_CUBIC);
	uint64_t w;
	int i;

	for (i = 0; i < 3; i++)
		hs_flight(h, 40 * MS);
	/* 40 ms: the threshold is 40 / 8 = 5 ms; 44.9 is below it. */
	for (i = 0; i < 2; i++)
		hs_flight(h, 44900);
	cr_expect_eq(h->c.hs_css_entries, 0, "4.9 ms is jitter at 40 ms");
	for (i = 0; i < 3; i++)
		hs_flight(h, 40 * MS);
	for (i = 0; i < 2; i++)
		hs_flight(h, 45 * MS);
	cr_expect(h->c.hs_css, "5 ms more: conservative slow start");
	cr_expect_eq(h->c.hs_css_base, 45 * MS);
	/* In CSS an ack of 1000 bytes adds 250. */
	w = h->c.cwnd;
	h->c.bytes_in_flight = w;
	cc_on_acked(&h->c, 1000, h->acked, h->now, h->now + 1);
	cr_expect_eq(h->c.cwnd, w + 250);
	h->acked++;
	/* The RTT falls below the baseline: it was jitter. */
	hs_flight(h, 40 * MS);
	hs_flight(h, 40 * MS);
	cr_expect(!h->c.hs_css, "back to slow start");
	cr_expect_eq(h->c.ssthresh, UINT64_MAX);
	cr_expect_eq(h->c.hs_css_entries, 1);
	free(h);
}

Test(hystart, css_rounds_end_slow_start)
{
	struct hs *h = hs_new(CC_NEWRENO);
	uint64_t w;
	int i;

	for (i = 0; i < 3; i++)
		hs_flight(h, 20 * MS);
	/* 20 ms: 20 / 8 = 2.5 ms, raised to the 4 ms floor. */
	for (i = 0; i < 2 && !h->c.hs_css; i++)
		hs_flight(h, 24 * MS);
	cr_expect(h->c.hs_css, "4 ms more at 20 ms");
	w = h->c.cwnd;
	for (i = 0; i < 10 && h->c.ssthresh == UINT64_MAX; i++)
		hs_flight(h, 24 * MS);
	cr_expect_eq(h->c.hs_css_rounds, CC_HS_CSS_ROUNDS);
	cr_expect_neq(h->c.ssthresh, UINT64_MAX, "avoidance after 5 rounds");
	cr_expect(!h->c.hs_css);
	/* CSS grew by 1.25 a round, not 2: well under 2^5 times. */
	cr_expect_lt(h->c.ssthresh, w * 4);
	cr_expect_gt(h->c.ssthresh, w * 2);
	free(h);
}

Test(hystart, thresholds_clamp_at_16_ms)
{
	struct hs *h = hs_new(CC_CUBIC);
	int i;

	for (i = 0; i < 3; i++)
		hs_flight(h, 200 * MS);
	/* 200 / 8 = 25 ms, capped at 16 ms. */
	for (i = 0; i < 2; i++)
		hs_flight(h, 215900);
	cr_expect_eq(h->c.hs_css_entries, 0);
	for (i = 0; i < 3; i++)
		hs_flight(h, 200 * MS);
	for (i = 0; i < 2; i++)
		hs_flight(h, 216 * MS);
	cr_expect_eq(h->c.hs_css_entries, 1);
	free(h);
}

Test(hystart, off_and_after_loss)
{
	struct hs *h = hs_new(CC_NEWRENO);
	int i;

	h->c.hystart = 0;
	for (i = 0; i < 3; i++)
		hs_flight(h, 40 * MS);
	for (i = 0; i < 2; i++)
		hs_flight(h, 80 * MS);
	cr_expect_eq(h->c.hs_css_entries, 0, "off: plain slow start");
	free(h);

	/* Only the initial slow start: after a loss, ssthresh ends it. */
	h = hs_new(CC_NEWRENO);
	hs_flight(h, 40 * MS);
	cc_on_congestion(&h->c, h->now, h->now);
	cc_on_persistent_congestion(&h->c);
	for (i = 0; i < 3; i++)
		hs_flight(h, 40 * MS);
	for (i = 0; i < 2; i++)
		hs_flight(h, 80 * MS);
	cr_expect_eq(h->c.hs_css_entries, 0);
	free(h);
}
