/* SPDX-License-Identifier: ISC */
/*
 * ipc_cmd.c: the IPC request handlers, one table entry per oneof case.
 *
 * ipcmsg_unpack() already validated names and chunk sizes, so handlers
 * only check what depends on the agent's state. Every request gets exactly
 * one Response: at once, or later through a struct ipc_wait (ipc.h) or the
 * client's pending recv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "agent.h"
#include "cc.h"
#include "group.h"
#include "ipc.h"
#include "log.h"
#include "peer.h"

#define CMD_CONNECT_TIMEOUT_MS	30000
#define CMD_PING_TIMEOUT_MS	5000

typedef void (*cmd_fn)(struct ipc_client *, P2p__Ipc__Request *);

static const char *
cmd_service(const char *s)
{
	return s == NULL || *s == '\0' ? SVC_DEFAULT : s;
}

static void
cmd_status(struct ipc_client *c, P2p__Ipc__Request *req)
{
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__StatusResp st = P2P__IPC__STATUS_RESP__INIT;
	P2p__Ipc__Counters ctr = P2P__IPC__COUNTERS__INIT;
	struct agent *a = c->a;
	struct tp_stats ts;
	struct peer *p;
	char pub[ADDR_STRLEN];

	ctr.packets_in = a->ctr.packets_in;
	ctr.packets_out = a->ctr.packets_out;
	ctr.dropped = a->ctr.dropped;
	ctr.bytes_in = a->ctr.bytes_in;
	ctr.bytes_out = a->ctr.bytes_out;
	ctr.retransmitted = a->ctr_closed.retransmitted;
	TAILQ_FOREACH(p, &a->peers, entry) {
		session_stats(p, &ts);
		ctr.retransmitted += ts.lost;
	}
	reg_public_addr(a, pub, sizeof(pub));
	st.peer_id = a->peer_id;
	st.server_state = (char *)reg_state_name(reg_state(a));
	st.public_addr = pub;
	st.counters = &ctr;
	st.server_error = (char *)reg_error(a);
	st.server_transport = (char *)reg_transport_name(a);
	st.local_port = a->udp_port;
	st.nat_type = (char *)nat_type(a);
	st.nat_mapping = (char *)nat_mapping(a);
	st.nat_filtering = (char *)nat_filtering(a);
	r.id = req->id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_STATUS;
	r.status = &st;
	(void)ipc_send_resp(c, &r);
}

static void
cmd_peers(struct ipc_client *c, P2p__Ipc__Request *req)
{
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__PeersResp pr = P2P__IPC__PEERS_RESP__INIT;
	P2p__Ipc__PeerInfo *infos, **ptrs;
	char (*addrs)[ADDR_STRLEN];
	struct agent *a = c->a;
	struct tp_stats ts;
	struct peer *p;
	size_t n = 0;

	infos = calloc(a->npeers + 1, sizeof(*infos));
	ptrs = calloc(a->npeers + 1, sizeof(*ptrs));
	addrs = calloc(a->npeers + 1, sizeof(*addrs));
	if (infos == NULL || ptrs == NULL || addrs == NULL) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_FAILED,
		    "out of memory");
		goto out;
	}
	TAILQ_FOREACH(p, &a->peers, entry) {
		if (p->state == PEER_IDLE)
			continue;
		p2p__ipc__peer_info__init(&infos[n]);
		session_stats(p, &ts);
		infos[n].peer_id = p->id;
		infos[n].state = (char *)peer_state_name(p);
		infos[n].path = peer_is_up(p) ? (char *)route_name(p) :
		    "connecting";
		route_remote(p, addrs[n], ADDR_STRLEN);
		infos[n].remote_addr = addrs[n];
		infos[n].path_detail = p->state == PEER_UP ? p->path.why : "";
		infos[n].path_changes = p->state == PEER_UP ? p->path.changes :
		    0;
		infos[n].rtt_ms = (double)ts.srtt_us / 1000.0;
		infos[n].tx_bytes = ts.tx_bytes;
		infos[n].rx_bytes = ts.rx_bytes;
		if (peer_is_up(p)) {
			infos[n].congestion = (char *)cc_name(ts.congestion);
			infos[n].cwnd_bytes = ts.cwnd;
			infos[n].lost_packets = ts.lost;
			infos[n].retransmitted_bytes = ts.retransmits;
			infos[n].max_message = tp_max_send_message(p->tp);
		}
		ptrs[n] = &infos[n];
		n++;
	}
	pr.n_peers = n;
	pr.peers = ptrs;
	r.id = req->id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_PEERS;
	r.peers = &pr;
	(void)ipc_send_resp(c, &r);
out:
	free(infos);
	free(ptrs);
	free(addrs);
}

static void
cmd_connect(struct ipc_client *c, P2p__Ipc__Request *req)
{
	const P2p__Ipc__ConnectReq *cr = req->connect;
	struct peer *p;

	if (strcmp(cr->peer_id, c->a->peer_id) == 0) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_USAGE,
		    "%s is this agent itself", cr->peer_id);
		return;
	}
	if ((p = peer_find(c->a, cr->peer_id)) != NULL && peer_is_up(p)) {
		ipc_reply(c, req->id, P2P__IPC__CODE__OK, NULL);
		return;
	}
	if (ipc_wait_new(c, IPC_WAIT_CONNECT, req->id, cr->peer_id,
	    cr->timeout_ms ? cr->timeout_ms : CMD_CONNECT_TIMEOUT_MS) == NULL ||
	    peer_connect(c->a, cr->peer_id) == -1)
		session_fail_waits(c->a, cr->peer_id,
		    P2P__IPC__CODE__ERR_FAILED, "peer table full");
}

static void
cmd_disconnect(struct ipc_client *c, P2p__Ipc__Request *req)
{
	struct peer *p;
	char reason[64];

	p = peer_find(c->a, req->disconnect->peer_id);
	if (p == NULL || p->state != PEER_UP) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_NOT_FOUND,
		    "no session with %s", req->disconnect->peer_id);
		return;
	}
	snprintf(reason, sizeof(reason), "disconnected by client pid %ld",
	    (long)c->pid);
	peer_disconnect(p, reason);
	ipc_reply(c, req->id, P2P__IPC__CODE__OK, NULL);
}

/*
 * A group message goes on the reserved stream with the group header in
 * front (group.h), so the receiving agent knows its group and service.
 */
static int
cmd_group_frame(struct ipc_client *c, uint32_t id, const P2p__Ipc__SendReq *sr)
{
	uint8_t hdr[GROUP_HDR_MAX], *nb;
	size_t hl;

	hl = group_hdr_write(hdr, sr->group, cmd_service(sr->service));
	if (c->sa.len + hl > c->a->conf.max_message) {
		free(c->sa.buf);
		memset(&c->sa, 0, sizeof(c->sa));
		ipc_reply(c, id, P2P__IPC__CODE__ERR_USAGE, "group message "
		    "larger than %zu bytes", c->a->conf.max_message - hl);
		return -1;
	}
	if ((nb = malloc(c->sa.len + hl)) == NULL) {
		free(c->sa.buf);
		memset(&c->sa, 0, sizeof(c->sa));
		ipc_reply(c, id, P2P__IPC__CODE__ERR_FAILED, "out of memory");
		return -1;
	}
	memcpy(nb, hdr, hl);
	if (c->sa.len > 0)
		memcpy(nb + hl, c->sa.buf, c->sa.len);
	free(c->sa.buf);
	c->sa.buf = nb;
	c->sa.len += hl;
	c->sa.cap = c->sa.len;
	return 0;
}

/* Chunks (more=true) accumulate; the last one queues the whole message. */
static void
cmd_send(struct ipc_client *c, P2p__Ipc__Request *req)
{
	const P2p__Ipc__SendReq *sr = req->send;
	struct ipc_wait *w;
	struct peer *p;
	uint8_t *nb;
	size_t len, cap;

	if (strcmp(cmd_service(sr->service), GROUP_SERVICE) == 0) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_USAGE,
		    "service %s is reserved for group messages",
		    GROUP_SERVICE);
		return;
	}
	if (sr->mode > TP_MODE_UNRELIABLE || sr->channel >= TP_CHANNELS) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_USAGE,
		    "mode %u / channel %u: modes are 0..3, channels 0..%d",
		    sr->mode, sr->channel, TP_CHANNELS - 1);
		return;
	}
	if (c->sa.active && (c->sa.id != req->id ||
	    strcmp(c->sa.peer, sr->peer_id) != 0 ||
	    strcmp(c->sa.service, cmd_service(sr->service)) != 0)) {
		free(c->sa.buf);
		memset(&c->sa, 0, sizeof(c->sa));
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_USAGE,
		    "a chunked message was interrupted by another request");
		return;
	}
	len = c->sa.len + sr->data.len;
	if (len > c->a->conf.max_message) {
		free(c->sa.buf);
		memset(&c->sa, 0, sizeof(c->sa));
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_USAGE,
		    "message larger than %zu bytes (--max-message)",
		    c->a->conf.max_message);
		return;
	}
	if (len > c->sa.cap || c->sa.buf == NULL) {
		/* Doubling: a message of n chunks costs O(size). */
		cap = c->sa.cap * 2 > len ? c->sa.cap * 2 : len;
		if (cap > c->a->conf.max_message)
			cap = c->a->conf.max_message;
		if ((nb = realloc(c->sa.buf, cap ? cap : 1)) == NULL) {
			ipc_reply(c, req->id, P2P__IPC__CODE__ERR_FAILED,
			    "out of memory");
			return;
		}
		c->sa.buf = nb;
		c->sa.cap = cap;
	}
	if (sr->data.len > 0)
		memcpy(c->sa.buf + c->sa.len, sr->data.data, sr->data.len);
	c->sa.len = len;
	if (sr->more) {
		c->sa.active = 1;
		c->sa.id = req->id;
		snprintf(c->sa.peer, sizeof(c->sa.peer), "%s", sr->peer_id);
		snprintf(c->sa.service, sizeof(c->sa.service), "%s",
		    cmd_service(sr->service));
		return;
	}
	if (sr->group != NULL && sr->group[0] != '\0' &&
	    cmd_group_frame(c, req->id, sr) == -1)
		return;
	if ((w = ipc_wait_new(c, IPC_WAIT_SEND, req->id, sr->peer_id, 0)) ==
	    NULL) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_FAILED,
		    "out of memory");
		return;
	}
	snprintf(w->service, sizeof(w->service), "%s",
	    sr->group != NULL && sr->group[0] != '\0' ? GROUP_SERVICE :
	    cmd_service(sr->service));
	w->data = c->sa.buf;
	w->len = c->sa.len;
	w->sync = sr->sync;
	/* Until it is sent, a send's target holds its mode and channel. */
	if (sr->group == NULL || sr->group[0] == '\0')
		w->target = SESSION_SEND_TAG(sr->mode, sr->channel);
	memset(&c->sa, 0, sizeof(c->sa));
	p = peer_find(c->a, sr->peer_id);
	if (p == NULL || !peer_is_up(p)) {
		ipc_client_pause(c);
		if (peer_connect(c->a, sr->peer_id) == -1)
			session_fail_waits(c->a, sr->peer_id,
			    P2P__IPC__CODE__ERR_FAILED, "peer table full");
		return;
	}
	session_send_pending(p);
	/* Still queued: the send buffer is full. Read nothing more from this
	 * client until cb->writable (back-pressure, not memory growth). */
	TAILQ_FOREACH(w, &c->a->ipc->waits, entry) {
		if (w->c == c && w->kind == IPC_WAIT_SEND) {
			ipc_client_pause(c);
			break;
		}
	}
}

static struct svc *
cmd_claim(struct ipc_client *c, uint32_t id, const char *name)
{
	struct ipc_client *h;
	struct svc *s;

	if (strcmp(name, GROUP_SERVICE) == 0) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_USAGE, "service %s is "
		    "reserved for group messages", GROUP_SERVICE);
		return NULL;
	}
	if ((s = svc_get(&c->a->svcs, name, 1)) == NULL) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_FAILED,
		    "cannot create service %s: %zu services already "
		    "(--max-services)", name, c->a->svcs.n);
		return NULL;
	}
	if (s->holder != NULL && s->holder != c) {
		h = s->holder;
		ipc_reply(c, id, P2P__IPC__CODE__ERR_BUSY,
		    "service %s is held by client pid %ld (uid %ld)", name,
		    (long)h->pid, (long)h->uid);
		return NULL;
	}
	s->holder = c;
	return s;
}

static void
cmd_bind(struct ipc_client *c, P2p__Ipc__Request *req)
{
	if (cmd_claim(c, req->id, cmd_service(req->bind->service)) != NULL)
		ipc_reply(c, req->id, P2P__IPC__CODE__OK, NULL);
}

static void
cmd_recv_finish(struct ipc_client *c)
{
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__RecvResp rr = P2P__IPC__RECV_RESP__INIT;

	if (!c->rv.active)
		return;
	rr.delivered = c->rv.delivered;
	r.id = c->rv.id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_RECV;
	r.recv = &rr;
	(void)ipc_send_resp(c, &r);
	if (c->rv.timer != NULL)
		event_free(c->rv.timer);
	memset(&c->rv, 0, sizeof(c->rv));
}

static void
cmd_unbind(struct ipc_client *c, P2p__Ipc__Request *req)
{
	struct svc *s;

	s = svc_get(&c->a->svcs, cmd_service(req->unbind->service), 0);
	if (s == NULL || s->holder != c) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_NOT_FOUND,
		    "service %s is not bound by this client",
		    cmd_service(req->unbind->service));
		return;
	}
	if (c->rv.active && c->rv.svc == s)
		cmd_recv_finish(c);
	s->holder = NULL;
	svc_gc(&c->a->svcs, s);
	ipc_reply(c, req->id, P2P__IPC__CODE__OK, NULL);
}

/* Hand out one chunk of the oldest message; 1 if a message completed. */
static int
cmd_push_chunk(struct ipc_client *c, struct svc *s, struct svc_msg *m,
    const char *group)
{
	P2p__Ipc__Event ev = P2P__IPC__EVENT__INIT;
	P2p__Ipc__Message msg = P2P__IPC__MESSAGE__INIT;
	size_t n = m->len - m->off;

	if (n > IPC_MAX_CHUNK)
		n = IPC_MAX_CHUNK;
	msg.from = m->from;
	msg.service = s->name;
	msg.data.data = m->data + m->off;
	msg.data.len = n;
	msg.more = m->off + n < m->len;
	msg.group = (char *)(group != NULL ? group : "");
	msg.mode = group != NULL ? 0 : m->mode;
	msg.channel = group != NULL ? 0 : m->channel;
	ev.ev_case = P2P__IPC__EVENT__EV_MESSAGE;
	ev.message = &msg;
	(void)ipc_send_event(c, &ev);
	m->off += n;
	return m->off == m->len;
}

/* Unlink one message of the group inbox, wherever it is in the queue. */
static void
cmd_group_unlink(struct agent *a, struct svc *g, struct svc_msg *m)
{
	TAILQ_REMOVE(&g->msgs, m, entry);
	g->nmsgs--;
	svc_release(&a->svcs, g, m->cost);
	free(m);
}

/*
 * Hand the pending recv the group messages for its service. Each goes out
 * whole (its chunks at once) and only while the client's output is under
 * the cap, so the output exceeds the cap by at most one message. Messages
 * for services nobody reads stay queued and count against the group
 * inbox, which therefore stalls group senders, never direct ones.
 */
static void
cmd_group_pump(struct ipc_client *c)
{
	struct agent *a = c->a;
	struct svc *g;
	struct svc_msg *m, *tm;
	char grp[SVC_NAME_MAX + 1], svc[SVC_NAME_MAX + 1];
	size_t hl;
	int freed = 0;

	if ((g = svc_get(&a->svcs, GROUP_SERVICE, 0)) == NULL)
		return;
	TAILQ_FOREACH_SAFE(m, &g->msgs, entry, tm) {
		if (c->rv.left == 0 || ipc_outlen(c) >= AGENT_CLIENT_OUTCAP)
			break;
		if (group_hdr_parse(m->data, m->len, grp, svc, &hl) == -1) {
			log_warnx("malformed group message from %s dropped",
			    m->from);
			cmd_group_unlink(a, g, m);
			freed = 1;
			continue;
		}
		if (strcmp(svc, c->rv.svc->name) != 0)
			continue;
		m->off = hl;
		while (!cmd_push_chunk(c, c->rv.svc, m, grp))
			;
		cmd_group_unlink(a, g, m);
		c->rv.left--;
		c->rv.delivered++;
		freed = 1;
	}
	if (freed)
		session_svc_credit(a, g);
}

void
ipc_cmd_pump(struct ipc_client *c)
{
	struct svc *s = c->rv.svc;
	struct svc_msg *m;
	int freed = 0;

	pipe_pump(c);
	if (!c->rv.active || c->closing)
		return;
	while (c->rv.left > 0 && (m = svc_peek(s)) != NULL &&
	    ipc_outlen(c) < AGENT_CLIENT_OUTCAP) {
		if (cmd_push_chunk(c, s, m, NULL)) {
			free(svc_pop(&c->a->svcs, s));
			c->rv.left--;
			c->rv.delivered++;
			freed = 1;
		}
	}
	if (freed)
		session_svc_credit(c->a, s);
	m = svc_peek(s);
	if (m == NULL || m->off == 0)
		cmd_group_pump(c);
	if (m != NULL && m->off > 0)
		return;		/* finish the message before answering */
	if (c->rv.left == 0 || c->rv.expired)
		cmd_recv_finish(c);
}

static void
cmd_recv_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_client *c = arg;

	c->rv.expired = 1;
	ipc_cmd_pump(c);
}

void
ipc_cmd_svc_ready(struct agent *a, struct svc *s)
{
	struct ipc_client *c = s->holder, *tc;

	if (strcmp(s->name, GROUP_SERVICE) == 0) {
		TAILQ_FOREACH_SAFE(c, &a->ipc->clients, entry, tc) {
			if (c->rv.active && !c->closing)
				ipc_cmd_pump(c);
		}
		return;
	}
	if (c != NULL && c->rv.active && c->rv.svc == s)
		ipc_cmd_pump(c);
}

static void
cmd_recv(struct ipc_client *c, P2p__Ipc__Request *req)
{
	const P2p__Ipc__RecvReq *rq = req->recv;
	struct timeval tv;
	struct svc *s;

	if (c->rv.active) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_BUSY,
		    "a recv is already pending on this connection");
		return;
	}
	if ((s = cmd_claim(c, req->id, cmd_service(rq->service))) == NULL)
		return;
	c->rv.active = 1;
	c->rv.id = req->id;
	c->rv.svc = s;
	c->rv.left = rq->count ? rq->count : 1;
	c->rv.expired = rq->wait_ms == 0;
	if (rq->wait_ms != 0 && rq->wait_ms != UINT32_MAX) {
		c->rv.timer = evtimer_new(c->a->base, cmd_recv_timeout, c);
		if (c->rv.timer != NULL) {
			tv.tv_sec = rq->wait_ms / 1000;
			tv.tv_usec = (rq->wait_ms % 1000) * 1000;
			evtimer_add(c->rv.timer, &tv);
		}
	}
	ipc_cmd_pump(c);
}

static void
cmd_recv_cancel(struct ipc_client *c, P2p__Ipc__Request *req)
{
	if (c->rv.active) {
		c->rv.expired = 1;
		ipc_cmd_pump(c);
	}
	ipc_reply(c, req->id, P2P__IPC__CODE__OK, NULL);
}

static void
cmd_subscribe(struct ipc_client *c, P2p__Ipc__Request *req)
{
	c->subscribed = 1;
	ipc_reply(c, req->id, P2P__IPC__CODE__OK, NULL);
}

static void
cmd_ping(struct ipc_client *c, P2p__Ipc__Request *req)
{
	struct ipc_wait *w;
	struct peer *p;
	uint64_t nonce;

	p = peer_find(c->a, req->ping->peer_id);
	if (p == NULL || !peer_is_up(p)) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_NOT_FOUND,
		    "no session with %s (connect first)", req->ping->peer_id);
		return;
	}
	do
		randombytes_buf(&nonce, sizeof(nonce));
	while (nonce == 0);
	w = ipc_wait_new(c, IPC_WAIT_PING, req->id, p->id,
	    req->ping->timeout_ms ? req->ping->timeout_ms :
	    CMD_PING_TIMEOUT_MS);
	if (w == NULL) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_FAILED,
		    "out of memory");
		return;
	}
	w->target = nonce;
	tp_echo(p->tp, nonce);
	session_drive(p);
}

static void
cmd_pipe_open(struct ipc_client *c, P2p__Ipc__Request *req)
{
	pipe_open_req(c, req->id, req->pipe_open);
}

static void
cmd_pipe_write(struct ipc_client *c, P2p__Ipc__Request *req)
{
	pipe_write_req(c, req->id, req->pipe_write);
}

static void
cmd_pipe_ack(struct ipc_client *c, P2p__Ipc__Request *req)
{
	pipe_ack_req(c, req->id, req->pipe_ack);
}

static void
cmd_pipe_close(struct ipc_client *c, P2p__Ipc__Request *req)
{
	pipe_close_req(c, req->id, req->pipe_close);
}

static void
cmd_group(struct ipc_client *c, P2p__Ipc__Request *req)
{
	group_request(c, req->id, req->group);
}

static void
cmd_nat(struct ipc_client *c, P2p__Ipc__Request *req)
{
	ipc_nat(c, req->id, req->nat->refresh);
}

static const struct {
	P2p__Ipc__Request__OpCase	 op;
	cmd_fn				 fn;
} cmd_table[] = {
	{ P2P__IPC__REQUEST__OP_STATUS, cmd_status },
	{ P2P__IPC__REQUEST__OP_PEERS, cmd_peers },
	{ P2P__IPC__REQUEST__OP_CONNECT, cmd_connect },
	{ P2P__IPC__REQUEST__OP_DISCONNECT, cmd_disconnect },
	{ P2P__IPC__REQUEST__OP_SEND, cmd_send },
	{ P2P__IPC__REQUEST__OP_BIND, cmd_bind },
	{ P2P__IPC__REQUEST__OP_UNBIND, cmd_unbind },
	{ P2P__IPC__REQUEST__OP_RECV, cmd_recv },
	{ P2P__IPC__REQUEST__OP_RECV_CANCEL, cmd_recv_cancel },
	{ P2P__IPC__REQUEST__OP_SUBSCRIBE, cmd_subscribe },
	{ P2P__IPC__REQUEST__OP_PING, cmd_ping },
	{ P2P__IPC__REQUEST__OP_PIPE_OPEN, cmd_pipe_open },
	{ P2P__IPC__REQUEST__OP_PIPE_WRITE, cmd_pipe_write },
	{ P2P__IPC__REQUEST__OP_PIPE_ACK, cmd_pipe_ack },
	{ P2P__IPC__REQUEST__OP_PIPE_CLOSE, cmd_pipe_close },
	{ P2P__IPC__REQUEST__OP_GROUP, cmd_group },
	{ P2P__IPC__REQUEST__OP_NAT, cmd_nat },
};

void
ipc_cmd_dispatch(struct ipc_client *c, P2p__Ipc__Request *req)
{
	size_t i;

	for (i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++) {
		if (cmd_table[i].op == req->op_case) {
			cmd_table[i].fn(c, req);
			return;
		}
	}
	ipc_reply(c, req->id, P2P__IPC__CODE__ERR_USAGE,
	    "unknown request (op %d)", (int)req->op_case);
}

void
ipc_cmd_client_gone(struct ipc_client *c)
{
	struct svc *s, *ts;

	group_client_gone(c->a, c);
	if (c->rv.timer != NULL)
		event_free(c->rv.timer);
	memset(&c->rv, 0, sizeof(c->rv));
	free(c->sa.buf);
	memset(&c->sa, 0, sizeof(c->sa));
	TAILQ_FOREACH_SAFE(s, &c->a->svcs.list, entry, ts) {
		if (s->holder == c) {
			s->holder = NULL;
			svc_gc(&c->a->svcs, s);
		}
	}
}
