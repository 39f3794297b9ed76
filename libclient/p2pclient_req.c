/* SPDX-License-Identifier: ISC */
/*
 * p2pclient_req.c: building and queueing requests (the *_async calls).
 *
 * A request is packed straight into the output buffer and remembered in the
 * ring of outstanding requests; nothing is written here, so the caller's
 * loop (or the blocking layer) batches many requests into one write.
 */
#include <stdlib.h>
#include <string.h>

#include "p2pclient_int.h"

int
p2pc_name_ok(const char *s, int empty_ok)
{
	/* The agent checks with the same function (ipcmsg.c). */
	return s == NULL ? empty_ok : ipcmsg_name_ok(s, empty_ok);
}

static int
p2pc_check(struct p2pclient *c, const char *what, const char *s, int empty_ok)
{
	if (p2pc_name_ok(s, empty_ok))
		return 0;
	return p2pc_seterr(c, P2PCLIENT_EINVAL, "invalid %s '%s': use 1-64 "
	    "characters of A-Z a-z 0-9 . _ -", what, s != NULL ? s : "");
}

/* Append one packed frame holding q to the output buffer. */
static int
p2pc_queue(struct p2pclient *c, P2p__Ipc__Request *q)
{
	P2p__Ipc__Frame	 f = P2P__IPC__FRAME__INIT;
	size_t		 blen, need, ncap;
	uint8_t		*nb;

	f.kind_case = P2P__IPC__FRAME__KIND_REQUEST;
	f.request = q;
	blen = p2p__ipc__frame__get_packed_size(&f);
	if (blen > IPC_MAX_FRAME)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "request of %zu bytes "
		    "is too large", blen);
	need = c->olen + IPC_HDR_LEN + blen;
	if (need > c->ocap) {
		ncap = c->ocap ? c->ocap : 64 * 1024;
		while (ncap < need)
			ncap *= 2;
		if ((nb = realloc(c->obuf, ncap)) == NULL)
			return p2pc_seterr(c, P2PCLIENT_ENOMEM,
			    "out of memory");
		c->obuf = nb;
		c->ocap = ncap;
	}
	ipcmsg_hdr_write(c->obuf + c->olen, (uint32_t)blen);
	p2p__ipc__frame__pack(&f, c->obuf + c->olen + IPC_HDR_LEN);
	c->olen = need;
	return 0;
}

static int
p2pc_room(struct p2pclient *c, size_t nreq)
{
	if (c->dead)
		return c->dead;
	if (c->rcount + nreq > P2PCLIENT_WINDOW || c->olen - c->ooff >=
	    P2PC_OUT_CAP)
		return p2pc_seterr(c, P2PCLIENT_EAGAIN, "%s",
		    p2pclient_strerror(P2PCLIENT_EAGAIN));
	return 0;
}

/* Record q (given a fresh id) as outstanding and queue it. */
static int64_t
p2pc_submit_one(struct p2pclient *c, P2p__Ipc__Request *q, int owner)
{
	struct p2pc_req	*r;
	int		 rc;

	if (c->next_id == 0)
		c->next_id = 1;
	q->id = c->next_id;
	if ((rc = p2pc_queue(c, q)) != 0)
		return rc;
	c->next_id++;
	r = &c->ring[(c->rhead + c->rcount) % P2PCLIENT_WINDOW];
	memset(r, 0, sizeof(*r));
	r->id = q->id;
	r->owner = (uint8_t)owner;
	c->rcount++;
	return q->id;
}

int64_t
p2pc_submit(struct p2pclient *c, P2p__Ipc__Request *q, int owner)
{
	int	rc;

	if ((rc = p2pc_room(c, 1)) != 0)
		return rc;
	return p2pc_submit_one(c, q, owner);
}

int64_t
p2pc_send_chunks(struct p2pclient *c, const char *peer, const char *service,
    const char *group, const void *data, size_t len, int flags, int owner)
{
	P2p__Ipc__Request	 q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__SendReq	 s = P2P__IPC__SEND_REQ__INIT;
	const uint8_t		*p = data;
	size_t			 off = 0, n;
	int64_t			 id;
	int			 rc;

	if (p2pc_check(c, "peer id", peer, 0) || p2pc_check(c, "service",
	    service, 1) || p2pc_check(c, "group", group, 1))
		return P2PCLIENT_EINVAL;
	if (len > P2PCLIENT_MAX_MSG)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "message of %zu bytes "
		    "is larger than %d", len, P2PCLIENT_MAX_MSG);
	if (P2PCLIENT_PRIORITY(flags) > 2 || (flags & ~0x3ffff) != 0)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "send flags 0x%x: "
		    "unknown bits or priority", (unsigned)flags);
	if ((rc = p2pc_room(c, 1)) != 0)
		return rc;
	s.peer_id = (char *)peer;
	s.service = (char *)(service != NULL ? service : "");
	s.group = (char *)(group != NULL ? group : "");
	s.sync = (flags & P2PCLIENT_SYNC) != 0;
	s.mode = (uint32_t)P2PCLIENT_MODE(flags);
	s.channel = (uint32_t)(flags >> 8) & 0xff;
	s.priority = (uint32_t)P2PCLIENT_PRIORITY(flags);
	q.op_case = P2P__IPC__REQUEST__OP_SEND;
	q.send = &s;
	/* Every chunk carries the first chunk's id; only it is answered. */
	id = 0;
	do {
		n = len - off > IPC_MAX_CHUNK ? IPC_MAX_CHUNK : len - off;
		s.data.data = (uint8_t *)(p != NULL ? p + off : NULL);
		s.data.len = n;
		off += n;
		s.more = off < len;
		if (id == 0)
			id = p2pc_submit_one(c, &q, owner);
		else if ((rc = p2pc_queue(c, &q)) != 0)
			return p2pc_fatal(c, rc, "%s", c->errmsg);
		if (id < 0)
			return id;
	} while (off < len);
	return id;
}

int64_t
p2pc_pipe_write_chunks(struct p2pclient *c, uint32_t pipe_id,
    const void *data, size_t len, int eof, int owner)
{
	P2p__Ipc__Request	 q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__PipeWriteReq	 w = P2P__IPC__PIPE_WRITE_REQ__INIT;
	const uint8_t		*p = data;
	size_t			 off = 0, n, nreq;
	int64_t			 id;
	int			 rc;

	nreq = len == 0 ? 1 : (len + IPC_MAX_CHUNK - 1) / IPC_MAX_CHUNK;
	if ((rc = p2pc_room(c, nreq)) != 0)
		return rc;
	w.pipe_id = pipe_id;
	q.op_case = P2P__IPC__REQUEST__OP_PIPE_WRITE;
	q.pipe_write = &w;
	/* Earlier chunks are async: a failure still reaches the caller. */
	do {
		n = len - off > IPC_MAX_CHUNK ? IPC_MAX_CHUNK : len - off;
		w.data.data = (uint8_t *)(p != NULL ? p + off : NULL);
		w.data.len = n;
		off += n;
		w.eof = eof && off == len;
		id = p2pc_submit_one(c, &q, off == len ? owner : P2PC_ASYNC);
		if (id < 0)
			return id;
	} while (off < len);
	return id;
}

#define REQ(field, CASE, type, INIT)					\
	P2p__Ipc__Request q = P2P__IPC__REQUEST__INIT;			\
	type m = INIT;							\
	q.op_case = P2P__IPC__REQUEST__OP_##CASE;			\
	q.field = &m

int64_t
p2pclient_status_async(struct p2pclient *c)
{
	REQ(status, STATUS, P2p__Ipc__StatusReq, P2P__IPC__STATUS_REQ__INIT);
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int64_t
p2pclient_peers_async(struct p2pclient *c)
{
	REQ(peers, PEERS, P2p__Ipc__PeersReq, P2P__IPC__PEERS_REQ__INIT);
	/* A listing keeps a watch going (watch_ms 0 would stop it). */
	m.watch_ms = c->watching ? c->watch_ms : 0;
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int64_t
p2pclient_connect_async(struct p2pclient *c, const char *peer,
    uint32_t timeout_ms)
{
	REQ(connect, CONNECT, P2p__Ipc__ConnectReq,
	    P2P__IPC__CONNECT_REQ__INIT);
	if (p2pc_check(c, "peer id", peer, 0))
		return P2PCLIENT_EINVAL;
	m.peer_id = (char *)peer;
	m.timeout_ms = timeout_ms;
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int64_t
p2pclient_disconnect_async(struct p2pclient *c, const char *peer)
{
	REQ(disconnect, DISCONNECT, P2p__Ipc__DisconnectReq,
	    P2P__IPC__DISCONNECT_REQ__INIT);
	if (p2pc_check(c, "peer id", peer, 0))
		return P2PCLIENT_EINVAL;
	m.peer_id = (char *)peer;
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int64_t
p2pclient_send_async(struct p2pclient *c, const char *peer,
    const char *service, const void *data, size_t len, int flags)
{
	return p2pc_send_chunks(c, peer, service, NULL, data, len, flags,
	    P2PC_ASYNC);
}

int64_t
p2pclient_bind_async(struct p2pclient *c, const char *service)
{
	REQ(bind, BIND, P2p__Ipc__BindReq, P2P__IPC__BIND_REQ__INIT);
	if (p2pc_check(c, "service", service, 1))
		return P2PCLIENT_EINVAL;
	m.service = (char *)(service != NULL ? service : "");
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int64_t
p2pclient_unbind_async(struct p2pclient *c, const char *service)
{
	REQ(unbind, UNBIND, P2p__Ipc__UnbindReq, P2P__IPC__UNBIND_REQ__INIT);
	if (p2pc_check(c, "service", service, 1))
		return P2PCLIENT_EINVAL;
	m.service = (char *)(service != NULL ? service : "");
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

/* A RecvReq; blocking: p2pclient_recv waits for it and nothing else. */
int64_t
p2pc_recv_req(struct p2pclient *c, const char *service, uint32_t count,
    uint32_t wait_ms, int blocking)
{
	REQ(recv, RECV, P2p__Ipc__RecvReq, P2P__IPC__RECV_REQ__INIT);
	if (p2pc_check(c, "service", service, 1))
		return P2PCLIENT_EINVAL;
	m.service = (char *)(service != NULL ? service : "");
	m.count = count;
	m.wait_ms = wait_ms;
	m.blocking = blocking != 0;
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int64_t
p2pclient_recv_async(struct p2pclient *c, const char *service,
    uint32_t count, uint32_t wait_ms)
{
	return p2pc_recv_req(c, service, count, wait_ms, 0);
}

int64_t
p2pclient_recv_cancel_async(struct p2pclient *c, const char *service)
{
	REQ(recv_cancel, RECV_CANCEL, P2p__Ipc__RecvCancelReq,
	    P2P__IPC__RECV_CANCEL_REQ__INIT);
	if (p2pc_check(c, "service", service, 1))
		return P2PCLIENT_EINVAL;
	m.service = (char *)(service != NULL ? service : "");
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int64_t
p2pclient_subscribe_async(struct p2pclient *c)
{
	REQ(subscribe, SUBSCRIBE, P2p__Ipc__SubscribeReq,
	    P2P__IPC__SUBSCRIBE_REQ__INIT);
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int64_t
p2pclient_ping_async(struct p2pclient *c, const char *peer,
    uint32_t timeout_ms)
{
	REQ(ping, PING, P2p__Ipc__PingReq, P2P__IPC__PING_REQ__INIT);
	if (p2pc_check(c, "peer id", peer, 0))
		return P2PCLIENT_EINVAL;
	m.peer_id = (char *)peer;
	m.timeout_ms = timeout_ms;
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int64_t
p2pclient_pipe_open_async(struct p2pclient *c, const char *peer,
    const char *name, uint32_t timeout_ms)
{
	REQ(pipe_open, PIPE_OPEN, P2p__Ipc__PipeOpenReq,
	    P2P__IPC__PIPE_OPEN_REQ__INIT);
	if (p2pc_check(c, "peer id", peer, 0) ||
	    p2pc_check(c, "pipe name", name, 1))
		return P2PCLIENT_EINVAL;
	m.peer_id = (char *)peer;
	m.name = (char *)(name != NULL ? name : "");
	m.timeout_ms = timeout_ms;
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int64_t
p2pclient_pipe_write_async(struct p2pclient *c, uint32_t pipe_id,
    const void *data, size_t len, int eof)
{
	return p2pc_pipe_write_chunks(c, pipe_id, data, len, eof, P2PC_ASYNC);
}

int64_t
p2pclient_pipe_ack_async(struct p2pclient *c, uint32_t pipe_id,
    uint64_t bytes, int done)
{
	REQ(pipe_ack, PIPE_ACK, P2p__Ipc__PipeAckReq,
	    P2P__IPC__PIPE_ACK_REQ__INIT);
	m.pipe_id = pipe_id;
	m.bytes = bytes;
	m.done = done != 0;
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int64_t
p2pclient_pipe_close_async(struct p2pclient *c, uint32_t pipe_id)
{
	REQ(pipe_close, PIPE_CLOSE, P2p__Ipc__PipeCloseReq,
	    P2P__IPC__PIPE_CLOSE_REQ__INIT);
	m.pipe_id = pipe_id;
	return p2pc_submit(c, &q, P2PC_ASYNC);
}
