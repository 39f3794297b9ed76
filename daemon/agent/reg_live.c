/* SPDX-License-Identifier: ISC */
/*
 * reg_live.c: noticing that the node we are registered with stopped
 * answering, and moving to another one (docs/CLUSTER.md, "Agents").
 *
 * Whatever we send that the server answers or forwards (a keepalive, a
 * request, a relayed packet) starts a clock unless one runs; any
 * authenticated packet from the server stops it. After REG_LIVE_US of
 * silence the registration is checked (reg_check: keepalives 300 ms
 * apart), and only their going unanswered too makes us move: with relayed
 * traffic or a request in flight within about 2.5 s, idle within the
 * keepalive interval plus that. A peer that stopped answering costs one
 * answered keepalive, nothing else. With one server there is nowhere to
 * go: three unanswered keepalives make it register again, as always.
 *
 * Moving (several nodes known): to a node the cluster named (a Move), or
 * else one at random (reg_nodes_next), after a random delay; the sessions
 * go on, as on any registration: those on the relay ask for a fresh
 * introduction, which gives both sides the new relay id (peer_registered).
 */
#include "config.h"

#include <stdio.h>
#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "agent.h"
#include "chan.h"
#include "log.h"
#include "reg.h"

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
	reg_check(r, "the server has not answered for 1.5 s");
}

int
reg_live_init(struct reg *r)
{
	r->live_ev = evtimer_new(r->a->base, reg_live_cb, r);
	return r->live_ev == NULL ? -1 : 0;
}

/* We sent something the server answers: its silence is now noticed. */
void
reg_expect(struct reg *r)
{
	/* One server: nowhere else to go (three keepalives decide). */
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

/* Leave the registration and register again after us microseconds. */
static void
reg_move_later(struct reg *r, uint64_t us)
{
	reg_clear_reqs(r);
	r->phase = PH_IDLE;
	r->state = REG_REGISTERING;
	if (r->chan_ok)
		chan_wipe(&r->chan);
	r->chan_ok = 0;
	r->reg_id = 0;
	r->wait_since = 0;
	r->node_id[0] = '\0';
	reg_hs_clear(r);
	reg_check_stop(r);
	evtimer_del(r->ka);
	evtimer_del(r->live_ev);
	regtcp_close(r);
	reg_timer_in(r->timer, us);
}

/*
 * An attempt failed or the node went silent: another node if there is
 * one not yet tried in this round (1 when one was picked).
 */
int
reg_try_next(struct reg *r)
{
	char srv[ADDR_STRLEN];

	if (r->nnodes < 2 || reg_nodes_next(r) == -1)
		return 0;
	reg_server_addr(r->a, srv, sizeof(srv));
	log_info("trying %s%s%s%s", r->nodes[r->cur].id[0] ? "node " : "",
	    r->nodes[r->cur].id, r->nodes[r->cur].id[0] ? " at " : "", srv);
	reg_move_later(r, randombytes_uniform(REG_FAILOVER_JITTER_US));
	return 1;
}

/* The node stopped answering: another one, else this one again. */
void
reg_failover(struct reg *r, const char *why)
{
	if (r->nnodes < 2) {
		reg_reregister(r, why);
		return;
	}
	log_info("leaving %s%s: %s", r->node_id[0] ? "node " : "the server",
	    r->node_id, why);
	if (!reg_try_next(r)) {
		/* Every node failed in a row: the usual backoff. */
		reg_move_later(r, (uint64_t)r->backoff * 1000000);
		r->backoff = r->backoff * 2 > REG_BACKOFF_MAX ?
		    REG_BACKOFF_MAX : r->backoff * 2;
	}
}

/* A Move push (authenticated by the channel): to the node it names. */
void
reg_move_in(struct reg *r, const P2p__Srv__Move *mv)
{
	char was[AGENT_ID_MAX + 1];

	snprintf(was, sizeof(was), "%s", r->node_id);
	if (reg_nodes_move(r, mv) == -1) {
		log_warnx("a Move to '%.64s' (%.64s) is unusable: staying",
		    mv->node_id != NULL ? mv->node_id : "",
		    mv->udp != NULL ? mv->udp : "");
		return;
	}
	r->moves++;
	log_info("node %s asks us to move to node %s (%s): %s", was,
	    mv->node_id != NULL ? mv->node_id : "?", mv->udp,
	    mv->reason != NULL ? mv->reason : "");
	reg_move_later(r, randombytes_uniform(REG_MOVE_JITTER_US));
}
