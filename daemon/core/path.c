/* SPDX-License-Identifier: ISC */
/*
 * path.c: candidates, checks and the choice between relay and direct
 * (path.h).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "addr_fmt.h"
#include "path.h"

#define PATH_RETRY_MAX_US	1600000ULL
#define PATH_SPRAY_BURST	4	/* spray packets sent late at once */

void
path_cfg_default(struct path_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->pace_us = 50000;
	c->retry_us = 100000;
	c->cand_tries = 7;
	c->round_backoff_us = 5000000;
	c->round_backoff_max_us = 60000000;
	c->quiet_us = 1000000;
	c->keepalive_us = 15000000;
	c->probe_us = 500000;
	c->dead_us = 3000000;
	c->enabled = 1;
	c->spray_sockets = 512;
	c->spray_probes = 1024;
	c->spray_rate = 100;
}

void
path_init(struct path *p, const struct path_cfg *cfg)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	p->active = -1;
	p->backoff_us = cfg->round_backoff_us;
}

static int
path_find(const struct path *p, const struct sockaddr *sa, unsigned local)
{
	size_t i;

	for (i = 0; i < p->ncands; i++)
		if (p->cands[i].local == local && addr_equal(
		    (const struct sockaddr *)&p->cands[i].addr, sa))
			return (int)i;
	return -1;
}

static void
path_probe(struct path_cand *c, uint64_t now)
{
	c->state = PATH_CAND_PROBING;
	c->tries = 0;
	c->next_us = now;
}

static int
path_add_at(struct path *p, const struct sockaddr *sa, unsigned local,
    enum path_kind kind, uint64_t now)
{
	struct path_cand *c;

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return -1;
	if (path_find(p, sa, local) != -1)
		return 0;
	if (p->ncands == PATH_MAX_CANDS)
		return -1;
	c = &p->cands[p->ncands++];
	memset(c, 0, sizeof(*c));
	memcpy(&c->addr, sa, addr_len(sa));
	c->local = local;
	c->kind = kind;
	c->state = PATH_CAND_WAITING;
	/* A round is running: check the newcomer in it. */
	if (p->started && p->round_at == 0 && p->cfg.enabled)
		path_probe(c, now);
	return 0;
}

int
path_add(struct path *p, const struct sockaddr *sa, enum path_kind kind,
    uint64_t now)
{
	return path_add_at(p, sa, 0, kind, now);
}

void
path_spray(struct path *p, enum path_spray_role role,
    const struct sockaddr *srflx)
{
	if (!p->cfg.enabled || p->cfg.spray_probes == 0 ||
	    p->cfg.spray_rate == 0 || (role == PATH_SPRAY_HARD &&
	    p->cfg.spray_sockets == 0) || (srflx->sa_family != AF_INET &&
	    srflx->sa_family != AF_INET6))
		return;
	p->spray = role;
	memcpy(&p->spray_to, srflx, addr_len(srflx));
	p->spray_sent = 0;
	/* Hard side: two passes over the sockets, so that mappings the
	 * first pass opened are still fresh while the easy side probes. */
	p->spray_limit = role == PATH_SPRAY_EASY ? p->cfg.spray_probes :
	    2 * p->cfg.spray_sockets;
	p->spray_at = 0;
}

int
path_spray_needs_sockets(const struct path *p, uint64_t now)
{
	if (p->spray != PATH_SPRAY_HARD)
		return 0;
	if (p->active >= 0)
		return p->cands[p->active].local > 0;
	return p->spray_sent < p->spray_limit ||
	    now < p->spray_last + p->cfg.dead_us + 2000000;
}

void
path_retry(struct path *p, uint64_t at)
{
	if (!p->started || p->active >= 0 || !p->cfg.enabled)
		return;
	p->backoff_us = p->cfg.round_backoff_us;
	p->round_at = at == 0 ? 1 : at;
}

void
path_start(struct path *p, uint64_t now, uint64_t delay_us)
{
	if (p->started)
		return;
	p->started = 1;
	p->round_at = now + delay_us;
	if (p->round_at == 0)
		p->round_at = 1;
}

static void
path_round(struct path *p, uint64_t now)
{
	size_t i;

	p->round_at = 0;
	p->rounds++;
	for (i = 0; i < p->ncands; i++)
		if ((int)i != p->active)
			path_probe(&p->cands[i], now);
	/* Each round sprays again from the start. */
	if (p->spray != PATH_SPRAY_NONE) {
		p->spray_sent = 0;
		p->spray_at = now;
	}
}

/* The next spray packet, if one is due. */
static int
path_spray_next(struct path *p, uint64_t now,
    const uint8_t nonce[PATH_NONCE_LEN], struct sockaddr_storage *to,
    unsigned *local)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)to;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)to;
	unsigned k, port, base;
	uint64_t iv;

	if (p->spray == PATH_SPRAY_NONE || p->active >= 0 ||
	    p->spray_sent >= p->spray_limit || p->spray_at == 0 ||
	    now < p->spray_at)
		return 0;
	memcpy(to, &p->spray_to, sizeof(*to));
	*local = 0;
	if (p->spray == PATH_SPRAY_HARD)
		*local = 1 + p->spray_sent % p->cfg.spray_sockets;
	else {
		base = ntohs(p->spray_to.ss_family == AF_INET6 ?
		    sin6->sin6_port : sin->sin_port);
		/* Sequential allocators: the ports just above first. */
		if (p->spray_sent < PATH_SPRAY_NEAR)
			port = base + 1 + p->spray_sent;
		else	/* the nonce is random and stays sealed */
			port = 1024 + ((unsigned)nonce[0] << 8 | nonce[1]) %
			    (65536 - 1024);
		if (port > 65535)
			port = 1024 + port % 64512;
		if (p->spray_to.ss_family == AF_INET6)
			sin6->sin6_port = htons((uint16_t)port);
		else
			sin->sin_port = htons((uint16_t)port);
	}
	k = p->spray_sent % PATH_SPRAY_RING;
	memcpy(p->spray_nonce[k], nonce, PATH_NONCE_LEN);
	p->spray_nonce_at[k] = now;
	p->spray_sent++;
	p->spray_last = now;
	/* Paced by the schedule, not by when we woke: a late timer (a busy
	 * host) must not lower the rate, which the odds go with squared.
	 * At most PATH_SPRAY_BURST packets catch up beyond the one due. */
	iv = 1000000 / p->cfg.spray_rate;
	p->spray_at = p->spray_at + iv + PATH_SPRAY_BURST * iv < now ?
	    now - (PATH_SPRAY_BURST - 1) * iv : p->spray_at + iv;
	p->checks_sent++;
	return 1;
}

/* Record a challenge to c and return its address. */
static void
path_challenge(struct path *p, struct path_cand *c, uint64_t now,
    const uint8_t nonce[PATH_NONCE_LEN], struct sockaddr_storage *to)
{
	unsigned k = c->nnonce++ % PATH_NONCES;

	memcpy(c->nonce[k], nonce, PATH_NONCE_LEN);
	c->nonce_at[k] = now;
	memcpy(to, &c->addr, sizeof(*to));
	p->pace_at = now + p->cfg.pace_us;
	p->checks_sent++;
}

/*
 * The standby: besides the direct path, the validated candidate with the
 * lowest RTT (another family, another address), or -1.
 */
static int
path_standby(const struct path *p)
{
	int i, best = -1;

	for (i = 0; i < (int)p->ncands; i++)
		if (i != p->active && p->cands[i].state == PATH_CAND_VALID &&
		    (best < 0 || p->cands[i].rtt_us < p->cands[best].rtt_us))
			best = i;
	return best;
}

int
path_next_check(struct path *p, uint64_t now,
    const uint8_t nonce_in[PATH_NONCE_LEN], struct sockaddr_storage *to,
    unsigned *local)
{
	struct path_cand *c, *best = NULL;
	uint64_t wait;
	size_t i;
	int sb;

	if (!p->cfg.enabled || !p->started)
		return 0;
	if (p->round_at != 0 && now >= p->round_at)
		path_round(p, now);
	p->check_opening = 0;
	if (path_spray_next(p, now, nonce_in, to, local)) {
		/* The hard side's first pass only opens mappings; the
		 * second, at full TTL, also reaches the cone side where its
		 * probe to that mapping came first. */
		p->check_opening = p->spray == PATH_SPRAY_HARD &&
		    p->spray_sent <= p->cfg.spray_sockets;
		return 1;
	}
	if (now < p->pace_at)
		return 0;
	/* Liveness of the direct path first: it carries the traffic. */
	if (p->active >= 0 && p->silent_since != 0 && now >= p->probe_at) {
		c = &p->cands[p->active];
		*local = c->local;
		path_challenge(p, c, now, nonce_in, to);
		p->probe_at = now + p->cfg.probe_us;
		return 1;
	}
	/* And the standby: its answer moves the path there at once. */
	if (p->active >= 0 && p->silent_since != 0 && now >= p->standby_at &&
	    (sb = path_standby(p)) >= 0) {
		c = &p->cands[sb];
		*local = c->local;
		path_challenge(p, c, now, nonce_in, to);
		p->standby_at = now + p->cfg.probe_us;
		return 1;
	}
	for (i = 0; i < p->ncands; i++) {
		c = &p->cands[i];
		if (c->state != PATH_CAND_PROBING || c->tries >=
		    p->cfg.cand_tries || c->next_us > now)
			continue;
		if (best == NULL || c->next_us < best->next_us)
			best = c;
	}
	if (best == NULL)
		return 0;
	best->tries++;
	wait = p->cfg.retry_us << (best->tries - 1 < 8 ? best->tries - 1 : 8);
	if (wait > PATH_RETRY_MAX_US)
		wait = PATH_RETRY_MAX_US;
	best->next_us = now + wait;
	p->check_opening = best->tries == 1 && best->kind == PATH_CAND_SRFLX;
	*local = best->local;
	path_challenge(p, best, now, nonce_in, to);
	return 1;
}

static void
path_set_active(struct path *p, int i, uint64_t now, const char *why)
{
	char a[ADDR_STRLEN];

	p->active = i;
	p->last_rx = now;
	p->silent_since = 0;
	p->changes++;
	p->backoff_us = p->cfg.round_backoff_us;
	snprintf(p->why, sizeof(p->why), "%s: %s (%s, rtt %.2f ms)", why,
	    addr_fmt((struct sockaddr *)&p->cands[i].addr, a, sizeof(a)),
	    path_kind_name(p->cands[i].kind),
	    (double)p->cands[i].rtt_us / 1000.0);
}

enum path_event
path_on_response(struct path *p, const uint8_t *nonce,
    const struct sockaddr *from, unsigned local, uint64_t now)
{
	struct path_cand *c, *v;
	uint64_t rtt = 0, cur;
	size_t i;
	unsigned k;
	int hit = -1, vi;

	for (i = 0; i < p->ncands && hit == -1; i++) {
		c = &p->cands[i];
		for (k = 0; k < PATH_NONCES && k < c->nnonce; k++)
			if (memcmp(c->nonce[k], nonce, PATH_NONCE_LEN) == 0) {
				hit = (int)i;
				rtt = now - c->nonce_at[k];
				/* Answered: a replay of it proves nothing. */
				memset(c->nonce[k], 0, PATH_NONCE_LEN);
				c->nonce_at[k] = 0;
				break;
			}
	}
	/* A spray check: it names no candidate, its answer makes one. */
	for (k = 0; hit == -1 && k < PATH_SPRAY_RING; k++)
		if (p->spray_nonce_at[k] != 0 &&
		    memcmp(p->spray_nonce[k], nonce, PATH_NONCE_LEN) == 0) {
			rtt = now - p->spray_nonce_at[k];
			p->spray_nonce_at[k] = 0;
			hit = -2;
		}
	if (hit == -1 || rtt == now)
		return PATH_EV_NONE;
	/*
	 * The answer's source is the validated address: behind a symmetric
	 * NAT it is another mapping than the one we sent to.
	 */
	if ((vi = path_find(p, from, local)) == -1) {
		if (path_add_at(p, from, local, PATH_CAND_PRFLX, now) == -1)
			return PATH_EV_NONE;
		vi = (int)p->ncands - 1;
	}
	if (hit >= 0 && vi != hit && hit != p->active)
		p->cands[hit].state = PATH_CAND_FAILED;	/* answered elsewhere */
	v = &p->cands[vi];
	v->state = PATH_CAND_VALID;
	v->rtt_us = rtt;
	if (vi == p->active) {
		p->last_rx = now;
		p->silent_since = 0;
		return PATH_EV_NONE;
	}
	if (p->active < 0) {
		path_set_active(p, vi, now, "direct path validated");
		return PATH_EV_DIRECT;
	}
	cur = p->cands[p->active].rtt_us;
	if (p->silent_since != 0) {
		p->cands[p->active].state = PATH_CAND_FAILED;
		path_set_active(p, vi, now, "direct path moved (the old one "
		    "went quiet)");
		return PATH_EV_DIRECT;
	}
	if (rtt * 4 < cur * 3 && cur - rtt >= 1000) {
		path_set_active(p, vi, now, "faster direct path");
		return PATH_EV_DIRECT;
	}
	return PATH_EV_NONE;
}

void
path_on_packet(struct path *p, const struct sockaddr *from, unsigned local,
    uint64_t now)
{
	int i;

	if (from == NULL) {
		/* The peer sends over the relay while we use a direct path
		 * that has been quiet: it may have lost it; suspect it. */
		if (p->active >= 0) {
			p->relay_rx = now;
			if (p->silent_since == 0 &&
			    now - p->last_rx >= p->cfg.quiet_us) {
				p->silent_since = now;
				p->probe_at = now;
			}
		}
		return;
	}
	if (p->active >= 0 && p->cands[p->active].local == local &&
	    addr_equal(from, (struct sockaddr *)&p->cands[p->active].addr)) {
		p->last_rx = now;
		p->silent_since = 0;
		return;
	}
	if (!p->cfg.enabled || !p->started)
		return;
	i = path_find(p, from, local);
	/* The peer sends from a validated standby while nothing came over
	 * our path for quiet_us: it lost that path (an IP family died) or
	 * chose this one; follow it, so both ends use one path. */
	if (i != -1 && p->active >= 0 && i != p->active &&
	    p->cands[i].state == PATH_CAND_VALID &&
	    now - p->last_rx >= p->cfg.quiet_us) {
		path_set_active(p, i, now, "the peer moved to this path");
		return;
	}
	if (i == -1) {
		if (path_add_at(p, from, local, PATH_CAND_PRFLX, now) == 0 &&
		    (i = path_find(p, from, local)) != -1)
			path_probe(&p->cands[i], now);
		return;
	}
	/* A known address that failed or waits speaks: check it again. */
	if (p->cands[i].state == PATH_CAND_FAILED ||
	    p->cands[i].state == PATH_CAND_WAITING)
		path_probe(&p->cands[i], now);
}

/* Since when the direct path's silence counts (path_tick). */
static uint64_t
path_heard(const struct path *p, int busy)
{
	return busy && p->busy_since > p->last_rx ? p->busy_since : p->last_rx;
}

static int
path_probing(const struct path *p)
{
	size_t i;

	for (i = 0; i < p->ncands; i++)
		if (p->cands[i].state == PATH_CAND_PROBING)
			return 1;
	return 0;
}

enum path_event
path_tick(struct path *p, uint64_t now, int busy)
{
	struct path_cand *c;
	uint64_t quiet;
	size_t i;

	if (!p->cfg.enabled || !p->started)
		return PATH_EV_NONE;
	for (i = 0; i < p->ncands; i++) {
		c = &p->cands[i];
		if (c->state == PATH_CAND_PROBING &&
		    c->tries >= p->cfg.cand_tries && now >= c->next_us)
			c->state = PATH_CAND_FAILED;
	}
	/* Silence counts from the later of the last packet and the start of
	 * the data: after an idle minute, the first send must not find the
	 * path quiet before the peer could have answered it. */
	if (!busy)
		p->busy_since = 0;
	else if (p->busy_since == 0)
		p->busy_since = now;
	if (p->active >= 0) {
		quiet = busy || (p->relay_rx != 0 &&
		    now - p->relay_rx < p->cfg.quiet_us) ? p->cfg.quiet_us :
		    p->cfg.keepalive_us;
		if (p->silent_since == 0 && now - path_heard(p, busy) >= quiet) {
			p->silent_since = now;
			p->probe_at = now;
		}
		if (p->silent_since != 0 &&
		    now - p->silent_since >= p->cfg.dead_us) {
			c = &p->cands[p->active];
			c->state = PATH_CAND_FAILED;
			path_set_active(p, p->active, now,
			    "direct path stopped answering");
			p->active = -1;
			p->silent_since = 0;
			p->round_at = now + p->backoff_us;
			return PATH_EV_RELAY;
		}
		return PATH_EV_NONE;
	}
	if (p->round_at == 0 && !path_probing(p) && (p->spray ==
	    PATH_SPRAY_NONE || p->spray_sent >= p->spray_limit)) {
		p->round_at = now + p->backoff_us;
		p->backoff_us *= 2;
		if (p->backoff_us > p->cfg.round_backoff_max_us)
			p->backoff_us = p->cfg.round_backoff_max_us;
	}
	return PATH_EV_NONE;
}

static void
path_min(uint64_t *t, uint64_t v)
{
	if (v < *t)
		*t = v;
}

uint64_t
path_next_timeout(const struct path *p, int busy)
{
	const struct path_cand *c;
	uint64_t t = UINT64_MAX;
	size_t i;

	if (!p->cfg.enabled || !p->started)
		return t;
	if (p->round_at != 0)
		path_min(&t, p->round_at);
	if (p->spray != PATH_SPRAY_NONE && p->active < 0 &&
	    p->spray_sent < p->spray_limit && p->spray_at != 0)
		path_min(&t, p->spray_at);
	for (i = 0; i < p->ncands; i++) {
		c = &p->cands[i];
		if (c->state == PATH_CAND_PROBING)
			path_min(&t, c->next_us);
	}
	if (p->active >= 0) {
		if (p->silent_since == 0)
			path_min(&t, path_heard(p, busy) + (busy ?
			    p->cfg.quiet_us : p->cfg.keepalive_us));
		else {
			path_min(&t, p->probe_at);
			path_min(&t, p->silent_since + p->cfg.dead_us);
			if (path_standby(p) >= 0)
				path_min(&t, p->standby_at);
		}
	}
	/* Checks wait for the pacer (spray packets have their own). */
	if (t != UINT64_MAX && t < p->pace_at && !(p->spray != PATH_SPRAY_NONE &&
	    p->active < 0 && p->spray_sent < p->spray_limit && t == p->spray_at))
		t = p->pace_at;
	return t;
}

const struct sockaddr *
path_direct(const struct path *p)
{
	return p->active >= 0 ? (const struct sockaddr *)
	    &p->cands[p->active].addr : NULL;
}

const struct sockaddr *
path_send_to(const struct path *p)
{
	return p->active >= 0 && p->silent_since == 0 ?
	    (const struct sockaddr *)&p->cands[p->active].addr : NULL;
}

unsigned
path_direct_local(const struct path *p)
{
	return p->active >= 0 ? p->cands[p->active].local : 0;
}

uint64_t
path_direct_rtt(const struct path *p)
{
	return p->active >= 0 ? p->cands[p->active].rtt_us : 0;
}

const char *
path_kind_name(enum path_kind k)
{
	switch (k) {
	case PATH_CAND_HOST:
		return "host";
	case PATH_CAND_SRFLX:
		return "server-reflexive";
	case PATH_CAND_PRFLX:
		return "peer-reflexive";
	case PATH_CAND_MAPPED:
		return "port-mapped";
	}
	return "?";
}
