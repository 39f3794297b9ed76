/* SPDX-License-Identifier: ISC */
/*
 * ctl_pipe.c: p2pctl pipe: stdin to the peer, the peer to stdout.
 *
 * One poll loop over stdin, stdout and the p2pd socket. Bytes written to
 * stdout are acknowledged to p2pd (pipe_ack), the last ack with done=true
 * once the peer's eof is written out; the command succeeds only when both
 * directions ended and p2pd reports the pipe closed ok, so a stream cut
 * short by either side is always an error.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p2pctl.h"

#define CTL_PIPE_TIMEOUT_MS	30000
#define CTL_PIPE_READ		(128 * 1024)	/* one PipeWriteReq */
#define CTL_PIPE_INFLIGHT	32		/* unanswered requests */
#define CTL_PIPE_OUT_CAP	(8 * 1024 * 1024) /* stop reading p2pd above */
#define CTL_PIPE_ACK_EVERY	(64 * 1024)

struct ctl_pipe {
	uint32_t	 id;
	int		 id_known;	/* events may beat pipe_open's return */
	uint8_t		*out;
	size_t		 outlen, outoff, outcap;
	uint64_t	 unacked;
	int		 in_eof, peer_eof, done_sent;
	int		 closed, closed_ok;
	char		 reason[256];
	int		 failed;
	char		 err[512];
};

static const struct option ctl_pipe_opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ "name", required_argument, NULL, 'N' },
	{ "timeout", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 }
};

static void
ctl_pipe_fail(struct ctl_pipe *p, const char *msg)
{
	if (!p->failed) {
		p->failed = 1;
		snprintf(p->err, sizeof(p->err), "%s", msg);
	}
}

static void
ctl_pipe_on_data(struct p2pclient *c, uint32_t id, const uint8_t *data,
    size_t len, int eof, void *arg)
{
	struct ctl_pipe	*p = arg;
	uint8_t		*nb;
	size_t		 ncap;

	if (p->id_known && id != p->id)
		return;
	if (p->outoff == p->outlen)
		p->outoff = p->outlen = 0;
	if (len > p->outcap - p->outlen) {
		if (p->outoff > 0) {
			memmove(p->out, p->out + p->outoff,
			    p->outlen - p->outoff);
			p->outlen -= p->outoff;
			p->outoff = 0;
		}
		ncap = p->outcap ? p->outcap : 256 * 1024;
		while (ncap - p->outlen < len)
			ncap *= 2;
		if ((nb = realloc(p->out, ncap)) == NULL) {
			ctl_pipe_fail(p, "out of memory");
			return;
		}
		p->out = nb;
		p->outcap = ncap;
	}
	if (len > 0)
		memcpy(p->out + p->outlen, data, len);
	p->outlen += len;
	if (eof)
		p->peer_eof = 1;
}

static void
ctl_pipe_on_closed(struct p2pclient *c, uint32_t id, int ok,
    const char *reason, void *arg)
{
	struct ctl_pipe	*p = arg;

	if (p->id_known && id != p->id)
		return;
	p->closed = 1;
	p->closed_ok = ok;
	snprintf(p->reason, sizeof(p->reason), "%s", reason);
}

static void
ctl_pipe_on_response(struct p2pclient *c, const struct p2pclient_response *r,
    void *arg)
{
	if (r->code != 0)
		ctl_pipe_fail(arg, r->error[0] != '\0' ? r->error :
		    p2pclient_strerror(r->code));
}

/* Tell p2pd what reached stdout; done once the peer's eof did too. */
static void
ctl_pipe_ack(struct p2pclient *c, struct ctl_pipe *p)
{
	int	done = p->peer_eof && p->outoff == p->outlen;

	if (p->done_sent || (!done && p->unacked < CTL_PIPE_ACK_EVERY &&
	    !(p->unacked > 0 && p->outoff == p->outlen)))
		return;
	if (p2pclient_pipe_ack_async(c, p->id, p->unacked, done) > 0) {
		p->unacked = 0;
		p->done_sent = done;
	}
}

static void
ctl_pipe_stdin(struct p2pclient *c, struct ctl_pipe *p, uint8_t *buf)
{
	ssize_t	n;

	n = read(STDIN_FILENO, buf, CTL_PIPE_READ);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n == -1) {
		ctl_pipe_fail(p, "reading stdin failed");
		return;
	}
	if (p2pclient_pipe_write_async(c, p->id, buf, (size_t)n, n == 0) < 0)
		ctl_pipe_fail(p, p2pclient_errmsg(c));
	if (n == 0)
		p->in_eof = 1;
}

static void
ctl_pipe_stdout(struct ctl_pipe *p)
{
	ssize_t	n;
	size_t	len = p->outlen - p->outoff;

	n = write(STDOUT_FILENO, p->out + p->outoff, len > CTL_PIPE_READ * 2 ?
	    CTL_PIPE_READ * 2 : len);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n == -1) {
		ctl_pipe_fail(p, "writing stdout failed");
		return;
	}
	p->outoff += (size_t)n;
	p->unacked += (uint64_t)n;
}

static int
ctl_pipe_loop(struct ctl *ctl, struct ctl_pipe *p)
{
	struct p2pclient	*c = ctl->c;
	struct pollfd		 pfd[3];
	uint8_t			*buf;
	int			 rc = 0;

	if ((buf = malloc(CTL_PIPE_READ)) == NULL)
		return P2PCLIENT_ENOMEM;
	while (!p->closed && !p->failed && rc == 0) {
		pfd[0].fd = !p->in_eof && p2pclient_can_send(c) &&
		    p2pclient_pending(c) < CTL_PIPE_INFLIGHT ?
		    STDIN_FILENO : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = p->outoff < p->outlen ? STDOUT_FILENO : -1;
		pfd[1].events = POLLOUT;
		pfd[2].fd = p2pclient_fd(c);
		pfd[2].events = (p->outlen - p->outoff < CTL_PIPE_OUT_CAP ?
		    POLLIN : 0) | (p2pclient_want_write(c) ? POLLOUT : 0);
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		if (poll(pfd, 3, -1) == -1) {
			if (errno == EINTR)
				continue;
			rc = P2PCLIENT_EIO;
			break;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			ctl_pipe_stdin(c, p, buf);
		if (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP))
			ctl_pipe_stdout(p);
		ctl_pipe_ack(c, p);
		if (pfd[2].revents & POLLOUT)
			rc = p2pclient_on_writable(c);
		if (rc == 0 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)))
			rc = p2pclient_on_readable(c);
		/* What just arrived may complete the stream (an eof with
		 * nothing left to write): acknowledge it before polling. */
		ctl_pipe_ack(c, p);
		if (rc == 0 && p2pclient_want_write(c))
			rc = p2pclient_on_writable(c);
	}
	free(buf);
	return rc;
}

int
ctl_pipe(struct ctl *ctl, int argc, char **argv)
{
	struct p2pclient_callbacks	 cb;
	struct ctl_pipe			 p;
	const char			*name = "default", *peer;
	int				 ch, tmo = CTL_PIPE_TIMEOUT_MS, rc;

	while ((ch = ctl_getopt(ctl, argc, argv, "", ctl_pipe_opts)) != -1) {
		switch (ch) {
		case 'N':
			name = optarg;
			break;
		default:
			if ((rc = ctl_opt_other(ctl, ch, argv, &tmo)) != CTL_OK)
				return rc;
			break;
		}
	}
	if ((rc = ctl_one_peer(ctl, argc, argv, &peer)) != CTL_OK ||
	    (rc = ctl_connect(ctl)) != CTL_OK)
		return rc;
	memset(&p, 0, sizeof(p));
	memset(&cb, 0, sizeof(cb));
	cb.size = sizeof(cb);
	cb.on_response = ctl_pipe_on_response;
	cb.on_pipe_data = ctl_pipe_on_data;
	cb.on_pipe_closed = ctl_pipe_on_closed;
	if ((rc = p2pclient_set_callbacks(ctl->c, &cb, &p)) != 0 ||
	    (rc = p2pclient_pipe_open(ctl->c, peer, name, tmo, &p.id)) != 0)
		return ctl_fail(ctl, rc, "pipe");
	p.id_known = 1;
	rc = ctl_pipe_loop(ctl, &p);
	free(p.out);
	if (rc != 0)
		return ctl_fail(ctl, rc, "pipe");
	if (p.closed && !p.closed_ok) {
		fprintf(stderr, "p2pctl: pipe to %s closed: %s\n", peer,
		    p.reason[0] != '\0' ? p.reason : "no reason given");
		return CTL_FAIL;
	}
	if (p.failed) {
		/* Tell p2pd, but do not hang on it. */
		if (p2pclient_pipe_close_async(ctl->c, p.id) > 0)
			(void)p2pclient_flush(ctl->c, 2000);
		fprintf(stderr, "p2pctl: pipe to %s: %s\n", peer, p.err);
		return CTL_FAIL;
	}
	if (!p.closed_ok || !p.in_eof || !p.done_sent) {
		fprintf(stderr, "p2pctl: pipe to %s closed before the end: "
		    "%s\n", peer, p.reason[0] != '\0' ? p.reason :
		    "no reason given");
		return CTL_FAIL;
	}
	return CTL_OK;
}
