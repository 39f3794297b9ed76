/* SPDX-License-Identifier: ISC */
/*
 * test_client.c: libp2pclient against a fake agent served by this test on
 * a Unix socket in a temporary directory (one thread plays p2pd).
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

/* A client subscribed to events whose first one, in *ev, is of type. */
static struct p2pclient *
start_events(agent_fn script, struct p2pclient_event **ev, int type)
{
	struct p2pclient	*c = client_start(script);

	cr_assert_eq(p2pclient_subscribe(c), 0);
	cr_assert_eq(p2pclient_next_event(c, 5000, ev), 0);
	cr_assert_eq((*ev)->type, type);
	return c;
}


Test(client, not_running_is_distinguishable)
{
	struct p2pclient	*c;
	char			 err[256], want[256];
	int			 code = 0;

	mktempdir();
	snprintf(sockpath, sizeof(sockpath), "%s/p2pd.sock", sockdir);
	c = p2pclient_open_ex(sockpath, &code, err, sizeof(err));
	cr_assert_null(c);
	cr_assert_eq(code, P2PCLIENT_ENOTRUNNING);
	snprintf(want, sizeof(want), "p2pd is not running (connect %s: "
	    "No such file or directory)", sockpath);
	cr_assert_str_eq(err, want);
	/* $P2PD_SOCKET is the default when no path is given. */
	setenv("P2PD_SOCKET", sockpath, 1);
	c = p2pclient_open_ex(NULL, &code, err, sizeof(err));
	cr_assert_null(c);
	cr_assert_str_eq(err, want);
	rmdir(sockdir);
}

/* A status request gets one; any other request no answer at all. */
static int
status_answer(int fd, const P2p__Ipc__Request *q)
{
	P2p__Ipc__StatusResp	 s = P2P__IPC__STATUS_RESP__INIT;
	P2p__Ipc__Counters	 k = P2P__IPC__COUNTERS__INIT;

	if (q->op_case == P2P__IPC__REQUEST__OP_STATUS) {
		s.peer_id = "alice";
		s.server_state = "registered";
		s.local_port = 4242;
		k.packets_in = 10; k.dropped = 3;
		s.counters = &k;
		agent_status(fd, q->id, &s);
	}
	return 1;
}

Test(client, status_comes_back_as_plain_struct)
{
	struct p2pclient	*c = client_start(agent_one(status_answer));
	struct p2pclient_status	*st;

	cr_assert_eq(p2pclient_status(c, &st), 0, "%s", p2pclient_errmsg(c));
	cr_assert_str_eq(st->peer_id, "alice");
	cr_assert_str_eq(st->server_state, "registered");
	cr_assert_null(st->public_addr);
	cr_assert_eq(st->local_port, 4242);
	cr_assert_eq(st->packets_in, 10);
	cr_assert_eq(st->dropped, 3);
	p2pclient_status_free(st);
	client_finish(c);
}

Test(client, agent_error_is_propagated)
{
	struct p2pclient	*c = client_start(script_refuse);

	cr_assert_eq(p2pclient_connect(c, "bob", 1000),
	    P2PCLIENT_ENOTREGISTERED);
	cr_assert_str_eq(p2pclient_errmsg(c), "peer bob is not registered");
	/* Async failures are kept for flush when there is no callback. */
	cr_assert_gt(p2pclient_send_async(c, "bob", NULL, "x", 1, 0), 0);
	cr_assert_eq(p2pclient_flush(c, 2000), P2PCLIENT_ENOTREGISTERED);
	cr_assert_str_eq(p2pclient_errmsg(c), "peer bob is not registered");
	cr_assert_eq(p2pclient_flush(c, 2000), 0);
	client_finish(c);
}

Test(client, invalid_names_refused_locally)
{
	struct p2pclient	*c = client_start(script_refuse);

	cr_assert_eq(p2pclient_send_async(c, "bad peer", NULL, "x", 1, 0),
	    P2PCLIENT_EINVAL);
	cr_assert_not_null(strstr(p2pclient_errmsg(c), "bad peer"));
	cr_assert_eq(p2pclient_bind(c, "a/b"), P2PCLIENT_EINVAL);
	cr_assert_eq(p2pclient_pending(c), 0);
	client_finish(c);
}

#define BIG	(500 * 1024)

static uint8_t	big_got[BIG];
static size_t	big_len;
static int	big_frames, big_ids_same, big_more_ok;

static void
script_chunks(int fd)
{
	P2p__Ipc__Frame		*f;
	P2p__Ipc__Request	*q;
	uint32_t		 first = 0;

	big_ids_same = big_more_ok = 1;
	while ((q = agent_read(fd, &f)) != NULL) {
		if (q->op_case != P2P__IPC__REQUEST__OP_SEND) {
			ipcmsg_free(f);
			break;
		}
		if (first == 0)
			first = q->id;
		big_ids_same &= q->id == first;
		memcpy(big_got + big_len, q->send->data.data,
		    q->send->data.len);
		big_len += q->send->data.len;
		big_frames++;
		if (!q->send->more) {
			big_more_ok &= big_len == BIG;
			agent_ok(fd, first);
			ipcmsg_free(f);
			break;
		}
		big_more_ok &= q->send->sync;
		ipcmsg_free(f);
	}
}

Test(client, big_message_is_chunked)
{
	struct p2pclient	*c = client_start(script_chunks);
	static uint8_t		 data[BIG];
	size_t			 i;

	for (i = 0; i < BIG; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	cr_assert_eq(p2pclient_send(c, "bob", "files", data, BIG,
	    P2PCLIENT_SYNC), 0, "%s", p2pclient_errmsg(c));
	client_finish(c);
	cr_assert_eq(big_frames, (BIG + IPC_MAX_CHUNK - 1) / IPC_MAX_CHUNK);
	cr_assert(big_ids_same);
	cr_assert(big_more_ok);
	cr_assert_eq(big_len, BIG);
	cr_assert_eq(memcmp(big_got, data, BIG), 0);
}

/* BIND succeeds, RECV gets two messages; the rest no answer. */
static int
recv_answer(int fd, const P2p__Ipc__Request *q)
{
	static uint8_t	msg[400 * 1024];
	size_t		i;

	if (q->op_case == P2P__IPC__REQUEST__OP_BIND)
		return 0;
	if (q->op_case == P2P__IPC__REQUEST__OP_RECV) {
		for (i = 0; i < sizeof(msg); i++)
			msg[i] = (uint8_t)(i % 253);
		/* A message for another service goes to the queue. */
		agent_message(fd, "carol", "other", (uint8_t *)"o", 1, 0);
		agent_message(fd, "bob", "chat", msg, 160 * 1024, 1);
		agent_message(fd, "bob", "chat", msg + 160 * 1024,
		    160 * 1024, 1);
		agent_message(fd, "bob", "chat", msg + 320 * 1024,
		    80 * 1024, 0);
		agent_message(fd, "bob", "chat", (uint8_t *)"second", 6, 0);
		agent_recv_done(fd, q->id, 2);
	}
	return 1;
}

Test(client, recv_reassembles_chunks)
{
	struct p2pclient	*c = client_start(agent_all(recv_answer));
	struct p2pclient_event	*out[2], *ev;
	size_t			 i;
	int			 n;

	cr_assert_eq(p2pclient_bind(c, "chat"), 0);
	n = p2pclient_recv(c, "chat", 2, 5000, NULL, NULL, out);
	cr_assert_eq(n, 2, "%d: %s", n, p2pclient_errmsg(c));
	cr_assert_str_eq(out[0]->peer_id, "bob");
	cr_assert_str_eq(out[0]->service, "chat");
	cr_assert_eq(out[0]->len, 400 * 1024);
	for (i = 0; i < out[0]->len; i++)
		cr_assert_eq(out[0]->data[i], (uint8_t)(i % 253), "byte %zu", i);
	cr_assert_eq(out[1]->len, 6);
	cr_assert_eq(memcmp(out[1]->data, "second", 6), 0);
	p2pclient_event_free(out[0]);
	p2pclient_event_free(out[1]);
	cr_assert_eq(p2pclient_next_event(c, 0, &ev), 0);
	cr_assert_eq(ev->type, P2PCLIENT_EV_MESSAGE);
	cr_assert_str_eq(ev->service, "other");
	p2pclient_event_free(ev);
	cr_assert_eq(p2pclient_next_event(c, 0, &ev), P2PCLIENT_ETIMEDOUT);
	client_finish(c);
}

static int	cancel_seen;
static uint32_t	recv_id;

/* RECV gets one message and waits for the cancel; the rest no answer. */
static int
recv_timeout_answer(int fd, const P2p__Ipc__Request *q)
{
	if (q->op_case == P2P__IPC__REQUEST__OP_RECV) {
		recv_id = q->id;
		agent_message(fd, "bob", "default", (uint8_t *)"one", 3, 0);
	} else if (q->op_case == P2P__IPC__REQUEST__OP_RECV_CANCEL) {
		cancel_seen = 1;
		agent_recv_done(fd, recv_id, 1);
		agent_ok(fd, q->id);
	}
	return 1;
}

static int	cb_count;

static void
count_cb(const struct p2pclient_event *ev, void *arg)
{
	cr_assert_eq(ev->len, 3);
	cr_assert_eq(memcmp(ev->data, "one", 3), 0);
	cb_count++;
}

Test(client, recv_timeout_cancels)
{
	struct p2pclient	*c = client_start(agent_all(recv_timeout_answer));

	cr_assert_eq(p2pclient_recv(c, NULL, 2, 200, count_cb, NULL, NULL), 1);
	cr_assert(cancel_seen);
	cr_assert_eq(cb_count, 1);
	client_finish(c);
}

static void
script_bad_version(int fd)
{
	P2p__Ipc__Frame		*f;
	P2p__Ipc__Response	 r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__Frame		 fr = P2P__IPC__FRAME__INIT;
	uint8_t			*b;
	size_t			 len;

	if (agent_read(fd, &f) == NULL)
		return;
	r.code = P2P__IPC__CODE__ERR_VERSION;
	r.error = "IPC version 1 received, p2pd speaks 2";
	fr.kind_case = P2P__IPC__FRAME__KIND_RESPONSE;
	fr.response = &r;
	b = ipcmsg_pack(&fr, &len);
	b[2] = 2;
	writen(fd, b, len);
	free(b);
	ipcmsg_free(f);
}

Test(client, version_mismatch_named)
{
	struct p2pclient	*c = client_start(script_bad_version);

	cr_assert_eq(p2pclient_disconnect(c, "bob"), P2PCLIENT_EVERSION);
	cr_assert_str_eq(p2pclient_errmsg(c),
	    "p2pd speaks IPC version 2, this client speaks 1");
	/* The connection is unusable from now on. */
	cr_assert_eq(p2pclient_status_async(c), P2PCLIENT_EVERSION);
	client_finish(c);
}

static void
script_garbage(int fd)
{
	P2p__Ipc__Frame	*f;

	if (agent_read(fd, &f) == NULL)
		return;
	writen(fd, "HTTP/1.1 400 Bad Request\r\n", 26);
	ipcmsg_free(f);
}

Test(client, garbage_from_agent_is_an_error)
{
	struct p2pclient	*c = client_start(script_garbage);

	cr_assert_eq(p2pclient_bind(c, "x"), P2PCLIENT_EPROTO);
	cr_assert_not_null(strstr(p2pclient_errmsg(c), "magic"), "%s",
	    p2pclient_errmsg(c));
	client_finish(c);
}

static void
script_hangup(int fd)
{
	P2p__Ipc__Frame	*f;

	if (agent_read(fd, &f) != NULL)
		ipcmsg_free(f);
}

Test(client, hangup_is_an_error)
{
	struct p2pclient	*c = client_start(script_hangup);
	double			 rtt;

	cr_assert_eq(p2pclient_ping(c, "bob", 1000, &rtt), P2PCLIENT_EIO);
	cr_assert_str_eq(p2pclient_errmsg(c), "p2pd closed the connection");
	client_finish(c);
}

#define FLOOD	20000

static int	flood_in_order = 1;	/* each test runs in its own process */
static uint32_t	flood_seen;

static uint32_t	flood_want;

static int
flood_count(int fd, const P2p__Ipc__Request *q)
{
	uint32_t	n;

	(void)fd;
	if (q->op_case == P2P__IPC__REQUEST__OP_SEND) {
		memcpy(&n, q->send->data.data, sizeof(n));
		flood_in_order &= n == flood_want++;
		flood_seen++;
	}
	return 0;
}

static uint32_t	responses;

static void
on_resp(struct p2pclient *c, const struct p2pclient_response *r, void *arg)
{
	cr_assert_eq(r->code, 0);
	responses++;
}

Test(client, pipelined_sends_keep_order)
{
	struct p2pclient		*c = client_start(agent_all(flood_count));
	struct p2pclient_callbacks	 cb;
	uint32_t			 i;
	int64_t				 id;

	memset(&cb, 0, sizeof(cb));
	cb.size = sizeof(cb);
	cb.on_response = on_resp;
	cr_assert_eq(p2pclient_set_callbacks(c, &cb, NULL), 0);
	for (i = 0; i < FLOOD; i++) {
		while ((id = p2pclient_send_async(c, "bob", NULL, &i,
		    sizeof(i), 0)) == P2PCLIENT_EAGAIN)
			cr_assert_eq(p2pclient_poll(c, 1000), 0);
		cr_assert_gt(id, 0);
	}
	cr_assert_eq(p2pclient_flush(c, 10000), 0, "%s", p2pclient_errmsg(c));
	cr_assert_eq(responses, FLOOD);
	cr_assert_eq(p2pclient_pending(c), 0);
	client_finish(c);
	cr_assert_eq(flood_seen, FLOOD);
	cr_assert(flood_in_order);
}

static void
script_events(int fd)
{
	uint32_t	id;

	if (agent_ack_first(fd, &id) == -1)
		return;
	agent_peer_state(fd, "bob", "up", "direct", NULL);
	agent_error(fd, id, P2P__IPC__CODE__ERR_LAGGED,
	    "lagged: events subscriber too slow");
}

Test(client, events_then_lagged)
{
	struct p2pclient_event	*ev;
	struct p2pclient	*c = start_events(script_events, &ev,
				    P2PCLIENT_EV_PEER_STATE);

	cr_assert_str_eq(ev->peer_id, "bob");
	cr_assert_str_eq(ev->state, "up");
	cr_assert_str_eq(ev->path, "direct");
	p2pclient_event_free(ev);
	cr_assert_eq(p2pclient_next_event(c, 5000, &ev), P2PCLIENT_ELAGGED);
	cr_assert_not_null(strstr(p2pclient_errmsg(c), "lagged"));
	client_finish(c);
}

static int
pipe_answer(int fd, const P2p__Ipc__Request *q)
{
	if (q->op_case == P2P__IPC__REQUEST__OP_PIPE_OPEN) {
		agent_pipe_opened(fd, q->id, 77);
		/* Data right behind the answer, in the same read. */
		agent_pipe_data(fd, 77, "abc", 3, 1);
		return 1;
	}
	if (q->op_case == P2P__IPC__REQUEST__OP_PIPE_ACK &&
	    q->pipe_ack->done && q->pipe_ack->bytes == 3) {
		agent_ok(fd, q->id);
		agent_pipe_closed(fd, 77, 1, NULL);
		return 1;
	}
	return 0;
}

Test(client, pipe_events_in_order)
{
	struct p2pclient	*c = client_start(agent_all(pipe_answer));
	struct p2pclient_event	*ev;
	uint32_t		 id = 0;

	cr_assert_eq(p2pclient_pipe_open(c, "bob", "backup", 1000, &id), 0);
	cr_assert_eq(id, 77);
	cr_assert_eq(p2pclient_next_event(c, 5000, &ev), 0);
	cr_assert_eq(ev->type, P2PCLIENT_EV_PIPE_DATA);
	cr_assert_eq(ev->len, 3);
	cr_assert(ev->eof);
	p2pclient_event_free(ev);
	cr_assert_eq(p2pclient_pipe_write(c, id, "xyz", 3, 1), 0);
	cr_assert_eq(p2pclient_pipe_ack(c, id, 3, 1), 0);
	cr_assert_eq(p2pclient_next_event(c, 5000, &ev), 0);
	cr_assert_eq(ev->type, P2PCLIENT_EV_PIPE_CLOSED);
	cr_assert(ev->ok);
	cr_assert_eq(ev->pipe_id, 77);
	p2pclient_event_free(ev);
	client_finish(c);
}

/* More events than the client keeps, then the answer. */
static int
event_storm(int fd, const P2p__Ipc__Request *q)
{
	int	i;

	(void)q;
	for (i = 0; i < P2PCLIENT_MAX_EVENTS + 10; i++)
		agent_peer_state(fd, "bob", "up", "direct", NULL);
	return 0;
}

Test(client, unread_events_are_capped)
{
	struct p2pclient	*c = client_start(agent_one(event_storm));

	/* Nobody takes the events: the client gives up loudly. */
	cr_assert_eq(p2pclient_disconnect(c, "bob"), P2PCLIENT_ELAGGED);
	cr_assert_not_null(strstr(p2pclient_errmsg(c), "events"));
	client_finish(c);
}

/* More chunks than any message may have; the client stops reading. */
static int
huge_message(int fd, const P2p__Ipc__Request *q)
{
	static uint8_t	chunk[IPC_MAX_CHUNK];
	size_t		sent = 0;

	(void)q;
	while (sent <= P2PCLIENT_MAX_MSG) {
		agent_message(fd, "bob", "default", chunk, sizeof(chunk), 1);
		sent += sizeof(chunk);
	}
	return 1;
}

Test(client, oversized_message_is_refused)
{
	struct p2pclient	*c = client_start(agent_one(huge_message));

	/*
	 * The refusal comes once P2PCLIENT_MAX_MSG (256 MiB) has arrived; a
	 * sanitizer build on a loaded machine needs well over 10 s for that,
	 * and this test is about the refusal, not its speed.
	 */
	cr_assert_eq(p2pclient_recv(c, NULL, 1, 120000, NULL, NULL, NULL),
	    P2PCLIENT_EPROTO);
	cr_assert_not_null(strstr(p2pclient_errmsg(c), "larger than"), "%s",
	    p2pclient_errmsg(c));
	client_finish(c);
}

static void
script_bad_body(int fd)
{
	P2p__Ipc__Frame	*f;
	uint8_t		 b[IPC_HDR_LEN + 4];

	if (agent_read(fd, &f) == NULL)
		return;
	ipcmsg_hdr_write(b, 4);
	memcpy(b + IPC_HDR_LEN, "\xff\xff\xff\xff", 4);
	writen(fd, b, sizeof(b));
	ipcmsg_free(f);
}

Test(client, malformed_body_is_an_error)
{
	struct p2pclient	*c = client_start(script_bad_body);

	cr_assert_eq(p2pclient_subscribe(c), P2PCLIENT_EPROTO);
	cr_assert_not_null(strstr(p2pclient_errmsg(c), "bad frame"), "%s",
	    p2pclient_errmsg(c));
	client_finish(c);
}

/* Groups: the fake agent plays a member of lobby = alice, bob, carol. */
static int	gsend_ok;
static char	gsend_to[64];

static void
agent_group_list(int fd, uint32_t id)
{
	P2p__Ipc__Response	r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__GroupResp	gr = P2P__IPC__GROUP_RESP__INIT;
	P2p__Ipc__GroupInfo	gi = P2P__IPC__GROUP_INFO__INIT, *gis[1];
	P2p__Ipc__GroupMember	m[3], *ms[3];
	const char		*ids[] = { "alice", "bob", "carol" };
	size_t			 i;

	for (i = 0; i < 3; i++) {
		p2p__ipc__group_member__init(&m[i]);
		m[i].peer_id = (char *)ids[i];
		m[i].online = i != 2;
		ms[i] = &m[i];
	}
	gi.name = "lobby";
	gi.mesh = 1;
	gi.members = ms;
	gi.n_members = 3;
	gi.member_count = 3;
	gis[0] = &gi;
	gr.groups = gis;
	gr.n_groups = 1;
	r.id = id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_GROUP;
	r.group = &gr;
	agent_respond(fd, &r);
}

static void
script_group_op(int fd, uint32_t id, const P2p__Ipc__GroupReq *g)
{
	switch (g->op) {
	case P2P__IPC__GROUP_OP__GROUP_CREATE:
		agent_error(fd, id, P2P__IPC__CODE__ERR_EXISTS,
		    "group lobby exists");
		break;
	case P2P__IPC__GROUP_OP__GROUP_JOIN:
		if (strcmp(g->name, "vip") == 0)
			agent_error(fd, id, P2P__IPC__CODE__ERR_POLICY,
			    "the token of peer alice does not grant vip");
		else
			agent_ok(fd, id);
		break;
	case P2P__IPC__GROUP_OP__GROUP_SHOW:
	case P2P__IPC__GROUP_OP__GROUP_LIST:
		agent_group_list(fd, id);
		break;
	default:
		agent_ok(fd, id);
		break;
	}
}

static int
groups_answer(int fd, const P2p__Ipc__Request *q)
{
	P2p__Ipc__StatusResp	 s = P2P__IPC__STATUS_RESP__INIT;

	switch (q->op_case) {
	case P2P__IPC__REQUEST__OP_STATUS:
		s.peer_id = "alice";
		s.server_state = "registered";
		agent_status(fd, q->id, &s);
		return 1;
	case P2P__IPC__REQUEST__OP_GROUP:
		script_group_op(fd, q->id, q->group);
		return 1;
	case P2P__IPC__REQUEST__OP_SEND:
		/* Each other member once, marked with the group. */
		if (strcmp(q->send->group, "lobby") == 0 &&
		    strcmp(q->send->service, "chat") == 0 &&
		    q->send->data.len == 2 &&
		    strcmp(q->send->peer_id, "alice") != 0) {
			gsend_ok++;
			strncat(gsend_to, q->send->peer_id,
			    sizeof(gsend_to) - strlen(gsend_to) - 2);
			strcat(gsend_to, " ");
		}
		return 0;
	default:
		return 0;
	}
}

Test(client, group_requests_and_errors)
{
	struct p2pclient	*c = client_start(agent_all(groups_answer));
	struct p2pclient_groups	*gs;

	cr_assert_eq(p2pclient_group(c, P2PCLIENT_GROUP_JOIN, "lobby"), 0);
	cr_assert_eq(p2pclient_group(c, P2PCLIENT_GROUP_CREATE, "lobby"),
	    P2PCLIENT_EEXISTS);
	cr_assert_str_eq(p2pclient_errmsg(c), "group lobby exists");
	cr_assert_eq(p2pclient_group(c, P2PCLIENT_GROUP_JOIN, "vip"),
	    P2PCLIENT_EPOLICY);
	cr_assert_not_null(strstr(p2pclient_errmsg(c), "does not grant"));
	cr_assert_eq(p2pclient_group(c, P2PCLIENT_GROUP_LEAVE, "no/group"),
	    P2PCLIENT_EINVAL);
	cr_assert_eq(p2pclient_group(c, 42, "lobby"), P2PCLIENT_EINVAL);
	cr_assert_eq(p2pclient_groups(c, "lobby", &gs), 0, "%s",
	    p2pclient_errmsg(c));
	cr_assert_eq(gs->n, 1);
	cr_assert_str_eq(gs->v[0]->name, "lobby");
	cr_assert(gs->v[0]->mesh);
	cr_assert_eq(gs->v[0]->n, 3);
	cr_assert_str_eq(gs->v[0]->members[2]->peer_id, "carol");
	cr_assert(gs->v[0]->members[0]->online);
	cr_assert(!gs->v[0]->members[2]->online);
	p2pclient_groups_free(gs);
	client_finish(c);
}

Test(client, group_send_reaches_every_other_member)
{
	struct p2pclient	*c = client_start(agent_all(groups_answer));
	size_t			 n = 0;

	gsend_ok = 0;
	gsend_to[0] = '\0';
	cr_assert_eq(p2pclient_group_send(c, "lobby", "chat", "hi", 2, 0,
	    &n), 0, "%s", p2pclient_errmsg(c));
	cr_assert_eq(n, 2);
	client_finish(c);
	cr_assert_eq(gsend_ok, 2);
	cr_assert_str_eq(gsend_to, "bob carol ");
}

static void
script_group_events(int fd)
{
	char		*miss[] = { "carol" };
	uint32_t	 id;

	if (agent_ack_first(fd, &id) == -1)
		return;
	agent_group_event(fd, "member_join", "lobby", "bob", NULL, 0, 0);
	/* missing_count 4: the list was cut short by the server. */
	agent_group_event(fd, "join_complete", "lobby", "bob", miss, 1, 4);
}

Test(client, group_events_in_order)
{
	struct p2pclient_event	*ev;
	struct p2pclient	*c = start_events(script_group_events, &ev,
				    P2PCLIENT_EV_GROUP);

	cr_assert_str_eq(ev->event, "member_join");
	cr_assert_str_eq(ev->group, "lobby");
	cr_assert_str_eq(ev->peer_id, "bob");
	cr_assert_eq(ev->nmissing, 0);
	p2pclient_event_free(ev);
	cr_assert_eq(p2pclient_next_event(c, 5000, &ev), 0);
	cr_assert_str_eq(ev->event, "join_complete");
	cr_assert_eq(ev->nmissing, 1);
	cr_assert_str_eq(ev->missing[0], "carol");
	cr_assert_eq(ev->missing_count, 4);
	p2pclient_event_free(ev);
	client_finish(c);
}
