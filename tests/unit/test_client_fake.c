/* SPDX-License-Identifier: ISC */
/*
 * test_client_fake.c: a fake p2pd for the client tests. One thread
 * accepts one connection on a Unix socket in a fresh temporary directory
 * and runs a test's script on it, using the agent_* helpers to speak IPC.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "test_client_fake.h"

char		 sockdir[64], sockpath[128];
static int	 lfd = -1;
static pthread_t agent_thr;
static agent_fn	 agent_script;

/* ---- the fake agent's side of the wire ---- */

int
readn(int fd, void *p, size_t n)
{
	uint8_t	*b = p;
	ssize_t	 r;

	while (n > 0) {
		if ((r = read(fd, b, n)) <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

void
writen(int fd, const void *p, size_t n)
{
	const uint8_t	*b = p;
	ssize_t		 w;

	while (n > 0) {
		/* The client may hang up on purpose: no SIGPIPE. */
		if ((w = send(fd, b, n, MSG_NOSIGNAL)) <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

/* The next request from the client, or NULL at EOF. */
P2p__Ipc__Request *
agent_read(int fd, P2p__Ipc__Frame **fp)
{
	uint8_t		hdr[IPC_HDR_LEN], ver, *body;
	uint32_t	blen;
	char		err[256];

	if (readn(fd, hdr, sizeof(hdr)) == -1)
		return NULL;
	if (ipcmsg_hdr_parse(hdr, sizeof(hdr), &blen, &ver) != IPC_HDR_OK)
		return NULL;
	body = malloc(blen ? blen : 1);
	if (readn(fd, body, blen) == -1) {
		free(body);
		return NULL;
	}
	*fp = ipcmsg_unpack(body, blen, err, sizeof(err));
	free(body);
	if (*fp == NULL || (*fp)->kind_case != P2P__IPC__FRAME__KIND_REQUEST)
		return NULL;
	return (*fp)->request;
}

void
agent_frame(int fd, P2p__Ipc__Frame *f)
{
	uint8_t	*b;
	size_t	 len;

	b = ipcmsg_pack(f, &len);
	writen(fd, b, len);
	free(b);
}

void
agent_respond(int fd, P2p__Ipc__Response *r)
{
	P2p__Ipc__Frame	f = P2P__IPC__FRAME__INIT;

	f.kind_case = P2P__IPC__FRAME__KIND_RESPONSE;
	f.response = r;
	agent_frame(fd, &f);
}

void
agent_ok(int fd, uint32_t id)
{
	P2p__Ipc__Response	r = P2P__IPC__RESPONSE__INIT;

	r.id = id;
	agent_respond(fd, &r);
}

void
agent_event(int fd, P2p__Ipc__Event *e)
{
	P2p__Ipc__Frame	f = P2P__IPC__FRAME__INIT;

	f.kind_case = P2P__IPC__FRAME__KIND_EVENT;
	f.event = e;
	agent_frame(fd, &f);
}

void
agent_group_event(int fd, const char *event, const char *group,
    const char *peer, char **missing, size_t nmissing, uint32_t missing_count)
{
	P2p__Ipc__Event		e = P2P__IPC__EVENT__INIT;
	P2p__Ipc__GroupEvent	ge = P2P__IPC__GROUP_EVENT__INIT;

	e.ev_case = P2P__IPC__EVENT__EV_GROUP_EVENT;
	e.group_event = &ge;
	ge.event = (char *)event;
	ge.group = (char *)group;
	ge.peer_id = (char *)peer;
	ge.missing = missing;
	ge.n_missing = nmissing;
	ge.missing_count = missing_count;
	agent_event(fd, &e);
}

void
agent_message(int fd, const char *from, const char *svc, const uint8_t *d,
    size_t len, int more)
{
	P2p__Ipc__Event		e = P2P__IPC__EVENT__INIT;
	P2p__Ipc__Message	m = P2P__IPC__MESSAGE__INIT;

	m.from = (char *)from;
	m.service = (char *)svc;
	m.data.data = (uint8_t *)d;
	m.data.len = len;
	m.more = more;
	e.ev_case = P2P__IPC__EVENT__EV_MESSAGE;
	e.message = &m;
	agent_event(fd, &e);
}

void
agent_error(int fd, uint32_t id, P2p__Ipc__Code code, const char *msg)
{
	P2p__Ipc__Response	r = P2P__IPC__RESPONSE__INIT;

	r.id = id;
	r.code = code;
	r.error = (char *)msg;
	agent_respond(fd, &r);
}

void
agent_status(int fd, uint32_t id, P2p__Ipc__StatusResp *s)
{
	P2p__Ipc__Response	r = P2P__IPC__RESPONSE__INIT;

	r.id = id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_STATUS;
	r.status = s;
	agent_respond(fd, &r);
}

/* The final answer to a RECV request. */
void
agent_recv_done(int fd, uint32_t id, uint32_t delivered)
{
	P2p__Ipc__Response	r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__RecvResp	rr = P2P__IPC__RECV_RESP__INIT;

	r.id = id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_RECV;
	rr.delivered = delivered;
	r.recv = &rr;
	agent_respond(fd, &r);
}

void
agent_peer_state(int fd, const char *peer, const char *state,
    const char *path, const char *reason)
{
	P2p__Ipc__Event		e = P2P__IPC__EVENT__INIT;
	P2p__Ipc__PeerState	ps = P2P__IPC__PEER_STATE__INIT;

	ps.peer_id = (char *)peer;
	ps.state = (char *)state;
	ps.path = (char *)path;
	if (reason != NULL)
		ps.reason = (char *)reason;
	e.ev_case = P2P__IPC__EVENT__EV_PEER_STATE;
	e.peer_state = &ps;
	agent_event(fd, &e);
}

void
agent_pipe_opened(int fd, uint32_t id, uint32_t pipe_id)
{
	P2p__Ipc__Response	r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__PipeOpenResp	po = P2P__IPC__PIPE_OPEN_RESP__INIT;

	r.id = id;
	po.pipe_id = pipe_id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_PIPE_OPEN;
	r.pipe_open = &po;
	agent_respond(fd, &r);
}

void
agent_pipe_data(int fd, uint32_t pipe_id, const char *d, size_t len, int eof)
{
	P2p__Ipc__Event		e = P2P__IPC__EVENT__INIT;
	P2p__Ipc__PipeData	pd = P2P__IPC__PIPE_DATA__INIT;

	pd.pipe_id = pipe_id;
	pd.data.data = (uint8_t *)d;
	pd.data.len = len;
	pd.eof = eof;
	e.ev_case = P2P__IPC__EVENT__EV_PIPE_DATA;
	e.pipe_data = &pd;
	agent_event(fd, &e);
}

void
agent_pipe_closed(int fd, uint32_t pipe_id, int ok, const char *reason)
{
	P2p__Ipc__Event		e = P2P__IPC__EVENT__INIT;
	P2p__Ipc__PipeClosed	pc = P2P__IPC__PIPE_CLOSED__INIT;

	pc.pipe_id = pipe_id;
	pc.ok = ok;
	if (reason != NULL)
		pc.reason = (char *)reason;
	e.ev_case = P2P__IPC__EVENT__EV_PIPE_CLOSED;
	e.pipe_closed = &pc;
	agent_event(fd, &e);
}

/* ---- scripts shared by the tests ---- */

void
script_refuse(int fd)
{
	P2p__Ipc__Frame		*f;
	P2p__Ipc__Request	*q;

	while ((q = agent_read(fd, &f)) != NULL) {
		agent_error(fd, q->id, P2P__IPC__CODE__ERR_NOT_REGISTERED,
		    "peer bob is not registered");
		ipcmsg_free(f);
	}
}

void
script_ok(int fd)
{
	P2p__Ipc__Frame		*f;
	P2p__Ipc__Request	*q;

	while ((q = agent_read(fd, &f)) != NULL) {
		agent_ok(fd, q->id);
		ipcmsg_free(f);
	}
}

static void *
agent_main(void *arg)
{
	int	fd;

	if ((fd = accept(lfd, NULL, NULL)) == -1)
		return NULL;
	agent_script(fd);
	close(fd);
	return NULL;
}

/* A short directory for the socket (sun_path holds 108 bytes). */
void
mktempdir(void)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(sockdir, sizeof(sockdir), "%s/p2pc.XXXXXX",
	    tmp != NULL && strlen(tmp) < 40 ? tmp : P_tmpdir);
	cr_assert_not_null(mkdtemp(sockdir));
}

/* Serve one connection with script on a socket in a fresh directory. */
void
fake_start(agent_fn script)
{
	struct sockaddr_un	sun;

	mktempdir();
	snprintf(sockpath, sizeof(sockpath), "%s/p2pd.sock", sockdir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sockpath);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	cr_assert(listen(lfd, 4) == 0);
	agent_script = script;
	pthread_create(&agent_thr, NULL, agent_main, NULL);
}

void
fake_stop(void)
{
	pthread_join(agent_thr, NULL);
	close(lfd);
	unlink(sockpath);
	rmdir(sockdir);
}
