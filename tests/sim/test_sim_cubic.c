/* SPDX-License-Identifier: ISC */
/*
 * test_sim_cubic.c: CUBIC (RFC 9438) beside NewReno on the simulated
 * network.
 *
 * goodput: one paced pipe stream over 100 Mbit/s with 40 ms RTT and a
 * one-BDP queue (as sim_goodput) at 0%, 0.1%, 1% and 5% random loss in
 * both directions, once per controller; the figures are printed. Random
 * loss bounds any loss-based controller (Mathis: about 2.9 Mbit/s for Reno
 * at 1% here). CUBIC's own curve would do worse at these rates on a 40 ms
 * path (its window, 1.054 (RTT / p)^(3/4) packets, is below Reno's
 * 1.22 / sqrt(p) for any p above RTT^3 / 1.79, 3.6e-5 here), so it runs in
 * its Reno-friendly region and must do no worse than NewReno. Where CUBIC
 * wins is a shallow queue: a cut to 0.7 instead of 0.5 of a window of BDP
 * plus 50 packets still fills the link, a halving does not. Asserted: the
 * link is filled without loss; CUBIC is never below NewReno (2% slack);
 * with a 50-packet queue CUBIC gets 5 Mbit/s more.
 *
 * fairness: two flows whose senders share one 20 Mbit/s bottleneck
 * (RTT from the seed, the second flow 2 s late) converge to a fair share:
 * Jain's index >= 0.9 for two CUBIC flows; two NewReno flows and a CUBIC
 * flow against a NewReno one are printed for comparison (CUBIC is meant
 * to take more than Reno on long fat paths, so that pair is not asserted).
 *
 * Each run is a function of its seed; SIM_SEED=N replays one seed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc.h"
#include "sim.h"
#include "tp.h"

#define CU_TICK_US	1000

struct cu {
	struct sim	 sim;
	int		 nflows;
	uint64_t	 sid[2];
	uint64_t	 start[2];	/* when flow f begins */
	uint64_t	 win_lo, win_hi;	/* measurement window */
	uint64_t	 got[2];	/* bytes received in the window */
	struct cu_end {
		struct cu	*cu;
		int		 flow;
	}		 end[2];
	uint8_t		 chunk[65536];
};

static void
cu_pipe(void *arg, uint64_t sid, const uint8_t *d, size_t len, int fin)
{
	struct cu_end *e = arg;
	struct cu *u = e->cu;

	(void)d;
	(void)fin;
	if (u->sim.now >= u->win_lo && u->sim.now < u->win_hi)
		u->got[e->flow] += len;
	(void)tp_stream_grant(u->sim.tp[2 * e->flow + 1], sid, len);
}

static void
cu_app(struct sim *s, void *arg)
{
	struct cu *u = arg;
	int f;

	for (f = 0; f < u->nflows; f++) {
		if (s->now < u->start[f])
			continue;
		if (u->sid[f] == UINT64_MAX && tp_stream_open(s->tp[2 * f],
		    TP_STREAM_PIPE, "bulk", &u->sid[f]) != 0)
			abort();
		while (tp_stream_write(s->tp[2 * f], u->sid[f], u->chunk,
		    sizeof(u->chunk)) > 0)
			;
	}
	s->app_wake = s->now + CU_TICK_US;
}

/*
 * Flow f is sender 2f and receiver 2f + 1 with controller algo[f]; all
 * senders' packets share queue 0 (one flow: its own link, same thing).
 */
static struct cu *
cu_new(uint64_t seed, int nflows, const int *algo, const struct sim_link *l)
{
	struct cu *u = calloc(1, sizeof(*u));
	struct tp_cfg cfg;
	struct tp_cb cb;
	int i;

	cr_assert_not_null(u);
	sim_init(&u->sim, seed);
	u->nflows = nflows;
	for (i = 0; i < 2 * nflows; i++) {
		u->sim.link[i] = *l;
		if (i % 2 == 1) {	/* acks: no bottleneck */
			u->sim.link[i].bw_bps = 0;
			u->sim.link[i].queue_bytes = 0;
		}
		u->sim.queue[i] = i % 2 == 0 ? 0 : i;
	}
	tp_cfg_default(&cfg);
	cfg.initial_stream_credit = 16 << 20;
	for (i = 0; i < 2 * nflows; i++) {
		u->end[i / 2].cu = u;
		u->end[i / 2].flow = i / 2;
		memset(&cb, 0, sizeof(cb));
		cb.arg = &u->end[i / 2];
		cb.pipe_data = cu_pipe;
		cfg.initiator = i % 2 == 0;
		cfg.congestion = algo[i / 2];
		u->sim.tp[i] = tp_new(&cfg, &cb, u->sim.now);
		cr_assert_not_null(u->sim.tp[i]);
	}
	for (i = 0; i < 2; i++) {
		u->sid[i] = UINT64_MAX;
		u->start[i] = u->sim.now;
	}
	u->sim.app = cu_app;
	u->sim.app_arg = u;
	u->sim.app_wake = u->sim.now;
	return u;
}

static void
cu_free(struct cu *u)
{
	int i;

	for (i = 0; i < 2 * u->nflows; i++)
		tp_free(u->sim.tp[i]);
	sim_free(&u->sim);
	free(u);
}

static void
cu_seeds(uint64_t *first, uint64_t *last, uint64_t n)
{
	const char *env = getenv("SIM_SEED");

	*first = 1;
	*last = n;
	if (env != NULL && *env != '\0')
		*first = *last = strtoull(env, NULL, 10);
}

/* --- goodput ------------------------------------------------------------ */

#define GP_SECS		20
#define GP_WARMUP_US	2000000

/* Mbit/s of one pipe after its first 2 s. */
static double
cu_goodput(uint64_t seed, int algo, double loss, size_t queue)
{
	struct sim_link l;
	struct cu *u;
	double mbps;

	memset(&l, 0, sizeof(l));
	l.loss = loss;
	l.delay_us = 20000;
	l.jitter_us = 50;
	l.bw_bps = 100000000;
	l.queue_bytes = queue;
	u = cu_new(seed, 1, &algo, &l);
	u->sim.link[1].loss = loss;	/* acks are lost too */
	u->win_lo = u->sim.now + GP_WARMUP_US;
	u->win_hi = u->sim.now + GP_SECS * 1000000ULL;
	while (sim_step(&u->sim, u->win_hi))
		;
	mbps = (double)u->got[0] * 8 / (double)(u->win_hi - u->win_lo);
	cu_free(u);
	return mbps;
}

Test(sim_cubic, goodput_with_random_loss, .timeout = 300)
{
	static const double loss[] = { 0, 0.001, 0.01, 0.05 };
	size_t bdp = 500000;
	double reno, cubic;
	uint64_t seed, first, last;
	size_t i;

	cu_seeds(&first, &last, 2);
	for (seed = first; seed <= last; seed++)
		for (i = 0; i < sizeof(loss) / sizeof(loss[0]); i++) {
			reno = cu_goodput(seed, CC_NEWRENO, loss[i], bdp);
			cubic = cu_goodput(seed, CC_CUBIC, loss[i], bdp);
			printf("goodput seed %llu, 100 Mbit/s 40 ms, BDP "
			    "queue, loss %4.1f%%: newreno %6.2f Mbit/s, cubic "
			    "%6.2f Mbit/s\n",
			    (unsigned long long)seed, loss[i] * 100, reno,
			    cubic);
			fflush(stdout);
			cr_expect_geq(cubic, reno * 0.98, "seed %llu, loss "
			    "%.1f%%: cubic %.2f < newreno %.2f (replay: "
			    "SIM_SEED=%llu)", (unsigned long long)seed,
			    loss[i] * 100, cubic, reno,
			    (unsigned long long)seed);
			if (loss[i] == 0) {
				cr_expect_geq(cubic, 90, "seed %llu: cubic "
				    "%.2f Mbit/s without loss",
				    (unsigned long long)seed, cubic);
				cr_expect_geq(reno, 80, "seed %llu: newreno "
				    "%.2f Mbit/s without loss",
				    (unsigned long long)seed, reno);
			}
		}
}

Test(sim_cubic, goodput_with_a_shallow_queue, .timeout = 300)
{
	double reno, cubic;
	uint64_t seed, first, last;

	cu_seeds(&first, &last, 2);
	for (seed = first; seed <= last; seed++) {
		reno = cu_goodput(seed, CC_NEWRENO, 0, 50 * 1168);
		cubic = cu_goodput(seed, CC_CUBIC, 0, 50 * 1168);
		printf("goodput seed %llu, 100 Mbit/s 40 ms, 50-packet queue: "
		    "newreno %6.2f Mbit/s, cubic %6.2f Mbit/s\n",
		    (unsigned long long)seed, reno, cubic);
		fflush(stdout);
		cr_expect_geq(cubic, reno + 5, "seed %llu: cubic %.2f, "
		    "newreno %.2f Mbit/s (replay: SIM_SEED=%llu)",
		    (unsigned long long)seed, cubic, reno,
		    (unsigned long long)seed);
	}
}

/* --- fairness ----------------------------------------------------------- */

static double
cu_jain(const uint64_t x[2])
{
	double a = (double)x[0], b = (double)x[1];

	if (a + b == 0)
		return 0;
	return (a + b) * (a + b) / (2 * (a * a + b * b));
}

static double
cu_fair(uint64_t seed, int a0, int a1, double *util)
{
	int algo[2] = { a0, a1 };
	uint64_t rng = seed, bw = 20000000;
	struct sim_link l;
	struct cu *u;
	double j;

	memset(&l, 0, sizeof(l));
	l.delay_us = 10000 + sim_rand(&rng) % 20000;
	l.jitter_us = 500;
	l.bw_bps = bw;
	l.queue_bytes = 100000;
	u = cu_new(seed, 2, algo, &l);
	u->start[1] = u->sim.now + 2000000;
	u->win_lo = u->sim.now + 15000000;
	u->win_hi = u->sim.now + 45000000;
	while (sim_step(&u->sim, u->win_hi))
		;
	j = cu_jain(u->got);
	*util = (double)(u->got[0] + u->got[1]) * 8 /
	    ((double)(u->win_hi - u->win_lo) / 1e6) / (double)bw;
	printf("fairness seed %llu (%s + %s, rtt %llu ms): %.2f + %.2f "
	    "Mbit/s of 20, Jain's index %.3f\n", (unsigned long long)seed,
	    cc_name(a0), cc_name(a1),
	    (unsigned long long)(2 * l.delay_us / 1000),
	    (double)u->got[0] * 8 / 30e6, (double)u->got[1] * 8 / 30e6, j);
	fflush(stdout);
	cu_free(u);
	return j;
}

Test(sim_cubic, two_cubic_flows_share_fairly, .timeout = 300)
{
	uint64_t seed, first, last;
	double j, util;

	cu_seeds(&first, &last, 3);
	for (seed = first; seed <= last; seed++) {
		j = cu_fair(seed, CC_CUBIC, CC_CUBIC, &util);
		cr_expect_geq(j, 0.9, "seed %llu: Jain's index %.3f < 0.9 "
		    "(replay: SIM_SEED=%llu)", (unsigned long long)seed, j,
		    (unsigned long long)seed);
		cr_expect_geq(util, 0.8, "seed %llu: the link is %.0f%% used",
		    (unsigned long long)seed, util * 100);
	}
}

/* Printed for comparison only (see the top). */
Test(sim_cubic, newreno_pairs_printed, .timeout = 300)
{
	uint64_t seed, first, last;
	double util;

	cu_seeds(&first, &last, 3);
	for (seed = first; seed <= last; seed++) {
		(void)cu_fair(seed, CC_NEWRENO, CC_NEWRENO, &util);
		(void)cu_fair(seed, CC_CUBIC, CC_NEWRENO, &util);
	}
}
