/* SPDX-License-Identifier: ISC */
/*
 * p2pclient_sync.c: the blocking helpers. Each queues its request through
 * the async layer, claims the answer (P2PC_WAIT) and polls the socket
 * until the answer arrives or its deadline passes. Events that arrive
 * meanwhile go to callbacks or the event queue as usual.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "p2pclient_int.h"

#define P2PC_CANCEL_GRACE_MS	5000	/* for the answer after recv_cancel */

static int64_t
p2pc_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
p2pc_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : p2pc_now_ms() + timeout_ms;
}

static int
p2pc_left(int64_t deadline)
{
	int64_t	left;

	if (deadline < 0)
		return -1;
	left = deadline - p2pc_now_ms();
	return left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

int
p2pclient_poll(struct p2pclient *c, int timeout_ms)
{
	struct pollfd	pfd;
	int		n, rc;

	if (c->dead)
		return c->dead;
	/* Write first: requests just queued need no poll round. */
	if (p2pclient_want_write(c) && (rc = p2pclient_on_writable(c)) != 0)
		return rc;
	pfd.fd = c->fd;
	pfd.events = POLLIN | (p2pclient_want_write(c) ? POLLOUT : 0);
	pfd.revents = 0;
	n = poll(&pfd, 1, timeout_ms);
	if (n == -1 && errno == EINTR)
		return 0;
	if (n == -1)
		return p2pc_fatal(c, P2PCLIENT_EIO, "poll: %s",
		    strerror(errno));
	if (n == 0)
		return P2PCLIENT_ETIMEDOUT;
	if ((pfd.revents & POLLOUT) && (rc = p2pclient_on_writable(c)) != 0)
		return rc;
	if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
		return p2pclient_on_readable(c);
	return 0;
}

static int
p2pc_take_async_err(struct p2pclient *c)
{
	int	rc = c->async_err;

	if (rc != 0) {
		c->async_err = 0;
		p2pc_seterr(c, rc, "%s", c->async_msg);
	}
	return rc;
}

/* Pump until request id is answered (or forgotten). */
static int
p2pc_wait_gone(struct p2pclient *c, uint32_t id, int timeout_ms)
{
	struct p2pc_req	*r;
	int64_t		 deadline = p2pc_deadline(timeout_ms);
	int		 rc;

	while ((r = p2pc_req_find(c, id)) != NULL && !r->done) {
		rc = p2pclient_poll(c, p2pc_left(deadline));
		if (rc != 0 && rc != P2PCLIENT_ETIMEDOUT)
			return rc;
		if ((r = p2pc_req_find(c, id)) != NULL && !r->done &&
		    p2pc_left(deadline) == 0)
			return p2pc_seterr(c, P2PCLIENT_ETIMEDOUT, "no answer "
			    "from p2pd to request %u", id);
	}
	return 0;
}

int
p2pclient_wait(struct p2pclient *c, uint32_t id, int timeout_ms)
{
	int	rc;

	if ((rc = p2pc_wait_gone(c, id, timeout_ms)) != 0)
		return rc;
	return p2pc_take_async_err(c);
}

static size_t
p2pc_unanswered(struct p2pclient *c)
{
	size_t	i, n = 0;

	for (i = 0; i < c->rcount; i++)
		if (!c->ring[(c->rhead + i) % P2PCLIENT_WINDOW].done)
			n++;
	return n;
}

int
p2pclient_flush(struct p2pclient *c, int timeout_ms)
{
	int64_t	deadline = p2pc_deadline(timeout_ms);
	int	rc;

	while (p2pc_unanswered(c) > 0 || p2pclient_want_write(c)) {
		rc = p2pclient_poll(c, p2pc_left(deadline));
		if (rc != 0 && rc != P2PCLIENT_ETIMEDOUT)
			return rc;
		if ((p2pc_unanswered(c) > 0 || p2pclient_want_write(c)) &&
		    p2pc_left(deadline) == 0)
			return p2pc_seterr(c, P2PCLIENT_ETIMEDOUT, "%zu "
			    "requests still unanswered", p2pc_unanswered(c));
	}
	return p2pc_take_async_err(c);
}

/* Wait until a new request fits. */
int
p2pc_wait_room(struct p2pclient *c)
{
	int	rc;

	while (!p2pclient_can_send(c)) {
		if (c->dead)
			return c->dead;
		if ((rc = p2pclient_poll(c, -1)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Claim request id and wait for its answer. Returns the agent's code; on
 * 0 *out (if asked) holds the response until p2pc_req_release.
 */
static int
p2pc_finish(struct p2pclient *c, int64_t id, int timeout_ms,
    struct p2pc_req **out)
{
	struct p2pc_req	*r;
	int64_t		 deadline = p2pc_deadline(timeout_ms);
	int		 rc, code;

	if (id < 0)
		return (int)id;
	r = p2pc_req_find(c, (uint32_t)id);
	r->owner = P2PC_WAIT;
	while (!r->done) {
		rc = p2pclient_poll(c, p2pc_left(deadline));
		if (r->done)
			break;
		if ((rc == 0 || rc == P2PCLIENT_ETIMEDOUT) &&
		    p2pc_left(deadline) != 0)
			continue;
		/* Timed out or broken: the late answer will be dropped. */
		p2pc_req_release(c, r);
		if (rc == 0 || rc == P2PCLIENT_ETIMEDOUT)
			return p2pc_seterr(c, P2PCLIENT_ETIMEDOUT, "no answer "
			    "from p2pd in %d ms", timeout_ms);
		return rc;
	}
	code = p2pc_code(r->resp->code);
	if (code != 0) {
		p2pc_seterr(c, code, "%s", r->resp->error[0] != '\0' ?
		    r->resp->error : p2pclient_strerror(code));
		p2pc_req_release(c, r);
		return code;
	}
	if (out != NULL)
		*out = r;
	else
		p2pc_req_release(c, r);
	return 0;
}

int
p2pc_call(struct p2pclient *c, int64_t id, struct p2pc_req **out)
{
	return p2pc_finish(c, id, -1, out);
}

/* Extra time the agent gets beyond the timeout it was given. */
static int
p2pc_grace(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : timeout_ms + 2000;
}

#define SYNC(call, tmo)	do {						\
	int	rc_;							\
	if ((rc_ = p2pc_wait_room(c)) != 0)				\
		return rc_;						\
	return p2pc_finish(c, call, tmo, NULL);				\
} while (0)

int
p2pclient_connect(struct p2pclient *c, const char *peer, int timeout_ms)
{
	SYNC(p2pclient_connect_async(c, peer, timeout_ms < 0 ? UINT32_MAX :
	    (uint32_t)timeout_ms), p2pc_grace(timeout_ms));
}

int
p2pclient_disconnect(struct p2pclient *c, const char *peer)
{
	SYNC(p2pclient_disconnect_async(c, peer), -1);
}

int
p2pclient_send(struct p2pclient *c, const char *peer, const char *service,
    const void *data, size_t len, int flags)
{
	SYNC(p2pclient_send_async(c, peer, service, data, len, flags), -1);
}

int
p2pclient_bind(struct p2pclient *c, const char *service)
{
	SYNC(p2pclient_bind_async(c, service), -1);
}

int
p2pclient_unbind(struct p2pclient *c, const char *service)
{
	SYNC(p2pclient_unbind_async(c, service), -1);
}

int
p2pclient_subscribe(struct p2pclient *c)
{
	SYNC(p2pclient_subscribe_async(c), -1);
}

int
p2pclient_pipe_write(struct p2pclient *c, uint32_t pipe_id,
    const void *data, size_t len, int eof)
{
	SYNC(p2pclient_pipe_write_async(c, pipe_id, data, len, eof), -1);
}

int
p2pclient_pipe_ack(struct p2pclient *c, uint32_t pipe_id, uint64_t bytes,
    int done)
{
	SYNC(p2pclient_pipe_ack_async(c, pipe_id, bytes, done), -1);
}

int
p2pclient_pipe_close(struct p2pclient *c, uint32_t pipe_id)
{
	SYNC(p2pclient_pipe_close_async(c, pipe_id), -1);
}

int
p2pclient_ping(struct p2pclient *c, const char *peer, int timeout_ms,
    double *rtt_ms)
{
	struct p2pc_req	*r;
	int		 rc;

	if ((rc = p2pc_wait_room(c)) != 0)
		return rc;
	rc = p2pc_finish(c, p2pclient_ping_async(c, peer, timeout_ms < 0 ?
	    UINT32_MAX : (uint32_t)timeout_ms), p2pc_grace(timeout_ms), &r);
	if (rc != 0)
		return rc;
	if (rtt_ms != NULL)
		*rtt_ms = r->resp->result_case ==
		    P2P__IPC__RESPONSE__RESULT_PING ? r->resp->ping->rtt_ms : 0;
	p2pc_req_release(c, r);
	return 0;
}

int
p2pclient_pipe_open(struct p2pclient *c, const char *peer, const char *name,
    int timeout_ms, uint32_t *pipe_id)
{
	struct p2pc_req	*r;
	int		 rc;

	if ((rc = p2pc_wait_room(c)) != 0)
		return rc;
	rc = p2pc_finish(c, p2pclient_pipe_open_async(c, peer, name,
	    timeout_ms < 0 ? UINT32_MAX : (uint32_t)timeout_ms),
	    p2pc_grace(timeout_ms), &r);
	if (rc != 0)
		return rc;
	if (r->resp->result_case != P2P__IPC__RESPONSE__RESULT_PIPE_OPEN) {
		p2pc_req_release(c, r);
		return p2pc_seterr(c, P2PCLIENT_EPROTO, "p2pd answered "
		    "pipe_open without a pipe id");
	}
	*pipe_id = r->resp->pipe_open->pipe_id;
	p2pc_req_release(c, r);
	return 0;
}

int
p2pclient_recv(struct p2pclient *c, const char *service, uint32_t count,
    int timeout_ms, p2pclient_msg_cb cb, void *arg,
    struct p2pclient_event **out)
{
	int64_t	id;
	int	rc;
	uint32_t i;

	if (c->recv_service != NULL)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "a recv is already "
		    "in progress on this handle");
	if ((rc = p2pc_wait_room(c)) != 0)
		return rc;
	/* Blocking: the agent may send the answers of earlier requests
	 * with the messages, one wakeup instead of two. */
	id = p2pc_recv_req(c, service, count, timeout_ms < 0 ?
	    UINT32_MAX : (uint32_t)timeout_ms, 1);
	if (id < 0)
		return (int)id;
	c->recv_service = service != NULL ? service : "";
	c->recv_cb = cb;
	c->recv_arg = arg;
	c->recv_out = out;
	c->recv_got = 0;
	c->recv_max = count;
	rc = p2pc_finish(c, id, timeout_ms, NULL);
	if (rc == P2PCLIENT_ETIMEDOUT && !c->dead) {
		/* Stop the agent; messages it pushed before answering count. */
		if (p2pc_wait_room(c) == 0)
			rc = p2pc_finish(c, p2pclient_recv_cancel_async(c,
			    service), P2PC_CANCEL_GRACE_MS, NULL);
		/* The recv's own answer follows the messages it delivered. */
		if (rc == 0 || rc == P2PCLIENT_ENOTFOUND)
			(void)p2pc_wait_gone(c, (uint32_t)id,
			    P2PC_CANCEL_GRACE_MS);
		rc = P2PCLIENT_ETIMEDOUT;
	}
	c->recv_service = NULL;
	if (rc == 0 || rc == P2PCLIENT_ETIMEDOUT)
		return (int)c->recv_got;
	if (out != NULL)
		for (i = 0; i < c->recv_got; i++) {
			p2pclient_event_free(out[i]);
			out[i] = NULL;
		}
	return rc;
}

int
p2pclient_next_event(struct p2pclient *c, int timeout_ms,
    struct p2pclient_event **ev)
{
	struct p2pc_ev	*e;
	int64_t		 deadline = p2pc_deadline(timeout_ms);
	int		 rc;

	*ev = NULL;
	while ((e = TAILQ_FIRST(&c->evq)) == NULL) {
		rc = p2pclient_poll(c, p2pc_left(deadline));
		/* Events that came before a fatal error still count. */
		if (!TAILQ_EMPTY(&c->evq))
			continue;
		if (rc != 0 && rc != P2PCLIENT_ETIMEDOUT)
			return rc;
		if (p2pc_left(deadline) == 0)
			return P2PCLIENT_ETIMEDOUT;
	}
	TAILQ_REMOVE(&c->evq, e, entry);
	c->nev--;
	*ev = &e->ev;
	return 0;
}
