/* SPDX-License-Identifier: ISC */
/*
 * test_udpio.c: udpio_read over a loopback UDP socket: datagrams up to the
 * limit are delivered whole, larger ones are reported without data, and one
 * call reads a bounded number of batches. The GSO grouping and the GRO
 * splitting as pure functions, then a GSO send into a GRO socket and into a
 * plain one: the receiver sees the same datagrams either way.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "udpio.h"

#define SLOT	101		/* datagrams of up to 100 bytes */

static size_t	got_len[512];
static int	got_big[512], ngot;
static uint8_t	got_first[512];

static void
record(void *arg, const uint8_t *p, size_t len, struct sockaddr_storage *from,
    socklen_t fromlen)
{
	cr_assert_eq(from->ss_family, AF_INET);
	cr_assert_eq(fromlen, sizeof(struct sockaddr_in));
	got_big[ngot] = p == NULL;
	got_first[ngot] = p != NULL && len > 0 ? p[0] : 0;
	got_len[ngot++] = len;
}

static void
pair(int *rx, int *tx)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*rx = socket(AF_INET, SOCK_DGRAM, 0);
	*tx = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert(bind(*rx, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	cr_assert(getsockname(*rx, (struct sockaddr *)&sin, &len) == 0);
	cr_assert(connect(*tx, (struct sockaddr *)&sin, sizeof(sin)) == 0);
}

Test(udpio, oversized_reported_without_data)
{
	static uint8_t	bufs[4][SLOT];
	uint8_t		pkt[300];
	const size_t	sizes[] = { 0, 10, SLOT - 1, SLOT, 300 };
	size_t		i;
	int		rx, tx;

	pair(&rx, &tx);
	memset(pkt, 'x', sizeof(pkt));
	for (i = 0; i < 5; i++)
		cr_assert_eq(send(tx, pkt, sizes[i], 0), (ssize_t)sizes[i]);
	ngot = 0;
	udpio_read(rx, bufs[0], SLOT, 4, record, NULL);
	cr_assert_eq(ngot, 5);
	for (i = 0; i < 3; i++) {
		cr_assert_not(got_big[i], "datagram %zu", i);
		cr_assert_eq(got_len[i], sizes[i]);
	}
	cr_assert(got_big[3], "a datagram of exactly the slot size is too big");
	cr_assert(got_big[4]);
	cr_assert_eq(got_len[4], 0);
	close(rx);
	close(tx);
}

Test(udpio, one_call_reads_a_bounded_amount)
{
	static uint8_t	bufs[4][SLOT];
	int		i, rx, tx;

	pair(&rx, &tx);
	for (i = 0; i < 40; i++)
		cr_assert_eq(send(tx, "a", 1, 0), 1);
	ngot = 0;
	udpio_read(rx, bufs[0], SLOT, 4, record, NULL);
	cr_assert_eq(ngot, 32, "8 rounds of 4, got %d", ngot);
	udpio_read(rx, bufs[0], SLOT, 4, record, NULL);
	cr_assert_eq(ngot, 40);
	/* Nothing left: returns at once. */
	udpio_read(rx, bufs[0], SLOT, 4, record, NULL);
	cr_assert_eq(ngot, 40);
	close(rx);
	close(tx);
}

/* GSO grouping: a queue of (address, length). */
static struct sockaddr_in	dst[2];
static struct udpio_dgram	q[200];

static void
queue(size_t i, int to, size_t len)
{
	dst[to].sin_family = AF_INET;
	dst[to].sin_port = htons((uint16_t)(1000 + to));
	q[i].sa = (struct sockaddr *)&dst[to];
	q[i].salen = sizeof(dst[to]);
	q[i].len = len;
}

Test(udpio, gso_runs_of_one_size_to_one_peer)
{
	size_t i;

	/* 3 x 1200 to A, a 500 ends the run; then 2 to B, 1 to A. */
	for (i = 0; i < 3; i++)
		queue(i, 0, 1200);
	queue(3, 0, 500);
	queue(4, 0, 1200);
	queue(5, 1, 1200);
	queue(6, 1, 1200);
	queue(7, 0, 1200);
	cr_assert_eq(udpio_gso_group(q, 8), 4);
	cr_assert_eq(udpio_gso_group(q + 4, 4), 1, "the next peer differs");
	cr_assert_eq(udpio_gso_group(q + 5, 3), 2);
	cr_assert_eq(udpio_gso_group(q + 7, 1), 1);
	cr_assert_eq(udpio_gso_group(q, 0), 0);
	/* A longer datagram is not a segment of a shorter run. */
	queue(0, 0, 800);
	queue(1, 0, 1200);
	cr_assert_eq(udpio_gso_group(q, 2), 1);
	/* Two shorter ones: only the first may end the run. */
	queue(0, 0, 1200);
	queue(1, 0, 100);
	queue(2, 0, 100);
	cr_assert_eq(udpio_gso_group(q, 3), 2);
	/* Empty datagrams are never grouped. */
	queue(0, 0, 0);
	queue(1, 0, 0);
	cr_assert_eq(udpio_gso_group(q, 2), 1);
	queue(0, 0, 1200);
	queue(1, 0, 0);
	cr_assert_eq(udpio_gso_group(q, 2), 1);
	/* Too large for a segment on a 1500-byte path. */
	queue(0, 0, UDPIO_GSO_SEGMAX + 1);
	queue(1, 0, UDPIO_GSO_SEGMAX + 1);
	cr_assert_eq(udpio_gso_group(q, 2), 1);
	queue(0, 0, UDPIO_GSO_SEGMAX);
	queue(1, 0, UDPIO_GSO_SEGMAX);
	cr_assert_eq(udpio_gso_group(q, 2), 2);
}

Test(udpio, gso_runs_are_bounded)
{
	size_t i;

	/* 1200-byte segments: the byte limit comes first (54 x 1200). */
	for (i = 0; i < 200; i++)
		queue(i, 0, 1200);
	cr_assert_eq(udpio_gso_group(q, 200), UDPIO_GSO_BYTES / 1200);
	cr_assert_leq(udpio_gso_group(q, 200) * 1200, UDPIO_GSO_BYTES);
	/* Small segments: the count limit. */
	for (i = 0; i < 200; i++)
		queue(i, 0, 100);
	cr_assert_eq(udpio_gso_group(q, 200), UDPIO_GSO_SEGS);
	/* A short last one that would pass the byte limit stays out. */
	for (i = 0; i < 54; i++)
		queue(i, 0, 1200);
	queue(54, 0, 1000);
	cr_assert_eq(udpio_gso_group(q, 55), 54);
	queue(53, 0, 100);
	cr_assert_eq(udpio_gso_group(q, 55), 54);
}

Test(udpio, gro_buffer_splits_into_datagrams)
{
	/* 3000 bytes in 1200-byte segments: 1200, 1200, 600. */
	cr_assert_eq(udpio_gro_seg(3000, 1200, 0), 1200);
	cr_assert_eq(udpio_gro_seg(3000, 1200, 1200), 1200);
	cr_assert_eq(udpio_gro_seg(3000, 1200, 2400), 600);
	cr_assert_eq(udpio_gro_seg(3000, 1200, 3000), 0);
	cr_assert_eq(udpio_gro_seg(3000, 1200, 5000), 0);
	/* Exact multiple: no empty tail. */
	cr_assert_eq(udpio_gro_seg(2400, 1200, 1200), 1200);
	cr_assert_eq(udpio_gro_seg(2400, 1200, 2400), 0);
	/* No segment size: the buffer is one datagram. */
	cr_assert_eq(udpio_gro_seg(3000, 0, 0), 3000);
	cr_assert_eq(udpio_gro_seg(3000, 0, 3000), 0);
	/* A segment size above the length: one datagram. */
	cr_assert_eq(udpio_gro_seg(500, 1200, 0), 500);
	cr_assert_eq(udpio_gro_seg(0, 1200, 0), 0);
}

/* One GSO send of n segments of seg bytes (the last last bytes), each
 * starting with its index; 0 when the kernel refuses GSO here. */
static int
gso_send(int tx, size_t n, size_t seg, size_t last)
{
	static uint8_t	 buf[UDPIO_GSO_BYTES];
	union {
		struct cmsghdr	 align;
		uint8_t		 b[CMSG_SPACE(sizeof(uint16_t))];
	}		 ctl;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*c;
	uint16_t	 s = (uint16_t)seg;
	size_t		 i, len = (n - 1) * seg + last;

	for (i = 0; i < n; i++)
		memset(buf + i * seg, (int)i, i == n - 1 ? last : seg);
	iov.iov_base = buf;
	iov.iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(s));
	memcpy(CMSG_DATA(c), &s, sizeof(s));
	if (sendmsg(tx, &mh, 0) == -1) {
		cr_assert(errno == EINVAL || errno == EIO ||
		    errno == ENOPROTOOPT, "sendmsg: %s", strerror(errno));
		return 0;
	}
	return 1;
}

static void
check_split(size_t n, size_t seg, size_t last, size_t max)
{
	size_t i;

	cr_assert_eq((size_t)ngot, n, "got %d datagrams, sent %zu", ngot, n);
	for (i = 0; i < n; i++) {
		size_t want = i == n - 1 ? last : seg;

		if (want > max) {
			cr_assert(got_big[i], "datagram %zu is too large", i);
			continue;
		}
		cr_assert_not(got_big[i], "datagram %zu", i);
		cr_assert_eq(got_len[i], want, "datagram %zu: %zu bytes", i,
		    got_len[i]);
		cr_assert_eq(got_first[i], (uint8_t)i, "datagram %zu out of "
		    "place", i);
	}
}

Test(udpio, gso_send_gro_receive)
{
	static uint8_t	bufs[4][UDPIO_GRO_SLOT];
	int		rx, tx;

	pair(&rx, &tx);
	if (udpio_gro_enable(rx) == -1)
		cr_skip_test("no UDP_GRO in this kernel");
	if (!gso_send(tx, 20, 1200, 700))
		cr_skip_test("the kernel refuses UDP GSO here");
	/* Batches of one buffer, 8 per call: 20 datagrams mean the kernel
	 * kept them together and udpio split them. */
	ngot = 0;
	udpio_read_gro(rx, bufs[0], UDPIO_GRO_SLOT, 1500, 1, record, NULL);
	check_split(20, 1200, 700, 1500);
	/* Segments over the caller's limit are reported, not delivered. */
	cr_assert(gso_send(tx, 3, 1200, 1200));
	ngot = 0;
	udpio_read_gro(rx, bufs[0], UDPIO_GRO_SLOT, 1000, 4, record, NULL);
	check_split(3, 1200, 1200, 1000);
	close(rx);
	close(tx);
}

Test(udpio, gso_send_plain_receive)
{
	static uint8_t	bufs[64][1501];
	int		rx, tx;

	/* Without GRO the kernel cuts the datagrams before queueing. */
	pair(&rx, &tx);
	if (!gso_send(tx, 30, 1000, 1))
		cr_skip_test("the kernel refuses UDP GSO here");
	ngot = 0;
	udpio_read(rx, bufs[0], sizeof(bufs[0]), 64, record, NULL);
	check_split(30, 1000, 1, 1500);
	close(rx);
	close(tx);
}

/*
 * The send queue: datagrams leave in the order queued, the first 64 when
 * the queue fills, the rest at the flush, with GSO runs or without; what
 * it cannot send is refused at once and queues nothing.
 */
static void
outq_run(int gso)
{
	static uint8_t		 bufs[64][1501];
	struct udpio_outq	*oq;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 s6;
	socklen_t		 len = sizeof(sin);
	uint8_t			 pkt[UDPIO_OUT_MAX + 1];
	size_t			 i, n;
	int			 rx, tx, tries;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert((rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) != -1);
	cr_assert((tx = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	cr_assert(bind(rx, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	cr_assert(getsockname(rx, (struct sockaddr *)&sin, &len) == 0);
	cr_assert_not_null(oq = calloc(1, sizeof(*oq)));
	udpio_outq_init(oq, tx, AF_INET, gso);

	/* 70 of 1200 bytes (GSO runs), then 30 of other sizes. */
	for (i = 0; i < 100; i++) {
		n = i < 70 ? 1200 : 100 + i;
		memset(pkt, (int)i, n);
		cr_assert_eq(udpio_outq_add(oq, (struct sockaddr *)&sin,
		    sizeof(sin), pkt, n), 0);
	}
	cr_assert_eq(oq->n, 100 - 64, "the full queue left by itself");
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	cr_assert_eq(udpio_outq_add(oq, (struct sockaddr *)&s6, sizeof(s6),
	    pkt, 10), -1, "an IPv6 address on an IPv4 socket");
	cr_assert_eq(udpio_outq_add(oq, (struct sockaddr *)&sin, sizeof(sin),
	    pkt, sizeof(pkt)), -1, "over UDPIO_OUT_MAX");
	cr_assert_eq(oq->n, 36, "refused datagrams queue nothing");
	udpio_outq_flush(oq);
	cr_assert_eq(oq->n, 0);

	ngot = 0;
	for (tries = 0; ngot < 100 && tries < 50; tries++)
		udpio_read(rx, bufs[0], sizeof(bufs[0]), 64, record, NULL);
	cr_assert_eq(ngot, 100, "received %d of 100", ngot);
	for (i = 0; i < 100; i++) {
		cr_assert_eq(got_len[i], i < 70 ? 1200 : 100 + i,
		    "datagram %zu: %zu bytes", i, got_len[i]);
		cr_assert_eq(got_first[i], (uint8_t)i, "datagram %zu out of "
		    "order", i);
	}
	free(oq);
	close(rx);
	close(tx);
}

Test(udpio, outq_sends_in_order_with_gso)
{
	outq_run(1);
}

Test(udpio, outq_sends_in_order_without_gso)
{
	outq_run(0);
}
