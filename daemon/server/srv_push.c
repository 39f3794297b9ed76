/* SPDX-License-Identifier: ISC */
/*
 * srv_push.c: a session's pushes (PROTOCOL.md §2.2). Pushes carry a
 * push_seq and are sent again after 250 ms, doubling, 5 times, until the
 * agent acknowledges them (ack_push); each session holds at most
 * SRV_PUSH_MAX of them. An acknowledgement also feeds the groups'
 * join_complete (srv_group.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "server.h"
#include "srv_group.h"
#include "wire.h"

static void srv_push_timer(evutil_socket_t, short, void *);

static void
srv_push_arm(struct srv_sess *x)
{
	struct timeval tv;
	uint64_t next = UINT64_MAX, now = srv_now_us(), d;
	unsigned i;

	for (i = 0; i < x->npush; i++)
		if (x->push[i].next_us < next)
			next = x->push[i].next_us;
	if (x->push_ev == NULL)
		return;
	if (next == UINT64_MAX) {
		event_del(x->push_ev);
		return;
	}
	d = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(d / 1000000);
	tv.tv_usec = (suseconds_t)(d % 1000000);
	event_add(x->push_ev, &tv);
}

static void
srv_push_send(struct srv_sess *x, struct srv_push *p)
{
	uint8_t out[SRV_PKT_MAX];
	ssize_t n;

	n = ctlchan_seal(&x->chan, WIRE_CTRL, p->pt, p->len, out, sizeof(out));
	if (n > 0)
		srv_send(x->srv, (struct sockaddr *)&x->addr, x->tcp, out,
		    (size_t)n);
}

static void
srv_push_remove(struct srv_sess *x, unsigned i)
{
	free(x->push[i].pt);
	x->push[i] = x->push[--x->npush];
	if (x->npush == 0) {	/* most sessions are idle: keep them small */
		free(x->push);
		x->push = NULL;
		x->pushcap = 0;
	}
}

/* Room for one more push; -1 if out of memory. */
static int
srv_push_room(struct srv_sess *x)
{
	struct srv_push *nv;
	unsigned cap;

	if (x->npush < x->pushcap)
		return 0;
	cap = x->pushcap ? x->pushcap * 2 : 4;
	if (cap > SRV_PUSH_MAX)
		cap = SRV_PUSH_MAX;
	if ((nv = reallocarray(x->push, cap, sizeof(*nv))) == NULL)
		return -1;
	x->push = nv;
	x->pushcap = cap;
	return 0;
}

static void
srv_push_timer(evutil_socket_t fd, short what, void *arg)
{
	struct srv_sess *x = arg;
	uint64_t now = srv_now_us();
	unsigned i = 0;

	while (i < x->npush) {
		struct srv_push *p = &x->push[i];

		if (p->next_us > now) {
			i++;
			continue;
		}
		if (p->tries >= SRV_PUSH_TRIES) {
			x->srv->cnt.push_lost++;
			log_debug("peer %s: push %u never acknowledged",
			    x->peer_id, p->seq);
			srv_push_remove(x, i);
			continue;
		}
		p->tries++;
		p->rto_us *= 2;
		p->next_us = now + p->rto_us;
		x->srv->cnt.push_retrans++;
		srv_push_send(x, p);
		i++;
	}
	srv_push_arm(x);
}

int
srv_push(struct srv_sess *x, P2p__Srv__ServerMsg *m)
{
	struct srv_push *p;
	size_t len;

	if (x->push_ev == NULL && (x->push_ev = evtimer_new(x->srv->base,
	    srv_push_timer, x)) == NULL)
		return -1;
	if (x->npush >= SRV_PUSH_MAX) {
		/* The agent stopped acknowledging: the oldest goes. */
		x->srv->cnt.push_lost++;
		srv_push_remove(x, 0);
	}
	m->push_seq = x->next_push_seq++;
	if (x->next_push_seq == 0)
		x->next_push_seq = 1;
	len = p2p__srv__server_msg__get_packed_size(m);
	if (len + CHAN_OVERHEAD > SRV_PKT_MAX || srv_push_room(x) == -1)
		return -1;
	p = &x->push[x->npush];
	memset(p, 0, sizeof(*p));
	if ((p->pt = malloc(len)) == NULL)
		return -1;
	p2p__srv__server_msg__pack(m, p->pt);
	p->len = len;
	p->seq = m->push_seq;
	p->rto_us = SRV_PUSH_RTO_US;
	p->next_us = srv_now_us() + p->rto_us;
	x->npush++;
	srv_push_send(x, p);
	srv_push_arm(x);
	return 0;
}

void
srv_push_ack(struct srv *s, struct srv_sess *x, uint32_t seq)
{
	unsigned i;

	for (i = 0; i < x->npush; i++)
		if (x->push[i].seq == seq) {
			srv_push_remove(x, i);
			srv_push_arm(x);
			if (s->groups != NULL)
				srv_group_acked(s->groups, x->peer_id,
				    (uint64_t)x->reg_id << 32 | seq,
				    srv_now_us());
			return;
		}
}

void
srv_push_clear(struct srv_sess *x)
{
	while (x->npush > 0)
		srv_push_remove(x, 0);
	if (x->push_ev != NULL) {
		event_free(x->push_ev);
		x->push_ev = NULL;
	}
}
