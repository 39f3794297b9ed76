/* SPDX-License-Identifier: ISC */
/*
 * test_sim.c: two tp instances over the simulated network (sim.h) with
 * real workloads: several message streams each way with sizes from 1 B to
 * 200 KB, and a pipe. Every seed checks exactly-once in-order delivery,
 * memory bounds and completion; partitions check recovery and the idle
 * close. A failure names its seed; SIM_SEED=N replays that seed alone,
 * SIM_SEEDS=N runs seeds 1..N instead of 1..200.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "simrun.h"
#include "tp.h"

#define WL_STREAMS	4
#define WL_MAXMSG	32
#define WL_BIG		200000
#define WL_TICK_US	2000

struct wl_stream {
	const char	*name;
	int		 kind;
	int		 from;		/* sending side */
	size_t		 nmsg;
	size_t		 sizes[WL_MAXMSG];
	size_t		 next_send;
	size_t		 next_recv;
	uint64_t	 sid_tx;
	uint64_t	 sid_rx;
	int		 opened;
	int		 seen;
	size_t		 pipe_len;
	size_t		 pipe_sent;
	size_t		 pipe_recv;
	int		 finished;
	int		 fin_rcvd;
};

struct wl_grant {
	uint64_t	 sid;
	uint64_t	 bytes;
};

struct wl {
	struct simrun	 r;
	struct wl_stream st[WL_STREAMS];
	int		 slow_grant;
	struct wl_grant	 grants[2][256];
	size_t		 n_grants[2];
};

/* The first failure of the run (see simrun_fail). */
#define wl_fail(w, ...) simrun_fail(&(w)->r, __VA_ARGS__)

static uint8_t
wl_msg_byte(const struct wl *w, int k, size_t seq, size_t i)
{
	return simrun_mix(w->r.seed * 0x100000001b3ULL ^ ((uint64_t)k << 48) ^
	    ((uint64_t)seq << 32) ^ i);
}

static uint8_t
wl_pipe_byte(const struct wl *w, size_t off)
{
	return (uint8_t)(((off * 0x9E3779B1u) >> 11) ^ w->r.seed);
}

static struct wl_stream *
wl_by_rx(struct wl *w, int side, uint64_t sid)
{
	int k;

	for (k = 0; k < WL_STREAMS; k++)
		if (w->st[k].from == !side && w->st[k].seen &&
		    w->st[k].sid_rx == sid)
			return &w->st[k];
	return NULL;
}

static void
wl_grant(struct wl *w, int side, uint64_t sid, uint64_t bytes)
{
	if (w->slow_grant && w->n_grants[side] < 256) {
		w->grants[side][w->n_grants[side]].sid = sid;
		w->grants[side][w->n_grants[side]++].bytes = bytes;
		return;
	}
	if (tp_stream_grant(w->r.sim.tp[side], sid, bytes) == -1)
		wl_fail(w, "grant failed");
}

static void
cb_open(void *arg, uint64_t sid, int kind, const char *name)
{
	struct simrun_end *e = arg;
	struct wl *w = e->run->owner;
	int k;

	for (k = 0; k < WL_STREAMS; k++) {
		struct wl_stream *s = &w->st[k];
		if (s->name == NULL || s->from != !e->side ||
		    strcmp(s->name, name) != 0)
			continue;
		if (s->seen)
			wl_fail(w, "stream opened twice");
		if (s->kind != kind)
			wl_fail(w, "stream kind differs");
		s->seen = 1;
		s->sid_rx = sid;
		return;
	}
	wl_fail(w, "unknown stream opened");
}

static void
cb_message(void *arg, uint64_t sid, const uint8_t *data, size_t len)
{
	struct simrun_end *e = arg;
	struct wl *w = e->run->owner;
	struct wl_stream *s = wl_by_rx(w, e->side, sid);
	size_t i;
	int k;

	if (s == NULL || s->kind != TP_STREAM_MESSAGES) {
		wl_fail(w, "message on an unknown stream");
		return;
	}
	k = (int)(s - w->st);
	if (s->next_recv >= s->nmsg) {
		wl_fail(w, "more messages than sent (duplicate?)");
		return;
	}
	if (len != s->sizes[s->next_recv]) {
		wl_fail(w, "message length differs: out of order or torn");
		return;
	}
	for (i = 0; i < len; i++)
		if (data[i] != wl_msg_byte(w, k, s->next_recv, i)) {
			wl_fail(w, "message content differs");
			return;
		}
	s->next_recv++;
	wl_grant(w, e->side, sid, len);
}

static void
cb_pipe(void *arg, uint64_t sid, const uint8_t *data, size_t len, int fin)
{
	struct simrun_end *e = arg;
	struct wl *w = e->run->owner;
	struct wl_stream *s = wl_by_rx(w, e->side, sid);
	size_t i;

	if (s == NULL || s->kind != TP_STREAM_PIPE || s->fin_rcvd) {
		wl_fail(w, "pipe data on an unknown or finished stream");
		return;
	}
	for (i = 0; i < len; i++)
		if (data[i] != wl_pipe_byte(w, s->pipe_recv + i)) {
			wl_fail(w, "pipe content differs");
			return;
		}
	s->pipe_recv += len;
	if (fin) {
		s->fin_rcvd = 1;
		if (s->pipe_recv != s->pipe_len)
			wl_fail(w, "pipe ended short");
		(void)tp_stream_done(w->r.sim.tp[e->side], sid);
	}
	if (len > 0)
		wl_grant(w, e->side, sid, len);
}

static void
wl_push(struct wl *w, struct wl_stream *s)
{
	struct tp *tp = w->r.sim.tp[s->from];
	uint8_t buf[16384], *m;
	size_t len, i, n, sb, max = w->r.cfg.send_buf_max;
	ssize_t r;

	if (!s->opened) {
		if (tp_stream_open(tp, s->kind, s->name, &s->sid_tx) == -1) {
			wl_fail(w, "stream_open failed");
			return;
		}
		s->opened = 1;
	}
	while (s->kind == TP_STREAM_MESSAGES && s->next_send < s->nmsg) {
		len = s->sizes[s->next_send];
		sb = tp_send_buffered(tp);
		if (sb >= max || (len + 8 <= max && sb + len + 8 > max))
			return;		/* would be refused: skip the work */
		if ((m = malloc(len + 1)) == NULL)
			abort();
		for (i = 0; i < len; i++)
			m[i] = wl_msg_byte(w, (int)(s - w->st), s->next_send, i);
		i = tp_send_message(tp, s->sid_tx, m, len, NULL);
		free(m);
		if (i != 0) {
			if (errno != EAGAIN)
				wl_fail(w, "send_message failed");
			return;
		}
		s->next_send++;
	}
	while (s->kind == TP_STREAM_PIPE && s->pipe_sent < s->pipe_len) {
		n = s->pipe_len - s->pipe_sent;
		sb = tp_send_buffered(tp);
		if (sb >= max)
			return;
		if (n > max - sb)
			n = max - sb;
		if (n > sizeof(buf))
			n = sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = wl_pipe_byte(w, s->pipe_sent + i);
		if ((r = tp_stream_write(tp, s->sid_tx, buf, n)) < 0) {
			if (errno != EAGAIN)
				wl_fail(w, "stream_write failed");
			return;
		}
		s->pipe_sent += (size_t)r;
	}
	if (!s->finished && (s->kind == TP_STREAM_PIPE ||
	    s->next_send == s->nmsg)) {
		s->finished = 1;
		(void)tp_stream_finish(tp, s->sid_tx);
	}
}

static void
wl_app(struct sim *sim, void *arg)
{
	struct wl *w = arg;
	size_t i;
	int k, side;

	for (k = 0; k < WL_STREAMS; k++)
		if (w->st[k].name != NULL && !w->r.closed[w->st[k].from])
			wl_push(w, &w->st[k]);
	for (side = 0; side < 2; side++) {
		/* A slow application frees its inbox every 40 ms. */
		if (w->slow_grant && (sim->now / WL_TICK_US) % 20 == 0) {
			for (i = 0; i < w->n_grants[side]; i++)
				(void)tp_stream_grant(sim->tp[side],
				    w->grants[side][i].sid,
				    w->grants[side][i].bytes);
			w->n_grants[side] = 0;
		}
	}
	simrun_watch(&w->r);
	sim->app_wake = sim->now + WL_TICK_US;
}

static int
wl_complete(const void *arg)
{
	const struct wl *w = arg;
	int k;

	for (k = 0; k < WL_STREAMS; k++) {
		const struct wl_stream *s = &w->st[k];
		if (s->name == NULL)
			continue;
		if (s->kind == TP_STREAM_MESSAGES && s->next_recv < s->nmsg)
			return 0;
		if (s->kind == TP_STREAM_PIPE && !s->fin_rcvd)
			return 0;
	}
	return tp_send_buffered(w->r.sim.tp[0]) == 0 &&
	    tp_send_buffered(w->r.sim.tp[1]) == 0;
}

static size_t
wl_size(uint64_t *rng)
{
	uint64_t r = sim_rand(rng) % 100;

	if (r < 60)
		return 1 + sim_rand(rng) % 1000;
	if (r < 92)
		return 1000 + sim_rand(rng) % 15000;
	return 20000 + sim_rand(rng) % (WL_BIG - 20000 + 1);
}

static void
wl_plan(struct wl *w, uint64_t *rng)
{
	static const char *names[WL_STREAMS] = { "svc-a", "svc.b", "back",
	    "pipe_1" };
	static const int from[WL_STREAMS] = { 0, 0, 1, 0 };
	static const size_t counts[WL_STREAMS] = { 32, 24, 20, 0 };
	size_t i;
	int k;

	for (k = 0; k < WL_STREAMS; k++) {
		struct wl_stream *s = &w->st[k];
		s->name = names[k];
		s->from = from[k];
		s->kind = counts[k] ? TP_STREAM_MESSAGES : TP_STREAM_PIPE;
		s->nmsg = counts[k];
		for (i = 0; i < s->nmsg; i++)
			s->sizes[i] = wl_size(rng);
		s->pipe_len = s->nmsg ? 0 : 20000 + sim_rand(rng) % 300000;
	}
	if (w->r.seed % 7 == 0) {		/* the extremes */
		w->st[0].sizes[0] = WL_BIG;
		w->st[0].sizes[1] = 1;
		w->st[2].sizes[0] = 0;
	}
}

static void
wl_init(struct wl *w, uint64_t seed)
{
	static const struct tp_cb cb = { .stream_open = cb_open,
	    .message = cb_message, .pipe_data = cb_pipe };
	uint64_t rng = seed ^ 0x5eed;

	memset(w, 0, sizeof(*w));
	simrun_init(&w->r, seed, w);
	w->r.cfg.send_buf_max = 128 * 1024;
	wl_plan(w, &rng);
	simrun_link(&w->r, &rng);
	w->slow_grant = seed % 5 == 0;
	simrun_start(&w->r, &cb, wl_app);
}

/* Runs the workload until complete, failed, closed or out of time. */
static void
wl_run(struct wl *w, uint64_t limit_us)
{
	simrun_run(&w->r, limit_us, wl_complete);
	simrun_check(&w->r, WL_BIG);
}

static struct wl *
wl_new(uint64_t seed)
{
	struct wl *w = calloc(1, sizeof(*w));

	cr_assert_not_null(w);
	wl_init(w, seed);
	return w;
}

static void
wl_delete(struct wl *w)
{
	simrun_free(&w->r);
	free(w);
}

/* The workload of a seed on a link with this loss and no partition. */
static struct wl *
wl_new_loss(uint64_t seed, double loss)
{
	struct wl *w = wl_new(seed);

	w->r.sim.link[0].loss = w->r.sim.link[1].loss = loss;
	w->r.sim.n_part = 0;
	return w;
}

static int
run_seed(uint64_t seed, int verbose)
{
	struct wl *w = wl_new(seed);
	struct tp_stats st[2];
	int ok;

	wl_run(w, 600000000);
	tp_get_stats(w->r.sim.tp[0], &st[0]);
	tp_get_stats(w->r.sim.tp[1], &st[1]);
	ok = simrun_report(&w->r, "test_sim", verbose, " bw %llu delivered "
	    "%llu B, sent %llu pkts retx %llu B lost %llu srtt %llu us",
	    (unsigned long long)w->r.sim.link[0].bw_bps,
	    (unsigned long long)st[1].rx_bytes,
	    (unsigned long long)st[0].tx_packets,
	    (unsigned long long)st[0].retransmits,
	    (unsigned long long)st[0].lost,
	    (unsigned long long)st[0].srtt_us);
	wl_delete(w);
	return ok;
}

Test(sim, seeds, .timeout = 300)
{
	simrun_seeds(200, run_seed);
}

/* A partition shorter than the idle timeout: the transfer resumes. */
Test(sim, short_partition_recovers)
{
	struct wl *w;
	uint64_t seed;

	for (seed = 1000; seed < 1010; seed++) {
		w = wl_new_loss(seed, 0.01);
		sim_partition(&w->r.sim, w->r.sim.now + 300000,
		    w->r.sim.now + 300000 + 20000000);	/* 20 s < 30 s */
		wl_run(w, 300000000);
		cr_expect(w->r.err[0] == '\0', "seed %llu: %s",
		    (unsigned long long)seed, w->r.err);
		wl_delete(w);
	}
}

/* A partition longer than the idle timeout closes both sides. */
Test(sim, long_partition_closes)
{
	struct wl *w = wl_new_loss(77, 0);
	uint64_t start;

	start = w->r.sim.now + 200000;
	sim_partition(&w->r.sim, start, start + 60000000);
	while (!(w->r.closed[0] && w->r.closed[1]) &&
	    sim_step(&w->r.sim, start + 60000000))
		;
	cr_assert(w->r.closed[0] && w->r.closed[1], "sides not closed");
	cr_expect_eq(w->r.close_remote[0], 0);
	cr_expect_eq(w->r.close_code[0], TP_ERR_IDLE);
	cr_expect_eq(w->r.close_code[1], TP_ERR_IDLE);
	cr_expect(w->r.sim.now >= start + 29000000 &&
	    w->r.sim.now <= start + 32000000, "closed at %llu us",
	    (unsigned long long)(w->r.sim.now - start));
	wl_delete(w);
}

/* Idle but alive: keepalives hold the session open past the timeout. */
Test(sim, keepalive_holds_idle_session)
{
	struct wl *w = wl_new_loss(5, 0);
	uint64_t end;

	w->r.sim.app = NULL;
	end = w->r.sim.now + 100000000;
	while (sim_step(&w->r.sim, end))
		;
	cr_assert(!w->r.closed[0] && !w->r.closed[1]);
	cr_assert(w->r.sim.sent[0] >= 4, "keepalives sent: %llu",
	    (unsigned long long)w->r.sim.sent[0]);
	wl_delete(w);
}

/* CLOSE reaches the peer with its code and reason. */
Test(sim, close_reaches_peer)
{
	struct wl *w = wl_new_loss(9, 0);
	int i;

	for (i = 0; i < 50; i++)
		(void)sim_step(&w->r.sim, UINT64_MAX);
	tp_close(w->r.sim.tp[0], TP_ERR_APP + 7, "bye");
	cr_assert(tp_is_closed(w->r.sim.tp[0]));
	while (!w->r.closed[1] && sim_step(&w->r.sim, w->r.sim.now + 5000000))
		;
	cr_assert(w->r.closed[1]);
	cr_expect_eq(w->r.close_remote[1], 1);
	cr_expect_eq(w->r.close_code[1], TP_ERR_APP + 7);
	cr_expect_eq(w->r.closed[0], 0, "local close calls no callback");
	wl_delete(w);
}
