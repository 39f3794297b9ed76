/* SPDX-License-Identifier: ISC */
/*
 * simrun.c: the harness of the seeded workload tests (see simrun.h).
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simrun.h"

/*
 * The limits both workloads run with; the caller sets the send buffer and
 * anything else its workload needs after this.
 */
void
simrun_init(struct simrun *r, uint64_t seed, void *owner)
{
	r->seed = seed;
	r->owner = owner;
	sim_init(&r->sim, seed);
	tp_cfg_default(&r->cfg);
	r->cfg.max_message = 256 * 1024;
	r->cfg.initial_max_data = 1024 * 1024;
	r->cfg.initial_stream_credit = 96 * 1024;
}

/*
 * The same link both ways, a pure function of the seed and rng: loss from
 * 0 to 30%, duplication, reordering, delay, jitter, every other block of
 * 16 seeds a bandwidth limit with a queue, and for seeds ending in 3 a
 * partition of 1 to 9 s.
 */
void
simrun_link(struct simrun *r, uint64_t *rng)
{
	static const double loss[8] = { 0, .01, .02, .05, .1, .2, .3, .05 };
	struct sim_link l;
	uint64_t seed = r->seed;
	int i;

	memset(&l, 0, sizeof(l));
	l.loss = loss[seed % 8];
	l.dup = (seed / 8) % 3 == 0 ? 0.05 : 0;
	l.reorder = (seed / 8) % 4 == 1 ? 0.1 : 0;
	l.delay_us = 1000 + sim_rand(rng) % 40000;
	l.jitter_us = sim_rand(rng) % 2 ? sim_rand(rng) % 5000 : 0;
	if ((seed / 16) % 2 == 0) {
		l.bw_bps = 5000000 + sim_rand(rng) % 50000000;
		l.queue_bytes = 20000 + sim_rand(rng) % 100000;
	}
	for (i = 0; i < 2; i++)
		r->sim.link[i] = l;
	if (seed % 10 == 3)
		sim_partition(&r->sim, 1500000, 1500000 + 1000000 +
		    sim_rand(rng) % 8000000);
}

static void
simrun_writable(void *arg)
{
	struct simrun_end *e = arg;

	e->run->sim.app_wake = e->run->sim.now;
}

static void
simrun_closed(void *arg, int remote, uint64_t code, const char *reason)
{
	struct simrun_end *e = arg;

	(void)reason;
	e->run->closed[e->side] = 1;
	e->run->close_remote[e->side] = remote;
	e->run->close_code[e->side] = code;
}

/*
 * Makes the two sides (0 initiates) with the workload's callbacks, which
 * get a struct simrun_end; writable wakes the application and closed is
 * recorded. The application runs at once.
 */
void
simrun_start(struct simrun *r, const struct tp_cb *tmpl,
    void (*app)(struct sim *, void *))
{
	struct tp_cb cb;
	int i;

	for (i = 0; i < 2; i++) {
		cb = *tmpl;
		r->end[i].run = r;
		r->end[i].side = i;
		cb.arg = &r->end[i];
		cb.writable = simrun_writable;
		cb.closed = simrun_closed;
		r->cfg.initiator = i == 0;
		r->sim.tp[i] = tp_new(&r->cfg, &cb, r->sim.now);
		cr_assert_not_null(r->sim.tp[i]);
	}
	r->sim.app = app;
	r->sim.app_arg = r->owner;
	r->sim.app_wake = r->sim.now;
}

/* Keeps the first failure: the later ones tend to follow from it. */
void
simrun_fail(struct simrun *r, const char *fmt, ...)
{
	va_list ap;

	if (r->err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

/* Notes the largest send and reassembly buffers; the application calls it. */
void
simrun_watch(struct simrun *r)
{
	size_t x;
	int side;

	for (side = 0; side < 2; side++) {
		if ((x = tp_send_buffered(r->sim.tp[side])) > r->max_send)
			r->max_send = x;
		if ((x = tp_recv_buffered(r->sim.tp[side])) > r->max_recv)
			r->max_recv = x;
	}
}

/* Runs until complete, failed, closed or limit_us from now. */
void
simrun_run(struct simrun *r, uint64_t limit_us,
    int (*complete)(const void *owner))
{
	uint64_t end = r->sim.now + limit_us;

	while (r->err[0] == '\0' && !complete(r->owner) &&
	    !r->closed[0] && !r->closed[1]) {
		if (!sim_step(&r->sim, end)) {
			simrun_fail(r, "did not complete in time");
			break;
		}
	}
}

/*
 * After the run: neither side closed, and the buffers stayed within their
 * bounds (the send buffer may exceed its own by one message in flight).
 */
void
simrun_check(struct simrun *r, size_t max_message)
{
	if (r->closed[0] || r->closed[1])
		simrun_fail(r, "session closed");
	if (r->max_send > r->cfg.send_buf_max + max_message + 16)
		simrun_fail(r, "send buffer over its bound (%zu)", r->max_send);
	if (r->max_recv > r->cfg.initial_max_data)
		simrun_fail(r, "reassembly over the session credit");
}

/*
 * 1 when the run passed. A failed or verbose run logs its verdict, time,
 * loss and the workload's own numbers (fmt); a failed one says on stderr
 * how to replay its seed.
 */
int
simrun_report(const struct simrun *r, const char *prog, int verbose,
    const char *fmt, ...)
{
	char more[512];
	va_list ap;
	int ok = r->err[0] == '\0';

	if (!ok || verbose) {
		va_start(ap, fmt);
		vsnprintf(more, sizeof(more), fmt, ap);
		va_end(ap);
		cr_log_info("seed %llu: %s (t=%.1fs loss %.2f%s)",
		    (unsigned long long)r->seed, ok ? "ok" : r->err,
		    (double)(r->sim.now - 1000000) / 1e6, r->sim.link[0].loss,
		    more);
	}
	if (!ok)
		fprintf(stderr, "%s: seed %llu failed: %s "
		    "(replay: SIM_SEED=%llu)\n", prog,
		    (unsigned long long)r->seed, r->err,
		    (unsigned long long)r->seed);
	return ok;
}

void
simrun_free(struct simrun *r)
{
	simrun_pair_free(&r->sim);
}

/* Two sides (0 initiates) with the same callbacks, for a test of its own. */
void
simrun_pair(struct sim *sim, struct tp_cfg *cfg, const struct tp_cb *cb)
{
	int i;

	for (i = 0; i < 2; i++) {
		cfg->initiator = i == 0;
		sim->tp[i] = tp_new(cfg, cb, sim->now);
		cr_assert_not_null(sim->tp[i]);
	}
}

void
simrun_pair_free(struct sim *sim)
{
	tp_free(sim->tp[0]);
	tp_free(sim->tp[1]);
	sim_free(sim);
}

/*
 * Runs seeds 1..last; SIM_SEED=N runs N alone and verbose, SIM_SEEDS=N
 * runs 1..N (a longer soak). Fails the test with the number that failed.
 */
void
simrun_seeds(uint64_t last, int (*run)(uint64_t seed, int verbose))
{
	const char *env = getenv("SIM_SEED");
	uint64_t seed, first = 1;
	int failed = 0;

	if (env != NULL && *env != '\0')
		first = last = strtoull(env, NULL, 10);
	else if ((env = getenv("SIM_SEEDS")) != NULL && *env != '\0') {
		last = strtoull(env, NULL, 10);
		env = NULL;
	}
	for (seed = first; seed <= last; seed++)
		if (!run(seed, env != NULL))
			failed++;
	cr_assert_eq(failed, 0, "%d of %llu seeds failed (see stderr)",
	    failed, (unsigned long long)(last - first + 1));
}

/* A byte of a hash of x: content a test can check without storing it. */
uint8_t
simrun_mix(uint64_t x)
{
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	return (uint8_t)(x >> 40);
}
