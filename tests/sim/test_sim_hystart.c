/* SPDX-License-Identifier: ISC */
/*
 * test_sim_hystart.c: HyStart++ (RFC 9406) on the simulated network.
 *
 * One paced pipe stream crosses a 100 Mbit/s link with 40 ms RTT (a
 * bandwidth-delay product of about 430 packets) whose tail-drop queue
 * holds a quarter of that (107 packets, 10 ms), then one BDP (the queue
 * of sim_goodput). Each is run with HyStart++ and without it (cc's test
 * switch), for both controllers. Plain slow start doubles the window
 * every round until a loss it sees one round late, so it overshoots by up
 * to a window: hundreds of packets. HyStart++ sees the queue's delay (a
 * round's minimum RTT 5 ms above the last's) and grows by a quarter per
 * ack from there on, so what it sends past the queue's capacity in that
 * last round is a fraction of it. Asserted for every seed: the drops
 * of the first 2 s (the startup) fall to less than half, and goodput after
 * the startup does not fall (within 2%).
 *
 * Also printed, not asserted: the 50-packet queue of test_sim_pacing.
 * There HyStart++ cannot help, by design: 50 packets at 100 Mbit/s are
 * 4.7 ms of delay, less than the 5 ms threshold RFC 9406 uses at a 40 ms
 * RTT (max(4 ms, min(RTT / 8, 16 ms))), so the queue overflows before
 * the delay signal exists and slow start ends with a loss as before.
 *
 * Each run is a function of its seed (the link has a little jitter);
 * SIM_SEED=N replays one seed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc.h"
#include "sim.h"
#include "tp.h"
#include "tp_int.h"

#define HS_BW		100000000ULL	/* bits per second */
#define HS_DELAY_US	20000		/* one way */
#define HS_PKT		1168		/* tp payload per packet */
#define HS_STARTUP_US	2000000
#define HS_RUN_US	10000000
#define HS_BDP		(HS_BW / 8 * 2 * HS_DELAY_US / 1000000)	/* bytes */

struct hs {
	struct sim	 sim;
	uint64_t	 sid;
	uint64_t	 received;
	uint64_t	 rx_from;
	uint8_t		 chunk[65536];
};

struct hs_result {
	uint64_t	 startup_drops;
	uint64_t	 drops;
	uint64_t	 exit_cwnd;	/* when ssthresh was first set */
	int		 exit_by_loss;
	unsigned	 css;		/* CSS entries */
	double		 goodput;	/* Mbit/s after the startup */
};

static void
hs_pipe(void *arg, uint64_t sid, const uint8_t *d, size_t len, int fin)
{
	struct hs *h = arg;

	(void)d;
	(void)fin;
	h->received += len;
	(void)tp_stream_grant(h->sim.tp[1], sid, len);
}

static void
hs_app(struct sim *s, void *arg)
{
	struct hs *h = arg;

	while (tp_stream_write(s->tp[0], h->sid, h->chunk,
	    sizeof(h->chunk)) > 0)
		;
	s->app_wake = s->now + 1000;
}

static void
hs_run(uint64_t seed, size_t queue, int algo, int hystart,
    struct hs_result *r)
{
	struct hs *h = calloc(1, sizeof(*h));
	struct tp_cfg cfg;
	struct tp_cb cb;
	struct cc *c;
	uint64_t start, t0 = 0;
	int i;

	cr_assert_not_null(h);
	memset(r, 0, sizeof(*r));
	sim_init(&h->sim, seed);
	for (i = 0; i < 2; i++) {
		h->sim.link[i].delay_us = HS_DELAY_US;
		h->sim.link[i].jitter_us = 50;
		h->sim.link[i].bw_bps = HS_BW;
		h->sim.link[i].queue_bytes = queue;
	}
	memset(&cb, 0, sizeof(cb));
	cb.arg = h;
	cb.pipe_data = hs_pipe;
	tp_cfg_default(&cfg);
	cfg.initial_stream_credit = 16 << 20;
	cfg.congestion = algo;
	for (i = 0; i < 2; i++) {
		cfg.initiator = i == 0;
		h->sim.tp[i] = tp_new(&cfg, &cb, h->sim.now);
		cr_assert_not_null(h->sim.tp[i]);
		h->sim.tp[i]->cc.hystart = hystart;
	}
	c = &h->sim.tp[0]->cc;
	cr_assert(tp_stream_open(h->sim.tp[0], TP_STREAM_PIPE, "bulk",
	    &h->sid) == 0);
	h->sim.app = hs_app;
	h->sim.app_arg = h;
	h->sim.app_wake = h->sim.now;
	start = h->sim.now;
	while (sim_step(&h->sim, start + HS_RUN_US)) {
		if (r->exit_cwnd == 0 && c->ssthresh != UINT64_MAX) {
			r->exit_by_loss = c->recovery_start != 0;
			r->exit_cwnd = r->exit_by_loss ? c->w_max : c->cwnd;
			if (algo == CC_NEWRENO && r->exit_by_loss)
				r->exit_cwnd = c->cwnd * 2;
		}
		if (h->sim.now < start + HS_STARTUP_US) {
			r->startup_drops = h->sim.dropped[0];
			h->rx_from = h->received;
			t0 = h->sim.now;
		}
	}
	r->drops = h->sim.dropped[0];
	r->css = c->hs_css_entries;
	r->goodput = (double)(h->received - h->rx_from) * 8 /
	    (double)(h->sim.now - t0);
	tp_free(h->sim.tp[0]);
	tp_free(h->sim.tp[1]);
	sim_free(&h->sim);
	free(h);
}

static void
hs_print(uint64_t seed, size_t queue, int algo, int hystart,
    const struct hs_result *r)
{
	printf("hystart seed %llu, queue %3zu pkts, %-7s %-12s: startup "
	    "drops %4llu (all %4llu), slow start ended at cwnd %4llu pkts "
	    "by %s (CSS entered %u), goodput %.2f Mbit/s\n",
	    (unsigned long long)seed, queue / HS_PKT, cc_name(algo),
	    hystart ? "HyStart++" : "slow start",
	    (unsigned long long)r->startup_drops,
	    (unsigned long long)r->drops,
	    (unsigned long long)(r->exit_cwnd / HS_PKT),
	    r->exit_by_loss ? "loss" : "CSS", r->css, r->goodput);
}

static void
hs_seeds(uint64_t *first, uint64_t *last, uint64_t n)
{
	const char *env = getenv("SIM_SEED");

	*first = 1;
	*last = n;
	if (env != NULL && *env != '\0')
		*first = *last = strtoull(env, NULL, 10);
}

/* HyStart++ must lose less than num/den of what slow start loses. */
static void
hs_check(size_t queue, int algo, unsigned num, unsigned den)
{
	struct hs_result off, on;
	uint64_t seed, first, last;

	hs_seeds(&first, &last, 3);
	for (seed = first; seed <= last; seed++) {
		hs_run(seed, queue, algo, 0, &off);
		hs_run(seed, queue, algo, 1, &on);
		hs_print(seed, queue, algo, 0, &off);
		hs_print(seed, queue, algo, 1, &on);
		fflush(stdout);
		/* The baseline shows the problem, or this proves nothing. */
		cr_expect_gt(off.startup_drops, 100, "seed %llu: plain slow "
		    "start lost only %llu (replay: SIM_SEED=%llu)",
		    (unsigned long long)seed,
		    (unsigned long long)off.startup_drops,
		    (unsigned long long)seed);
		cr_expect_gt(on.css, 0, "seed %llu: no CSS (replay: "
		    "SIM_SEED=%llu)", (unsigned long long)seed,
		    (unsigned long long)seed);
		cr_expect_lt(on.startup_drops * den, off.startup_drops * num,
		    "seed %llu: %s: HyStart++ lost %llu in the startup, "
		    "slow start %llu (replay: SIM_SEED=%llu)",
		    (unsigned long long)seed, cc_name(algo),
		    (unsigned long long)on.startup_drops,
		    (unsigned long long)off.startup_drops,
		    (unsigned long long)seed);
		cr_expect_geq(on.goodput, off.goodput * 0.98, "seed %llu: %s: "
		    "goodput %.2f with HyStart++, %.2f without (replay: "
		    "SIM_SEED=%llu)", (unsigned long long)seed, cc_name(algo),
		    on.goodput, off.goodput, (unsigned long long)seed);
	}
}

Test(sim_hystart, half_bdp_queue_newreno, .timeout = 300)
{
	hs_check(HS_BDP / 2, CC_NEWRENO, 3, 5);
}

Test(sim_hystart, half_bdp_queue_cubic, .timeout = 300)
{
	hs_check(HS_BDP / 2, CC_CUBIC, 3, 5);
}

Test(sim_hystart, bdp_queue_newreno, .timeout = 300)
{
	hs_check(HS_BDP, CC_NEWRENO, 1, 3);
}

Test(sim_hystart, bdp_queue_cubic, .timeout = 300)
{
	hs_check(HS_BDP, CC_CUBIC, 1, 3);
}

/* Printed only: queues too short for the delay signal (see the top). */
Test(sim_hystart, small_queue_printed, .timeout = 300)
{
	struct hs_result off, on;
	size_t queue[2] = { 50 * HS_PKT, HS_BDP / 4 };
	uint64_t seed, first, last;
	int algo, q;

	hs_seeds(&first, &last, 2);
	for (algo = CC_NEWRENO; algo <= CC_CUBIC; algo++)
		for (seed = first; seed <= last; seed++) {
			for (q = 0; q < 2; q++) {
				hs_run(seed, queue[q], algo, 0, &off);
				hs_run(seed, queue[q], algo, 1, &on);
				hs_print(seed, queue[q], algo, 0, &off);
				hs_print(seed, queue[q], algo, 1, &on);
			}
			fflush(stdout);
		}
}
