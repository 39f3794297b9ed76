/* SPDX-License-Identifier: ISC */
/*
 * reg_live.c: noticing that the node we are registered with stopped
 * answering, and checking that the node a Move names answers before we
 * leave (docs/CLUSTER.md, "Agents"); and our round trip to it. A leaf
 * below reg.c: what it finds goes back up through r->live (set by
 * reg_init).
 *
 * Silence: whatever we send that the server answers or forwards (a
 * keepalive, a request, a relayed packet) starts a clock unless one runs;
 * any authenticated packet from the server stops it. After REG_LIVE_US of
 * silence, live.silent (reg.c checks the registration with keepalives 300
 * ms apart, and only their going unanswered too makes it move): with
 * relayed traffic or a request in flight within about 2 s, idle within
 * the keepalive interval plus that. A peer that stopped answering costs one
 * answered keepalive, nothing else. With one server there is nowhere to go:
 * three unanswered keepalives make it register again, as always.
 *
 * A Move, make before break: the registration here stays (the draining
 * node goes on relaying) while a HELLO, which a node answers statelessly,
 * checks that the named node is there. Its REG_CHALLENGE, and live.go
 * moves us there; no answer after REG_PROBE_TRIES, and another node is
 * probed the same way; none at all, and we go to the named one anyway (an
 * agent that only has TCP sees no UDP answer).
 */
#include "config.h"

#include <stdio.h>
#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "agent.h"
#include "log.h"
#include "reg.h"
#include "wire.h"

void
reg_timer_in(struct event *ev, uint64_t us)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evtimer_add(ev, &tv);
}

static void
reg_live_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reg *r = arg;
	uint64_t now = agent_now();

	(void)fd;
	(void)what;
	if (r->phase != PH_UP || r->wait_since == 0)
		return;
	if (now - r->wait_since < REG_LIVE_US) {
		reg_timer_in(r->live_ev, r->wait_since + REG_LIVE_US - now);
		return;
	}
	r->live.silent(r);
}

static void
reg_probe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reg *r = arg;
	uint8_t pkt[WIRE_HELLO_LEN], pk[32], sk[32];
	struct reg_node *n;
	unsigned i, k, cand[REG_NODES_MAX];

	(void)fd;
	(void)what;
	if (!r->probing)
		return;
	if (r->probe_tries >= REG_PROBE_TRIES) {
		r->nodes[r->probe_node].failed = 1;
		for (i = 0, k = 0; i < r->nnodes; i++)
			if (!r->nodes[i].failed && i != r->cur)
				cand[k++] = i;
		if (k == 0) {
			log_info("no node answered: moving to the one named");
			r->probing = 0;
			r->live.go(r, r->probe_first);
			return;
		}
		r->probe_node = cand[randombytes_uniform(k)];
		r->probe_tries = 0;
		log_info("node %s does not answer: trying %s",
		    r->nodes[r->probe_first].id, r->nodes[r->probe_node].udp_s);
	}
	n = &r->nodes[r->probe_node];
	crypto_box_keypair(pk, sk);
	sodium_memzero(sk, sizeof(sk));
	if (wire_hello_build(pkt, sizeof(pkt), pk) > 0)
		udp_send(r->a, (struct sockaddr *)&n->udp,
		    addr_len((struct sockaddr *)&n->udp), pkt, sizeof(pkt));
	r->probe_tries++;
	reg_timer_in(r->probe_ev, REG_PROBE_US);
}

int
reg_live_init(struct reg *r, const struct reg_live_cb *cb)
{
	r->live = *cb;
	r->live_ev = evtimer_new(r->a->base, reg_live_cb, r);
	r->probe_ev = evtimer_new(r->a->base, reg_probe_cb, r);
	return r->live_ev == NULL || r->probe_ev == NULL ? -1 : 0;
}

void
reg_live_free(struct reg *r)
{
	if (r->live_ev != NULL)
		event_free(r->live_ev);
	if (r->probe_ev != NULL)
		event_free(r->probe_ev);
	r->live_ev = r->probe_ev = NULL;
}

/* The registration ended or moves: no clock, no probe. */
void
reg_live_stop(struct reg *r)
{
	r->wait_since = 0;
	r->probing = 0;
	if (r->live_ev != NULL)
		evtimer_del(r->live_ev);
	if (r->probe_ev != NULL)
		evtimer_del(r->probe_ev);
}

/* We sent something the server answers: its silence is now noticed. */
void
reg_expect(struct reg *r)
{
	if (r->nnodes < 2 || r->phase != PH_UP || r->wait_since != 0)
		return;
	r->wait_since = agent_now();
	if (!evtimer_pending(r->live_ev, NULL))
		reg_timer_in(r->live_ev, REG_LIVE_US);
}

/* An authenticated packet from the server. */
void
reg_heard(struct reg *r)
{
	r->auth_rx++;
	r->wait_since = 0;
}

/* A REG_CHALLENGE from the node being probed: it is there, go. */
int
reg_probe_in(struct reg *r, const struct sockaddr *src, const uint8_t *pkt,
    size_t len)
{
	if (!r->probing || len < 1 || pkt[0] != WIRE_REG_CHALLENGE ||
	    !addr_equal(src, (struct sockaddr *)&r->nodes[r->probe_node].udp))
		return 0;
	r->probing = 0;
	evtimer_del(r->probe_ev);
	log_info("node %s answers: moving there",
	    r->nodes[r->probe_node].udp_s);
	r->live.go(r, r->probe_node);
	return 1;
}

/*
 * The round trip to the server, as the server's punch times want it
 * (PROTOCOL.md §2.7): from a HELLO sent once to its REG_CHALLENGE (in the
 * Register), then from each keepalive to its answer (in the next one).
 * A resent HELLO is not timed (Karn): its answer may be the first one's.
 */
static void
reg_rtt_set(struct reg *r, uint64_t sent)
{
	uint64_t d = agent_now() - sent;

	r->rtt_us = d == 0 ? 1 : d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

void
reg_rtt_hello(struct reg *r)
{
	if (r->hello_at != 0)
		reg_rtt_set(r, r->hello_at);
	r->hello_at = 0;
}

void
reg_rtt_ka_sent(struct reg *r, uint32_t id)
{
	r->ka_id = id;
	r->ka_at = agent_now();
}

void
reg_rtt_ka_ack(struct reg *r, uint32_t id)
{
	if (r->ka_at != 0 && id == r->ka_id)
		reg_rtt_set(r, r->ka_at);
	r->ka_at = 0;
}

/* A Move push (authenticated by the channel): to the node it names. */
void
reg_move_in(struct reg *r, const P2p__Srv__Move *mv)
{
	unsigned i;
	int k;

	if (r->probing)
		return;
	if ((k = reg_nodes_move(r, mv)) == -1) {
		log_warnx("a Move to '%.64s' (%.64s) is unusable: staying",
		    mv->node_id != NULL ? mv->node_id : "",
		    mv->udp != NULL ? mv->udp : "");
		return;
	}
	r->moves++;
	log_info("node %s asks us to move to node %s (%s): %s", r->node_id,
	    mv->node_id != NULL ? mv->node_id : "?", mv->udp,
	    mv->reason != NULL ? mv->reason : "");
	for (i = 0; i < r->nnodes; i++)
		r->nodes[i].failed = 0;
	r->probing = 1;
	r->probe_first = r->probe_node = (unsigned)k;
	r->probe_tries = 0;
	reg_timer_in(r->probe_ev, randombytes_uniform(REG_MOVE_JITTER_US));
}
