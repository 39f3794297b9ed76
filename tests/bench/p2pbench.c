/* SPDX-License-Identifier: ISC */
/*
 * p2pbench: the p2pd contestant of the benchmarks, through libp2pclient only.
 *
 *   p2pbench bulk SOCK_A SOCK_B PEER_B SIZE COUNT
 *	COUNT reliable-ordered messages of SIZE bytes from the application on
 *	agent A to one on agent B, pipelined; B checks that each arrives once,
 *	in order, with the right length. Time: first send to last delivery.
 *   p2pbench rtt SOCK_A SOCK_B PEER_A PEER_B COUNT
 *	COUNT ping-pongs of a 64-byte message between two processes (one per
 *	agent), send + recv on each side; then COUNT p2pclient_ping calls
 *	(the agents' own round trip, no application hop).
 *   p2pbench pingpong SOCK_A SOCK_B PEER_A PEER_B COUNT
 *	Only the application ping-pongs of rtt, with the context switches
 *	of both application processes per round trip (getrusage): for
 *	counting what one round trip costs (perf stat, strace -c).
 *
 * Prints "RESULT p2pd METRIC VALUE" lines; exits 1 on any error.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "benchclient.h"

#define SVC_BULK	"bench"
#define SVC_PING	"bping"
#define SVC_PONG	"bpong"
#define RECV_BATCH	4096
#define RECV_WAIT_MS	500
#define STALL_S		30.0

struct bulk {
	struct p2pclient	*tx, *rx;
	const char		*to;
	size_t			 size;
	uint32_t		 count, sent, acked, got;
	int			 recv_out;
};

static void
bulk_response(struct p2pclient *c, const struct p2pclient_response *r,
    void *arg)
{
	struct bulk	*b = arg;

	if (r->code != 0)
		die("request %u failed: %s", r->id, r->error);
	if (c == b->tx)
		b->acked++;
	else
		b->recv_out = 0;
}

static void
bulk_message(struct p2pclient *c, const char *from, const char *service,
    const uint8_t *data, size_t len, const char *group, void *arg)
{
	struct bulk	*b = arg;

	(void)c; (void)from; (void)service; (void)group;
	if (len != b->size || bench_seq(data, len) != b->got)
		die("message %u: %zu bytes carrying number %u (lost, "
		    "duplicated or reordered)", b->got, len,
		    bench_seq(data, len));
	b->got++;
}

static void
bulk_pump(struct bulk *b, uint8_t *buf)
{
	int64_t		id;
	uint32_t	n;

	while (b->sent < b->count && p2pclient_can_send(b->tx)) {
		bench_fill(b->sent, buf, b->size);
		id = p2pclient_send_async(b->tx, b->to, SVC_BULK, buf, b->size,
		    0);
		if (id == P2PCLIENT_EAGAIN)
			break;
		if (id < 0)
			die("send: %s", p2pclient_errmsg(b->tx));
		b->sent++;
	}
	if (!b->recv_out && b->got < b->count) {
		n = b->count - b->got;
		if (n > RECV_BATCH)
			n = RECV_BATCH;
		if (p2pclient_recv_async(b->rx, SVC_BULK, n, RECV_WAIT_MS) < 0)
			die("recv: %s", p2pclient_errmsg(b->rx));
		b->recv_out = 1;
	}
}

static void
bulk(char **argv)
{
	struct p2pclient_callbacks	 cb;
	struct pollfd			 pfd[2];
	struct bulk			 b;
	uint8_t				*buf;
	uint64_t			 last = 0;
	double				 t0, stalled;
	int				 i;

	memset(&b, 0, sizeof(b));
	b.tx = bench_open(argv[0]);
	b.rx = bench_open(argv[1]);
	b.to = argv[2];
	b.size = number(argv[3], "SIZE");
	b.count = number(argv[4], "COUNT");
	if (b.size < 4 || b.size > P2PCLIENT_MAX_MSG)
		die("SIZE must be 4..%d", P2PCLIENT_MAX_MSG);
	if ((buf = malloc(b.size)) == NULL)
		die("out of memory");
	memset(&cb, 0, sizeof(cb));
	cb.size = sizeof(cb);
	cb.on_response = bulk_response;
	cb.on_message = bulk_message;
	if (p2pclient_set_callbacks(b.tx, &cb, &b) != 0 ||
	    p2pclient_set_callbacks(b.rx, &cb, &b) != 0)
		die("set_callbacks: %s", p2pclient_errmsg(b.tx));
	if (p2pclient_bind(b.rx, SVC_BULK) != 0)
		die("bind: %s", p2pclient_errmsg(b.rx));
	if (p2pclient_connect(b.tx, b.to, 30000) != 0)
		die("connect: %s", p2pclient_errmsg(b.tx));

	t0 = stalled = bench_now();
	while (b.got < b.count || b.acked < b.count) {
		bulk_pump(&b, buf);
		pfd[0].fd = p2pclient_fd(b.tx);
		pfd[1].fd = p2pclient_fd(b.rx);
		for (i = 0; i < 2; i++) {
			pfd[i].events = POLLIN | (p2pclient_want_write(
			    i == 0 ? b.tx : b.rx) ? POLLOUT : 0);
			pfd[i].revents = 0;
		}
		if (poll(pfd, 2, 1000) == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (pfd[0].revents)
			bench_io(b.tx, pfd[0].revents);
		if (pfd[1].revents)
			bench_io(b.rx, pfd[1].revents);
		if ((uint64_t)b.got + b.acked != last) {
			last = (uint64_t)b.got + b.acked;
			stalled = bench_now();
		} else if (bench_now() - stalled > STALL_S)
			die("stalled: sent %u acked %u received %u", b.sent,
			    b.acked, b.got);
	}
	bench_print_bulk("p2pd", b.size, b.count, bench_now() - t0);
	/* Drain the last recv (it waits for more messages) before closing. */
	p2pclient_recv_cancel_async(b.rx, SVC_BULK);
	(void)p2pclient_flush(b.rx, 2000);
	p2pclient_close(b.tx);
	p2pclient_close(b.rx);
	free(buf);
}

/* One side of the ping-pong: receive one message on svc, check it. */
static void
rtt_recv(struct p2pclient *c, const char *svc, uint32_t seq)
{
	struct p2pclient_event	*ev;
	int			 n;

	n = p2pclient_recv(c, svc, 1, 10000, NULL, NULL, &ev);
	if (n != 1)
		die("recv on %s: %s", svc, n == 0 ? "timed out" :
		    p2pclient_errmsg(c));
	if (ev->len != BENCH_RTT_LEN || bench_seq(ev->data, ev->len) != seq)
		die("ping-pong %u: wrong message", seq);
	p2pclient_event_free(ev);
}

static void
rtt_send(struct p2pclient *c, const char *to, const char *svc, uint32_t seq)
{
	uint8_t	msg[BENCH_RTT_LEN];

	bench_fill(seq, msg, sizeof(msg));
	/* Not waiting for the agent's answer: the reply is what counts. */
	if (p2pclient_send_async(c, to, svc, msg, sizeof(msg), 0) < 0)
		die("send: %s", p2pclient_errmsg(c));
	if (p2pclient_pending(c) > P2PCLIENT_WINDOW / 2 &&
	    p2pclient_flush(c, 5000) != 0)
		die("send: %s", p2pclient_errmsg(c));
}

/* Voluntary and involuntary context switches of this process so far. */
static long
csw(int who)
{
	struct rusage	ru;

	if (getrusage(who, &ru) == -1)
		die("getrusage: %s", strerror(errno));
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

static void
rtt(char **argv, int pings)
{
	struct p2pclient	*a, *b;
	const char		*peer_a = argv[2], *peer_b = argv[3];
	uint32_t		 count = number(argv[4], "COUNT"), i;
	double			*v, t0, ms;
	long			 cs0;
	pid_t			 pid;
	int			 status;

	if ((v = calloc(count, sizeof(*v))) == NULL)
		die("out of memory");
	a = bench_open(argv[0]);
	b = bench_open(argv[1]);
	if (p2pclient_bind(a, SVC_PONG) != 0 || p2pclient_bind(b, SVC_PING))
		die("bind: %s / %s", p2pclient_errmsg(a), p2pclient_errmsg(b));
	if (p2pclient_connect(a, peer_b, 30000) != 0)
		die("connect: %s", p2pclient_errmsg(a));
	fflush(stdout);
	if ((pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {		/* B: echo every ping */
		for (i = 0; i < count; i++) {
			rtt_recv(b, SVC_PING, i);
			rtt_send(b, peer_a, SVC_PONG, i);
		}
		if (p2pclient_flush(b, 5000) != 0)
			die("flush: %s", p2pclient_errmsg(b));
		_exit(0);
	}
	cs0 = csw(RUSAGE_SELF);
	for (i = 0; i < count; i++) {
		t0 = bench_now();
		rtt_send(a, peer_b, SVC_PING, i);
		rtt_recv(a, SVC_PONG, i);
		v[i] = bench_now() - t0;
	}
	cs0 = csw(RUSAGE_SELF) - cs0;
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die("the echoing process failed");
	bench_print_rtt("p2pd", v, count);
	if (!pings) {
		/* The echoing process's switches include its start. */
		printf("RESULT p2pd rtt_app_csw_per_rt %.2f\n",
		    (double)(cs0 + csw(RUSAGE_CHILDREN)) / count);
		p2pclient_close(a);
		p2pclient_close(b);
		free(v);
		return;
	}

	/* The agents' own round trip: PING frames, no application hop. */
	for (i = 0; i < count; i++) {
		if (p2pclient_ping(a, peer_b, 5000, &ms) != 0)
			die("ping: %s", p2pclient_errmsg(a));
		v[i] = ms / 1e3;
	}
	bench_print_rtt("p2pd-ping", v, count);
	p2pclient_close(a);
	p2pclient_close(b);
	free(v);
}

int
main(int argc, char *argv[])
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 7 && strcmp(argv[1], "bulk") == 0)
		bulk(argv + 2);
	else if (argc == 7 && strcmp(argv[1], "rtt") == 0)
		rtt(argv + 2, 1);
	else if (argc == 7 && strcmp(argv[1], "pingpong") == 0)
		rtt(argv + 2, 0);
	else
		die("usage: p2pbench bulk SOCK_A SOCK_B PEER_B SIZE COUNT\n"
		    "       p2pbench rtt|pingpong SOCK_A SOCK_B PEER_A PEER_B "
		    "COUNT");
	return 0;
}
