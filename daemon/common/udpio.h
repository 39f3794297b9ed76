/* SPDX-License-Identifier: ISC */
/*
 * udpio.h: the batched UDP I/O both daemons run on their socket.
 * udpio_read() drains a non-blocking socket with recvmmsg, a few batches per
 * wakeup so that one busy sender cannot starve the rest of the event loop,
 * and hands each datagram to a callback. With UDP GRO on the socket
 * (udpio_gro_enable) one buffer may hold a run of datagrams of one size from
 * one sender; udpio_read_gro() splits it again before the callback.
 *
 * On the way out, udpio_gso_group() decides which queued datagrams can leave
 * as one UDP GSO send (UDP_SEGMENT): the kernel builds one large buffer and
 * cuts it into datagrams at the end, instead of one skb per datagram.
 */
#ifndef P2P_UDPIO_H
#define P2P_UDPIO_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

/* The most datagrams one recvmmsg call asks for. */
#define UDPIO_BATCH_MAX	64

/* A GRO buffer: the kernel coalesces at most 64 KiB. */
#define UDPIO_GRO_SLOT	65536

/*
 * The limits of one GSO send: the kernel takes at most 64 segments
 * (UDP_MAX_SEGMENTS on older kernels) and an IP packet's 64 KiB less the
 * IPv6 and UDP headers.
 */
#define UDPIO_GSO_SEGS	64
#define UDPIO_GSO_BYTES	65000

/*
 * The largest segment grouped: the kernel refuses GSO (EINVAL) when one
 * segment and its headers exceed the path MTU, where a plain datagram would
 * be fragmented. 1500 less the IPv6 and UDP headers.
 */
#define UDPIO_GSO_SEGMAX	1452

/*
 * One datagram from a peer. p is NULL (and len 0) when the datagram was
 * larger than the caller's limit: it is not delivered, only reported so
 * that the caller can count it.
 */
typedef void (*udpio_fn)(void *arg, const uint8_t *p, size_t len,
    struct sockaddr_storage *from, socklen_t fromlen);

/*
 * Read what fd has, batch datagrams at a time (at most UDPIO_BATCH_MAX)
 * into bufs (batch slots of slot bytes each). A datagram of more than
 * slot - 1 bytes counts as too large: the spare byte tells "exactly the
 * limit" from "cut by the kernel".
 */
void	udpio_read(int fd, uint8_t *bufs, size_t slot, int batch, udpio_fn fn,
	    void *arg);

/*
 * The same for a socket that may have UDP GRO on: slots should then be
 * UDPIO_GRO_SLOT bytes. A buffer that came with a segment size is split
 * into datagrams; each datagram of more than max bytes counts as too large.
 */
void	udpio_read_gro(int fd, uint8_t *bufs, size_t slot, size_t max,
	    int batch, udpio_fn fn, void *arg);

/*
 * The length of the datagram at offset off of a received buffer of len
 * bytes that the kernel reported with segment size seg (0: no GRO, the
 * buffer is one datagram). 0 when off is at or past the end; a zero-length
 * datagram at offset 0 also gives 0, so callers test off == 0 for it.
 */
size_t	udpio_gro_seg(size_t len, size_t seg, size_t off);

/*
 * P2PD_NO_GSO=1 in the environment: plain datagrams both ways (no GSO, no
 * GRO), for tests and comparisons. Both daemons' sockets obey it here.
 */
int	udpio_gso_off(void);
/* Turn on UDP GRO for fd; -1 when the kernel does not have it, or off. */
int	udpio_gro_enable(int fd);

/* One queued datagram as udpio_gso_group() sees it. */
struct udpio_dgram {
	const struct sockaddr	*sa;
	socklen_t		 salen;
	size_t			 len;
};

/*
 * How many of the n datagrams at q (n >= 1) leave as one GSO send: q[0]
 * and those after it to the same address with q[0]'s length; one shorter
 * (non-empty) datagram may end the run. Bounded by UDPIO_GSO_SEGS and
 * UDPIO_GSO_BYTES; datagrams longer than UDPIO_GSO_SEGMAX are not grouped.
 * 1 means a plain datagram.
 */
size_t	udpio_gso_group(const struct udpio_dgram *q, size_t n);

/*
 * udpio_out.c: the send queue. Datagrams are copied in and leave together
 * with sendmmsg when the queue is full or udpio_outq_flush() is called;
 * with gso on, runs that udpio_gso_group() accepts leave as one send. A
 * kernel or socket that refuses GSO (EINVAL, EIO) turns it off for good; a
 * segment over a path's MTU (EMSGSIZE) sends the rest of that flush one by
 * one. On an AF_INET6 socket, IPv4 destinations go as ::ffff:a.b.c.d; an
 * AF_INET socket drops IPv6 destinations.
 */
#define UDPIO_OUT_MAX	2048	/* the largest datagram queued */

struct udpio_out {
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	size_t			 len;
	uint8_t			 buf[UDPIO_OUT_MAX];
};

struct udpio_outq {
	int			 fd;
	int			 family;	/* the socket's */
	int			 gso;
	int			 mtu_logged;
	uint64_t		 dropped;	/* datagrams the kernel had no
						   room for (EAGAIN, ENOBUFS) */
	size_t			 n;
	struct udpio_out	 q[UDPIO_BATCH_MAX];
};

/* gso: the caller allows GSO (udpio_gso_off() can still veto it). */
void	udpio_outq_init(struct udpio_outq *, int fd, int family, int gso);
/* Queue a copy; -1 (nothing queued) when too long or unreachable. */
int	udpio_outq_add(struct udpio_outq *, const struct sockaddr *,
	    socklen_t, const uint8_t *, size_t);
void	udpio_outq_flush(struct udpio_outq *);

#endif /* P2P_UDPIO_H */
