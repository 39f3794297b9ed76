/* SPDX-License-Identifier: ISC */
/*
 * churn: group membership churn through libp2pclient, for the churn
 * benchmark and its small leak-checked run in make check.
 *
 *   churn OPS GROUPS SEED SOCKET...
 *
 * Each operation picks an agent and a group at random and toggles the
 * agent's membership (join, or leave if it is a member), then waits for the
 * agent's own member_join / member_leave event. It checks every operation
 * succeeds and every event arrives, drains the other agents' events as it
 * goes, and prints operations per second and the latency from request to
 * event (p50, p99). Exits 1 on the first failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "p2pclient.h"

#define CHURN_MAX_AGENTS	256
#define CHURN_MAX_GROUPS	256

static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Take events of c until the agent's own event for group arrives. */
static int
wait_own(struct p2pclient *c, const char *self, const char *ev,
    const char *group)
{
	struct p2pclient_event *e;
	double deadline = now_ms() + 10000;
	int found = 0, r;

	while (!found && now_ms() < deadline) {
		if ((r = p2pclient_next_event(c, 200, &e)) == P2PCLIENT_ETIMEDOUT)
			continue;
		if (r < 0)
			return r;
		found = e->type == P2PCLIENT_EV_GROUP && e->event != NULL &&
		    strcmp(e->event, ev) == 0 && strcmp(e->group, group) == 0 &&
		    strcmp(e->peer_id, self) == 0;
		p2pclient_event_free(e);
	}
	return found ? 0 : P2PCLIENT_ETIMEDOUT;
}

static void
drain(struct p2pclient *c, unsigned long *nev)
{
	struct p2pclient_event *e;

	while (p2pclient_next_event(c, 0, &e) == 0) {
		(*nev)++;
		p2pclient_event_free(e);
	}
}

int
main(int argc, char **argv)
{
	static struct p2pclient *cl[CHURN_MAX_AGENTS];
	static char self[CHURN_MAX_AGENTS][65];
	static unsigned char member[CHURN_MAX_AGENTS][CHURN_MAX_GROUPS];
	struct p2pclient_status *st;
	char err[256], group[32];
	unsigned long ops, ngroups, i, j, n, events = 0;
	double t0, t, *lat;
	int a, g, join, r;

	if (argc < 5) {
		fprintf(stderr, "usage: churn OPS GROUPS SEED SOCKET...\n");
		return 2;
	}
	ops = strtoul(argv[1], NULL, 10);
	ngroups = strtoul(argv[2], NULL, 10);
	rng_state = strtoull(argv[3], NULL, 10);
	n = (unsigned long)argc - 4;
	if (ops == 0 || ngroups == 0 || ngroups > CHURN_MAX_GROUPS ||
	    n > CHURN_MAX_AGENTS || (lat = calloc(ops, sizeof(*lat))) == NULL) {
		fprintf(stderr, "churn: bad arguments\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		if ((cl[i] = p2pclient_open(argv[4 + i], err, sizeof(err))) == NULL) {
			fprintf(stderr, "churn: %s\n", err);
			return 1;
		}
		if (p2pclient_status(cl[i], &st) < 0 ||
		    p2pclient_subscribe(cl[i]) < 0) {
			fprintf(stderr, "churn: %s: %s\n", argv[4 + i],
			    p2pclient_errmsg(cl[i]));
			return 1;
		}
		snprintf(self[i], sizeof(self[i]), "%s", st->peer_id);
		p2pclient_status_free(st);
	}
	t0 = now_ms();
	for (i = 0; i < ops; i++) {
		a = (int)(rng() % n);
		g = (int)(rng() % ngroups);
		snprintf(group, sizeof(group), "churn%d", g);
		join = !member[a][g];
		t = now_ms();
		r = p2pclient_group(cl[a], join ? P2PCLIENT_GROUP_JOIN :
		    P2PCLIENT_GROUP_LEAVE, group);
		if (r < 0) {
			fprintf(stderr, "churn: op %lu: %s %s %s: %s\n", i,
			    self[a], join ? "join" : "leave", group,
			    p2pclient_errmsg(cl[a]));
			return 1;
		}
		if (wait_own(cl[a], self[a], join ? "member_join" :
		    "member_leave", group) < 0) {
			fprintf(stderr, "churn: op %lu: no %s event for %s in "
			    "%s\n", i, join ? "member_join" : "member_leave",
			    self[a], group);
			return 1;
		}
		lat[i] = now_ms() - t;
		member[a][g] = (unsigned char)join;
		for (j = 0; j < n; j++)
			drain(cl[j], &events);
	}
	t = now_ms() - t0;
	qsort(lat, ops, sizeof(*lat), cmp_double);
	printf("churn: %lu operations by %lu agents over %lu groups in %.2f s: "
	    "%.0f ops/s; request to own event p50 %.2f ms, p99 %.2f ms; "
	    "%lu other events delivered\n", ops, n, ngroups, t / 1e3,
	    ops / (t / 1e3), lat[ops / 2], lat[(ops * 99) / 100], events);
	for (i = 0; i < n; i++)
		p2pclient_close(cl[i]);
	free(lat);
	return 0;
}
