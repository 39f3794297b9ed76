/* SPDX-License-Identifier: ISC */
/*
 * ipc.c: the IPC socket, its clients and their framing (ipc.h).
 *
 * The socket is created under umask 0117 (so it is born 0660, no chmod
 * race) in a directory created 0750 if missing. A socket file left by a
 * dead agent is replaced; one that something still listens on is not.
 * Frames: the 8-byte header is parsed first and an over-long body refused
 * before a byte of it is buffered; a bad frame closes the client with a
 * logged reason (a version mismatch first gets an error naming both).
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "engine.h"
#include "ipc.h"
#include "log.h"

/* Bytes per read of a client's socket, and reads per callback. */
#define IPC_READ_CHUNK		65536	/* the most; a client starts at */
#define IPC_READ_FIRST		4096	/* this and doubles while it fills */
#define IPC_READS_PER_CB	4
#define IPC_ARENA_MIN		65536	/* bytes: the arena's first block */

static int
ipc_mkdir(const char *path)
{
	char dir[PATH_MAX], *slash;
	mode_t old;
	int rv;

	if (strlen(path) >= sizeof(dir))
		return -1;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	/* Exactly 0750, whatever umask we inherited. */
	old = umask(0027);
	rv = mkdir(dir, 0750);
	umask(old);
	if (rv == -1 && errno != EEXIST) {
		log_warn("cannot create socket directory %s", dir);
		return -1;
	}
	return 0;
}

/* 0 if path is free (or was a stale socket, now removed), else -1. */
static int
ipc_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rv;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("%s exists and is not a socket: not replacing it",
		    path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	rv = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rv == 0) {
		log_warnx("another agent is listening on %s", path);
		return -1;
	}
	log_info("removing stale socket %s", path);
	return unlink(path);
}

static P2p__Ipc__Code
ipc_hdr_code(enum ipc_hdr_status st)
{
	return st == IPC_HDR_BAD_VERSION ? P2P__IPC__CODE__ERR_VERSION :
	    P2P__IPC__CODE__ERR_USAGE;
}

/* Returns 1 if a frame was handled, 0 if more bytes are needed, -1 closed. */
static int
ipc_read_one(struct ipc_client *c)
{
	struct ipc_buf *in = &c->in;
	P2p__Ipc__Frame *f;
	enum ipc_hdr_status st;
	uint8_t version = 0, *body;
	uint32_t blen = 0;
	char err[256];

	if (in->len < IPC_HDR_LEN)
		return 0;
	st = ipcmsg_hdr_parse(in->b + in->off, IPC_HDR_LEN, &blen, &version);
	if (st != IPC_HDR_OK) {
		ipcmsg_hdr_strerror(st, version, blen, err, sizeof(err));
		if (st == IPC_HDR_BAD_VERSION || st == IPC_HDR_TOO_BIG)
			ipc_reply(c, 0, ipc_hdr_code(st), "%s", err);
		ipc_client_close(c, err);
		return -1;
	}
	if (in->len < IPC_HDR_LEN + (size_t)blen)
		return 0;
	body = in->b + in->off + IPC_HDR_LEN;
	f = ipcmsg_unpack_with(body, blen, &c->ipc->arena.alloc, err,
	    sizeof(err));
	ipc_buf_consume(in, IPC_HDR_LEN + (size_t)blen);
	if (f == NULL) {
		ipcmsg_arena_reset(&c->ipc->arena);
		ipc_reply(c, 0, P2P__IPC__CODE__ERR_USAGE, "bad frame: %s",
		    err);
		ipc_client_close(c, err);
		return -1;
	}
	if (f->kind_case != P2P__IPC__FRAME__KIND_REQUEST) {
		ipcmsg_arena_reset(&c->ipc->arena);
		ipc_client_close(c, "client sent a frame that is not a request");
		return -1;
	}
	c->ipc->hooks->request(c, f->request);
	ipcmsg_arena_reset(&c->ipc->arena);
	return 1;
}

/* Set c->more, which corks the engine's sessions while any client has it. */
static void
ipc_set_more(struct ipc_client *c, int more)
{
	if (c->more == more)
		return;
	c->more = more;
	engine_cork(c->a, more ? 1 : -1);
}

/* A client that does not read its answers is not read either. */
static int
ipc_out_full(const struct ipc_client *c)
{
	return c->out.len > AGENT_CLIENT_OUTCAP;
}

/*
 * One read of up to c->rdsz bytes into c->in, straight into its free
 * space; what read(2) returns. A read that fills it doubles the next one,
 * up to IPC_READ_CHUNK: a client that streams requests gets 64 KiB reads,
 * one that asks for its status keeps a small buffer.
 */
static ssize_t
ipc_fill(struct ipc_client *c)
{
	uint8_t *p;
	ssize_t n;

	if ((p = ipc_buf_reserve(&c->in, c->rdsz)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if ((n = read(c->fd, p, c->rdsz)) > 0) {
		c->in.len += (size_t)n;
		if ((size_t)n == c->rdsz && c->rdsz < IPC_READ_CHUNK)
			c->rdsz *= 2;
	}
	return n;
}

/*
 * Requests: what is buffered first (a resumed client), then up to
 * IPC_READS_PER_CB reads, each parsed before the next. The sessions the
 * requests fed are driven once this pass of the loop is over, so the
 * messages of all these requests share packets.
 */
static void
ipc_readcb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_client *c = arg;
	ssize_t n = 1;
	size_t want = 1;	/* the last read's size: one that fell short
				   of it emptied the socket */
	int i, more = 0;

	(void)what;
	for (i = 0;; i++) {
		/* Handlers never free c (closing is deferred to the flush),
		 * so it stays valid through the loop. */
		while (!c->closing && !c->paused && !ipc_out_full(c) &&
		    ipc_read_one(c) == 1)
			;
		if (c->closing || c->paused || ipc_out_full(c) ||
		    (size_t)n < want || i == IPC_READS_PER_CB)
			break;
		want = c->rdsz;
		if ((n = ipc_fill(c)) == -1 && errno == EINTR)
			n = (ssize_t)want;
		else if (n == 0 || (n == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK)) {
			log_debug("client pid %ld: %s", (long)c->pid, n == 0 ?
			    "disconnected" : strerror(errno));
			ipc_client_free(c);
			return;
		} else if (n == -1)
			break;
	}
	/*
	 * More input already waiting (a client streaming sends) will be
	 * read on the next turn of the loop: until then the sessions hold
	 * packets that new data would fill (tp_set_cork), and send only
	 * full ones. Nothing waits when the client has paused or gone.
	 */
	if (!c->closing && !c->paused && ipc_out_full(c) && !c->out_held) {
		/* Resumed by ipc_write once the output is written. */
		c->out_held = 1;
		event_del(c->rev);
	}
	/*
	 * A read shorter than IPC_READ_FIRST means the client wrote less
	 * than that since the last turn: it is not streaming, holding its
	 * packets would only delay them, and the ioctl is not worth it.
	 */
	if (c->closing || c->paused || c->out_held || n == -1 ||
	    n < IPC_READ_FIRST || ioctl(fd, FIONREAD, &more) == -1)
		more = 0;
	ipc_set_more(c, more > 0);
}

static void
ipc_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct ipc *ipc = arg;
	struct ipc_client *c;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	(void)lev;
	(void)sa;
	(void)salen;
	memset(&cred, 0, sizeof(cred));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		log_warn("%s: SO_PEERCRED", __func__);
	if (ipc->n >= AGENT_MAX_CLIENTS || ipc->a->stopping ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("refusing client pid %ld uid %ld: too many clients",
		    (long)cred.pid, (long)cred.uid);
		close(fd);
		return;
	}
	c->a = ipc->a;
	c->ipc = ipc;
	c->pid = cred.pid;
	c->uid = cred.uid;
	c->serial = ++ipc->serial;
	c->fd = fd;
	c->rdsz = IPC_READ_FIRST;
	/* Input holds at most one partial frame and a read's worth more:
	 * every complete frame is handled before the next read. */
	if (evutil_make_socket_nonblocking(fd) == -1 ||
	    (c->rev = event_new(ipc->a->base, fd, EV_READ | EV_PERSIST,
	    ipc_readcb, c)) == NULL ||
	    (c->wev = event_new(ipc->a->base, fd, EV_WRITE | EV_PERSIST,
	    ipc_writecb, c)) == NULL || event_add(c->rev, NULL) == -1) {
		log_warnx("refusing client pid %ld: out of memory",
		    (long)cred.pid);
		if (c->rev != NULL)
			event_free(c->rev);
		if (c->wev != NULL)
			event_free(c->wev);
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&ipc->clients, c, entry);
	ipc->n++;
	log_info("client connected: pid %ld uid %ld gid %ld", (long)cred.pid,
	    (long)cred.uid, (long)cred.gid);
}

int
ipc_open(struct agent *a, struct ipc **ipcp, const struct ipc_hooks *hooks)
{
	struct sockaddr_un sun;
	const char *path = a->conf.socket_path;
	struct ipc *ipc;
	mode_t old;
	int fd;

	if ((ipc = calloc(1, sizeof(*ipc))) == NULL)
		return -1;
	TAILQ_INIT(&ipc->clients);
	TAILQ_INIT(&ipc->flushq);
	ipc->fd = -1;
	ipc->a = a;
	ipc->hooks = hooks;
	ipcmsg_arena_init(&ipc->arena, IPC_ARENA_MIN);
	*ipcp = ipc;
	if ((ipc->flush_ev = event_new(a->base, -1, 0, ipc_flushcb, ipc)) ==
	    NULL)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >=
	    sizeof(sun.sun_path)) {
		log_warnx("socket path too long: %s", path);
		return -1;
	}
	if (ipc_mkdir(path) == -1 || ipc_stale(path, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("%s: socket", __func__);
		return -1;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("cannot bind %s", path);
		close(fd);
		return -1;
	}
	umask(old);
	ipc->fd = fd;
	ipc->lev = evconnlistener_new(a->base, ipc_accept, ipc,
	    LEV_OPT_CLOSE_ON_FREE, 64, fd);
	if (ipc->lev == NULL) {
		log_warn("cannot listen on %s", path);
		return -1;
	}
	return 0;
}

void
ipc_free(struct agent *a, struct ipc *ipc)
{
	struct ipc_client *c;

	if (ipc == NULL)
		return;
	while ((c = TAILQ_FIRST(&ipc->clients)) != NULL)
		ipc_client_free(c);
	if (ipc->lev != NULL) {
		evconnlistener_free(ipc->lev);
		unlink(a->conf.socket_path);
	} else if (ipc->fd != -1)
		close(ipc->fd);
	if (ipc->flush_ev != NULL)
		event_free(ipc->flush_ev);
	ipcmsg_arena_free(&ipc->arena);
	free(ipc);
}

void
ipc_client_free(struct ipc_client *c)
{
	struct ipc *ipc = c->ipc;

	/* A session corked for c sends at its next drive, or by its timer
	 * (TP_CORK_US) at the latest. */
	ipc_set_more(c, 0);
	ipc->hooks->gone(c);
	TAILQ_REMOVE(&ipc->clients, c, entry);
	if (c->flush_queued)
		TAILQ_REMOVE(&ipc->flushq, c, flush_entry);
	ipc->n--;
	event_free(c->rev);
	event_free(c->wev);
	ipc_buf_free(&c->in);
	ipc_buf_free(&c->out);
	close(c->fd);
	free(c);
}

void
ipc_client_close(struct ipc_client *c, const char *reason)
{
	if (c->closing)
		return;
	log_info("closing client pid %ld uid %ld: %s", (long)c->pid,
	    (long)c->uid, reason);
	c->closing = 1;
	ipc_set_more(c, 0);
	event_del(c->rev);
	/* Freed by the flush once the output is written (or the write
	 * fails: the client is gone), never from inside a handler. */
	ipc_queue_flush(c);
}

void
ipc_client_pause(struct ipc_client *c)
{
	c->paused = 1;
	ipc_set_more(c, 0);
	event_del(c->rev);
}

void
ipc_client_resume(struct ipc_client *c)
{
	if (!c->paused || c->closing)
		return;
	c->paused = 0;
	if (c->out_held)
		return;		/* ipc_write resumes it */
	event_add(c->rev, NULL);
	/* Frames may already be buffered: handle them on this pass. */
	event_active(c->rev, EV_READ, 0);
}
