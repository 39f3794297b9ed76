/* SPDX-License-Identifier: ISC */
/*
 * test_sim_flows.c: whole sessions on the simulated network (sim.h).
 *
 * fairness: two sessions whose senders share one bottleneck queue
 * converge to a fair share of it (Jain's index >= 0.9, printed), both
 * when both flows are reliable and when one of them is unreliable (the
 * congestion controller counts unreliable packets and backs off on their
 * loss like on any other).
 *
 * rekey: the packets go through chan (the daemon's secure channel) and the
 * keys are changed three times in the middle of a lossy, reordering
 * transfer, the way peer.c installs them after a rekey handshake (the
 * responder first, the initiator one trip later); every reliable message
 * arrives, in order per channel, and no packet fails to open.
 *
 * Each run is a function of its seed; a failure prints it (SIM_SEED=N
 * replays it).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "chan.h"
#include "sim.h"
#include "tp.h"
#include "wire.h"

#define FL_TICK_US	1000
#define FL_MSG		1100	/* bytes per message */

/* --- fairness ---------------------------------------------------------- */

struct fl {
	struct sim	 sim;
	int		 mode[2];	/* flow f's mode: sender 2f, receiver 2f+1 */
	uint64_t	 start[2];	/* when flow f begins sending */
	uint64_t	 win_lo, win_hi;	/* measurement window */
	uint64_t	 got[2];	/* bytes in the window */
	uint64_t	 total[2];
	int		 idx[4];
	struct fl	*self[4];
	int		 closed;
};

struct fl_end {
	struct fl	*fl;
	int		 end;
};

static void
fl_msg(void *arg, const struct tp_msg_info *mi, const uint8_t *data,
    size_t len)
{
	struct fl_end *e = arg;
	struct fl *f = e->fl;
	int flow = e->end / 2;

	(void)data;
	f->total[flow] += len;
	if (f->sim.now >= f->win_lo && f->sim.now < f->win_hi)
		f->got[flow] += len;
	if (mi->mode == TP_MODE_RELIABLE)
		(void)tp_stream_grant(f->sim.tp[e->end], mi->sid, len);
}

static void
fl_closed(void *arg, int remote, uint64_t code, const char *reason)
{
	struct fl_end *e = arg;

	(void)remote;
	(void)code;
	(void)reason;
	e->fl->closed = 1;
}

static void
fl_app(struct sim *sim, void *arg)
{
	static const uint8_t msg[FL_MSG];
	struct fl *f = arg;
	struct tp *tp;
	int flow, n;

	for (flow = 0; flow < 2; flow++) {
		if (sim->now < f->start[flow])
			continue;
		tp = sim->tp[2 * flow];
		/*
		 * Reliable: keep the send buffer full. Unreliable: offer
		 * more than the link carries (a game at a fixed rate); the
		 * queue drops the oldest, the window decides what goes.
		 */
		if (f->mode[flow] == TP_MODE_RELIABLE) {
			while (tp_send_message_ex(tp, "bulk", 0,
			    TP_MODE_RELIABLE, msg, sizeof(msg), NULL,
			    NULL) == 0)
				;
		} else {
			for (n = 0; n < 8; n++)
				if (tp_send_message_ex(tp, "bulk", 0,
				    f->mode[flow], msg, sizeof(msg), NULL,
				    NULL) == -1)
					break;
		}
	}
	sim->app_wake = sim->now + FL_TICK_US;
}

static double
fl_jain(const uint64_t x[2])
{
	double a = (double)x[0], b = (double)x[1];

	if (a + b == 0)
		return 0;
	return (a + b) * (a + b) / (2 * (a * a + b * b));
}

/* Runs two flows through one bottleneck; returns Jain's index. */
static double
fl_run(uint64_t seed, int mode1, double *util)
{
	struct fl *f = calloc(1, sizeof(*f));
	struct fl_end ends[4];
	struct sim_link l;
	struct tp_cfg cfg;
	struct tp_cb cb;
	uint64_t rng = seed, bw = 20000000;
	double j;
	int i;

	cr_assert_not_null(f);
	sim_init(&f->sim, seed);
	memset(&l, 0, sizeof(l));
	l.delay_us = 10000 + sim_rand(&rng) % 20000;
	l.jitter_us = 500;
	for (i = 0; i < 4; i++)
		f->sim.link[i] = l;
	/* Both senders' packets wait in one queue: the bottleneck. */
	f->sim.link[0].bw_bps = f->sim.link[2].bw_bps = bw;
	f->sim.link[0].queue_bytes = f->sim.link[2].queue_bytes = 100000;
	f->sim.queue[2] = 0;
	f->mode[0] = TP_MODE_RELIABLE;
	f->mode[1] = mode1;
	f->start[0] = f->sim.now;
	f->start[1] = f->sim.now + 2000000;
	f->win_lo = f->sim.now + 15000000;
	f->win_hi = f->sim.now + 45000000;
	tp_cfg_default(&cfg);
	for (i = 0; i < 4; i++) {
		memset(&cb, 0, sizeof(cb));
		ends[i].fl = f;
		ends[i].end = i;
		cb.arg = &ends[i];
		cb.message_ex = fl_msg;
		cb.closed = fl_closed;
		cfg.initiator = i % 2 == 0;
		f->sim.tp[i] = tp_new(&cfg, &cb, f->sim.now);
		cr_assert_not_null(f->sim.tp[i]);
	}
	f->sim.app = fl_app;
	f->sim.app_arg = f;
	f->sim.app_wake = f->sim.now;
	while (!f->closed && sim_step(&f->sim, f->win_hi))
		;
	cr_assert(!f->closed, "seed %llu: a session closed",
	    (unsigned long long)seed);
	j = fl_jain(f->got);
	*util = (double)(f->got[0] + f->got[1]) * 8 /
	    ((double)(f->win_hi - f->win_lo) / 1e6) / (double)bw;
	printf("fairness seed %llu (%s + %s, rtt %llu ms): %.2f + %.2f "
	    "Mbit/s of 20, Jain's index %.3f\n", (unsigned long long)seed,
	    "reliable", mode1 == TP_MODE_RELIABLE ? "reliable" :
	    "unreliable", (unsigned long long)(2 * l.delay_us / 1000),
	    (double)f->got[0] * 8 / 30e6, (double)f->got[1] * 8 / 30e6, j);
	for (i = 0; i < 4; i++)
		tp_free(f->sim.tp[i]);
	sim_free(&f->sim);
	free(f);
	return j;
}

static void
fl_check(int mode1)
{
	const char *env = getenv("SIM_SEED");
	uint64_t seed, first = 1, last = 3;
	double j, util;

	if (env != NULL && *env != '\0')
		first = last = strtoull(env, NULL, 10);
	for (seed = first; seed <= last; seed++) {
		j = fl_run(seed, mode1, &util);
		cr_expect(j >= 0.9, "seed %llu: Jain's index %.3f < 0.9 "
		    "(replay: SIM_SEED=%llu)", (unsigned long long)seed, j,
		    (unsigned long long)seed);
		cr_expect(util >= 0.7, "seed %llu: the link is %.0f%% used",
		    (unsigned long long)seed, util * 100);
	}
	fflush(stdout);
}

Test(sim_flows, fair_share_reliable, .timeout = 120)
{
	fl_check(TP_MODE_RELIABLE);
}

Test(sim_flows, fair_share_unreliable, .timeout = 120)
{
	fl_check(TP_MODE_UNRELIABLE);
}

/* --- rekey under traffic ----------------------------------------------- */

#define RK_CHANNELS	16
#define RK_MSGS		100	/* per channel */
#define RK_REKEYS	3

struct rk {
	uint64_t	 seed;
	struct sim	 sim;
	struct chan	 ch[2];
	uint32_t	 index[2];	/* local index of the current key */
	uint32_t	 next_sent[RK_CHANNELS];
	uint32_t	 next_recv[RK_CHANNELS];
	int		 rekeys;
	uint64_t	 rekey_at;	/* responder installs */
	uint64_t	 install_at;	/* initiator installs, 0 = none due */
	uint8_t		 key[2][32];	/* the pending handshake's keys */
	uint64_t	 rng;
	int		 closed;
	char		 err[200];
};

static struct rk *
rk_of(struct sim *s)
{
	return s->hook_arg;
}

/* Key material from the seed too: a run replays exactly. */
static void
rk_key(uint64_t *rng, uint8_t k[32])
{
	uint64_t x;
	int i;

	for (i = 0; i < 32; i += 8) {
		x = sim_rand(rng);
		memcpy(k + i, &x, 8);
	}
}

static uint64_t
rk_next_pn(struct sim *s, int side)
{
	return rk_of(s)->ch[side].tx_counter;
}

static size_t
rk_seal(struct sim *s, int side, const uint8_t *pt, size_t len, uint8_t *out,
    size_t cap)
{
	ssize_t n = chan_seal(&rk_of(s)->ch[side], WIRE_DATA, pt, len, out,
	    cap);

	return n < 0 ? 0 : (size_t)n;
}

static long
rk_open(struct sim *s, int side, const uint8_t *pkt, size_t len, uint8_t *pt,
    size_t cap, uint64_t *pn)
{
	struct chan *c = &rk_of(s)->ch[side];
	ssize_t n = chan_open(c, WIRE_DATA, pkt, len, pt, cap, pn);

	(void)chan_rekey_due(c, s->now);	/* expires the previous key */
	return (long)n;
}

static void
rk_msg(void *arg, const struct tp_msg_info *mi, const uint8_t *data,
    size_t len)
{
	struct rk *r = arg;
	uint32_t seq;

	if (mi->channel >= RK_CHANNELS || len < 4) {
		snprintf(r->err, sizeof(r->err), "unexpected message");
		return;
	}
	seq = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
	    (uint32_t)data[2] << 8 | data[3];
	if (seq != r->next_recv[mi->channel] && r->err[0] == '\0')
		snprintf(r->err, sizeof(r->err), "channel %u: #%u, "
		    "expected #%u", mi->channel, seq,
		    r->next_recv[mi->channel]);
	r->next_recv[mi->channel]++;
	(void)tp_stream_grant(r->sim.tp[1], mi->sid, len);
}

static void
rk_closed(void *arg, int remote, uint64_t code, const char *reason)
{
	struct rk *r = arg;

	(void)remote;
	(void)code;
	(void)reason;
	r->closed = 1;
}

static void
rk_app(struct sim *sim, void *arg)
{
	struct rk *r = arg;
	uint8_t msg[3000];
	unsigned c;
	size_t len;
	int i;

	for (c = 0; c < RK_CHANNELS; c++)
		while (r->next_sent[c] < RK_MSGS) {
			len = 4 + (r->next_sent[c] * 7919 + c) % 2900;
			msg[0] = r->next_sent[c] >> 24;
			msg[1] = (r->next_sent[c] >> 16) & 0xff;
			msg[2] = (r->next_sent[c] >> 8) & 0xff;
			msg[3] = r->next_sent[c] & 0xff;
			if (tp_send_message_ex(sim->tp[0], "data", c,
			    TP_MODE_RELIABLE, msg, len, NULL, NULL) == -1)
				break;
			r->next_sent[c]++;
		}
	/* A rekey handshake: HS_RESP installs first, HS_INIT's side later. */
	if (r->rekeys < RK_REKEYS && r->install_at == 0 &&
	    sim->now >= r->rekey_at) {
		for (i = 0; i < 2; i++)
			rk_key(&r->rng, r->key[i]);
		r->index[0] += 2;
		r->index[1] += 2;
		if (chan_rekey_install(&r->ch[1], AEAD_CHACHAPOLY, r->key[1],
		    r->key[0], r->index[1], r->index[0], 0, sim->now) == -1)
			snprintf(r->err, sizeof(r->err), "responder install");
		r->install_at = sim->now + sim->link[1].delay_us;
	}
	if (r->install_at != 0 && sim->now >= r->install_at) {
		if (chan_rekey_install(&r->ch[0], AEAD_CHACHAPOLY, r->key[0],
		    r->key[1], r->index[0], r->index[1], 1, sim->now) == -1)
			snprintf(r->err, sizeof(r->err), "initiator install");
		r->install_at = 0;
		r->rekeys++;
		r->rekey_at = sim->now + 200000 + sim_rand(&r->rng) % 200000;
	}
	sim->app_wake = sim->now + FL_TICK_US;
}

static int
rk_done(const struct rk *r)
{
	unsigned c;

	for (c = 0; c < RK_CHANNELS; c++)
		if (r->next_recv[c] < RK_MSGS)
			return 0;
	return 1;
}

static void
rk_run(uint64_t seed)
{
	struct rk *r = calloc(1, sizeof(*r));
	struct chan_rekey_cfg rc;
	struct sim_link l;
	struct tp_cfg cfg;
	struct tp_stats st;
	struct tp_cb cb;
	uint8_t k0[32], k1[32];
	uint64_t end;
	int i;

	cr_assert_not_null(r);
	r->seed = r->rng = seed;
	sim_init(&r->sim, seed);
	memset(&l, 0, sizeof(l));
	l.loss = 0.01;
	l.reorder = 0.02;
	l.delay_us = 5000 + sim_rand(&r->rng) % 20000;
	l.jitter_us = 2000;
	l.bw_bps = 20000000;
	l.queue_bytes = 80000;
	r->sim.link[0] = r->sim.link[1] = l;
	rk_key(&r->rng, k0);
	rk_key(&r->rng, k1);
	r->index[0] = 10;
	r->index[1] = 11;
	cr_assert_eq(chan_init(&r->ch[0], AEAD_CHACHAPOLY, k0, k1, 11), 0);
	cr_assert_eq(chan_init(&r->ch[1], AEAD_CHACHAPOLY, k1, k0, 10), 0);
	chan_rekey_cfg_default(&rc, AEAD_CHACHAPOLY);
	chan_rekey_enable(&r->ch[0], &rc, 10, 1, r->sim.now);
	chan_rekey_enable(&r->ch[1], &rc, 11, 0, r->sim.now);
	r->sim.next_pn = rk_next_pn;
	r->sim.seal = rk_seal;
	r->sim.open = rk_open;
	r->sim.hook_arg = r;
	tp_cfg_default(&cfg);
	for (i = 0; i < 2; i++) {
		memset(&cb, 0, sizeof(cb));
		cb.arg = r;
		cb.message_ex = rk_msg;
		cb.closed = rk_closed;
		cfg.initiator = i == 0;
		r->sim.tp[i] = tp_new(&cfg, &cb, r->sim.now);
		cr_assert_not_null(r->sim.tp[i]);
	}
	r->rekey_at = r->sim.now + 300000;
	r->sim.app = rk_app;
	r->sim.app_arg = r;
	r->sim.app_wake = r->sim.now;
	end = r->sim.now + 120000000;
	while (r->err[0] == '\0' && !r->closed && !rk_done(r) &&
	    sim_step(&r->sim, end))
		;
	tp_get_stats(r->sim.tp[0], &st);
	printf("rekey seed %llu: %d rekeys in %.1f s (%llu packets lost, "
	    "%llu replayed), %llu + %llu packets "
	    "failed to open, %llu accepted under the previous key\n",
	    (unsigned long long)seed, r->rekeys,
	    (double)(r->sim.now - 1000000) / 1e6,
	    (unsigned long long)st.lost,
	    (unsigned long long)(r->ch[0].rx_replayed + r->ch[1].rx_replayed),
	    (unsigned long long)r->ch[0].rx_fail,
	    (unsigned long long)r->ch[1].rx_fail,
	    (unsigned long long)(r->ch[0].rx_old + r->ch[1].rx_old));
	fflush(stdout);
	cr_expect(r->err[0] == '\0', "seed %llu: %s (replay: SIM_SEED=%llu)",
	    (unsigned long long)seed, r->err, (unsigned long long)seed);
	cr_expect(!r->closed, "seed %llu: session closed",
	    (unsigned long long)seed);
	cr_expect(rk_done(r), "seed %llu: transfer incomplete",
	    (unsigned long long)seed);
	cr_expect(r->rekeys == RK_REKEYS && r->ch[0].rekeys == RK_REKEYS &&
	    r->ch[1].rekeys == RK_REKEYS, "seed %llu: %d/%llu/%llu rekeys "
	    "during the transfer", (unsigned long long)seed, r->rekeys,
	    (unsigned long long)r->ch[0].rekeys,
	    (unsigned long long)r->ch[1].rekeys);
	cr_expect(r->ch[0].rx_fail == 0 && r->ch[1].rx_fail == 0,
	    "seed %llu: packets failed to open", (unsigned long long)seed);
	for (i = 0; i < 2; i++) {
		tp_free(r->sim.tp[i]);
		chan_wipe(&r->ch[i]);
	}
	sim_free(&r->sim);
	free(r);
}

Test(sim_flows, rekey_mid_transfer, .timeout = 120)
{
	const char *env = getenv("SIM_SEED");
	uint64_t seed, first = 1, last = 5;

	cr_assert(sodium_init() >= 0);
	if (env != NULL && *env != '\0')
		first = last = strtoull(env, NULL, 10);
	for (seed = first; seed <= last; seed++)
		rk_run(seed);
}
