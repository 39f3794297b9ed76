/* SPDX-License-Identifier: ISC */
/*
 * loadgen_rehome.c: loadgen --rehome S. After --hold, every registered
 * peer behaves as p2pd's registration does (daemon/agent/reg.c, reg_live.c,
 * reg_nodes.c; the constants below are the agent's) when its node dies:
 *
 *  - a keepalive every keepalive_s the server asked for; something sent
 *    and nothing authenticated heard for 1 s, then a check of 3 keepalives
 *    300 ms apart; all unanswered, and the peer leaves its node;
 *  - it registers with another node, at random among the --server nodes
 *    not tried in this round, after a random delay of up to 300 ms; HELLO
 *    retransmitted after 250, 500, 1000 ms (3 HELLOs, then the next node),
 *    the same REG_INIT after 250 ms doubling (6 in all); a refusal (a node
 *    busy, cluster state unavailable) goes to the next node at once; every
 *    node failed in a round: 1 s, 2 s, 4 s, then 8 s before the next round.
 *
 * What differs from 30,000 processes: a socket has one registration in
 * flight (REG_CHALLENGE names no client), so at most --window peers
 * register at once and the others wait their turn in order; the nodes'
 * CPU, not the window, bounds the rate (the registration step shows it).
 *
 * The script SIGKILLs a node and at once sends loadgen SIGUSR1: times are
 * counted from the signal. The node the first peer leaves is the dead
 * one; the peers registered on it at that moment must all come back on
 * another. Done when they have, or S seconds after the signal. Prints
 * rehome_node (its index in the --server list), rehome_peers, rehome_back,
 * rehome_lost, rehome_first_leave_s, rehome_p50_s, rehome_p90_s,
 * rehome_p99_s, rehome_s (the last one back), rehome_attempts,
 * rehome_refusals, rehome_spurious (peers of live nodes that left). Exit
 * status 1 if one was lost.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "loadgen.h"

#define RH_LIVE_MS	1000	/* REG_LIVE_US */
#define RH_CHECK_MS	300	/* REG_CHECK_US */
#define RH_CHECK_TRIES	3	/* REG_CHECK_TRIES */
#define RH_JITTER_MS	300	/* REG_FAILOVER_JITTER_US */
#define RH_RTO_US	250000ULL	/* REG_RTO_US */
#define RH_HELLO_TRIES	3	/* REG_TRIES_MULTI */
#define RH_INIT_TRIES	6	/* REG_TRIES */
#define RH_BACKOFF_MAX	8	/* REG_BACKOFF_MAX_NODES */
#define RH_SCAN_US	10000ULL

/* A peer's step in the rehome phase (lg_peer.rh). */
enum lg_rh {
	RH_UP,		/* registered, next keepalive at rh_ka_ms */
	RH_WAIT,	/* sent, nothing heard since: silent at rh_t_ms */
	RH_CHECK,	/* checking with keepalives: the next at rh_t_ms */
	RH_DELAY,	/* left: registers again at rh_t_ms */
	RH_READY,	/* in the queue for a socket */
	RH_TRYING	/* a registration in flight on a socket */
};

struct lg_rehome {
	uint64_t	 t0_us;		/* the run's ms count from here */
	uint64_t	 scan_us;
	long		*queue;		/* RH_READY peers, oldest first */
	long		 qhead, qlen;
	int		 dead;		/* the node left first, -1: none */
	long		 orphans, back;
	uint32_t	*back_ms;	/* since the signal, in arrival order */
	uint64_t	 first_leave_us;
	uint64_t	 attempts, refusals, spurious;
};

static volatile sig_atomic_t	rh_signalled;
static uint64_t			rh_kill_us;

static void
rh_on_usr1(int sig)
{
	(void)sig;
	if (!rh_signalled) {
		rh_kill_us = lg_now_us();
		rh_signalled = 1;
	}
}

/* Before anything runs: SIGUSR1's default would end the process. */
void
lg_rehome_arm(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rh_on_usr1;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGUSR1, &sa, NULL);
}

static uint32_t
rh_ms(const struct lg *g, uint64_t now)
{
	return (uint32_t)((now - g->rh->t0_us) / 1000);
}

/* Registers again after ms: the next untried node, else a new round
 * after the backoff (reg_try_next, reg_nodes_next, reg_retry_later). */
static void
rh_leave(struct lg *g, long i, uint64_t now)
{
	struct lg_peer *p = &g->peers[i];
	unsigned j, k, cand[LG_SERVERS];
	uint32_t delay;

	p->rh_tried |= (uint16_t)(1u << p->node);
	for (j = 0, k = 0; j < g->nsrv; j++)
		if (!(p->rh_tried & (1u << j)))
			cand[k++] = j;
	if (k > 0) {
		p->node = (uint8_t)cand[randombytes_uniform(k)];
		delay = randombytes_uniform(RH_JITTER_MS);
	} else {
		p->rh_tried = 0;
		delay = (uint32_t)p->rh_backoff * 1000;
		p->rh_backoff = p->rh_backoff * 2 > RH_BACKOFF_MAX ?
		    RH_BACKOFF_MAX : p->rh_backoff * 2;
	}
	p->state = LG_IDLE;
	p->rh = RH_DELAY;
	p->rh_t_ms = rh_ms(g, now) + delay;
}

/* Silence through a whole check: the peer leaves its node. */
static void
rh_node_silent(struct lg *g, long i, uint64_t now)
{
	struct lg_rehome *rh = g->rh;
	struct lg_peer *p = &g->peers[i];
	long j;

	if (rh->dead == -1) {
		rh->dead = p->node;
		rh->first_leave_us = now;
		for (j = 0; j < g->n; j++)
			if (g->peers[j].node == p->node &&
			    g->peers[j].state == LG_DONE) {
				g->peers[j].rh_orphan = 1;
				rh->orphans++;
			}
	}
	if (!p->rh_orphan)
		rh->spurious++;
	ctlchan_wipe(&p->ch);
	p->reg_id = 0;
	p->rh_backoff = 1;
	p->rh_tried = 0;
	rh_leave(g, i, now);
}

/* One peer's due step (the peers are scanned every RH_SCAN_US). */
static void
rh_step(struct lg *g, long i, uint64_t now, uint32_t t)
{
	struct lg_rehome *rh = g->rh;
	struct lg_peer *p = &g->peers[i];

	switch (p->rh) {
	case RH_UP:
	case RH_WAIT:
		if (p->rh_ka_ms <= t) {
			p->rh_ka_ms = t + g->keepalive_s * 1000;
			lg_send_keepalive(g, p);
			if (p->rh == RH_UP) {
				p->rh = RH_WAIT;
				p->rh_t_ms = t + RH_LIVE_MS;
			}
		}
		if (p->rh == RH_WAIT && p->rh_t_ms <= t) {
			p->rh = RH_CHECK;
			p->rh_checks = 0;
			p->rh_t_ms = t;
		}
		if (p->rh != RH_CHECK)
			break;
		/* FALLTHROUGH */
	case RH_CHECK:
		if (p->rh_t_ms > t)
			break;
		if (p->rh_checks < RH_CHECK_TRIES) {
			lg_send_keepalive(g, p);
			p->rh_checks++;
			p->rh_t_ms = t + RH_CHECK_MS;
		} else
			rh_node_silent(g, i, now);
		break;
	case RH_DELAY:
		if (p->rh_t_ms <= t) {
			p->rh = RH_READY;
			rh->queue[(rh->qhead + rh->qlen++) % g->n] = i;
		}
		break;
	default:
		break;
	}
}

static void
rh_scan(struct lg *g, uint64_t now)
{
	uint32_t t = rh_ms(g, now);
	unsigned j;
	long i;

	if (now - g->rh->scan_us < RH_SCAN_US)
		return;
	g->rh->scan_us = now;
	for (i = 0; i < g->n; i++)
		if (g->peers[i].state != LG_REFUSED)
			rh_step(g, i, now, t);
	for (j = 0; j < g->nsocks; j++)
		if (g->socks[j].peer < 0 && lg_rehome_take(g, &g->socks[j]) == 0)
			break;
}

/* A registration in flight unanswered: the agent's retransmissions. */
static void
rh_retransmit(struct lg *g, uint64_t now)
{
	unsigned j;
	long i;

	for (j = 0; j < g->nsocks; j++) {
		struct lg_sock *k = &g->socks[j];
		struct lg_peer *p;

		if ((i = k->peer) < 0 ||
		    now - k->sent_us < RH_RTO_US << (k->tries - 1))
			continue;
		p = &g->peers[i];
		if (p->state == LG_HELLO && k->tries < RH_HELLO_TRIES) {
			lg_send_hello(g, k, 0);
			k->tries++;
		} else if (p->state == LG_REGISTER &&
		    k->tries < RH_INIT_TRIES) {
			k->sent_us = now;
			lg_send_to(g, k, p->node, k->init, k->init_len);
			k->tries++;
		} else {
			reghs_wipe(&k->hs);
			k->peer = -1;
			rh_leave(g, i, now);
			(void)lg_rehome_take(g, k);
		}
	}
}

/* A free socket: the oldest waiting peer registers from it. 0: none. */
int
lg_rehome_take(struct lg *g, struct lg_sock *k)
{
	struct lg_rehome *rh = g->rh;
	struct lg_peer *p;
	long i;

	while (rh->qlen > 0) {
		i = rh->queue[rh->qhead];
		rh->qhead = (rh->qhead + 1) % g->n;
		rh->qlen--;
		p = &g->peers[i];
		if (p->rh != RH_READY)
			continue;
		p->rh = RH_TRYING;
		p->state = LG_HELLO;
		p->sock = (uint16_t)(k - g->socks);
		k->peer = i;
		k->tries = 1;
		rh->attempts++;
		lg_send_hello(g, k, 1);
		return 1;
	}
	return 0;
}

/* An authenticated packet from p's node. */
void
lg_rehome_heard(struct lg *g, long i)
{
	struct lg_peer *p = &g->peers[i];

	if (p->state == LG_DONE && (p->rh == RH_WAIT || p->rh == RH_CHECK))
		p->rh = RH_UP;
}

void
lg_rehome_registered(struct lg *g, long i)
{
	struct lg_rehome *rh = g->rh;
	struct lg_peer *p = &g->peers[i];
	uint64_t now = lg_now_us();

	p->rh = RH_UP;
	p->rh_ka_ms = rh_ms(g, now) + g->keepalive_s * 1000;
	p->rh_backoff = 1;
	p->rh_tried = 0;
	if (p->rh_orphan && (int)p->node != rh->dead) {
		p->rh_orphan = 0;
		rh->back_ms[rh->back++] = rh_signalled && now > rh_kill_us ?
		    (uint32_t)((now - rh_kill_us) / 1000) : 0;
	}
}

void
lg_rehome_refused(struct lg *g, long i)
{
	g->rh->refusals++;
	rh_leave(g, i, lg_now_us());
}

static int
rh_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
rh_pct(const struct lg_rehome *rh, long pct)
{
	if (rh->back == 0)
		return 0;
	return rh->back_ms[(rh->back - 1) * pct / 100] / 1000.0;
}

static void
rh_report(struct lg *g)
{
	struct lg_rehome *rh = g->rh;

	qsort(rh->back_ms, (size_t)rh->back, sizeof(*rh->back_ms), rh_cmp);
	printf("rehome_signal=%s\nrehome_node=%d\nrehome_peers=%ld\n"
	    "rehome_back=%ld\nrehome_lost=%ld\n",
	    rh_signalled ? "yes" : "no", rh->dead, rh->orphans, rh->back,
	    rh->orphans - rh->back);
	printf("rehome_first_leave_s=%.3f\nrehome_p50_s=%.3f\n"
	    "rehome_p90_s=%.3f\nrehome_p99_s=%.3f\nrehome_s=%.3f\n",
	    rh->dead >= 0 && rh_signalled && rh->first_leave_us > rh_kill_us ?
	    (double)(rh->first_leave_us - rh_kill_us) / 1e6 : 0.0,
	    rh_pct(rh, 50), rh_pct(rh, 90), rh_pct(rh, 99), rh_pct(rh, 100));
	printf("rehome_attempts=%llu\nrehome_refusals=%llu\n"
	    "rehome_spurious=%llu\n", (unsigned long long)rh->attempts,
	    (unsigned long long)rh->refusals,
	    (unsigned long long)rh->spurious);
	fflush(stdout);
}

int
lg_rehome_run(struct lg *g, long timeout_s)
{
	struct lg_rehome rh;
	uint64_t now, start, t_s = (uint64_t)timeout_s * 1000000ULL;
	uint32_t t_run;
	long i;
	int rc;

	memset(&rh, 0, sizeof(rh));
	rh.dead = -1;
	if ((rh.queue = calloc((size_t)g->n, sizeof(*rh.queue))) == NULL ||
	    (rh.back_ms = calloc((size_t)g->n, sizeof(*rh.back_ms))) == NULL) {
		free(rh.queue);
		return 1;
	}
	start = rh.t0_us = rh.scan_us = lg_now_us();
	g->rh = &rh;
	/* The keepalives keep their phase: due at ka_due_s of the run. */
	t_run = (uint32_t)((start - g->t0_us) / 1000000);
	for (i = 0; i < g->n; i++) {
		struct lg_peer *p = &g->peers[i];

		p->rh = RH_UP;
		p->rh_backoff = 1;
		p->rh_ka_ms = p->ka_due_s > t_run ?
		    (p->ka_due_s - t_run) * 1000 : 0;
	}
	for (;;) {
		lg_pump(g, 10);
		now = lg_now_us();
		rh_retransmit(g, now);
		rh_scan(g, now);
		if (rh.dead >= 0 && rh.back == rh.orphans && rh_signalled)
			break;
		if (now - (rh_signalled ? rh_kill_us : start) > t_s)
			break;
	}
	rh_report(g);
	g->rh = NULL;
	rc = rh.dead < 0 || rh.back < rh.orphans ? 1 : 0;
	free(rh.queue);
	free(rh.back_ms);
	return rc;
}
