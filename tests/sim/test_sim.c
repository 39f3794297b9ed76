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

struct wl;

struct wl_end {
	struct wl	*wl;
	int		 side;
};

struct wl {
	uint64_t	 seed;
	struct sim	 sim;
	struct tp_cfg	 cfg;
	struct wl_end	 end[2];
	struct wl_stream st[WL_STREAMS];
	int		 slow_grant;
	struct wl_grant	 grants[2][256];
	size_t		 n_grants[2];
	int		 closed[2];
	int		 close_remote[2];
	uint64_t	 close_code[2];
	char		 err[256];
	size_t		 max_send, max_recv;
};

static void
wl_fail(struct wl *w, const char *what)
{
	if (w->err[0] == '\0')
		snprintf(w->err, sizeof(w->err), "%s", what);
}

static uint8_t
wl_msg_byte(const struct wl *w, int k, size_t seq, size_t i)
{
	uint64_t x = w->seed * 0x100000001b3ULL ^ ((uint64_t)k << 48) ^
	    ((uint64_t)seq << 32) ^ i;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	return (uint8_t)(x >> 40);
}

static uint8_t
wl_pipe_byte(const struct wl *w, size_t off)
{
	return (uint8_t)(((off * 0x9E3779B1u) >> 11) ^ w->seed);
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
	if (tp_stream_grant(w->sim.tp[side], sid, bytes) == -1)
		wl_fail(w, "grant failed");
}

static void
cb_open(void *arg, uint64_t sid, int kind, const char *name)
{
	struct wl_end *e = arg;
	struct wl *w = e->wl;
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
	struct wl_end *e = arg;
	struct wl *w = e->wl;
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
	struct wl_end *e = arg;
	struct wl *w = e->wl;
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
		(void)tp_stream_done(w->sim.tp[e->side], sid);
	}
	if (len > 0)
		wl_grant(w, e->side, sid, len);
}

static void
cb_writable(void *arg)
{
	struct wl_end *e = arg;

	e->wl->sim.app_wake = e->wl->sim.now;
}

static void
cb_closed(void *arg, int remote, uint64_t code, const char *reason)
{
	struct wl_end *e = arg;

	e->wl->closed[e->side] = 1;
	e->wl->close_remote[e->side] = remote;
	e->wl->close_code[e->side] = code;
}

static void
wl_push(struct wl *w, struct wl_stream *s)
{
	struct tp *tp = w->sim.tp[s->from];
	uint8_t buf[16384], *m;
	size_t len, i, n, sb;
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
		if (sb >= w->cfg.send_buf_max || (len + 8 <= w->cfg.send_buf_max
		    && sb + len + 8 > w->cfg.send_buf_max))
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
		if (sb >= w->cfg.send_buf_max)
			return;
		if (n > w->cfg.send_buf_max - sb)
			n = w->cfg.send_buf_max - sb;
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
	size_t i, sb;
	int k, side;

	for (k = 0; k < WL_STREAMS; k++)
		if (w->st[k].name != NULL && !w->closed[w->st[k].from])
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
		sb = tp_send_buffered(sim->tp[side]);
		if (sb > w->max_send)
			w->max_send = sb;
		sb = tp_recv_buffered(sim->tp[side]);
		if (sb > w->max_recv)
			w->max_recv = sb;
	}
	sim->app_wake = sim->now + WL_TICK_US;
}

static int
wl_complete(const struct wl *w)
{
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
	return tp_send_buffered(w->sim.tp[0]) == 0 &&
	    tp_send_buffered(w->sim.tp[1]) == 0;
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
	if (w->seed % 7 == 0) {		/* the extremes */
		w->st[0].sizes[0] = WL_BIG;
		w->st[0].sizes[1] = 1;
		w->st[2].sizes[0] = 0;
	}
}

static void
wl_scenario(struct wl *w, uint64_t *rng)
{
	static const double loss[8] = { 0, .01, .02, .05, .1, .2, .3, .05 };
	struct sim_link l;
	int i;

	memset(&l, 0, sizeof(l));
	l.loss = loss[w->seed % 8];
	l.dup = (w->seed / 8) % 3 == 0 ? 0.05 : 0;
	l.reorder = (w->seed / 8) % 4 == 1 ? 0.1 : 0;
	l.delay_us = 1000 + sim_rand(rng) % 40000;
	l.jitter_us = sim_rand(rng) % 2 ? sim_rand(rng) % 5000 : 0;
	if ((w->seed / 16) % 2 == 0) {
		l.bw_bps = 5000000 + sim_rand(rng) % 50000000;
		l.queue_bytes = 20000 + sim_rand(rng) % 100000;
	}
	for (i = 0; i < 2; i++)
		w->sim.link[i] = l;
	w->slow_grant = w->seed % 5 == 0;
	if (w->seed % 10 == 3)
		sim_partition(&w->sim, 1500000, 1500000 + 1000000 +
		    sim_rand(rng) % 8000000);
}

static void
wl_init(struct wl *w, uint64_t seed)
{
	struct tp_cb cb;
	uint64_t rng = seed ^ 0x5eed;
	int i;

	memset(w, 0, sizeof(*w));
	w->seed = seed;
	sim_init(&w->sim, seed);
	tp_cfg_default(&w->cfg);
	w->cfg.max_message = 256 * 1024;
	w->cfg.send_buf_max = 128 * 1024;
	w->cfg.initial_max_data = 1024 * 1024;
	w->cfg.initial_stream_credit = 96 * 1024;
	wl_plan(w, &rng);
	wl_scenario(w, &rng);
	for (i = 0; i < 2; i++) {
		memset(&cb, 0, sizeof(cb));
		w->end[i].wl = w;
		w->end[i].side = i;
		cb.arg = &w->end[i];
		cb.stream_open = cb_open;
		cb.message = cb_message;
		cb.pipe_data = cb_pipe;
		cb.writable = cb_writable;
		cb.closed = cb_closed;
		w->cfg.initiator = i == 0;
		w->sim.tp[i] = tp_new(&w->cfg, &cb, w->sim.now);
	}
	w->sim.app = wl_app;
	w->sim.app_arg = w;
	w->sim.app_wake = w->sim.now;
}

static void
wl_free(struct wl *w)
{
	tp_free(w->sim.tp[0]);
	tp_free(w->sim.tp[1]);
	sim_free(&w->sim);
}

/* Runs the workload until complete, failed, closed or out of time. */
static void
wl_run(struct wl *w, uint64_t limit_us)
{
	uint64_t end = w->sim.now + limit_us;

	while (w->err[0] == '\0' && !wl_complete(w) &&
	    !w->closed[0] && !w->closed[1]) {
		if (!sim_step(&w->sim, end)) {
			wl_fail(w, "did not complete in time");
			break;
		}
	}
	if (w->closed[0] || w->closed[1])
		wl_fail(w, "session closed");
	if (w->max_send > w->cfg.send_buf_max + WL_BIG + 16)
		wl_fail(w, "send buffer over its bound");
	if (w->max_recv > w->cfg.initial_max_data)
		wl_fail(w, "reassembly over the session credit");
}

static int
run_seed(uint64_t seed, int verbose)
{
	struct wl *w = calloc(1, sizeof(*w));
	struct tp_stats st;
	int ok;

	cr_assert_not_null(w);
	wl_init(w, seed);
	wl_run(w, 600000000);
	ok = w->err[0] == '\0';
	if (!ok || verbose) {
		tp_get_stats(w->sim.tp[0], &st);
		struct tp_stats sb;

		tp_get_stats(w->sim.tp[1], &sb);
		cr_log_info("seed %llu: %s (t=%.1fs loss %.2f bw %llu "
		    "delivered %llu B, sent %llu pkts retx %llu B lost %llu "
		    "srtt %llu us)",
		    (unsigned long long)seed, ok ? "ok" : w->err,
		    (double)(w->sim.now - 1000000) / 1e6, w->sim.link[0].loss,
		    (unsigned long long)w->sim.link[0].bw_bps,
		    (unsigned long long)sb.rx_bytes,
		    (unsigned long long)st.tx_packets,
		    (unsigned long long)st.retransmits,
		    (unsigned long long)st.lost,
		    (unsigned long long)st.srtt_us);
	}
	if (!ok)
		fprintf(stderr, "test_sim: seed %llu failed: %s "
		    "(replay: SIM_SEED=%llu)\n", (unsigned long long)seed,
		    w->err, (unsigned long long)seed);
	wl_free(w);
	free(w);
	return ok;
}

Test(sim, seeds, .timeout = 300)
{
	const char *env = getenv("SIM_SEED");
	uint64_t seed, first = 1, last = 200;
	int failed = 0;

	if (env != NULL && *env != '\0')
		first = last = strtoull(env, NULL, 10);
	else if ((env = getenv("SIM_SEEDS")) != NULL && *env != '\0') {
		last = strtoull(env, NULL, 10);	/* a longer soak */
		env = NULL;
	}
	for (seed = first; seed <= last; seed++)
		if (!run_seed(seed, env != NULL))
			failed++;
	cr_assert_eq(failed, 0, "%d of %llu seeds failed (see stderr)",
	    failed, (unsigned long long)(last - first + 1));
}

/* A partition shorter than the idle timeout: the transfer resumes. */
Test(sim, short_partition_recovers)
{
	struct wl *w = calloc(1, sizeof(*w));
	uint64_t seed;

	cr_assert_not_null(w);
	for (seed = 1000; seed < 1010; seed++) {
		wl_init(w, seed);
		w->sim.link[0].loss = w->sim.link[1].loss = 0.01;
		w->sim.n_part = 0;
		sim_partition(&w->sim, w->sim.now + 300000,
		    w->sim.now + 300000 + 20000000);	/* 20 s < 30 s */
		wl_run(w, 300000000);
		cr_expect(w->err[0] == '\0', "seed %llu: %s",
		    (unsigned long long)seed, w->err);
		wl_free(w);
	}
	free(w);
}

/* A partition longer than the idle timeout closes both sides. */
Test(sim, long_partition_closes)
{
	struct wl *w = calloc(1, sizeof(*w));
	uint64_t start;

	cr_assert_not_null(w);
	wl_init(w, 77);
	w->sim.link[0].loss = w->sim.link[1].loss = 0;
	w->sim.n_part = 0;
	start = w->sim.now + 200000;
	sim_partition(&w->sim, start, start + 60000000);
	while (!(w->closed[0] && w->closed[1]) &&
	    sim_step(&w->sim, start + 60000000))
		;
	cr_assert(w->closed[0] && w->closed[1], "sides not closed");
	cr_expect_eq(w->close_remote[0], 0);
	cr_expect_eq(w->close_code[0], TP_ERR_IDLE);
	cr_expect_eq(w->close_code[1], TP_ERR_IDLE);
	cr_expect(w->sim.now >= start + 29000000 &&
	    w->sim.now <= start + 32000000, "closed at %llu us",
	    (unsigned long long)(w->sim.now - start));
	wl_free(w);
	free(w);
}

/* Idle but alive: keepalives hold the session open past the timeout. */
Test(sim, keepalive_holds_idle_session)
{
	struct wl *w = calloc(1, sizeof(*w));
	uint64_t end;

	cr_assert_not_null(w);
	wl_init(w, 5);
	w->sim.link[0].loss = w->sim.link[1].loss = 0;
	w->sim.app = NULL;
	end = w->sim.now + 100000000;
	while (sim_step(&w->sim, end))
		;
	cr_assert(!w->closed[0] && !w->closed[1]);
	cr_assert(w->sim.sent[0] >= 4, "keepalives sent: %llu",
	    (unsigned long long)w->sim.sent[0]);
	wl_free(w);
	free(w);
}

/* CLOSE reaches the peer with its code and reason. */
Test(sim, close_reaches_peer)
{
	struct wl *w = calloc(1, sizeof(*w));
	int i;

	cr_assert_not_null(w);
	wl_init(w, 9);
	w->sim.link[0].loss = w->sim.link[1].loss = 0;
	for (i = 0; i < 50; i++)
		(void)sim_step(&w->sim, UINT64_MAX);
	tp_close(w->sim.tp[0], TP_ERR_APP + 7, "bye");
	cr_assert(tp_is_closed(w->sim.tp[0]));
	while (!w->closed[1] && sim_step(&w->sim, w->sim.now + 5000000))
		;
	cr_assert(w->closed[1]);
	cr_expect_eq(w->close_remote[1], 1);
	cr_expect_eq(w->close_code[1], TP_ERR_APP + 7);
	cr_expect_eq(w->closed[0], 0, "local close calls no callback");
	wl_free(w);
	free(w);
}
