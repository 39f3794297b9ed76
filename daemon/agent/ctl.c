/* SPDX-License-Identifier: ISC */
/*
 * ctl.c: the control side's hub (ctl.h): the table of requests, one entry
 * per oneof case, and the two callback tables it hands down, the engine's
 * (struct engine_cb) and the IPC socket's (struct ipc_hooks), each entry
 * routed to the file of its command group.
 *
 * ipcmsg_unpack() already validated names and chunk sizes, so handlers
 * only check what depends on the agent's state.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"

static const struct {
	P2p__Ipc__Request__OpCase	 op;
	ctl_fn				 fn;
} ctl_table[] = {
	{ P2P__IPC__REQUEST__OP_STATUS, ctl_status },
	{ P2P__IPC__REQUEST__OP_PEERS, ctl_peers },
	{ P2P__IPC__REQUEST__OP_CONNECT, ctl_connect },
	{ P2P__IPC__REQUEST__OP_DISCONNECT, ctl_disconnect },
	{ P2P__IPC__REQUEST__OP_PING, ctl_ping },
	{ P2P__IPC__REQUEST__OP_SEND, ctl_send },
	{ P2P__IPC__REQUEST__OP_BIND, ctl_bind },
	{ P2P__IPC__REQUEST__OP_UNBIND, ctl_unbind },
	{ P2P__IPC__REQUEST__OP_RECV, ctl_recv },
	{ P2P__IPC__REQUEST__OP_RECV_CANCEL, ctl_recv_cancel },
	{ P2P__IPC__REQUEST__OP_SUBSCRIBE, ctl_subscribe },
	{ P2P__IPC__REQUEST__OP_PIPE_OPEN, ctl_pipe_open },
	{ P2P__IPC__REQUEST__OP_PIPE_WRITE, ctl_pipe_write },
	{ P2P__IPC__REQUEST__OP_PIPE_ACK, ctl_pipe_ack },
	{ P2P__IPC__REQUEST__OP_PIPE_CLOSE, ctl_pipe_close },
	{ P2P__IPC__REQUEST__OP_GROUP, ctl_group },
	{ P2P__IPC__REQUEST__OP_NAT, ctl_nat },
	{ P2P__IPC__REQUEST__OP_MATCH, ctl_match },
	{ P2P__IPC__REQUEST__OP_GROUP_SEARCH, ctl_group_search },
};

/* --- from the IPC socket ----------------------------------------------- */

static void
ctl_request(struct ipc_client *c, P2p__Ipc__Request *req)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_table) / sizeof(ctl_table[0]); i++) {
		if (ctl_table[i].op == req->op_case) {
			ctl_table[i].fn(c, req);
			return;
		}
	}
	ipc_reply(c, req->id, P2P__IPC__CODE__ERR_USAGE,
	    "unknown request (op %d)", (int)req->op_case);
}

static void
ctl_drained(struct ipc_client *c)
{
	ctl_pipe_pump(c);
	ctl_recv_pump(c);
}

static void
ctl_gone(struct ipc_client *c)
{
	engine_cancel(c->a, c);
	ctl_group_gone(c);
	ctl_match_gone(c);
	ctl_nat_gone(c);
	ctl_recv_gone(c);
	ctl_msg_gone(c);
	ctl_pipe_gone(c);
	ctl_peers_gone(c);
}

static const struct ipc_hooks ctl_ipc_hooks = {
	.request = ctl_request,
	.drained = ctl_drained,
	.gone = ctl_gone,
};

/* --- from the engine --------------------------------------------------- */

static void
ctl_cb_done(void *arg, void *owner, uint32_t req, int code, const char *msg)
{
	(void)arg;
	ipc_reply(owner, req, (P2p__Ipc__Code)code, "%s",
	    msg != NULL ? msg : "");
}

static void
ctl_cb_dequeued(void *arg, void *owner)
{
	(void)arg;
	ipc_client_resume(owner);
}

static void
ctl_cb_pong(void *arg, void *owner, uint32_t req, uint64_t rtt_us)
{
	(void)arg;
	ctl_ping_reply(owner, req, rtt_us);
}

static void
ctl_cb_inbox(void *arg, struct svc *s)
{
	ctl_recv_inbox(arg, s);
}

static void
ctl_cb_peer_state(void *arg, const char *peer, const char *state,
    const char *path, const char *reason)
{
	ctl_events_peer_state(arg, peer, state, path, reason);
}

static void
ctl_cb_session_up(void *arg, const char *peer)
{
	ctl_pipe_session_up(arg, peer);
}

static void
ctl_cb_session_dead(void *arg, const char *peer, const char *reason)
{
	ctl_pipe_session_dead(arg, peer, reason);
}

static void *
ctl_cb_stream_open(void *arg, const char *peer, uint64_t sid,
    const char *name)
{
	return ctl_pipe_stream_open(arg, peer, sid, name);
}

static void
ctl_cb_stream_data(void *arg, void *user, const uint8_t *data, size_t len,
    int fin)
{
	ctl_pipe_data(arg, user, data, len, fin);
}

static void
ctl_cb_stream_done(void *arg, void *user)
{
	ctl_pipe_stream_done(arg, user);
}

static void
ctl_cb_stream_stopped(void *arg, void *user, uint64_t code)
{
	ctl_pipe_stream_stopped(arg, user, code);
}

static void
ctl_cb_writable(void *arg, const char *peer)
{
	ctl_pipe_writable(arg, peer);
}

static void
ctl_cb_registered(void *arg)
{
	ctl_group_registered(arg);
	ctl_match_registered(arg);
}

static int
ctl_cb_srv_reply(void *arg, const P2p__Srv__ServerMsg *m)
{
	return ctl_group_reply(arg, m) || ctl_match_reply(arg, m);
}

static void
ctl_cb_srv_timeout(void *arg, uint32_t id)
{
	ctl_group_timeout(arg, id);
	ctl_match_timeout(arg, id);
}

static void
ctl_cb_group_event(void *arg, uint32_t reg_id, uint32_t seq,
    const P2p__Srv__GroupEvent *e)
{
	ctl_group_event(arg, reg_id, seq, e);
}

static void
ctl_cb_match_result(void *arg, const P2p__Srv__MatchResult *mr)
{
	ctl_match_result(arg, mr);
}

static void
ctl_cb_nat_done(void *arg)
{
	ctl_nat_done(arg);
}

static const struct engine_cb ctl_engine_cb = {
	.done = ctl_cb_done,
	.dequeued = ctl_cb_dequeued,
	.pong = ctl_cb_pong,
	.inbox = ctl_cb_inbox,
	.peer_state = ctl_cb_peer_state,
	.session_up = ctl_cb_session_up,
	.session_dead = ctl_cb_session_dead,
	.stream_open = ctl_cb_stream_open,
	.stream_data = ctl_cb_stream_data,
	.stream_done = ctl_cb_stream_done,
	.stream_stopped = ctl_cb_stream_stopped,
	.writable = ctl_cb_writable,
	.registered = ctl_cb_registered,
	.srv_reply = ctl_cb_srv_reply,
	.srv_timeout = ctl_cb_srv_timeout,
	.group_event = ctl_cb_group_event,
	.match_result = ctl_cb_match_result,
	.nat_done = ctl_cb_nat_done,
};

/* --- life -------------------------------------------------------------- */

int
ctl_open(struct agent *a)
{
	struct ctl *ctl;

	if ((ctl = calloc(1, sizeof(*ctl))) == NULL)
		return -1;
	ctl->a = a;
	TAILQ_INIT(&ctl->pipes);
	a->ctl = ctl;
	engine_set_cb(a, &ctl_engine_cb, ctl);
	return ipc_open(a, &ctl->ipc, &ctl_ipc_hooks);
}

void
ctl_free(struct agent *a)
{
	struct ctl *ctl = a->ctl;

	if (ctl == NULL)
		return;
	ctl_pipe_free_all(ctl);
	ipc_free(a, ctl->ipc);
	ctl_group_free(ctl);
	ctl_match_free(ctl);
	ctl_nat_free(ctl);
	free(ctl);
	a->ctl = NULL;
}
