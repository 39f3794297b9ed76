/* SPDX-License-Identifier: ISC */
/*
 * ipcpoke: talks raw IPC frames to an agent, the way no well-behaved
 * client does, to check the agent's socket reader and writer.
 *
 *	ipcpoke SOCKET trickle	one StatusReq, a byte at a time, 2 ms apart
 *	ipcpoke SOCKET burst N	N StatusReqs in one write, then reads all N
 *				answers (more than a socket buffer holds, so
 *				the agent's output fills and must wait)
 *	ipcpoke SOCKET cut	a frame header and half its body, then close
 *	ipcpoke SOCKET flood S	StatusReqs for S seconds, never reading an
 *				answer (the agent must stop reading, not grow)
 *	ipcpoke SOCKET badprio	a SendReq of priority 7 (no such class): it
 *				must be refused as a usage error, and the
 *				client kept (a StatusReq after it answered)
 *
 * Exits 0 when every answer came, in order, with its id and a status.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipc.pb-c.h"
#include "ipcmsg.h"

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ipcpoke: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void
on_alarm(int sig)
{
	static const char msg[] = "ipcpoke: no answer within 60 s\n";
	ssize_t n;

	(void)sig;
	n = write(2, msg, sizeof(msg) - 1);
	(void)n;
	_exit(1);
}

static int
dial(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		die("socket path too long");
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die("connect %s: %s", path, strerror(errno));
	return fd;
}

/* A StatusReq frame with this id; *len gets its size. */
static uint8_t *
status_frame(uint32_t id, size_t *len)
{
	P2p__Ipc__Frame f = P2P__IPC__FRAME__INIT;
	P2p__Ipc__Request q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__StatusReq st = P2P__IPC__STATUS_REQ__INIT;
	uint8_t *buf;

	q.id = id;
	q.op_case = P2P__IPC__REQUEST__OP_STATUS;
	q.status = &st;
	f.kind_case = P2P__IPC__FRAME__KIND_REQUEST;
	f.request = &q;
	if ((buf = ipcmsg_pack(&f, len)) == NULL)
		die("cannot pack a frame");
	return buf;
}

/* A SendReq of priority prio to a peer nobody registered. */
static uint8_t *
send_frame(uint32_t id, uint32_t prio, size_t *len)
{
	P2p__Ipc__Frame f = P2P__IPC__FRAME__INIT;
	P2p__Ipc__Request q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__SendReq sr = P2P__IPC__SEND_REQ__INIT;
	uint8_t *buf;

	sr.peer_id = "nobody";
	sr.service = "poke";
	sr.data.data = (uint8_t *)"x";
	sr.data.len = 1;
	sr.priority = prio;
	q.id = id;
	q.op_case = P2P__IPC__REQUEST__OP_SEND;
	q.send = &sr;
	f.kind_case = P2P__IPC__FRAME__KIND_REQUEST;
	f.request = &q;
	if ((buf = ipcmsg_pack(&f, len)) == NULL)
		die("cannot pack a frame");
	return buf;
}

static void
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			die("write: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
read_all(int fd, uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = read(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			die("read: %s", strerror(errno));
		}
		if (n == 0)
			die("the agent closed the connection");
		p += n;
		len -= (size_t)n;
	}
}

/*
 * Read one frame: it must answer request id with a status, or (want_code
 * not OK) with that code and an error naming what.
 */
static void
expect_answer(int fd, uint32_t id, int want_code, const char *what)
{
	static uint8_t body[IPC_MAX_FRAME];
	uint8_t hdr[IPC_HDR_LEN], ver;
	P2p__Ipc__Frame *f;
	uint32_t blen;
	char err[256];

	read_all(fd, hdr, sizeof(hdr));
	if (ipcmsg_hdr_parse(hdr, sizeof(hdr), &blen, &ver) != IPC_HDR_OK)
		die("answer %u: bad frame header", id);
	read_all(fd, body, blen);
	if ((f = ipcmsg_unpack(body, blen, err, sizeof(err))) == NULL)
		die("answer %u: %s", id, err);
	if (f->kind_case != P2P__IPC__FRAME__KIND_RESPONSE)
		die("answer %u: not a response", id);
	if (f->response->id != id)
		die("expected the answer to %u, got %u", id, f->response->id);
	if (want_code != P2P__IPC__CODE__OK) {
		if ((int)f->response->code != want_code ||
		    strstr(f->response->error, what) == NULL)
			die("answer %u: code %d, '%s' (expected code %d "
			    "naming %s)", id, f->response->code,
			    f->response->error, want_code, what);
		printf("answer %u: %s\n", id, f->response->error);
		ipcmsg_free(f);
		return;
	}
	if (f->response->code != P2P__IPC__CODE__OK ||
	    f->response->result_case != P2P__IPC__RESPONSE__RESULT_STATUS)
		die("answer %u: code %d, %s", id, f->response->code,
		    f->response->error);
	ipcmsg_free(f);
}

static void
expect_status(int fd, uint32_t id)
{
	expect_answer(fd, id, P2P__IPC__CODE__OK, NULL);
}

int
main(int argc, char **argv)
{
	struct timespec ms2 = { 0, 2000000 };
	uint8_t *buf, *all;
	size_t len, i, n;
	int fd;

	if (argc < 3)
		die("usage: ipcpoke SOCKET trickle|burst N|cut|flood S|"
		    "badprio");
	/* An answer that never comes fails the test instead of hanging it. */
	signal(SIGALRM, on_alarm);
	alarm(60);
	fd = dial(argv[1]);
	if (strcmp(argv[2], "trickle") == 0) {
		buf = status_frame(7, &len);
		for (i = 0; i < len; i++) {
			write_all(fd, buf + i, 1);
			nanosleep(&ms2, NULL);
		}
		free(buf);
		expect_status(fd, 7);
		printf("trickle: the answer to a %zu-byte request sent a byte "
		    "at a time came\n", len);
	} else if (strcmp(argv[2], "burst") == 0 && argc == 4) {
		n = strtoul(argv[3], NULL, 10);
		if (n == 0 || n > 1000000)
			die("burst: N must be 1..1000000");
		buf = status_frame(1, &len);
		free(buf);
		if ((all = malloc(n * len)) == NULL)
			die("out of memory");
		for (i = 0; i < n; i++) {
			/* Every id packs to the same size below 2^7. */
			buf = status_frame((uint32_t)(i % 100 + 1), &len);
			memcpy(all + i * len, buf, len);
			free(buf);
		}
		write_all(fd, all, n * len);
		free(all);
		for (i = 0; i < n; i++)
			expect_status(fd, (uint32_t)(i % 100 + 1));
		printf("burst: %zu requests in one write, %zu answers in "
		    "order\n", n, n);
	} else if (strcmp(argv[2], "flood") == 0 && argc == 4) {
		time_t end = time(NULL) + atoi(argv[3]);
		size_t sent = 0;
		ssize_t w;

		buf = status_frame(5, &len);
		while (time(NULL) < end) {
			w = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w == (ssize_t)len)
				sent++;
			else if (w == -1 && (errno == EAGAIN ||
			    errno == EWOULDBLOCK))
				nanosleep(&ms2, NULL);	/* the agent stopped */
			else
				die("flood: send: %s", w == -1 ?
				    strerror(errno) : "short write");
		}
		free(buf);
		printf("flood: %zu requests written, no answer read\n", sent);
	} else if (strcmp(argv[2], "badprio") == 0) {
		buf = send_frame(11, 7, &len);
		write_all(fd, buf, len);
		free(buf);
		expect_answer(fd, 11, P2P__IPC__CODE__ERR_USAGE, "priority 7");
		buf = status_frame(12, &len);
		write_all(fd, buf, len);
		free(buf);
		expect_status(fd, 12);
		printf("badprio: refused, and the client kept\n");
	} else if (strcmp(argv[2], "cut") == 0) {
		buf = status_frame(9, &len);
		write_all(fd, buf, IPC_HDR_LEN + (len - IPC_HDR_LEN) / 2);
		free(buf);
		printf("cut: sent half a frame, closing\n");
	} else
		die("unknown mode %s", argv[2]);
	close(fd);
	return 0;
}
