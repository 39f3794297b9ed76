/* SPDX-License-Identifier: ISC */
/*
 * test_client_game.c: what libp2pclient 1.1 adds for games, against the
 * fake agent: on_message_ex (channel, mode and group of each message),
 * priorities on send, and the session figures the agent pushes
 * (p2pclient_watch_peers / p2pclient_peer_stats / on_peers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ipcmsg.h"
#include "p2pclient.h"

#include "test_client_conn.h"
#include "test_client_fake.h"
#include "test_client_script.h"

static void
agent_msg_ex(int fd, const char *from, const char *svc, const char *group,
    unsigned channel, unsigned mode, const char *text)
{
	P2p__Ipc__Event		e = P2P__IPC__EVENT__INIT;
	P2p__Ipc__Message	m = P2P__IPC__MESSAGE__INIT;

	m.from = (char *)from;
	m.service = (char *)svc;
	m.group = (char *)group;
	m.channel = channel;
	m.mode = mode;
	m.data.data = (uint8_t *)text;
	m.data.len = strlen(text);
	e.ev_case = P2P__IPC__EVENT__EV_MESSAGE;
	e.message = &m;
	agent_event(fd, &e);
}

/* Subscribe is acked, then three messages; the rest answered. */
static void
script_three_messages(int fd)
{
	uint32_t	id;

	if (agent_ack_first(fd, &id) == -1)
		return;
	agent_msg_ex(fd, "bob", "game", "", 7, 2, "input");
	agent_msg_ex(fd, "carol", "game", "lobby", 1, 0, "chat");
	agent_msg_ex(fd, "bob", "game", "", 200, 3, "ping");
	while (agent_ack_first(fd, &id) == 0)
		;
}

struct seen {
	int	ex, plain;
	char	text[3][16];
	char	group[3][16];
	char	from[3][16];
	unsigned channel[3], mode[3];
};

static void
on_msg_ex(struct p2pclient *c, const struct p2pclient_event *ev, void *arg)
{
	struct seen	*s = arg;

	cr_assert_eq(ev->type, P2PCLIENT_EV_MESSAGE);
	cr_assert_lt(s->ex, 3);
	snprintf(s->text[s->ex], 16, "%.*s", (int)ev->len, ev->data);
	snprintf(s->group[s->ex], 16, "%s", ev->group);
	snprintf(s->from[s->ex], 16, "%s", ev->peer_id);
	s->channel[s->ex] = ev->channel;
	s->mode[s->ex] = ev->mode;
	s->ex++;
}

static void
on_msg(struct p2pclient *c, const char *from, const char *service,
    const uint8_t *data, size_t len, const char *group, void *arg)
{
	((struct seen *)arg)->plain++;
}

/* on_message_ex gets channel, mode and group, and wins over on_message. */
Test(client_game, on_message_ex_has_channel_and_mode)
{
	struct p2pclient		*c = client_start(script_three_messages);
	struct p2pclient_callbacks	 cb;
	struct seen			 s;

	memset(&s, 0, sizeof(s));
	memset(&cb, 0, sizeof(cb));
	cb.size = sizeof(cb);
	cb.on_message = on_msg;
	cb.on_message_ex = on_msg_ex;
	cr_assert_eq(p2pclient_set_callbacks(c, &cb, &s), 0);
	cr_assert_eq(p2pclient_subscribe(c), 0);
	while (s.ex < 3)
		cr_assert_eq(p2pclient_poll(c, 5000), 0);
	cr_assert_eq(s.plain, 0);
	cr_assert_str_eq(s.text[0], "input");
	cr_assert_str_eq(s.from[0], "bob");
	cr_assert_eq(s.channel[0], 7);
	cr_assert_eq(s.mode[0], P2PCLIENT_MODE(P2PCLIENT_SEQUENCED));
	cr_assert_str_eq(s.group[1], "lobby");
	cr_assert_eq(s.channel[1], 1);
	cr_assert_eq(s.mode[1], P2PCLIENT_MODE(P2PCLIENT_RELIABLE));
	cr_assert_eq(s.channel[2], 200);
	cr_assert_eq(s.mode[2], P2PCLIENT_MODE(P2PCLIENT_UNRELIABLE));
	client_finish(c);
}

/* An application built against 1.0 (the smaller struct) still works. */
Test(client_game, callbacks_of_1_0_still_work)
{
	struct p2pclient		*c = client_start(script_three_messages);
	struct p2pclient_callbacks	 cb;
	struct seen			 s;

	memset(&s, 0, sizeof(s));
	memset(&cb, 0, sizeof(cb));
	cb.size = offsetof(struct p2pclient_callbacks, on_message_ex);
	cb.on_message = on_msg;
	cr_assert_eq(p2pclient_set_callbacks(c, &cb, &s), 0,
	    "%s", p2pclient_errmsg(c));
	cr_assert_eq(p2pclient_subscribe(c), 0);
	while (s.plain < 3)
		cr_assert_eq(p2pclient_poll(c, 5000), 0);
	cr_assert_eq(s.ex, 0);
	client_finish(c);
}

static uint32_t	prio_seen[4];
static int	prio_n;

static int
prio_answer(int fd, const P2p__Ipc__Request *q)
{
	if (q->op_case == P2P__IPC__REQUEST__OP_SEND && prio_n < 4)
		prio_seen[prio_n++] = q->send->priority;
	return 0;
}

/* The priority travels in SendReq; an unknown one is refused here. */
Test(client_game, send_priority)
{
	struct p2pclient	*c = client_start(agent_all(prio_answer));

	cr_assert_eq(p2pclient_send(c, "bob", "game", "a", 1,
	    P2PCLIENT_PRIO_HIGH | P2PCLIENT_SEQUENCED | P2PCLIENT_CHANNEL(3)),
	    0, "%s", p2pclient_errmsg(c));
	cr_assert_eq(p2pclient_send(c, "bob", "game", "b", 1, 0), 0);
	cr_assert_eq(p2pclient_send(c, "bob", "game", "c", 1,
	    P2PCLIENT_PRIO_LOW), 0);
	cr_assert_eq(p2pclient_send(c, "bob", "game", "d", 1,
	    P2PCLIENT_PRIO_HIGH | P2PCLIENT_PRIO_LOW), P2PCLIENT_EINVAL);
	cr_assert_not_null(strstr(p2pclient_errmsg(c), "priority"));
	cr_assert_eq(p2pclient_send(c, "bob", "game", "e", 1, 1 << 20),
	    P2PCLIENT_EINVAL);
	cr_assert_eq(prio_n, 3);
	cr_assert_eq(prio_seen[0], 1);
	cr_assert_eq(prio_seen[1], 0);
	cr_assert_eq(prio_seen[2], 2);
	client_finish(c);
}

static void
fill_peer(P2p__Ipc__PeerInfo *pi, const char *id, double rtt, uint64_t q)
{
	p2p__ipc__peer_info__init(pi);
	pi->peer_id = (char *)id;
	pi->path = "direct";
	pi->state = "up";
	pi->congestion = "cubic";
	pi->rtt_ms = rtt;
	pi->rttvar_ms = rtt / 4;
	pi->min_rtt_ms = rtt / 2;
	pi->tx_packets = 1000;
	pi->lost_packets = 25;
	pi->queued_bytes = q;
	pi->in_flight_bytes = q / 2;
}

static void
agent_peers(int fd, uint32_t id, double rtt, uint64_t q, int watching)
{
	P2p__Ipc__Response	r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__PeersResp	pr = P2P__IPC__PEERS_RESP__INIT;
	P2p__Ipc__Event		e = P2P__IPC__EVENT__INIT;
	P2p__Ipc__PeerInfo	pi[2], *pp[2] = { &pi[0], &pi[1] };

	fill_peer(&pi[0], "bob", rtt, q);
	fill_peer(&pi[1], "carol", 2 * rtt, 2 * q);
	pr.n_peers = 2;
	pr.peers = pp;
	pr.watching = watching;
	if (id == 0) {
		e.ev_case = P2P__IPC__EVENT__EV_PEER_STATS;
		e.peer_stats = &pr;
		agent_event(fd, &e);
		return;
	}
	r.id = id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_PEERS;
	r.peers = &pr;
	agent_respond(fd, &r);
}

static int	peers_asked;
static uint32_t	watch_asked;

/*
 * A watching agent: answers the watch with the first table, pushes a second
 * one after the next request (a bind), and counts peers requests.
 */
static void
script_watch(int fd)
{
	P2p__Ipc__Frame		*f;
	P2p__Ipc__Request	*q;

	while ((q = agent_read(fd, &f)) != NULL) {
		if (q->op_case == P2P__IPC__REQUEST__OP_PEERS) {
			peers_asked++;
			watch_asked = q->peers->watch_ms;
			agent_peers(fd, q->id, 10.0, 1000, q->peers->watch_ms > 0);
		} else {
			agent_ok(fd, q->id);
			agent_peers(fd, 0, 30.0, 5000, 1);
		}
		ipcmsg_free(f);
	}
}

static int	pushes;
static double	pushed_rtt;

static void
on_peers(struct p2pclient *c, const struct p2pclient_peers *ps, void *arg)
{
	cr_assert_eq(ps->n, 2);
	pushes++;
	pushed_rtt = ps->v[0]->rtt_ms;
}

Test(client_game, watched_stats_need_no_round_trip)
{
	struct p2pclient		*c = client_start(script_watch);
	struct p2pclient_callbacks	 cb;
	struct p2pclient_peer		*p;

	memset(&cb, 0, sizeof(cb));
	cb.size = sizeof(cb);
	cb.on_peers = on_peers;
	cr_assert_eq(p2pclient_set_callbacks(c, &cb, NULL), 0);
	cr_assert_eq(p2pclient_watch_peers(c, 10), P2PCLIENT_EINVAL);
	cr_assert_eq(p2pclient_watch_peers(c, 100), 1, "%s",
	    p2pclient_errmsg(c));
	cr_assert_eq(watch_asked, 100);
	cr_assert_eq(peers_asked, 1);
	/* The answer's table, without asking again. */
	cr_assert_eq(p2pclient_peer_stats(c, "carol", &p), 0);
	cr_assert_eq(p->size, sizeof(*p));
	cr_assert(P2PCLIENT_HAS(struct p2pclient_peer, p, age_ms));
	cr_assert_float_eq(p->rtt_ms, 20.0, 1e-9);
	cr_assert_float_eq(p->rttvar_ms, 5.0, 1e-9);
	cr_assert_float_eq(p->min_rtt_ms, 10.0, 1e-9);
	cr_assert_eq(p->queued_bytes, 2000);
	cr_assert_eq(p->in_flight_bytes, 1000);
	cr_assert_eq(p->tx_packets, 1000);
	cr_assert_eq(p->lost_packets, 25);
	cr_assert_geq(p->age_ms, 0);
	p2pclient_peer_free(p);
	cr_assert_eq(p2pclient_peer_stats(c, "dave", &p),
	    P2PCLIENT_ENOTFOUND);
	cr_assert_null(p);
	cr_assert_not_null(strstr(p2pclient_errmsg(c), "dave"));
	cr_assert_eq(p2pclient_peer_stats(c, "bad name!", &p),
	    P2PCLIENT_EINVAL);
	/* A push (after the bind) replaces the figures. */
	cr_assert_eq(p2pclient_bind(c, "x"), 0);
	while (pushes < 1)
		cr_assert_eq(p2pclient_poll(c, 5000), 0);
	cr_assert_float_eq(pushed_rtt, 30.0, 1e-9);
	usleep(20000);
	cr_assert_eq(p2pclient_peer_stats(c, "bob", &p), 0);
	cr_assert_float_eq(p->rtt_ms, 30.0, 1e-9);
	cr_assert_eq(p->queued_bytes, 5000);
	cr_assert_geq(p->age_ms, 15.0);
	p2pclient_peer_free(p);
	cr_assert_eq(peers_asked, 1);
	client_finish(c);
}

/* An agent that does not push: every look is a peers request. */
Test(client_game, unwatched_stats_ask_the_agent)
{
	struct p2pclient	*c = client_start(script_watch);
	struct p2pclient_peer	*p;

	cr_assert_eq(p2pclient_peer_stats(c, "bob", &p), 0);
	cr_assert_float_eq(p->rtt_ms, 10.0, 1e-9);
	cr_assert_float_eq(p->age_ms, 0.0, 1e-9);
	p2pclient_peer_free(p);
	cr_assert_eq(p2pclient_peer_stats(c, "bob", &p), 0);
	p2pclient_peer_free(p);
	cr_assert_eq(peers_asked, 2);
	/* Stopping the watch is a watch of 0: the agent does not push. */
	cr_assert_eq(p2pclient_watch_peers(c, 0), 0);
	client_finish(c);
}
