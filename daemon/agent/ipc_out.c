/* SPDX-License-Identifier: ISC */
/*
 * ipc_out.c: what goes to the IPC clients (ipc.h). Frames are packed
 * straight into a client's output buffer; the output is written once per
 * pass of the event loop (the first frame queued puts the client on
 * flushq and activates flush_ev, which runs after the callbacks that were
 * ready with it), after the engine has sent what this pass queued for the
 * network (engine_flush), and a write event is armed only while the
 * socket is full.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine.h"
#include "ipc.h"
#include "log.h"

/*
 * Closing an AF_UNIX socket with unread input makes the peer's next read
 * fail with ECONNRESET, which can hide the error we just sent. Discard
 * what the client already wrote (bounded) before closing.
 */
static void
ipc_drain(evutil_socket_t fd)
{
	uint8_t buf[4096];
	int i;

	for (i = 0; i < 64; i++) {
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
	}
}

/*
 * Write what is queued for c, directly; the write event is armed only
 * while the socket is full. An emptied output lets held deliveries go on
 * (hooks->drained), or ends a closing client. -1 when c was freed.
 */
int
ipc_write(struct ipc_client *c)
{
	ssize_t n;

	while (c->out.len > 0) {
		if ((n = write(c->fd, c->out.b + c->out.off, c->out.len)) > 0) {
			ipc_buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->wev_armed && event_add(c->wev, NULL) == 0)
				c->wev_armed = 1;
			return 0;
		}
		log_debug("client pid %ld: %s", (long)c->pid, n == 0 ?
		    "write returned 0" : strerror(errno));
		ipc_client_free(c);
		return -1;
	}
	if (c->wev_armed) {
		event_del(c->wev);
		c->wev_armed = 0;
	}
	if (c->closing) {
		ipc_drain(c->fd);
		ipc_client_free(c);
		return -1;
	}
	if (c->out_held) {
		c->out_held = 0;
		if (!c->paused) {
			event_add(c->rev, NULL);
			event_active(c->rev, EV_READ, 0);
		}
	}
	c->ipc->hooks->drained(c);
	return 0;
}

/* The socket has room again. */
void
ipc_writecb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)ipc_write(arg);
}

/* Is c's output held for its blocking recv (ipc_client_hold)? */
static int
ipc_holding(const struct ipc_client *c)
{
	return c->held && !c->closing && c->out.len <= IPC_HOLD_MAX;
}

void
ipc_queue_flush(struct ipc_client *c)
{
	struct ipc *ipc = c->ipc;

	if (c->flush_queued || c->wev_armed)
		return;	/* the write event will do it */
	if (ipc_holding(c))
		return;	/* ipc_client_hold(c, 0) will */
	c->flush_queued = 1;
	TAILQ_INSERT_TAIL(&ipc->flushq, c, flush_entry);
	event_active(ipc->flush_ev, EV_WRITE, 0);
}

void
ipc_client_hold(struct ipc_client *c, int on)
{
	if (c->held == on)
		return;
	c->held = on;
	if (!on && c->out.len > 0)
		ipc_queue_flush(c);
}

void
ipc_flushcb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc *ipc = arg;
	struct ipc_client *c;

	(void)fd;
	(void)what;
	/*
	 * The network first: a write below wakes its client (the answer to
	 * a send, a message), and on a small machine that client would take
	 * the CPU the peer's agent needs for the datagrams of this pass.
	 */
	engine_flush(ipc->a);
	while ((c = TAILQ_FIRST(&ipc->flushq)) != NULL) {
		TAILQ_REMOVE(&ipc->flushq, c, flush_entry);
		c->flush_queued = 0;
		/* Held since it was queued (a blocking recv came after). */
		if (!ipc_holding(c))
			(void)ipc_write(c);
	}
}

size_t
ipc_outlen(struct ipc_client *c)
{
	return c->out.len;
}

int
ipc_send_frame(struct ipc_client *c, P2p__Ipc__Frame *f)
{
	uint8_t *p;
	size_t blen;

	if (c->closing)
		return -1;
	if ((blen = ipcmsg_packed_size(f)) > IPC_MAX_FRAME) {
		log_warnx("%s: frame too big to send", __func__);
		return -1;
	}
	/* Packed straight into the output, no copy. */
	if ((p = ipc_buf_reserve(&c->out, IPC_HDR_LEN + blen)) == NULL)
		return -1;
	ipcmsg_pack_into(f, p, blen);
	c->out.len += IPC_HDR_LEN + blen;
	ipc_queue_flush(c);
	return 0;
}

int
ipc_send_resp(struct ipc_client *c, P2p__Ipc__Response *r)
{
	P2p__Ipc__Frame f = P2P__IPC__FRAME__INIT;

	f.kind_case = P2P__IPC__FRAME__KIND_RESPONSE;
	f.response = r;
	return ipc_send_frame(c, &f);
}

void
ipc_reply(struct ipc_client *c, uint32_t id, P2p__Ipc__Code code,
    const char *fmt, ...)
{
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	char msg[512];
	va_list ap;

	r.id = id;
	r.code = code;
	if (code != P2P__IPC__CODE__OK && fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		r.error = msg;
	}
	(void)ipc_send_resp(c, &r);
}

int
ipc_send_event(struct ipc_client *c, P2p__Ipc__Event *ev)
{
	P2p__Ipc__Frame f = P2P__IPC__FRAME__INIT;

	if (c->closing)
		return -1;
	if (c->subscribed && (ev->ev_case == P2P__IPC__EVENT__EV_PEER_STATE ||
	    ev->ev_case == P2P__IPC__EVENT__EV_GROUP_EVENT) &&
	    ipc_outlen(c) > AGENT_CLIENT_OUTCAP) {
		ipc_reply(c, 0, P2P__IPC__CODE__ERR_LAGGED,
		    "event subscriber too slow: %zu bytes unread",
		    ipc_outlen(c));
		ipc_client_close(c, "lagged");
		return -1;
	}
	f.kind_case = P2P__IPC__FRAME__KIND_EVENT;
	f.event = ev;
	return ipc_send_frame(c, &f);
}
