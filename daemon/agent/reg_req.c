/* SPDX-License-Identifier: ISC */
/*
 * reg_req.c: sending on the control channel, and requests to the server
 * (PROTOCOL.md §2.1): a request is resent after 250 ms, doubling, 5 times,
 * each time sealed again with a fresh counter (counters are never reused),
 * until its answer arrives (reg_ctrl.c) or it is given up. At most
 * REG_MAX_PENDING are in flight.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "addr.h"
#include "agent.h"
#include "chan.h"
#include "log.h"
#include "reg.h"
#include "server.pb-c.h"
#include "wire.h"

void
reg_send_pkt(struct reg *r, const uint8_t *p, size_t len)
{
	if (r->use_tcp)
		regtcp_send(r, p, len);
	else if (r->have_srv)
		udp_send(r->a, (struct sockaddr *)&r->srv,
		    addr_len((struct sockaddr *)&r->srv), p, len);
}

static int
reg_seal_send(struct reg *r, const uint8_t *msg, size_t len)
{
	uint8_t pkt[AGENT_UDP_MTU];
	ssize_t n;

	if (!r->chan_ok)
		return -1;
	n = chan_seal(&r->chan, WIRE_CTRL, msg, len, pkt, sizeof(pkt));
	if (n < 0)
		return -1;
	reg_send_pkt(r, pkt, (size_t)n);
	return 0;
}

/* Pack and send one ServerMsg (no retransmission). */
int
reg_send_msg(struct reg *r, P2p__Srv__ServerMsg *m)
{
	uint8_t buf[AGENT_UDP_MTU];
	size_t len;

	len = p2p__srv__server_msg__get_packed_size(m);
	if (len > sizeof(buf) - CHAN_OVERHEAD) {
		log_warnx("%s: control message too big (%zu bytes)", __func__,
		    len);
		return -1;
	}
	p2p__srv__server_msg__pack(m, buf);
	return reg_seal_send(r, buf, len);
}

uint32_t
reg_next_id(struct reg *r)
{
	if (++r->next_id == 0)
		r->next_id = 1;
	return r->next_id;
}

void
reg_req_free(struct reg_req *q)
{
	TAILQ_REMOVE(&q->r->reqs, q, entry);
	q->r->nreqs--;
	event_free(q->timer);
	free(q->msg);
	free(q);
}

static void
reg_req_timer(evutil_socket_t fd, short what, void *arg)
{
	struct reg_req *q = arg;
	struct agent *a = q->r->a;

	if (q->tries >= REG_TRIES) {
		if (q->connect)
			a->hooks.connect_failed(a, q->peer,
			    P2P__IPC__CODE__ERR_TIMEOUT,
			    "the server did not answer the connect request");
		reg_req_free(q);
		return;
	}
	(void)reg_seal_send(q->r, q->msg, q->len);
	reg_req_rearm(q);
}

/* The next try of q after this one: the timeout doubles with each. */
void
reg_req_rearm(struct reg_req *q)
{
	reg_timer_in(q->timer, (uint64_t)REG_RTO_US << q->tries);
	q->tries++;
}

/*
 * Queues a request for m (its id set here; peer set for a connect) and
 * sends it at once through fire, its timer's callback, which retransmits
 * it until answered. The request's id, or 0 when too many are pending, m
 * does not fit a packet or memory is short.
 */
uint32_t
reg_req_start(struct reg *r, P2p__Srv__ServerMsg *m, const char *peer,
    event_callback_fn fire)
{
	struct reg_req *q;
	uint32_t id;

	if (r->nreqs >= REG_MAX_PENDING || (q = calloc(1, sizeof(*q))) ==
	    NULL)
		return 0;
	m->id = id = reg_next_id(r);
	q->r = r;
	q->id = id;
	q->len = p2p__srv__server_msg__get_packed_size(m);
	if (q->len > AGENT_UDP_MTU - CHAN_OVERHEAD ||
	    (q->msg = malloc(q->len)) == NULL ||
	    (q->timer = evtimer_new(r->a->base, fire, q)) == NULL) {
		free(q->msg);
		free(q);
		return 0;
	}
	p2p__srv__server_msg__pack(m, q->msg);
	if (peer != NULL) {
		q->connect = 1;
		snprintf(q->peer, sizeof(q->peer), "%s", peer);
	}
	TAILQ_INSERT_TAIL(&r->reqs, q, entry);
	r->nreqs++;
	fire(-1, 0, q);
	return id;
}

/* Send a request (id set here) and retransmit it until answered. */
int
reg_request(struct reg *r, P2p__Srv__ServerMsg *m, const char *peer)
{
	return reg_req_start(r, m, peer, reg_req_timer) == 0 ? -1 : 0;
}

void
reg_clear_reqs(struct reg *r)
{
	struct reg_req *q;

	while ((q = TAILQ_FIRST(&r->reqs)) != NULL) {
		if (q->connect)
			r->a->hooks.connect_failed(r->a, q->peer,
			    P2P__IPC__CODE__ERR_FAILED,
			    "lost the registration with the server");
		reg_req_free(q);
	}
}
