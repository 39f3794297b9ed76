/* SPDX-License-Identifier: ISC */
/*
 * test_sim_modes.c: the four delivery modes over the simulated network
 * (sim.h). Each seed sends, both ways, reliable-ordered messages on 16
 * channels of one service and 4 of another, reliable-unordered messages,
 * unreliable-sequenced ones on 4 channels and unreliable ones of up to
 * 150 KB (many fragments), through loss (0-30%), duplication, reordering,
 * jitter, a bandwidth limit and partitions. It asserts: every reliable
 * message exactly once, in order per (service, channel) where ordered;
 * sequenced ones never out of order nor twice; unreliable ones never
 * twice; every message intact and labelled with its mode and channel;
 * every buffer within its configured bound; and on a clean link, every
 * unreliable message arrives. A failure names its seed: SIM_SEED=N
 * replays it, SIM_SEEDS=N runs seeds 1..N.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "simrun.h"
#include "tp.h"

#define MW_CHANNELS	16	/* ordered channels of service 0 */
#define MW_SVCS		2
#define MW_MSGS		160	/* messages per side */
#define MW_HDR		12	/* mode, svc, channel, 0, seq u32, len u32 */
#define MW_TICK_US	2000
#define MW_DG_PER_TICK	3	/* unreliable messages queued per tick */

static const char *mw_names[MW_SVCS] = { "game.state", "chat" };

struct mw_msg {
	uint8_t		 mode;
	uint8_t		 svc;
	uint8_t		 channel;
	uint32_t	 seq;		/* per (side, mode, svc, channel) */
	uint32_t	 len;		/* payload, MW_HDR included */
};

/* What one receiving side has seen of one (mode, svc, channel). */
struct mw_key {
	uint32_t	 sent;		/* messages the peer queued */
	uint32_t	 next;		/* ordered: next seq expected */
	int64_t		 last;		/* sequenced: newest seq, -1 none */
	uint8_t		 got[MW_MSGS];	/* unordered, unreliable: seen */
};

struct mw {
	struct simrun	 r;
	struct mw_msg	 plan[2][MW_MSGS];
	size_t		 next_send[2];
	uint8_t		*pending[2];	/* next_send's bytes, built once */
	/* [receiving side][mode][svc][channel] */
	struct mw_key	 key[2][4][MW_SVCS][MW_CHANNELS];
	uint64_t	 rx_dg[2], tx_dg[2];
	int		 clean;		/* no loss, reordering or queue */
	size_t		 max_dgtx, max_dgrx;
};

/* The first failure of the run (see simrun_fail). */
#define mw_fail(w, ...) simrun_fail(&(w)->r, __VA_ARGS__)

static uint8_t
mw_byte(const struct mw *w, int from, const struct mw_msg *m, size_t i)
{
	return simrun_mix(w->r.seed * 0x100000001b3ULL ^
	    ((uint64_t)from << 60) ^ ((uint64_t)m->mode << 56) ^
	    ((uint64_t)m->svc << 52) ^ ((uint64_t)m->channel << 44) ^
	    ((uint64_t)m->seq << 24) ^ i);
}

static void
mw_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static uint32_t
mw_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
cb_message_ex(void *arg, const struct tp_msg_info *mi, const uint8_t *data,
    size_t len)
{
	struct simrun_end *e = arg;
	struct mw *w = e->run->owner;
	struct mw_msg m;
	struct mw_key *k;
	size_t i;

	if (len < MW_HDR) {
		mw_fail(w, "side %d: short message (%zu B)", e->side, len);
		return;
	}
	m.mode = data[0];
	m.svc = data[1];
	m.channel = data[2];
	m.seq = mw_get32(data + 4);
	m.len = mw_get32(data + 8);
	if (m.mode > TP_MODE_UNRELIABLE || m.svc >= MW_SVCS ||
	    m.channel >= MW_CHANNELS || m.len != len || m.seq >= MW_MSGS) {
		mw_fail(w, "side %d: torn message", e->side);
		return;
	}
	if (mi->mode != m.mode || mi->channel != m.channel ||
	    strcmp(mi->service, mw_names[m.svc]) != 0) {
		mw_fail(w, "side %d: labelled mode %d channel %u service %s, "
		    "sent as %d %u %s", e->side, mi->mode, mi->channel,
		    mi->service, m.mode, m.channel, mw_names[m.svc]);
		return;
	}
	for (i = MW_HDR; i < len; i++)
		if (data[i] != mw_byte(w, !e->side, &m, i)) {
			mw_fail(w, "side %d: content differs", e->side);
			return;
		}
	k = &w->key[e->side][m.mode][m.svc][m.channel];
	if (m.seq >= k->sent) {
		mw_fail(w, "side %d: a message never sent", e->side);
		return;
	}
	switch (m.mode) {
	case TP_MODE_RELIABLE:
		if (m.seq != k->next)
			mw_fail(w, "side %d: %s ch %u: got #%u, expected #%u",
			    e->side, mw_names[m.svc], m.channel, m.seq,
			    k->next);
		k->next++;
		if (tp_stream_grant(w->r.sim.tp[e->side], mi->sid, len) == -1)
			mw_fail(w, "grant failed");
		break;
	case TP_MODE_SEQUENCED:
		if ((int64_t)m.seq <= k->last)
			mw_fail(w, "side %d: sequenced #%u after #%lld",
			    e->side, m.seq, (long long)k->last);
		k->last = m.seq;
		w->rx_dg[e->side]++;
		break;
	default:
		if (k->got[m.seq])
			mw_fail(w, "side %d: mode %d #%u twice", e->side,
			    m.mode, m.seq);
		k->got[m.seq] = 1;
		if (m.mode == TP_MODE_UNRELIABLE)
			w->rx_dg[e->side]++;
		break;
	}
}

/* Queue this side's messages in plan order; reliable ones wait on EAGAIN. */
static void
mw_push(struct mw *w, int side)
{
	struct tp *tp = w->r.sim.tp[side];
	struct mw_msg *m;
	uint8_t *b;
	size_t i, dg = 0;
	int rv;

	while (w->next_send[side] < MW_MSGS) {
		m = &w->plan[side][w->next_send[side]];
		if (m->mode >= TP_MODE_SEQUENCED && dg++ >= MW_DG_PER_TICK)
			return;		/* an application's pace */
		if ((b = w->pending[side]) == NULL) {
			if ((b = malloc(m->len)) == NULL)
				abort();
			b[0] = m->mode;
			b[1] = m->svc;
			b[2] = m->channel;
			b[3] = 0;
			mw_put32(b + 4, m->seq);
			mw_put32(b + 8, m->len);
			for (i = MW_HDR; i < m->len; i++)
				b[i] = mw_byte(w, side, m, i);
			w->pending[side] = b;
		}
		rv = tp_send_message_ex(tp, mw_names[m->svc], m->channel,
		    m->mode, b, m->len, NULL, NULL);
		if (rv == -1) {
			if (errno != EAGAIN)
				mw_fail(w, "send_message_ex: %s",
				    strerror(errno));
			return;
		}
		w->key[!side][m->mode][m->svc][m->channel].sent++;
		if (m->mode >= TP_MODE_SEQUENCED)
			w->tx_dg[side]++;
		w->next_send[side]++;
		free(b);
		w->pending[side] = NULL;
	}
}

static void
mw_app(struct sim *sim, void *arg)
{
	struct mw *w = arg;
	size_t x;
	int side;

	for (side = 0; side < 2; side++) {
		if (!w->r.closed[side])
			mw_push(w, side);
		if ((x = tp_dgram_tx_buffered(sim->tp[side])) > w->max_dgtx)
			w->max_dgtx = x;
		if ((x = tp_dgram_rx_buffered(sim->tp[side])) > w->max_dgrx)
			w->max_dgrx = x;
	}
	simrun_watch(&w->r);
	sim->app_wake = sim->now + MW_TICK_US;
}

static int
mw_complete(const void *arg)
{
	const struct mw *w = arg;
	const struct mw_key *k;
	int side, s, c, i;

	for (side = 0; side < 2; side++) {
		if (w->next_send[side] < MW_MSGS ||
		    tp_send_buffered(w->r.sim.tp[side]) != 0 ||
		    tp_dgram_tx_buffered(w->r.sim.tp[side]) != 0)
			return 0;
		for (s = 0; s < MW_SVCS; s++)
			for (c = 0; c < MW_CHANNELS; c++) {
				k = &w->key[side][TP_MODE_RELIABLE][s][c];
				if (k->next < k->sent)
					return 0;
				k = &w->key[side][TP_MODE_UNORDERED][s][c];
				for (i = 0; i < (int)k->sent; i++)
					if (!k->got[i])
						return 0;
			}
	}
	return 1;
}

static uint32_t
mw_size(uint64_t *rng, int mode)
{
	uint64_t r = sim_rand(rng) % 100;

	if (mode >= TP_MODE_SEQUENCED) {
		if (r < 70)
			return MW_HDR + sim_rand(rng) % 1100;
		if (r < 95)
			return 1200 + sim_rand(rng) % 12000;
		return 40000 + sim_rand(rng) % 110000;
	}
	if (r < 60)
		return MW_HDR + sim_rand(rng) % 1000;
	if (r < 95)
		return 1000 + sim_rand(rng) % 15000;
	return 20000 + sim_rand(rng) % 60000;
}

static void
mw_plan(struct mw *w, uint64_t *rng)
{
	uint32_t seq[4][MW_SVCS][MW_CHANNELS];
	struct mw_msg *m;
	uint64_t r;
	int side, i;

	for (side = 0; side < 2; side++) {
		memset(seq, 0, sizeof(seq));
		for (i = 0; i < MW_MSGS; i++) {
			m = &w->plan[side][i];
			r = sim_rand(rng) % 100;
			/* The first 16 cover every ordered channel. */
			if (i < MW_CHANNELS || r < 45) {
				m->mode = TP_MODE_RELIABLE;
				m->svc = r % 5 == 0 ? 1 : 0;
				m->channel = i < MW_CHANNELS ? (uint8_t)i :
				    (uint8_t)(sim_rand(rng) % MW_CHANNELS);
				m->svc = i < MW_CHANNELS ? 0 : m->svc;
				if (m->svc == 1)
					m->channel %= 4;
			} else if (r < 60) {
				m->mode = TP_MODE_UNORDERED;
				m->svc = sim_rand(rng) % MW_SVCS;
				m->channel = sim_rand(rng) % 3;
			} else if (r < 80) {
				m->mode = TP_MODE_SEQUENCED;
				m->svc = 0;
				m->channel = sim_rand(rng) % 4;
			} else {
				m->mode = TP_MODE_UNRELIABLE;
				m->svc = sim_rand(rng) % MW_SVCS;
				m->channel = 15 - sim_rand(rng) % 2;
			}
			m->seq = seq[m->mode][m->svc][m->channel]++;
			m->len = mw_size(rng, m->mode);
		}
	}
}

static void
mw_init(struct mw *w, uint64_t seed)
{
	static const struct tp_cb cb = { .message_ex = cb_message_ex };
	uint64_t rng = seed ^ 0x30de5;
	const struct sim_link *l = &w->r.sim.link[0];
	int i, m, s, c;

	memset(w, 0, sizeof(*w));
	simrun_init(&w->r, seed, w);
	w->r.cfg.send_buf_max = 256 * 1024;
	w->r.cfg.stream_buf_max = 64 * 1024;
	w->r.cfg.dgram_tx_max = 300 * 1024;
	w->r.cfg.dgram_tx_msgs = 64;
	w->r.cfg.dgram_rx_max = 400 * 1024;
	w->r.cfg.dgram_rx_msgs = 8;
	for (i = 0; i < 2; i++)
		for (m = 0; m < 4; m++)
			for (s = 0; s < MW_SVCS; s++)
				for (c = 0; c < MW_CHANNELS; c++)
					w->key[i][m][s][c].last = -1;
	mw_plan(w, &rng);
	simrun_link(&w->r, &rng);
	w->clean = l->loss == 0 && l->reorder == 0 && l->jitter_us == 0 &&
	    l->bw_bps == 0 && w->r.sim.n_part == 0;
	simrun_start(&w->r, &cb, mw_app);
}

static void
mw_run(struct mw *w, uint64_t limit_us)
{
	uint64_t end;
	struct tp_stats st;
	int side;

	simrun_run(&w->r, limit_us, mw_complete);
	/* Let the last unreliable fragments land. */
	end = w->r.sim.now + 1000000;
	while (w->r.err[0] == '\0' && sim_step(&w->r.sim, end))
		;
	simrun_check(&w->r, w->r.cfg.max_message);
	if (w->max_dgtx > w->r.cfg.dgram_tx_max)
		mw_fail(w, "datagram queue over its bound (%zu)", w->max_dgtx);
	if (w->max_dgrx > w->r.cfg.dgram_rx_max)
		mw_fail(w, "datagram reassembly over its bound (%zu)",
		    w->max_dgrx);
	for (side = 0; side < 2 && w->r.err[0] == '\0'; side++) {
		tp_get_stats(w->r.sim.tp[side], &st);
		if (w->clean &&
		    w->rx_dg[!side] + st.dgram_tx_dropped != w->tx_dg[side])
			mw_fail(w, "clean link: %llu of %llu unreliable "
			    "messages arrived (%llu dropped by the sender)",
			    (unsigned long long)w->rx_dg[!side],
			    (unsigned long long)w->tx_dg[side],
			    (unsigned long long)st.dgram_tx_dropped);
	}
}

static int
mw_seed(uint64_t seed, int verbose)
{
	struct mw *w = calloc(1, sizeof(*w));
	struct tp_stats a, b;
	int ok;

	cr_assert_not_null(w);
	mw_init(w, seed);
	mw_run(w, 600000000);
	tp_get_stats(w->r.sim.tp[0], &a);
	tp_get_stats(w->r.sim.tp[1], &b);
	ok = simrun_report(&w->r, "test_sim_modes", verbose, "; unreliable "
	    "0->1 %llu/%llu, 1->0 %llu/%llu; dropped by the sender "
	    "%llu, %llu, by the receiver %llu, %llu; lost %llu pkts",
	    (unsigned long long)w->rx_dg[1],
	    (unsigned long long)w->tx_dg[0],
	    (unsigned long long)w->rx_dg[0],
	    (unsigned long long)w->tx_dg[1],
	    (unsigned long long)a.dgram_tx_dropped,
	    (unsigned long long)b.dgram_tx_dropped,
	    (unsigned long long)b.dgram_rx_dropped,
	    (unsigned long long)a.dgram_rx_dropped,
	    (unsigned long long)(a.lost + b.lost));
	simrun_free(&w->r);
	free(w->pending[0]);
	free(w->pending[1]);
	free(w);
	return ok;
}

Test(sim_modes, seeds, .timeout = 300)
{
	simrun_seeds(400, mw_seed);
}

/* --- head-of-line blocking and starvation ------------------------------ */

struct hol {
	int		 got[4];	/* per channel */
	uint64_t	 bytes[4];	/* per mode */
};

static void
hol_msg(void *arg, const struct tp_msg_info *mi, const uint8_t *data,
    size_t len)
{
	struct hol *h = arg;

	(void)data;
	if (mi->channel < 4)
		h->got[mi->channel]++;
	h->bytes[mi->mode] += len;
}

/*
 * The packet carrying channel 1's message is lost: channel 2's message,
 * sent after it, is delivered at once all the same (it would wait for the
 * retransmission if the channels shared a stream); likewise an unordered
 * message behind a lost one.
 */
Test(sim_modes, loss_on_one_channel_does_not_block_another)
{
	static const uint8_t m[100];
	struct tp_cfg cfg;
	struct tp_cb cb;
	struct hol h;
	struct tp *a, *b;
	uint8_t pkt[1500];
	uint64_t now = 1000000, pn = 0;
	size_t n;
	int mode;

	for (mode = TP_MODE_RELIABLE; mode <= TP_MODE_UNORDERED; mode++) {
		memset(&h, 0, sizeof(h));
		memset(&cb, 0, sizeof(cb));
		cb.arg = &h;
		cb.message_ex = hol_msg;
		tp_cfg_default(&cfg);
		cfg.initiator = 1;
		a = tp_new(&cfg, &cb, now);
		cfg.initiator = 0;
		b = tp_new(&cfg, &cb, now);
		cr_assert(a != NULL && b != NULL);
		cr_assert_eq(tp_send_message_ex(a, "svc", 1, mode, m, sizeof(m),
		    NULL, NULL), 0);
		n = tp_output(a, now, pn++, pkt, sizeof(pkt));
		cr_assert_gt(n, 0);		/* ... and lost */
		cr_assert_eq(tp_send_message_ex(a, "svc", 2, mode, m, sizeof(m),
		    NULL, NULL), 0);
		n = tp_output(a, now, pn, pkt, sizeof(pkt));
		cr_assert_gt(n, 0);
		cr_assert_eq(tp_input(b, now + 10000, pn++, pkt, n), 0);
		cr_expect_eq(h.got[2], 1, "mode %d: channel 2 waited for 1",
		    mode);
		cr_expect_eq(h.got[1], 0);
		tp_free(a);
		tp_free(b);
	}
}

struct starve {
	struct sim	 sim;
	struct hol	 h;
};

static void
starve_app(struct sim *sim, void *arg)
{
	static const uint8_t m[1000];
	int i;

	(void)arg;
	/* Far more unreliable data than the link carries, all the time. */
	for (i = 0; i < 50; i++)
		if (tp_send_message_ex(sim->tp[0], "flood", 3,
		    TP_MODE_UNRELIABLE, m, sizeof(m), NULL, NULL) == -1)
			abort();
	while (tp_send_message_ex(sim->tp[0], "bulk", 0, TP_MODE_RELIABLE, m,
	    sizeof(m), NULL, NULL) == 0)
		;
	sim->app_wake = sim->now + 1000;
}

static void
starve_msg(void *arg, const struct tp_msg_info *mi, const uint8_t *data,
    size_t len)
{
	struct starve *s = arg;

	hol_msg(&s->h, mi, data, len);
	if (mi->mode == TP_MODE_RELIABLE)
		(void)tp_stream_grant(s->sim.tp[1], mi->sid, len);
}

/* An unreliable flood gets its turn, but reliable data keeps its share. */
Test(sim_modes, unreliable_flood_does_not_starve_reliable)
{
	struct starve *s = calloc(1, sizeof(*s));
	struct tp_cfg cfg;
	struct tp_cb cb;
	double rel, unrel;

	cr_assert_not_null(s);
	sim_init(&s->sim, 42);
	s->sim.link[0].delay_us = s->sim.link[1].delay_us = 10000;
	s->sim.link[0].bw_bps = 10000000;
	s->sim.link[0].queue_bytes = 50000;
	tp_cfg_default(&cfg);
	memset(&cb, 0, sizeof(cb));
	cb.arg = s;
	cb.message_ex = starve_msg;
	simrun_pair(&s->sim, &cfg, &cb);
	s->sim.app = starve_app;
	s->sim.app_wake = s->sim.now;
	while (sim_step(&s->sim, 1000000 + 10000000))
		;
	rel = (double)s->h.bytes[TP_MODE_RELIABLE] * 8 / 10e6;
	unrel = (double)s->h.bytes[TP_MODE_UNRELIABLE] * 8 / 10e6;
	printf("starvation: reliable %.2f Mbit/s, unreliable %.2f Mbit/s "
	    "of 10\n", rel, unrel);
	fflush(stdout);
	cr_expect(rel >= 3.0, "reliable starved: %.2f Mbit/s", rel);
	cr_expect(unrel >= 3.0, "unreliable starved: %.2f Mbit/s", unrel);
	simrun_pair_free(&s->sim);
	free(s);
}

/* --- back-pressure on unordered messages ------------------------------- */

#define HOLD_MSGS	300

struct hold {
	struct sim	 sim;
	uint64_t	 sids[HOLD_MSGS];
	size_t		 got, sent;
	int		 holding;
};

static void
hold_msg(void *arg, const struct tp_msg_info *mi, const uint8_t *data,
    size_t len)
{
	struct hold *h = arg;

	(void)data;
	(void)len;
	if (mi->mode != TP_MODE_UNORDERED || h->got >= HOLD_MSGS)
		return;
	h->sids[h->got++] = mi->sid;
	if (h->holding && tp_stream_hold(h->sim.tp[1], mi->sid) == -1)
		abort();
}

static void
hold_app(struct sim *sim, void *arg)
{
	static const uint8_t m[300];
	struct hold *h = arg;

	while (h->sent < HOLD_MSGS && tp_send_message_ex(sim->tp[0], "inbox",
	    0, TP_MODE_UNORDERED, m, sizeof(m), NULL, NULL) == 0)
		h->sent++;
	sim->app_wake = sim->now + 1000;
}

/*
 * A receiver whose inbox is full holds the unordered messages' streams:
 * the sender stops at TP_MAX_UNORDERED in flight, and goes on once they
 * are released.
 */
Test(sim_modes, held_unordered_streams_stop_the_sender)
{
	struct hold *h = calloc(1, sizeof(*h));
	struct tp_cfg cfg;
	struct tp_cb cb;
	size_t i;

	cr_assert_not_null(h);
	sim_init(&h->sim, 7);
	h->sim.link[0].delay_us = h->sim.link[1].delay_us = 5000;
	tp_cfg_default(&cfg);
	memset(&cb, 0, sizeof(cb));
	cb.arg = h;
	cb.message_ex = hold_msg;
	simrun_pair(&h->sim, &cfg, &cb);
	h->holding = 1;
	h->sim.app = hold_app;
	h->sim.app_arg = h;
	h->sim.app_wake = h->sim.now;
	while (sim_step(&h->sim, 3000000))
		;
	cr_expect_eq(h->got, TP_MAX_UNORDERED, "%zu delivered while held",
	    h->got);
	h->holding = 0;
	for (i = 0; i < h->got; i++)
		cr_assert_eq(tp_stream_done(h->sim.tp[1], h->sids[i]), 0);
	while (sim_step(&h->sim, 6000000))
		;
	cr_expect_eq(h->got, HOLD_MSGS, "%zu of %d delivered after release",
	    h->got, HOLD_MSGS);
	simrun_pair_free(&h->sim);
	free(h);
}
