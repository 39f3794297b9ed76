/* SPDX-License-Identifier: ISC */
/*
 * sim_goodput.c: prints the goodput of one pipe stream over a simulated
 * 100 Mbit/s link with 40 ms RTT at 0%, 1% and 5% random loss (both
 * directions), for each congestion controller. Informational: built by
 * make check, not run by it (test_sim_cubic asserts on the same runs).
 *
 * usage: sim_goodput [SECONDS]   (virtual seconds per run, default 20)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc.h"
#include "sim.h"
#include "tp.h"

struct gp {
	struct sim	 sim;
	uint64_t	 sid;
	uint64_t	 received;
	uint8_t		 chunk[65536];
};

static void
gp_pipe(void *arg, uint64_t sid, const uint8_t *d, size_t len, int fin)
{
	struct gp *g = arg;

	g->received += len;
	(void)tp_stream_grant(g->sim.tp[1], sid, len);
}

static void
gp_app(struct sim *s, void *arg)
{
	struct gp *g = arg;

	while (tp_stream_write(s->tp[0], g->sid, g->chunk,
	    sizeof(g->chunk)) > 0)
		;
	s->app_wake = s->now + 1000;
}

static void
gp_run(int algo, double loss, uint64_t secs)
{
	struct gp *g = calloc(1, sizeof(*g));
	struct tp_cfg cfg;
	struct tp_cb cb;
	struct tp_stats st;
	uint64_t start, end;
	int i;

	if (g == NULL)
		abort();
	sim_init(&g->sim, 42);
	for (i = 0; i < 2; i++) {
		g->sim.link[i].loss = loss;
		g->sim.link[i].delay_us = 20000;
		g->sim.link[i].bw_bps = 100000000;
		g->sim.link[i].queue_bytes = 500000;	/* one BDP */
	}
	memset(&cb, 0, sizeof(cb));
	cb.arg = g;
	cb.pipe_data = gp_pipe;
	tp_cfg_default(&cfg);
	cfg.initial_stream_credit = 16 << 20;
	cfg.congestion = algo;
	for (i = 0; i < 2; i++) {
		cfg.initiator = i == 0;
		g->sim.tp[i] = tp_new(&cfg, &cb, g->sim.now);
	}
	if (tp_stream_open(g->sim.tp[0], TP_STREAM_PIPE, "bulk", &g->sid) != 0)
		abort();
	g->sim.app = gp_app;
	g->sim.app_arg = g;
	g->sim.app_wake = g->sim.now;
	start = g->sim.now;
	end = start + secs * 1000000;
	while (sim_step(&g->sim, end))
		;
	tp_get_stats(g->sim.tp[0], &st);
	printf("%-7s loss %4.1f%%: goodput %7.2f Mbit/s  (srtt %llu ms, "
	    "cwnd %llu B, lost %llu pkts, retransmitted %llu B)\n",
	    cc_name(algo), loss * 100,
	    (double)g->received * 8 / (double)(end - start),
	    (unsigned long long)st.srtt_us / 1000,
	    (unsigned long long)st.cwnd, (unsigned long long)st.lost,
	    (unsigned long long)st.retransmits);
	tp_free(g->sim.tp[0]);
	tp_free(g->sim.tp[1]);
	sim_free(&g->sim);
	free(g);
}

int
main(int argc, char **argv)
{
	uint64_t secs = argc > 1 ? strtoull(argv[1], NULL, 10) : 20;

	int algo;

	printf("pipe goodput, 100 Mbit/s, 40 ms RTT, 1168-byte payloads, "
	    "%llu s\n", (unsigned long long)secs);
	for (algo = CC_NEWRENO; algo <= CC_CUBIC; algo++) {
		gp_run(algo, 0, secs);
		gp_run(algo, 0.01, secs);
		gp_run(algo, 0.05, secs);
	}
	return 0;
}
