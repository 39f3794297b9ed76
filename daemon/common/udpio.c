/* SPDX-License-Identifier: ISC */
/*
 * udpio.c: batched UDP I/O (recvmmsg, GRO splitting, GSO grouping) shared
 * by p2pd and p2p-server.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/udp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "udpio.h"

/* Batches per wakeup: then timers, IPC and TCP get their turn. */
#define UDPIO_ROUNDS	8

#ifndef SOL_UDP
#define SOL_UDP		IPPROTO_UDP
#endif

size_t
udpio_gro_seg(size_t len, size_t seg, size_t off)
{
	if (off >= len)
		return 0;
	if (seg == 0 || len - off < seg)
		return len - off;
	return seg;
}

int
udpio_gso_off(void)
{
	const char *e = getenv("P2PD_NO_GSO");

	return e != NULL && *e != '\0' && strcmp(e, "0") != 0;
}

int
udpio_gro_enable(int fd)
{
#ifdef UDP_GRO
	int on = 1;

	if (udpio_gso_off()) {
		errno = ENOPROTOOPT;
		return -1;
	}
	return setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on));
#else
	(void)fd;
	errno = ENOPROTOOPT;
	return -1;
#endif
}

/* The segment size the kernel put in the control data; 0 if none. */
static size_t
udpio_cmsg_seg(struct msghdr *mh)
{
#ifdef UDP_GRO
	struct cmsghdr	*c;
	int		 seg;

	if (mh->msg_controllen == 0)
		return 0;
	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO ||
		    c->cmsg_len < CMSG_LEN(sizeof(seg)))
			continue;
		memcpy(&seg, CMSG_DATA(c), sizeof(seg));
		return seg > 0 ? (size_t)seg : 0;
	}
#else
	(void)mh;
#endif
	return 0;
}

/*
 * Hand the datagrams of one received buffer to fn. Each gets its own copy
 * of the sender's address: callbacks normalise it in place.
 */
static void
udpio_deliver(uint8_t *p, size_t len, size_t seg, size_t max,
    const struct sockaddr_storage *ss, socklen_t sslen, udpio_fn fn,
    void *arg)
{
	struct sockaddr_storage	 from;
	size_t			 off, d;

	if (seg == 0 || seg >= len) {
		memcpy(&from, ss, sizeof(from));
		if (len > max)
			fn(arg, NULL, 0, &from, sslen);
		else
			fn(arg, p, len, &from, sslen);
		return;
	}
	for (off = 0; (d = udpio_gro_seg(len, seg, off)) != 0; off += d) {
		memcpy(&from, ss, sizeof(from));
		if (d > max)
			fn(arg, NULL, 0, &from, sslen);
		else
			fn(arg, p + off, d, &from, sslen);
	}
}

void
udpio_read_gro(int fd, uint8_t *bufs, size_t slot, size_t max, int batch,
    udpio_fn fn, void *arg)
{
	struct sockaddr_storage	 ss[UDPIO_BATCH_MAX];
	struct mmsghdr		 msgs[UDPIO_BATCH_MAX];
	struct iovec		 iov[UDPIO_BATCH_MAX];
	union {
		struct cmsghdr	 align;
		uint8_t		 b[CMSG_SPACE(sizeof(int))];
	}			 ctl[UDPIO_BATCH_MAX];
	struct msghdr		*mh;
	int			 i, n, rounds;

	if (batch > UDPIO_BATCH_MAX)
		batch = UDPIO_BATCH_MAX;
	for (rounds = 0; rounds < UDPIO_ROUNDS; rounds++) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < batch; i++) {
			iov[i].iov_base = bufs + (size_t)i * slot;
			iov[i].iov_len = slot;
			mh = &msgs[i].msg_hdr;
			mh->msg_iov = &iov[i];
			mh->msg_iovlen = 1;
			mh->msg_name = &ss[i];
			mh->msg_namelen = sizeof(ss[i]);
			mh->msg_control = ctl[i].b;
			mh->msg_controllen = sizeof(ctl[i].b);
		}
		n = recvmmsg(fd, msgs, (unsigned int)batch, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			/* ECONNREFUSED: an ICMP error for an earlier send. */
			if (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNREFUSED)
				log_warn("%s: recvmmsg", __func__);
			return;
		}
		for (i = 0; i < n; i++) {
			mh = &msgs[i].msg_hdr;
			if (mh->msg_flags & MSG_TRUNC ||
			    msgs[i].msg_len > slot) {
				fn(arg, NULL, 0, &ss[i], mh->msg_namelen);
				continue;
			}
			udpio_deliver(bufs + (size_t)i * slot, msgs[i].msg_len,
			    udpio_cmsg_seg(mh), max, &ss[i], mh->msg_namelen,
			    fn, arg);
		}
		if (n < batch)
			return;
	}
}

void
udpio_read(int fd, uint8_t *bufs, size_t slot, int batch, udpio_fn fn,
    void *arg)
{
	udpio_read_gro(fd, bufs, slot, slot - 1, batch, fn, arg);
}

/* Same destination: family, address and port, as the kernel compares. */
static int
udpio_same_dest(const struct udpio_dgram *a, const struct udpio_dgram *b)
{
	return a->salen == b->salen && memcmp(a->sa, b->sa, a->salen) == 0;
}

size_t
udpio_gso_group(const struct udpio_dgram *q, size_t n)
{
	size_t	seg, bytes, k;

	if (n == 0)
		return 0;
	seg = q[0].len;
	if (seg == 0 || seg > UDPIO_GSO_SEGMAX)
		return 1;
	bytes = seg;
	for (k = 1; k < n && k < UDPIO_GSO_SEGS; k++) {
		if (!udpio_same_dest(&q[0], &q[k]) || q[k].len == 0 ||
		    q[k].len > seg || bytes + q[k].len > UDPIO_GSO_BYTES)
			break;
		bytes += q[k].len;
		if (q[k].len < seg)
			return k + 1;	/* a shorter one ends the run */
	}
	return k;
}
