/* SPDX-License-Identifier: ISC */
/*
 * p2pclient.c: the connection to p2pd: open/close, non-blocking I/O,
 * framing, and dispatch of responses and events (see p2pclient.h).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p2pclient_int.h"

static int	p2pclient_dispatch(struct p2pclient *, P2p__Ipc__Frame *,
		    const uint8_t *, size_t);

int
p2pc_seterr(struct p2pclient *c, int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	return code;
}

/* A broken connection: every later call fails with the first reason. */
int
p2pc_fatal(struct p2pclient *c, int code, const char *fmt, ...)
{
	va_list	ap;

	if (c->dead)
		return c->dead;
	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	c->dead = code;
	return code;
}

int
p2pc_code(P2p__Ipc__Code code)
{
	if (code <= 0)
		return 0;
	if (code > P2P__IPC__CODE__ERR_EXISTS)
		return P2PCLIENT_EFAILED;
	return -(int)code;
}

int
p2pc_service_eq(const char *a, const char *b)
{
	if (a == NULL || *a == '\0')
		a = "default";
	if (b == NULL || *b == '\0')
		b = "default";
	return strcmp(a, b) == 0;
}

const char *
p2pclient_strerror(int code)
{
	switch (code) {
	case P2PCLIENT_OK:		return "ok";
	case P2PCLIENT_EFAILED:		return "operation failed";
	case P2PCLIENT_EUSAGE:		return "invalid request";
	case P2PCLIENT_ENOTFOUND:	return "not found";
	case P2PCLIENT_ENOTREGISTERED:	return "peer is not registered";
	case P2PCLIENT_EPOLICY:		return "forbidden by policy";
	case P2PCLIENT_ETIMEDOUT:	return "timed out";
	case P2PCLIENT_EBUSY:		return "busy";
	case P2PCLIENT_ECLOSED:		return "closed";
	case P2PCLIENT_ELAGGED:		return "lagged: events not read";
	case P2PCLIENT_EVERSION:	return "IPC version mismatch";
	case P2PCLIENT_EEXISTS:		return "already exists";
	case P2PCLIENT_ENOTRUNNING:	return "p2pd is not running";
	case P2PCLIENT_EIO:		return "connection to p2pd lost";
	case P2PCLIENT_EPROTO:		return "malformed frame from p2pd";
	case P2PCLIENT_ENOMEM:		return "out of memory";
	case P2PCLIENT_EINVAL:		return "invalid argument";
	case P2PCLIENT_EAGAIN:		return "too many outstanding requests";
	default:			return "unknown error";
	}
}

const char *
p2pclient_version(void)
{
	return P2PCLIENT_VERSION_STRING;
}

const char *
p2pclient_errmsg(struct p2pclient *c)
{
	return c->errmsg;
}

struct p2pclient *
p2pclient_open_ex(const char *path, int *code, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct p2pclient	*c;
	int			 fd, e;

	if (path == NULL && (path = getenv("P2PD_SOCKET")) == NULL)
		path = P2PCLIENT_DEFAULT_SOCKET;
	if (code != NULL)
		*code = P2PCLIENT_EINVAL;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path '%s' is empty or too long",
		    path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		e = errno;
		close(fd);
		if (code != NULL)
			*code = (e == ENOENT || e == ECONNREFUSED) ?
			    P2PCLIENT_ENOTRUNNING : P2PCLIENT_EIO;
		snprintf(err, errlen, "%s(connect %s: %s)",
		    (e == ENOENT || e == ECONNREFUSED) ?
		    "p2pd is not running " : "cannot reach p2pd ",
		    path, strerror(e));
		return NULL;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    (c = calloc(1, sizeof(*c))) == NULL ||
	    (c->ibuf = malloc(P2PC_IN_CAP)) == NULL) {
		if (code != NULL)
			*code = P2PCLIENT_ENOMEM;
		snprintf(err, errlen, "cannot set up the connection: %s",
		    strerror(errno));
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->next_id = 1;
	TAILQ_INIT(&c->evq);
	ipcmsg_arena_init(&c->arena, P2PC_ARENA_MIN);
	if (code != NULL)
		*code = 0;
	return c;
}

struct p2pclient *
p2pclient_open(const char *path, char *err, size_t errlen)
{
	return p2pclient_open_ex(path, NULL, err, errlen);
}

static void
p2pclient_partial_clear(struct p2pc_partial *p)
{
	free(p->from);
	free(p->service);
	free(p->group);
	free(p->data);
	memset(p, 0, sizeof(*p));
}

void
p2pclient_close(struct p2pclient *c)
{
	struct p2pc_ev	*e;
	size_t		 i;

	if (c == NULL)
		return;
	close(c->fd);
	while ((e = TAILQ_FIRST(&c->evq)) != NULL) {
		TAILQ_REMOVE(&c->evq, e, entry);
		p2pclient_event_free(&e->ev);
	}
	for (i = 0; i < P2PC_MAX_PARTIAL; i++)
		p2pclient_partial_clear(&c->partial[i]);
	for (i = 0; i < P2PCLIENT_WINDOW; i++)
		ipcmsg_free(c->ring[i].frame);
	p2pc_stats_free(c);
	ipcmsg_arena_free(&c->arena);
	free(c->obuf);
	free(c->ibuf);
	free(c);
}

/* Free what an event points to and zero it (it stays usable). */
static void
p2pclient_event_clear(struct p2pclient_event *ev)
{
	size_t	i;

	free(ev->peer_id);
	free(ev->service);
	free(ev->group);
	free(ev->state);
	free(ev->path);
	free(ev->reason);
	free(ev->data);
	free(ev->event);
	for (i = 0; i < ev->nmissing; i++)
		free(ev->missing[i]);
	free(ev->missing);
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
}

/* Events handed out are the ev of a struct p2pc_ev (its first member). */
void
p2pclient_event_free(struct p2pclient_event *ev)
{
	if (ev == NULL)
		return;
	p2pclient_event_clear(ev);
	free((struct p2pc_ev *)(void *)ev);
}

/* Move a stack event into one the application may keep. */
static struct p2pclient_event *
p2pclient_event_keep(struct p2pclient_event *ev)
{
	struct p2pc_ev	*e;

	if ((e = malloc(sizeof(*e))) == NULL)
		return NULL;
	e->ev = *ev;
	return &e->ev;
}

int
p2pclient_fd(struct p2pclient *c)
{
	return c->fd;
}

int
p2pclient_want_write(struct p2pclient *c)
{
	return !c->dead && c->olen > c->ooff;
}

int
p2pclient_set_callbacks(struct p2pclient *c,
    const struct p2pclient_callbacks *cb, void *arg)
{
	const unsigned char	*extra;
	size_t			 i;

	if (cb == NULL) {
		memset(&c->cb, 0, sizeof(c->cb));
		c->cbarg = arg;
		return 0;
	}
	if (cb->size < P2PC_CB_SIZE_MIN)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "struct "
		    "p2pclient_callbacks.size is %zu: set it to "
		    "sizeof(struct p2pclient_callbacks)", cb->size);
	/* A newer application's callbacks are fine if it set none of them. */
	extra = (const unsigned char *)cb;
	for (i = sizeof(c->cb); i < cb->size; i++)
		if (extra[i] != 0)
			return p2pc_seterr(c, P2PCLIENT_EINVAL, "the "
			    "application sets callbacks that libp2pclient %s "
			    "does not have (built against a newer version)",
			    P2PCLIENT_VERSION_STRING);
	memset(&c->cb, 0, sizeof(c->cb));
	memcpy(&c->cb, cb, cb->size < sizeof(c->cb) ? cb->size :
	    sizeof(c->cb));
	c->cb.size = sizeof(c->cb);
	c->cbarg = arg;
	return 0;
}

int
p2pclient_can_send(struct p2pclient *c)
{
	return !c->dead && c->rcount < P2PCLIENT_WINDOW &&
	    c->olen - c->ooff < P2PC_OUT_CAP;
}

size_t
p2pclient_pending(struct p2pclient *c)
{
	return c->rcount;
}

struct p2pc_req *
p2pc_req_find(struct p2pclient *c, uint32_t id)
{
	struct p2pc_req	*r;
	size_t		 i;

	/* Answers mostly come in order: the oldest entries are tried first. */
	for (i = 0; i < c->rcount; i++) {
		r = &c->ring[(c->rhead + i) % P2PCLIENT_WINDOW];
		if (r->id == id)
			return r;
	}
	return NULL;
}

/* Forget an answered request; drop answered ones from the ring's head. */
void
p2pc_req_release(struct p2pclient *c, struct p2pc_req *r)
{
	ipcmsg_free(r->frame);
	r->frame = NULL;
	r->resp = NULL;
	if (r->owner == P2PC_WAIT)
		r->owner = r->done ? P2PC_ASYNC : P2PC_DISCARD;
	while (c->rcount > 0) {
		r = &c->ring[c->rhead];
		if (!r->done || r->owner == P2PC_WAIT)
			break;
		memset(r, 0, sizeof(*r));
		c->rhead = (c->rhead + 1) % P2PCLIENT_WINDOW;
		c->rcount--;
	}
}

int
p2pclient_on_writable(struct p2pclient *c)
{
	ssize_t	n;

	if (c->dead)
		return c->dead;
	while (c->ooff < c->olen) {
		n = send(c->fd, c->obuf + c->ooff, c->olen - c->ooff,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1)
			return p2pc_fatal(c, P2PCLIENT_EIO, "write to p2pd: %s",
			    strerror(errno));
		c->ooff += (size_t)n;
	}
	if (c->ooff == c->olen)
		c->ooff = c->olen = 0;
	else if (c->ooff > c->ocap / 2) {
		memmove(c->obuf, c->obuf + c->ooff, c->olen - c->ooff);
		c->olen -= c->ooff;
		c->ooff = 0;
	}
	return 0;
}

/* Parse every complete frame in ibuf. */
static int
p2pclient_parse(struct p2pclient *c)
{
	P2p__Ipc__Frame		*f;
	enum ipc_hdr_status	 st;
	const uint8_t		*body;
	size_t			 off = 0;
	uint32_t		 blen;
	uint8_t			 ver;
	char			 why[256], msg[256];
	int			 rc = 0;

	while (rc == 0 && !c->dead && c->ilen - off >= IPC_HDR_LEN) {
		st = ipcmsg_hdr_parse(c->ibuf + off, c->ilen - off, &blen,
		    &ver);
		if (st == IPC_HDR_BAD_VERSION)
			return p2pc_fatal(c, P2PCLIENT_EVERSION, "p2pd speaks "
			    "IPC version %u, this client speaks %d", ver,
			    IPC_VERSION);
		if (st != IPC_HDR_OK)
			return p2pc_fatal(c, P2PCLIENT_EPROTO, "from p2pd: %s",
			    ipcmsg_hdr_strerror(st, ver, blen, why,
			    sizeof(why)));
		if (c->ilen - off - IPC_HDR_LEN < blen)
			break;
		body = c->ibuf + off + IPC_HDR_LEN;
		f = ipcmsg_unpack_with(body, blen, &c->arena.alloc, msg,
		    sizeof(msg));
		off += IPC_HDR_LEN + blen;
		if (f == NULL) {
			ipcmsg_arena_reset(&c->arena);
			return p2pc_fatal(c, P2PCLIENT_EPROTO, "bad frame "
			    "from p2pd: %s", msg);
		}
		c->in_cb++;	/* what it calls back must not read the fd */
		rc = p2pclient_dispatch(c, f, body, blen);
		c->in_cb--;
		/* Nothing points into the frame now (one that is kept was
		 * copied): the arena is empty for the next. */
		if (c->in_cb == 0)
			ipcmsg_arena_reset(&c->arena);
	}
	if (off > 0) {
		memmove(c->ibuf, c->ibuf + off, c->ilen - off);
		c->ilen -= off;
	}
	return rc;
}

int
p2pclient_on_readable(struct p2pclient *c)
{
	ssize_t	n;
	size_t	room;
	int	i, rc;

	if (c->dead)
		return c->dead;
	/* A bounded number of reads, so one busy client cannot hog a loop. */
	for (i = 0; i < 8; i++) {
		room = P2PC_IN_CAP - c->ilen;
		n = recv(c->fd, c->ibuf + c->ilen, room, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == -1)
			return p2pc_fatal(c, P2PCLIENT_EIO, "read from p2pd: "
			    "%s", strerror(errno));
		if (n == 0)
			return p2pc_fatal(c, P2PCLIENT_EIO, "p2pd closed the "
			    "connection");
		c->ilen += (size_t)n;
		if ((rc = p2pclient_parse(c)) != 0)
			return rc;
		/* A short read took all there was: the next readiness tells
		 * of more, and a read now would only say EAGAIN. */
		if ((size_t)n < room)
			return 0;
	}
	return 0;
}

/* An answer with an unknown id (e.g. 0): an error here is for the link. */
static int
p2pclient_orphan(struct p2pclient *c, const P2p__Ipc__Response *p)
{
	int	code = p2pc_code(p->code);

	if (code == 0)
		return 0;
	if (code == P2PCLIENT_EVERSION || code == P2PCLIENT_ELAGGED ||
	    p->id == 0)
		return p2pc_fatal(c, code, "%s", p->error[0] != '\0' ?
		    p->error : p2pclient_strerror(code));
	return 0;
}

static int
p2pclient_on_response(struct p2pclient *c, P2p__Ipc__Frame *f,
    const uint8_t *body, size_t blen)
{
	P2p__Ipc__Response		*p = f->response;
	struct p2pclient_response	 res;
	struct p2pc_req			*r;
	struct p2pclient_groups		*gs = NULL;
	char				 why[256];
	int				 code = p2pc_code(p->code);

	if ((r = p2pc_req_find(c, p->id)) == NULL || r->done)
		return p2pclient_orphan(c, p);
	if (code == P2PCLIENT_ELAGGED || code == P2PCLIENT_EVERSION)
		p2pc_fatal(c, code, "%s", p->error);
	if (r->owner == P2PC_WAIT) {
		/* Kept for the blocking helper: a copy off the arena. */
		if ((r->frame = ipcmsg_unpack(body, blen, why, sizeof(why))) ==
		    NULL)
			return p2pc_fatal(c, P2PCLIENT_ENOMEM, "out of memory "
			    "for an answer of p2pd");
		r->resp = r->frame->response;
		r->done = 1;
		return 0;
	}
	r->done = 1;
	if (r->owner == P2PC_ASYNC) {
		memset(&res, 0, sizeof(res));
		res.size = sizeof(res);
		res.id = p->id;
		res.code = code;
		res.error = p->error;
		if (p->result_case == P2P__IPC__RESPONSE__RESULT_RECV)
			res.delivered = p->recv->delivered;
		else if (p->result_case == P2P__IPC__RESPONSE__RESULT_PING)
			res.rtt_ms = p->ping->rtt_ms;
		else if (p->result_case == P2P__IPC__RESPONSE__RESULT_PIPE_OPEN)
			res.pipe_id = p->pipe_open->pipe_id;
		else if (p->result_case == P2P__IPC__RESPONSE__RESULT_GROUP &&
		    c->cb.on_response != NULL &&
		    p2pc_groups_from(p->group, &gs) == -1) {
			res.code = P2PCLIENT_ENOMEM;
			res.error = "out of memory";
		}
		res.groups = gs;
		if (c->cb.on_response != NULL)
			c->cb.on_response(c, &res, c->cbarg);
		else if (code != 0 && c->async_err == 0) {
			c->async_err = code;
			snprintf(c->async_msg, sizeof(c->async_msg), "%s",
			    p->error[0] != '\0' ? p->error :
			    p2pclient_strerror(code));
		}
	}
	p2pclient_groups_free(gs);
	p2pc_req_release(c, r);
	return 0;
}

/*
 * A lent message event points into the frame it came in: give it copies
 * of its own, for an application that keeps it (-1: out of memory, and
 * the event points to nothing).
 */
static int
p2pclient_event_own(struct p2pclient_event *ev)
{
	const uint8_t	*data = ev->data;

	ev->peer_id = strdup(ev->peer_id);
	ev->service = strdup(ev->service);
	ev->group = strdup(ev->group);
	ev->data = NULL;
	if (ev->len > 0 && (ev->data = malloc(ev->len)) != NULL)
		memcpy(ev->data, data, ev->len);
	if (ev->peer_id == NULL || ev->service == NULL || ev->group == NULL ||
	    (ev->len > 0 && ev->data == NULL)) {
		p2pclient_event_clear(ev);
		return -1;
	}
	return 0;
}

/*
 * Hand an event to its callback, the blocking recv, or the queue. A lent
 * event (lent: see p2pclient_event_own) is copied only when it is kept;
 * an owned one is freed after a callback.
 */
static int
p2pclient_deliver(struct p2pclient *c, struct p2pclient_event *ev, int lent)
{
	struct p2pclient_event	*kept;

	if (ev->type == P2PCLIENT_EV_MESSAGE && c->recv_service != NULL &&
	    p2pc_service_eq(c->recv_service, ev->service) &&
	    c->recv_got < c->recv_max) {
		if (c->recv_out != NULL) {
			if ((lent && p2pclient_event_own(ev) == -1) ||
			    (kept = p2pclient_event_keep(ev)) == NULL) {
				p2pclient_event_clear(ev);
				return p2pc_fatal(c, P2PCLIENT_ENOMEM,
				    "out of memory");
			}
			c->recv_out[c->recv_got++] = kept;
			return 0;
		}
		c->recv_got++;
		if (c->recv_cb != NULL)
			c->recv_cb(ev, c->recv_arg);
		if (!lent)
			p2pclient_event_clear(ev);
		return 0;
	}
	switch (ev->type) {
	case P2PCLIENT_EV_MESSAGE:
		if (c->cb.on_message_ex != NULL)
			c->cb.on_message_ex(c, ev, c->cbarg);
		else if (c->cb.on_message != NULL)
			c->cb.on_message(c, ev->peer_id, ev->service, ev->data,
			    ev->len, ev->group, c->cbarg);
		else
			break;
		if (!lent)
			p2pclient_event_clear(ev);
		return 0;
	case P2PCLIENT_EV_PEER_STATE:
		if (c->cb.on_peer_state == NULL)
			break;
		c->cb.on_peer_state(c, ev->peer_id, ev->state, ev->path,
		    ev->reason, c->cbarg);
		p2pclient_event_clear(ev);
		return 0;
	case P2PCLIENT_EV_PIPE_DATA:
		if (c->cb.on_pipe_data == NULL)
			break;
		c->cb.on_pipe_data(c, ev->pipe_id, ev->data, ev->len,
		    ev->eof, c->cbarg);
		p2pclient_event_clear(ev);
		return 0;
	case P2PCLIENT_EV_PIPE_CLOSED:
		if (c->cb.on_pipe_closed == NULL)
			break;
		c->cb.on_pipe_closed(c, ev->pipe_id, ev->ok, ev->reason,
		    c->cbarg);
		p2pclient_event_clear(ev);
		return 0;
	case P2PCLIENT_EV_GROUP:
		if (c->cb.on_group_event == NULL)
			break;
		c->cb.on_group_event(c, ev, c->cbarg);
		p2pclient_event_clear(ev);
		return 0;
	}
	/* Dropping would silently lose data: fail loudly instead. */
	if (c->nev >= P2PCLIENT_MAX_EVENTS ||
	    (lent && p2pclient_event_own(ev) == -1) ||
	    (kept = p2pclient_event_keep(ev)) == NULL) {
		p2pclient_event_clear(ev);
		return p2pc_fatal(c, P2PCLIENT_ELAGGED, "more than %d events "
		    "not taken by the application", P2PCLIENT_MAX_EVENTS);
	}
	TAILQ_INSERT_TAIL(&c->evq, (struct p2pc_ev *)(void *)kept, entry);
	c->nev++;
	return 0;
}

static char *
p2pclient_strdup(const char *s)
{
	return strdup(s != NULL ? s : "");
}

/* Collect a message's chunks; deliver it when the last one arrives. */
static int
p2pclient_on_message(struct p2pclient *c, const P2p__Ipc__Message *m)
{
	struct p2pc_partial	*p = NULL, *slot = NULL;
	struct p2pclient_event	 ev;
	uint8_t			*nd;
	size_t			 i, ncap;

	for (i = 0; i < P2PC_MAX_PARTIAL; i++) {
		if (c->partial[i].from == NULL) {
			if (slot == NULL)
				slot = &c->partial[i];
		} else if (strcmp(c->partial[i].from, m->from) == 0 &&
		    strcmp(c->partial[i].service, m->service) == 0) {
			p = &c->partial[i];
			break;
		}
	}
	if (p == NULL && !m->more) {
		/* A whole message in one chunk (the usual case): lent from
		 * the frame, copied only if the application keeps it. */
		memset(&ev, 0, sizeof(ev));
		ev.size = sizeof(ev);
		ev.type = P2PCLIENT_EV_MESSAGE;
		ev.peer_id = m->from != NULL ? m->from : (char *)"";
		ev.service = m->service != NULL ? m->service : (char *)"";
		ev.group = m->group != NULL ? m->group : (char *)"";
		ev.data = m->data.len > 0 ? m->data.data : NULL;
		ev.len = m->data.len;
		ev.channel = m->channel;
		ev.mode = m->mode;
		return p2pclient_deliver(c, &ev, 1);
	}
	if (p == NULL) {
		if (slot == NULL)
			return p2pc_fatal(c, P2PCLIENT_EPROTO, "more than %d "
			    "chunked messages in progress", P2PC_MAX_PARTIAL);
		p = slot;
		p->from = p2pclient_strdup(m->from);
		p->service = p2pclient_strdup(m->service);
		p->group = p2pclient_strdup(m->group);
		if (p->from == NULL || p->service == NULL || p->group == NULL)
			goto nomem;
	}
	if (m->data.len > P2PCLIENT_MAX_MSG - p->len) {
		p2pclient_partial_clear(p);
		return p2pc_fatal(c, P2PCLIENT_EPROTO, "message from %s is "
		    "larger than %d bytes", m->from, P2PCLIENT_MAX_MSG);
	}
	if (m->data.len > p->cap - p->len) {
		/* Doubling: a message of n chunks costs O(size), not O(n size). */
		ncap = p->cap > 0 ? p->cap : 65536;
		while (ncap - p->len < m->data.len)
			ncap *= 2;
		if (ncap > P2PCLIENT_MAX_MSG)
			ncap = P2PCLIENT_MAX_MSG;
		if ((nd = realloc(p->data, ncap > 0 ? ncap : 1)) == NULL)
			goto nomem;
		p->data = nd;
		p->cap = ncap;
	}
	if (m->data.len > 0) {
		memcpy(p->data + p->len, m->data.data, m->data.len);
		p->len += m->data.len;
	}
	if (m->more)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.type = P2PCLIENT_EV_MESSAGE;
	ev.peer_id = p->from;
	ev.service = p->service;
	ev.group = p->group;
	ev.data = p->data;
	ev.len = p->len;
	ev.channel = m->channel;
	ev.mode = m->mode;
	memset(p, 0, sizeof(*p));	/* the event owns the pieces now */
	return p2pclient_deliver(c, &ev, 0);
nomem:
	p2pclient_partial_clear(p);
	return p2pc_fatal(c, P2PCLIENT_ENOMEM, "out of memory");
}

static int
p2pclient_group_event(struct p2pclient_event *ev,
    const P2p__Ipc__GroupEvent *g)
{
	size_t	i;

	ev->type = P2PCLIENT_EV_GROUP;
	ev->event = p2pclient_strdup(g->event);
	ev->group = p2pclient_strdup(g->group);
	ev->peer_id = p2pclient_strdup(g->peer_id);
	ev->missing_count = g->missing_count;
	if (ev->event == NULL || ev->group == NULL || ev->peer_id == NULL)
		return -1;
	if (g->n_missing == 0)
		return 0;
	if ((ev->missing = calloc(g->n_missing, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < g->n_missing; i++) {
		if ((ev->missing[i] = p2pclient_strdup(g->missing[i])) == NULL)
			return -1;
		ev->nmissing++;
	}
	return 0;
}

static int
p2pclient_on_event(struct p2pclient *c, const P2p__Ipc__Event *e)
{
	struct p2pclient_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.time_us = e->time_us;
	switch (e->ev_case) {
	case P2P__IPC__EVENT__EV_MESSAGE:
		return p2pclient_on_message(c, e->message);
	case P2P__IPC__EVENT__EV_PEER_STATE:
		ev.type = P2PCLIENT_EV_PEER_STATE;
		ev.peer_id = p2pclient_strdup(e->peer_state->peer_id);
		ev.state = p2pclient_strdup(e->peer_state->state);
		ev.path = p2pclient_strdup(e->peer_state->path);
		ev.reason = p2pclient_strdup(e->peer_state->reason);
		if (!ev.peer_id || !ev.state || !ev.path || !ev.reason)
			goto nomem;
		break;
	case P2P__IPC__EVENT__EV_PIPE_DATA:
		ev.type = P2PCLIENT_EV_PIPE_DATA;
		ev.pipe_id = e->pipe_data->pipe_id;
		ev.eof = e->pipe_data->eof;
		ev.len = e->pipe_data->data.len;
		if (ev.len > 0) {
			if ((ev.data = malloc(ev.len)) == NULL)
				goto nomem;
			memcpy(ev.data, e->pipe_data->data.data, ev.len);
		}
		break;
	case P2P__IPC__EVENT__EV_PIPE_CLOSED:
		ev.type = P2PCLIENT_EV_PIPE_CLOSED;
		ev.pipe_id = e->pipe_closed->pipe_id;
		ev.ok = e->pipe_closed->ok;
		if ((ev.reason = p2pclient_strdup(e->pipe_closed->reason)) ==
		    NULL)
			goto nomem;
		break;
	case P2P__IPC__EVENT__EV_GROUP_EVENT:
		if (p2pclient_group_event(&ev, e->group_event) == -1)
			goto nomem;
		break;
	case P2P__IPC__EVENT__EV_PEER_STATS:
		return p2pc_stats_push(c, e->peer_stats);
	default:
		return 0;	/* ipcmsg_unpack refuses these */
	}
	return p2pclient_deliver(c, &ev, 0);
nomem:
	p2pclient_event_clear(&ev);
	return p2pc_fatal(c, P2PCLIENT_ENOMEM, "out of memory");
}

/* One frame, in the arena; body[blen] is its packed form. */
static int
p2pclient_dispatch(struct p2pclient *c, P2p__Ipc__Frame *f,
    const uint8_t *body, size_t blen)
{
	switch (f->kind_case) {
	case P2P__IPC__FRAME__KIND_RESPONSE:
		return p2pclient_on_response(c, f, body, blen);
	case P2P__IPC__FRAME__KIND_EVENT:
		return p2pclient_on_event(c, f->event);
	default:
		return p2pc_fatal(c, P2PCLIENT_EPROTO, "p2pd sent a request");
	}
}
