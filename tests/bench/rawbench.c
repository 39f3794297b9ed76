/* SPDX-License-Identifier: ISC */
/*
 * rawbench: the kernel's own loopback, as the floor the others are held to.
 *
 *   rawbench udp SIZE COUNT	COUNT messages of SIZE bytes over UDP in
 *	datagrams of at most 1200 bytes (a 64 KiB message is 55 of them),
 *	sendmmsg/recvmmsg in batches. UDP has no flow control, so the receiver
 *	returns a credit every WINDOW/4 datagrams and the sender keeps at most
 *	WINDOW in flight; nothing is retransmitted (lost datagrams are counted,
 *	and a credit that does not come within 20 ms is taken as a loss).
 *   rawbench tcp SIZE COUNT	the same bytes over TCP, one write per message.
 *   rawbench udprtt COUNT	ping-pong of a 64-byte datagram.
 *
 * Sender and receiver are two threads. Prints "RESULT udp|tcp METRIC VALUE".
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <unistd.h>

#include "benchdata.h"

#define DGRAM		1200
#define BATCH		64
#define WINDOW		1024	/* datagrams in flight */
#define CREDIT_EVERY	(WINDOW / 4)

static size_t		size;
static uint32_t		count;
static uint64_t		ndgrams;	/* datagrams the whole transfer takes */
static int		rx_fd, tx_fd;
static double		t_end;
static _Atomic int	rx_done;	/* the receiving thread has finished */
static uint64_t		got_dgrams;

/* A loopback socket on port 0; its address goes to *sin. */
static int
sock_bound(int type, struct sockaddr_in *sin)
{
	socklen_t	len = sizeof(*sin);
	int		fd, big = 4 << 20;

	if ((fd = socket(AF_INET, type, 0)) == -1)
		die("socket: %s", strerror(errno));
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (type == SOCK_DGRAM &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) == -1)
		die("bind: %s", strerror(errno));
	return fd;
}

static void
sock_connect(int fd, const struct sockaddr_in *sin)
{
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1)
		die("connect: %s", strerror(errno));
}

/* Bytes of datagram i of the transfer: messages cut into DGRAM pieces. */
static size_t
dgram_len(uint64_t i, uint64_t per_msg)
{
	uint64_t	off = (i % per_msg) * DGRAM;

	return size - off < DGRAM ? size - off : DGRAM;
}


static void *
udp_rx(void *arg)
{
	static uint8_t	 buf[BATCH][DGRAM];
	struct mmsghdr	 m[BATCH];
	struct iovec	 iov[BATCH];
	uint64_t	 credit = 0;
	uint32_t	 c;
	int		 i, n;

	(void)arg;
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = DGRAM;
		memset(&m[i], 0, sizeof(m[i]));
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;) {
		n = recvmmsg(rx_fd, m, BATCH, MSG_WAITFORONE, NULL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die("recvmmsg: %s", strerror(errno));
		}
		for (i = 0; i < n; i++) {
			if (m[i].msg_len == 1)	/* the sender is done */
				goto done;
			got_dgrams++;
		}
		if (got_dgrams - credit >= CREDIT_EVERY) {
			credit = got_dgrams;
			c = (uint32_t)credit;
			if (send(rx_fd, &c, sizeof(c), 0) == -1)
				die("credit: %s", strerror(errno));
		}
	}
done:
	t_end = bench_now();
	rx_done = 1;
	return NULL;
}

static void
udp_bulk(void)
{
	static uint8_t		 msg[16 << 20];
	struct mmsghdr		 m[BATCH];
	struct iovec		 iov[BATCH];
	struct sockaddr_in	 a, b;
	struct pollfd		 pfd;
	pthread_t		 th;
	uint64_t		 per_msg, sent = 0, acked = 0, lost = 0;
	uint32_t		 c, seq = UINT32_MAX;
	double			 t0;
	int			 i, n, want;

	per_msg = (size + DGRAM - 1) / DGRAM;
	ndgrams = per_msg * count;
	rx_fd = sock_bound(SOCK_DGRAM, &b);
	tx_fd = sock_bound(SOCK_DGRAM, &a);
	sock_connect(rx_fd, &a);
	sock_connect(tx_fd, &b);
	if (pthread_create(&th, NULL, udp_rx, NULL) != 0)
		die("pthread_create");
	t0 = bench_now();
	while (sent < ndgrams) {
		want = 0;
		while (want < BATCH && sent + want < ndgrams &&
		    bench_inflight(sent + want, acked, lost) < WINDOW) {
			/* Fill each message once, then point at its pieces. */
			if ((sent + want) / per_msg != seq) {
				seq = (uint32_t)((sent + want) / per_msg);
				bench_fill(seq, msg, size);
			}
			iov[want].iov_base = msg + ((sent + want) % per_msg) *
			    DGRAM;
			iov[want].iov_len = dgram_len(sent + want, per_msg);
			memset(&m[want], 0, sizeof(m[want]));
			m[want].msg_hdr.msg_iov = &iov[want];
			m[want].msg_hdr.msg_iovlen = 1;
			want++;
			/* A 64 KiB message is filled for its first piece. */
			if ((sent + want) % per_msg == 0)
				break;
		}
		if (want > 0) {
			if ((n = sendmmsg(tx_fd, m, want, 0)) == -1) {
				if (errno == EINTR || errno == ENOBUFS)
					continue;
				die("sendmmsg: %s", strerror(errno));
			}
			sent += n;
		}
		/* Credits: block only when the window is full. */
		pfd.fd = tx_fd;
		pfd.events = POLLIN;
		i = bench_inflight(sent, acked, lost) < WINDOW ? 0 : 20;
		if (poll(&pfd, 1, i) == 0 && i > 0)
			lost = sent - acked;	/* no credit: count as lost */
		while (recv(tx_fd, &c, sizeof(c), MSG_DONTWAIT) == sizeof(c))
			if (c > acked)
				acked = c;
	}
	c = 0;
	for (i = 0; i < 50 && !rx_done; i++) {	/* end marker */
		(void)send(tx_fd, &c, 1, 0);
		usleep(i == 0 ? 0 : 1000);
	}
	pthread_join(th, NULL);
	bench_print_bulk("udp", size, count, t_end - t0);
	if (got_dgrams != ndgrams)
		printf("RESULT udp lost%zu_dgrams %llu\n", size,
		    (unsigned long long)(ndgrams - got_dgrams));
}

static void *
tcp_rx(void *arg)
{
	static uint8_t	 buf[256 << 10];
	uint64_t	 want = (uint64_t)size * count, got = 0;
	ssize_t		 n;

	(void)arg;
	while (got < want) {
		if ((n = read(rx_fd, buf, sizeof(buf))) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			die("tcp read: %s", n == 0 ? "eof" : strerror(errno));
		}
		got += n;
	}
	t_end = bench_now();
	return NULL;
}

static void
tcp_bulk(void)
{
	static uint8_t		 msg[16 << 20];
	struct sockaddr_in	 l, a;
	pthread_t		 th;
	uint32_t		 seq;
	size_t			 off;
	ssize_t			 n;
	double			 t0;
	int			 lfd;

	lfd = sock_bound(SOCK_STREAM, &l);
	if (listen(lfd, 1) == -1)
		die("listen: %s", strerror(errno));
	tx_fd = sock_bound(SOCK_STREAM, &a);
	sock_connect(tx_fd, &l);
	if ((rx_fd = accept(lfd, NULL, NULL)) == -1)
		die("accept: %s", strerror(errno));
	if (pthread_create(&th, NULL, tcp_rx, NULL) != 0)
		die("pthread_create");
	t0 = bench_now();
	for (seq = 0; seq < count; seq++) {
		bench_fill(seq, msg, size);
		for (off = 0; off < size; off += n)
			if ((n = write(tx_fd, msg + off, size - off)) == -1) {
				if (errno == EINTR) {
					n = 0;
					continue;
				}
				die("tcp write: %s", strerror(errno));
			}
	}
	pthread_join(th, NULL);
	bench_print_bulk("tcp", size, count, t_end - t0);
	close(lfd);
}

static void *
udp_echo(void *arg)
{
	uint8_t	buf[DGRAM];
	ssize_t	n;

	(void)arg;
	while ((n = recv(rx_fd, buf, sizeof(buf), 0)) > 1)
		if (send(rx_fd, buf, n, 0) == -1)
			die("echo: %s", strerror(errno));
	return NULL;
}

static void
udp_rtt(void)
{
	struct sockaddr_in	 a, b;
	pthread_t		 th;
	uint8_t			 msg[BENCH_RTT_LEN], back[DGRAM];
	double			*v, t0;
	uint32_t		 i;

	if ((v = calloc(count, sizeof(*v))) == NULL)
		die("out of memory");
	rx_fd = sock_bound(SOCK_DGRAM, &b);
	tx_fd = sock_bound(SOCK_DGRAM, &a);
	sock_connect(rx_fd, &a);
	sock_connect(tx_fd, &b);
	if (pthread_create(&th, NULL, udp_echo, NULL) != 0)
		die("pthread_create");
	for (i = 0; i < count; i++) {
		bench_fill(i, msg, sizeof(msg));
		t0 = bench_now();
		if (send(tx_fd, msg, sizeof(msg), 0) == -1 ||
		    recv(tx_fd, back, sizeof(back), 0) != sizeof(msg))
			die("ping-pong: %s", strerror(errno));
		v[i] = bench_now() - t0;
		if (bench_seq(back, sizeof(msg)) != i)
			die("ping-pong %u: wrong answer", i);
	}
	(void)send(tx_fd, msg, 1, 0);
	pthread_join(th, NULL);
	bench_print_rtt("udp", v, count);
	free(v);
}

int
main(int argc, char *argv[])
{
	if (argc == 4 && (strcmp(argv[1], "udp") == 0 ||
	    strcmp(argv[1], "tcp") == 0)) {
		size = number(argv[2], "SIZE");
		count = number(argv[3], "COUNT");
		if (size < 4 || size > 16 << 20)
			die("SIZE must be 4..16777216");
		if (argv[1][0] == 'u')
			udp_bulk();
		else
			tcp_bulk();
	} else if (argc == 3 && strcmp(argv[1], "udprtt") == 0) {
		count = number(argv[2], "COUNT");
		udp_rtt();
	} else
		die("usage: rawbench udp|tcp SIZE COUNT | rawbench udprtt COUNT");
	return 0;
}
