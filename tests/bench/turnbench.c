/* SPDX-License-Identifier: ISC */
/*
 * turnbench: the relay people deploy today, measured the way rawbench
 * measures the kernel: two TURN clients (RFC 8656) of one TURN server, each
 * with an allocation and a channel bound to the other's relayed address,
 * move COUNT datagrams of SIZE bytes (at most 1200) in ChannelData
 * messages. As in rawbench the receiver returns a credit every WINDOW/4
 * datagrams, through the relay too, and the sender keeps at most WINDOW
 * (default 1024) in flight, so the figure is what the relay sustains, not
 * what it drops.
 *
 *   turnbench HOST PORT SIZE COUNT [WINDOW]
 *
 * The server must allow anonymous allocations and loopback peers (coturn:
 * --no-auth --allow-loopback-peers). Prints "RESULT turn METRIC VALUE".
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include "benchdata.h"

#define DGRAM		1200
#define BATCH		64
#define WINDOW_MAX	4096	/* datagrams in flight, at most */
#define CHANNEL		0x4000
#define STUN_MAGIC	0x2112A442u

#define ATTR_CHANNEL_NUMBER	0x000C
#define ATTR_XOR_PEER_ADDRESS	0x0012
#define ATTR_XOR_RELAYED_ADDR	0x0016
#define ATTR_REQ_TRANSPORT	0x0019
#define ATTR_ERROR_CODE		0x0009

static size_t		size;
static uint32_t		count;
static uint32_t		window = 1024;	/* datagrams in flight */
static int		rx_fd, tx_fd;
static double		t_end;
static _Atomic int	rx_done;
static uint64_t		got_dgrams;

/* A STUN message being built: header, then attributes. */
struct msg {
	uint8_t	b[512];
	size_t	len;
};

static void
msg_start(struct msg *m, uint16_t type)
{
	uint32_t magic = htonl(STUN_MAGIC);
	size_t	 i;

	memset(m, 0, sizeof(*m));
	m->b[0] = type >> 8;
	m->b[1] = type & 0xff;
	memcpy(m->b + 4, &magic, 4);
	for (i = 8; i < 20; i++)
		m->b[i] = (uint8_t)rand();
	m->len = 20;
}

static void
msg_attr(struct msg *m, uint16_t type, const void *v, size_t len)
{
	size_t	pad = (4 - len % 4) % 4;

	if (m->len + 4 + len + pad > sizeof(m->b))
		die("a STUN message over %zu bytes", sizeof(m->b));
	m->b[m->len] = type >> 8;
	m->b[m->len + 1] = type & 0xff;
	m->b[m->len + 2] = len >> 8;
	m->b[m->len + 3] = len & 0xff;
	memcpy(m->b + m->len + 4, v, len);
	memset(m->b + m->len + 4 + len, 0, pad);
	m->len += 4 + len + pad;
	m->b[2] = (m->len - 20) >> 8;
	m->b[3] = (m->len - 20) & 0xff;
}

/* XOR-PEER-ADDRESS (or any XOR address) of an IPv4 address. */
static void
msg_xaddr(struct msg *m, uint16_t type, const struct sockaddr_in *sin)
{
	uint8_t		v[8];
	uint16_t	port = ntohs(sin->sin_port) ^ (STUN_MAGIC >> 16);
	uint32_t	addr = ntohl(sin->sin_addr.s_addr) ^ STUN_MAGIC;

	v[0] = 0;
	v[1] = 1;	/* IPv4 */
	v[2] = port >> 8;
	v[3] = port & 0xff;
	v[4] = addr >> 24;
	v[5] = addr >> 16;
	v[6] = addr >> 8;
	v[7] = addr;
	msg_attr(m, type, v, sizeof(v));
}

/*
 * Send m on fd (connected to the server) and wait for the answer with its
 * transaction id: the success type, or die with the error code. An
 * attribute of type want, if not 0, is copied to *out as an IPv4 address.
 */
static void
transact(int fd, const struct msg *m, uint16_t ok_type, uint16_t want,
    struct sockaddr_in *out, const char *what)
{
	uint8_t		r[1500];
	struct pollfd	pfd = { fd, POLLIN, 0 };
	size_t		off, alen;
	ssize_t		n;
	uint16_t	type, at;
	int		tries;

	for (tries = 0; tries < 5; tries++) {
		if (send(fd, m->b, m->len, 0) == -1)
			die("%s: send: %s", what, strerror(errno));
		while (poll(&pfd, 1, 1000) == 1) {
			if ((n = recv(fd, r, sizeof(r), 0)) < 20 ||
			    memcmp(r + 8, m->b + 8, 12) != 0)
				continue;
			type = (uint16_t)(r[0] << 8 | r[1]);
			if (type != ok_type) {
				for (off = 20; off + 4 <= (size_t)n; off +=
				    4 + ((alen + 3) & ~(size_t)3)) {
					at = (uint16_t)(r[off] << 8 | r[off + 1]);
					alen = (size_t)(r[off + 2] << 8 |
					    r[off + 3]);
					if (at == ATTR_ERROR_CODE && alen >= 4 &&
					    off + 4 + alen <= (size_t)n)
						die("%s: error %d %.*s", what,
						    r[off + 6] * 100 + r[off + 7],
						    (int)alen - 4, r + off + 8);
				}
				die("%s: answer type 0x%04x", what, type);
			}
			for (off = 20; want != 0 && off + 4 <= (size_t)n;
			    off += 4 + ((alen + 3) & ~(size_t)3)) {
				at = (uint16_t)(r[off] << 8 | r[off + 1]);
				alen = (size_t)(r[off + 2] << 8 | r[off + 3]);
				if (at != want || alen != 8 ||
				    off + 12 > (size_t)n)
					continue;
				memset(out, 0, sizeof(*out));
				out->sin_family = AF_INET;
				out->sin_port = htons((uint16_t)((r[off + 6]
				    << 8 | r[off + 7]) ^ (STUN_MAGIC >> 16)));
				out->sin_addr.s_addr = htonl((uint32_t)(
				    r[off + 8] << 24 | r[off + 9] << 16 |
				    r[off + 10] << 8 | r[off + 11]) ^
				    STUN_MAGIC);
				return;
			}
			if (want != 0)
				die("%s: no relayed address in the answer",
				    what);
			return;
		}
	}
	die("%s: no answer from the TURN server", what);
}

/* A UDP socket connected to the TURN server, with big buffers. */
static int
turn_socket(const struct sockaddr_in *srv)
{
	int	fd, big = 4 << 20;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) ==
	    -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (connect(fd, (const struct sockaddr *)srv, sizeof(*srv)) == -1)
		die("connect: %s", strerror(errno));
	return fd;
}

static void
turn_allocate(int fd, struct sockaddr_in *relayed)
{
	struct msg	m;
	uint8_t		udp[4] = { 17, 0, 0, 0 };

	msg_start(&m, 0x0003);
	msg_attr(&m, ATTR_REQ_TRANSPORT, udp, sizeof(udp));
	transact(fd, &m, 0x0103, ATTR_XOR_RELAYED_ADDR, relayed, "Allocate");
}

static void
turn_bind(int fd, const struct sockaddr_in *peer)
{
	struct msg	m;
	uint8_t		ch[4] = { CHANNEL >> 8, CHANNEL & 0xff, 0, 0 };

	msg_start(&m, 0x0009);
	msg_attr(&m, ATTR_CHANNEL_NUMBER, ch, sizeof(ch));
	msg_xaddr(&m, ATTR_XOR_PEER_ADDRESS, peer);
	transact(fd, &m, 0x0109, 0, NULL, "ChannelBind");
}

/* Send len bytes of p as one ChannelData message. */
static int
chan_send(int fd, const void *p, size_t len)
{
	uint8_t		h[4] = { CHANNEL >> 8, CHANNEL & 0xff, len >> 8,
			    len & 0xff };
	struct iovec	iov[2] = { { h, 4 }, { (void *)p, len } };
	struct msghdr	mh;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	return sendmsg(fd, &mh, 0) == -1 ? -1 : 0;
}


static void *
turn_rx(void *arg)
{
	static uint8_t	 buf[BATCH][4 + DGRAM];
	struct mmsghdr	 m[BATCH];
	struct iovec	 iov[BATCH];
	uint64_t	 credit = 0;
	uint32_t	 c;
	int		 i, n;

	(void)arg;
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
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
			if (m[i].msg_len < 4 || buf[i][0] != CHANNEL >> 8)
				continue;	/* not ChannelData */
			if (m[i].msg_len == 4 + 1)	/* the end marker */
				goto done;
			got_dgrams++;
		}
		if (got_dgrams - credit >= window / 4) {
			credit = got_dgrams;
			c = (uint32_t)credit;
			if (chan_send(rx_fd, &c, sizeof(c)) == -1)
				die("credit: %s", strerror(errno));
		}
	}
done:
	t_end = bench_now();
	rx_done = 1;
	return NULL;
}

int
main(int argc, char **argv)
{
	static uint8_t		 data[BATCH][DGRAM];
	static uint8_t		 hdr[BATCH][4];
	struct mmsghdr		 m[BATCH];
	struct iovec		 iov[BATCH][2];
	struct sockaddr_in	 srv, ra, rb;
	struct pollfd		 pfd;
	pthread_t		 th;
	uint64_t		 sent = 0, acked = 0, lost = 0;
	uint8_t			 r[64];
	uint32_t		 c;
	double			 t0;
	ssize_t			 k;
	int			 i, n, want;

	if (argc != 5 && argc != 6)
		die("usage: turnbench HOST PORT SIZE COUNT [WINDOW]");
	memset(&srv, 0, sizeof(srv));
	srv.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &srv.sin_addr) != 1)
		die("HOST must be an IPv4 address: %s", argv[1]);
	srv.sin_port = htons((uint16_t)number(argv[2], "PORT"));
	size = number(argv[3], "SIZE");
	count = number(argv[4], "COUNT");
	if (argc == 6 && ((window = number(argv[5], "WINDOW")) < 4 ||
	    window > WINDOW_MAX))
		die("WINDOW must be 4..%d: %u", WINDOW_MAX, window);
	if (size < 8 || size > DGRAM)
		die("SIZE must be 8..%d: %zu", DGRAM, size);
	srand((unsigned)getpid());

	tx_fd = turn_socket(&srv);
	rx_fd = turn_socket(&srv);
	turn_allocate(tx_fd, &ra);
	turn_allocate(rx_fd, &rb);
	turn_bind(tx_fd, &rb);
	turn_bind(rx_fd, &ra);

	for (i = 0; i < BATCH; i++) {
		hdr[i][0] = CHANNEL >> 8;
		hdr[i][1] = CHANNEL & 0xff;
		hdr[i][2] = size >> 8;
		hdr[i][3] = size & 0xff;
	}
	if (pthread_create(&th, NULL, turn_rx, NULL) != 0)
		die("pthread_create");
	t0 = bench_now();
	while (sent < count) {
		want = 0;
		while (want < BATCH && sent + want < count &&
		    bench_inflight(sent + want, acked, lost) < window) {
			bench_fill((uint32_t)(sent + want), data[want], size);
			iov[want][0].iov_base = hdr[want];
			iov[want][0].iov_len = 4;
			iov[want][1].iov_base = data[want];
			iov[want][1].iov_len = size;
			memset(&m[want], 0, sizeof(m[want]));
			m[want].msg_hdr.msg_iov = iov[want];
			m[want].msg_hdr.msg_iovlen = 2;
			want++;
		}
		if (want > 0) {
			if ((n = sendmmsg(tx_fd, m, want, 0)) == -1) {
				if (errno == EINTR || errno == ENOBUFS)
					continue;
				die("sendmmsg: %s", strerror(errno));
			}
			sent += n;
		}
		pfd.fd = tx_fd;
		pfd.events = POLLIN;
		i = bench_inflight(sent, acked, lost) < window ? 0 : 20;
		if (poll(&pfd, 1, i) == 0 && i > 0)
			lost = sent - acked;	/* no credit: count as lost */
		while ((k = recv(tx_fd, r, sizeof(r), MSG_DONTWAIT)) > 0)
			if (k == 4 + sizeof(c) && r[0] == CHANNEL >> 8) {
				memcpy(&c, r + 4, sizeof(c));
				if (c > acked)
					acked = c;
			}
	}
	c = 0;
	for (i = 0; i < 300 && !rx_done; i++) {	/* end marker, for 3 s */
		(void)chan_send(tx_fd, &c, 1);
		usleep(i == 0 ? 0 : 10000);
	}
	if (!rx_done)
		die("the end marker did not come through the relay");
	pthread_join(th, NULL);
	bench_print_bulk("turn", size, (uint32_t)got_dgrams, t_end - t0);
	printf("RESULT turn pps%zu %.0f\n", size, got_dgrams / (t_end - t0));
	if (got_dgrams != count)
		printf("RESULT turn lost%zu_dgrams %llu\n", size,
		    (unsigned long long)(count - got_dgrams));
	return 0;
}
