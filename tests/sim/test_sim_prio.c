/* SPDX-License-Identifier: ISC */
/*
 * test_sim_prio.c: priority classes (tp.h TP_PRIO_*) over the simulated
 * network. A game's high-priority messages beside a low-priority bulk
 * transfer arrive within 2x their latency on an idle path, and the bulk
 * still gets the link; classes that all saturate share packets by weight,
 * so the low one is never starved; a high-priority ordered message keeps
 * its channel's order; a sequenced message is never delivered after a
 * newer one of its channel although priorities reorder the queue; a
 * high-priority unreliable message overtakes a queue of low ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sim.h"
#include "simprio.h"
#include "tp.h"

static void
run_pair(int mode, double loss)
{
	struct simprio_cfg c = { 7, 20, 0, TP_PRIO_HIGH, mode, TP_PRIO_LOW,
	    loss };
	struct simprio_result alone, prio, flat;

	simprio_run(&c, &alone);
	c.bulk = 1;
	simprio_run(&c, &prio);
	c.urgent_prio = c.bulk_prio = TP_PRIO_NORMAL;
	simprio_run(&c, &flat);
	cr_log_info("mode %d loss %.3f: p99 alone %.1f ms, beside bulk %.1f "
	    "ms with priorities (bulk %.2f Mbit/s), %.1f ms without (bulk "
	    "%.2f Mbit/s)", mode, loss, alone.p99_ms, prio.p99_ms,
	    prio.bulk_mbps, flat.p99_ms, flat.bulk_mbps);
	cr_assert_gt(alone.delivered, 1000);
	cr_assert_leq(prio.p99_ms, 2 * alone.p99_ms, "p99 %.1f ms beside the "
	    "bulk transfer, %.1f ms alone", prio.p99_ms, alone.p99_ms);
	/* Keeping the queue short must not cost the bulk its link. */
	cr_assert_geq(prio.bulk_mbps, 0.85 * flat.bulk_mbps,
	    "bulk %.2f Mbit/s, %.2f without priorities", prio.bulk_mbps,
	    flat.bulk_mbps);
	if (loss == 0)
		cr_assert_geq(prio.bulk_mbps, 17.0);	/* of 20 */
	if (mode == TP_MODE_RELIABLE)
		cr_assert_eq(prio.delivered, prio.sent);
	else
		cr_assert_geq(prio.delivered, prio.sent * 9 / 10);
}

Test(sim_prio, urgent_beside_bulk_reliable)
{
	run_pair(TP_MODE_RELIABLE, 0);
}

Test(sim_prio, urgent_beside_bulk_sequenced)
{
	run_pair(TP_MODE_SEQUENCED, 0);
}

/* The same with 0.5% random loss each way (the p99 then has resends). */
Test(sim_prio, urgent_beside_bulk_lossy)
{
	run_pair(TP_MODE_UNRELIABLE, 0.005);
}

/* --- direct scenarios on a sim link ----------------------------------- */

struct pr {
	struct sim	 sim;
	uint64_t	 bytes[3];	/* per channel 0..2, until the end */
	uint64_t	 end;
	uint32_t	 order[4096];	/* sequence numbers seen, channel 5 */
	size_t		 n_order;
	int		 high_at;	/* arrival rank of the high message */
	size_t		 n_dgram;
	int		 mode;
	int		 started;
	uint8_t		 big[16384];
};

static void
pr_message(void *arg, const struct tp_msg_info *mi, const uint8_t *d,
    size_t len)
{
	struct pr *p = arg;
	uint32_t seq;

	if (mi->mode == TP_MODE_RELIABLE)
		(void)tp_stream_grant(p->sim.tp[1], mi->sid, len);
	if (mi->channel < 3 && p->sim.now <= p->end)
		p->bytes[mi->channel] += len;
	if (mi->channel == 5 && len >= 4 && p->n_order < 4096) {
		memcpy(&seq, d, 4);
		p->order[p->n_order++] = seq;
	}
	if (mi->channel == 6) {
		if (len == 10)
			p->high_at = (int)p->n_dgram;
		p->n_dgram++;
	}
}

static struct pr *
pr_new(uint64_t bw)
{
	struct pr *p = calloc(1, sizeof(*p));
	struct tp_cfg tc;
	struct tp_cb cb;
	int i;

	cr_assert_not_null(p);
	sim_init(&p->sim, 3);
	for (i = 0; i < 2; i++) {
		p->sim.link[i].delay_us = 10000;
		p->sim.link[i].bw_bps = bw;
		p->sim.link[i].queue_bytes = 200000;
	}
	memset(&cb, 0, sizeof(cb));
	cb.arg = p;
	cb.message_ex = pr_message;
	tp_cfg_default(&tc);
	for (i = 0; i < 2; i++) {
		tc.initiator = i == 0;
		p->sim.tp[i] = tp_new(&tc, &cb, p->sim.now);
	}
	return p;
}

static void
pr_free(struct pr *p)
{
	tp_free(p->sim.tp[0]);
	tp_free(p->sim.tp[1]);
	sim_free(&p->sim);
	free(p);
}

/* Three saturating flows, one per class, on channels 0 (high) .. 2 (low). */
static void
pr_three(struct sim *s, void *arg)
{
	struct pr *p = arg;
	int c;

	for (c = 0; c < 3; c++)
		while (tp_send_message_prio(s->tp[0], "bulk", (unsigned)c,
		    TP_MODE_RELIABLE, c, p->big, sizeof(p->big), NULL,
		    NULL) == 0)
			;
	s->app_wake = s->now + 1000;
}

Test(sim_prio, weights_with_a_floor)
{
	struct pr *p = pr_new(50000000);
	uint64_t total;

	p->end = 10000000;
	p->sim.app = pr_three;
	p->sim.app_arg = p;
	p->sim.app_wake = 0;
	while (sim_step(&p->sim, p->end))
		;
	total = p->bytes[0] + p->bytes[1] + p->bytes[2];
	cr_log_info("high %llu normal %llu low %llu bytes",
	    (unsigned long long)p->bytes[0], (unsigned long long)p->bytes[1],
	    (unsigned long long)p->bytes[2]);
	cr_assert_gt(total, 40000000);	/* the 50 Mbit/s link stays busy */
	/* 16 : 4 : 1 by weight: low keeps about 1/21 however busy high is. */
	cr_assert_geq(p->bytes[2] * 100, total * 3, "low starved");
	cr_assert_geq(p->bytes[1], 3 * p->bytes[2]);
	cr_assert_leq(p->bytes[1], 5 * p->bytes[2]);
	cr_assert_geq(p->bytes[0], 3 * p->bytes[1]);
	cr_assert_leq(p->bytes[0], 5 * p->bytes[1]);
	pr_free(p);
}

/*
 * Channel 5: numbered messages alternately low and high priority. Ordered:
 * every one arrives, in order. Sequenced: never one after a newer one.
 */
static void
pr_alternate(struct sim *s, void *arg)
{
	struct pr *p = arg;
	uint8_t m[1000];
	uint32_t i;

	if (p->started++)
		return;
	memset(m, 0, sizeof(m));
	for (i = 0; i < 2000; i++) {
		memcpy(m, &i, 4);
		cr_assert_eq(tp_send_message_prio(s->tp[0], "game", 5, p->mode,
		    i % 3 == 0 ? TP_PRIO_HIGH : TP_PRIO_LOW, m, sizeof(m),
		    NULL, NULL), 0);
	}
}

static void
pr_order(int mode)
{
	struct pr *p = pr_new(10000000);
	size_t i;

	p->mode = mode;
	p->sim.app = pr_alternate;
	p->sim.app_arg = p;
	p->sim.app_wake = 0;
	while (sim_step(&p->sim, 20000000))
		;
	cr_assert_gt(p->n_order, 0);
	if (mode == TP_MODE_RELIABLE)
		cr_assert_eq(p->n_order, 2000);
	for (i = 1; i < p->n_order; i++)
		cr_assert_gt(p->order[i], p->order[i - 1], "message %u after "
		    "%u", p->order[i], p->order[i - 1]);
	pr_free(p);
}

Test(sim_prio, ordered_channel_keeps_order)
{
	pr_order(TP_MODE_RELIABLE);
}

Test(sim_prio, sequenced_never_goes_back)
{
	pr_order(TP_MODE_SEQUENCED);
}

/* 1000 low-priority unreliable messages queued, then one high one. */
static void
pr_dgrams(struct sim *s, void *arg)
{
	struct pr *p = arg;
	uint8_t m[1000];
	int i;

	if (p->started++)
		return;
	memset(m, 1, sizeof(m));
	for (i = 0; i < 1000; i++)
		cr_assert_eq(tp_send_message_prio(s->tp[0], "game", 6,
		    TP_MODE_UNRELIABLE, TP_PRIO_LOW, m, sizeof(m), NULL,
		    NULL), 0);
	cr_assert_eq(tp_send_message_prio(s->tp[0], "game", 6,
	    TP_MODE_UNRELIABLE, TP_PRIO_HIGH, m, 10, NULL, NULL), 0);
}

Test(sim_prio, unreliable_high_overtakes_queue)
{
	struct pr *p = pr_new(10000000);

	p->high_at = -1;
	p->sim.app = pr_dgrams;
	p->sim.app_arg = p;
	p->sim.app_wake = 0;
	while (sim_step(&p->sim, 20000000))
		;
	cr_assert_eq(p->n_dgram, 1001);
	cr_assert_geq(p->high_at, 0);
	/* It goes in the first packet: only the first window is ahead. */
	cr_assert_lt(p->high_at, 20, "arrived as message %d", p->high_at);
	pr_free(p);
}

/* A bad class is refused and changes nothing. */
Test(sim_prio, bad_class_refused)
{
	struct pr *p = pr_new(0);

	cr_assert_eq(tp_send_message_prio(p->sim.tp[0], "game", 0,
	    TP_MODE_RELIABLE, TP_PRIOS, p->big, 10, NULL, NULL), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(tp_send_message_prio(p->sim.tp[0], "game", 0,
	    TP_MODE_UNRELIABLE, -1, p->big, 10, NULL, NULL), -1);
	cr_assert_eq(tp_send_buffered(p->sim.tp[0]), 0);
	cr_assert_eq(tp_dgram_tx_buffered(p->sim.tp[0]), 0);
	pr_free(p);
}
