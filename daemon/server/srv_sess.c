/* SPDX-License-Identifier: ISC */
/*
 * srv_sess.c: the node-local side of registrations (struct srv_sess), in
 * a hash table by reg_id: made when a REG_INIT is accepted, dropped when
 * the registration ends (deregistered, replaced, expired). Expiry runs
 * from the once-a-second tick, with the answered-REG_INIT table's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "addr.h"
#include "cluster.h"
#include "log.h"
#include "server.h"
#include "srv_quota.h"
#include "wire.h"

size_t
srv_bucket(uint32_t id)
{
	return (size_t)(id * 2654435761U) % SRV_BUCKETS;
}

struct srv_sess *
srv_sess_find(struct srv *s, uint32_t reg_id)
{
	struct srv_sess *x;

	for (x = s->sess[srv_bucket(reg_id)]; x != NULL; x = x->next)
		if (x->reg_id == reg_id)
			return x;
	return NULL;
}

uint32_t
srv_fresh_id(struct srv *s)
{
	uint32_t id;

	do {
		id = randombytes_random();
		if (s->cluster != NULL)	/* the node's slot in the top byte */
			id = cluster_reg_id(s->cluster, id);
	} while (id == 0 || srv_sess_find(s, id) != NULL);
	return id;
}

struct srv_sess *
srv_sess_new(struct srv *s, uint32_t reg_id, const char *peer_id,
    const struct reghs_keys *k, const struct sockaddr *from,
    struct srv_tcp *tcp)
{
	struct srv_sess *x;
	size_t b;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	ctlchan_init_keys(&x->chan, k->tx, k->rx, reg_id);
	x->srv = s;
	x->reg_id = reg_id;
	snprintf(x->peer_id, sizeof(x->peer_id), "%s", peer_id);
	memcpy(&x->addr, from, addr_len(from));
	x->tcp = tcp;
	x->next_push_seq = 1;
	x->nat_type = x->nat_mapping = x->nat_filtering = "unknown";
	b = srv_bucket(reg_id);
	x->next = s->sess[b];
	s->sess[b] = x;
	s->nsess++;
	return x;
}

void
srv_sess_rtt(struct srv_sess *x, uint32_t rtt_us)
{
	if (rtt_us == 0)
		return;
	if (rtt_us > SRV_RTT_MAX_US)
		rtt_us = SRV_RTT_MAX_US;
	x->rtt_us = x->rtt_us == 0 ? rtt_us :
	    (uint32_t)(((uint64_t)x->rtt_us * 7 + rtt_us) / 8);
}

static void
srv_sess_free(struct srv_sess *x)
{
	srv_push_clear(x);
	free(x->paths);
	ctlchan_wipe(&x->chan);
	free(x->accept);
	free(x->attrs);
	free(x);
}

void
srv_sess_drop(struct srv *s, uint32_t reg_id)
{
	struct srv_sess **xp, *x;

	for (xp = &s->sess[srv_bucket(reg_id)]; (x = *xp) != NULL;
	    xp = &x->next)
		if (x->reg_id == reg_id) {
			*xp = x->next;
			s->nsess--;
			if (x->tcp != NULL && srv_tcp_get_reg(x->tcp) == reg_id)
				srv_tcp_set_reg(x->tcp, 0);
			srv_quota_save(s, x);
			srv_sess_free(x);
			return;
		}
}

/*
 * x replaces the registration old of the same peer: it takes over what
 * belongs to the peer, not to a registration (the relay's quota and rate
 * bucket), then old is dropped.
 */
void
srv_sess_replace(struct srv *s, struct srv_sess *x, uint32_t old)
{
	struct srv_sess *o = srv_sess_find(s, old);

	if (o != NULL && o != x && strcmp(o->peer_id, x->peer_id) == 0) {
		srv_quota_move(s, x, o);
		x->relay_tokens = o->relay_tokens;
		x->relay_refill_us = o->relay_refill_us;
	}
	srv_sess_drop(s, old);
}

static void
srv_on_expired(uint32_t reg_id, const char *peer_id, void *arg)
{
	struct srv *s = arg;

	s->cnt.expired++;
	log_info("peer %s: registration expired", peer_id);
	srv_sess_drop(s, reg_id);
}

void
srv_reg_tick(struct srv *s, uint64_t now_us)
{
	srv_recent_expire(s, now_us);
	srv_quota_expire(s, srv_now_unix());
	srv_lease_tick(s, now_us);
	(void)state_expire(s->state, now_us,
	    (uint64_t)s->conf.expire_s * 1000000ULL, srv_now_unix(),
	    srv_on_expired, s);
}

void
srv_sess_free_all(struct srv *s)
{
	struct srv_sess *x;
	size_t b;

	for (b = 0; b < SRV_BUCKETS; b++) {
		while ((x = s->sess[b]) != NULL) {
			s->sess[b] = x->next;
			if (x->tcp != NULL)
				srv_tcp_set_reg(x->tcp, 0);
			srv_sess_free(x);
		}
	}
	s->nsess = 0;
}

/* UNKNOWN_REG for a packet of len bytes naming id: never larger than it. */
void
srv_unknown_reg(struct srv *s, uint32_t id, size_t len,
    const struct sockaddr *from, struct srv_tcp *tcp)
{
	uint8_t out[WIRE_UNKNOWN_REG_LEN];
	int n;

	s->cnt.unknown_reg++;
	n = wire_unknown_reg_build(out, sizeof(out), id);
	if (n > 0 && (size_t)n <= len)
		srv_send(s, from, tcp, out, (size_t)n);
}
