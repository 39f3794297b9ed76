/* SPDX-License-Identifier: ISC */
/*
 * udpio_out.c: the send queue of a UDP socket (udpio.h): copies in,
 * sendmmsg out, runs of equal-sized datagrams to one address as one UDP
 * GSO send.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/udp.h>

#include <errno.h>
#include <string.h>

#include "log.h"
#include "udpio.h"

#ifndef SOL_UDP
#define SOL_UDP		IPPROTO_UDP
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103	/* Linux 4.18; older kernels refuse it */
#endif

#define UDPIO_CTL_LEN	CMSG_SPACE(sizeof(uint16_t))

void
udpio_outq_init(struct udpio_outq *q, int fd, int family, int gso)
{
	q->fd = fd;
	q->family = family;
	q->gso = gso && !udpio_gso_off();
	q->mtu_logged = 0;
	q->dropped = 0;
	q->n = 0;
}

/* An IPv4 destination on a dual-stack socket goes as ::ffff:a.b.c.d. */
static void
udpio_outq_map(const struct udpio_outq *q, struct udpio_out *o,
    const struct sockaddr *sa, socklen_t salen)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&o->ss;

	if (q->family == AF_INET6 && sa->sa_family == AF_INET) {
		memset(s6, 0, sizeof(*s6));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = s4->sin_port;
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], &s4->sin_addr, 4);
		o->sslen = sizeof(*s6);
		return;
	}
	if ((size_t)salen > sizeof(o->ss))
		salen = sizeof(o->ss);
	memcpy(&o->ss, sa, salen);
	o->sslen = salen;
}

int
udpio_outq_add(struct udpio_outq *q, const struct sockaddr *sa,
    socklen_t salen, const uint8_t *p, size_t len)
{
	struct udpio_out *o;

	if (q->fd == -1 || len > UDPIO_OUT_MAX)
		return -1;
	if (q->family == AF_INET && sa->sa_family != AF_INET)
		return -1;	/* no IPv6 here */
	if (q->n == UDPIO_BATCH_MAX)
		udpio_outq_flush(q);
	o = &q->q[q->n++];
	udpio_outq_map(q, o, sa, salen);
	memcpy(o->buf, p, len);
	o->len = len;
	return 0;
}

/*
 * The messages for queued datagrams first.. on: one per GSO run, or one per
 * datagram without GSO. firsts[m] is message m's first datagram.
 */
static size_t
udpio_outq_build(struct udpio_outq *q, size_t first, int gso,
    struct mmsghdr *msgs, struct iovec *iov, uint8_t (*ctl)[UDPIO_CTL_LEN],
    size_t *firsts)
{
	struct udpio_dgram	 dg[UDPIO_BATCH_MAX];
	struct msghdr		*mh;
	struct cmsghdr		*c;
	uint16_t		 seg;
	size_t			 i, k, m = 0;

	for (i = first; i < q->n; i++) {
		iov[i].iov_base = q->q[i].buf;
		iov[i].iov_len = q->q[i].len;
		dg[i].sa = (struct sockaddr *)&q->q[i].ss;
		dg[i].salen = q->q[i].sslen;
		dg[i].len = q->q[i].len;
	}
	for (i = first; i < q->n; i += k, m++) {
		k = gso ? udpio_gso_group(&dg[i], q->n - i) : 1;
		mh = &msgs[m].msg_hdr;
		memset(&msgs[m], 0, sizeof(msgs[m]));
		mh->msg_iov = &iov[i];
		mh->msg_iovlen = k;
		mh->msg_name = &q->q[i].ss;
		mh->msg_namelen = q->q[i].sslen;
		firsts[m] = i;
		if (k == 1)
			continue;
		mh->msg_control = ctl[m];
		mh->msg_controllen = sizeof(ctl[m]);
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(seg));
		seg = (uint16_t)q->q[i].len;
		memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	}
	return m;
}

void
udpio_outq_flush(struct udpio_outq *q)
{
	uint8_t		 ctl[UDPIO_BATCH_MAX][UDPIO_CTL_LEN]
			    __attribute__((aligned(8)));
	struct mmsghdr	 msgs[UDPIO_BATCH_MAX];
	struct iovec	 iov[UDPIO_BATCH_MAX];
	size_t		 firsts[UDPIO_BATCH_MAX];
	size_t		 nm, done = 0;
	int		 n;

	if (q->n == 0)
		return;
	nm = udpio_outq_build(q, 0, q->gso, msgs, iov, ctl, firsts);
	while (done < nm && q->fd != -1) {
		n = sendmmsg(q->fd, msgs + done, (unsigned)(nm - done), 0);
		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (msgs[done].msg_hdr.msg_iovlen > 1 &&
		    (errno == EINVAL || errno == EIO)) {
			/* Refused GSO (no checksum offload, an IPsec route,
			 * an old kernel): the rest one by one, and from now
			 * on. */
			log_warnx("UDP GSO refused (%s): sending datagrams "
			    "one by one", strerror(errno));
			q->gso = 0;
			nm = udpio_outq_build(q, firsts[done], 0, msgs, iov,
			    ctl, firsts);
			done = 0;
			continue;
		}
		if (msgs[done].msg_hdr.msg_iovlen > 1 && errno == EMSGSIZE) {
			/* A segment is over this path's MTU, where a plain
			 * datagram may still be fragmented: the rest of this
			 * flush one by one, GSO stays on for other paths. */
			if (!q->mtu_logged++)
				log_info("UDP GSO segments over a path MTU: "
				    "sent one by one");
			nm = udpio_outq_build(q, firsts[done], 0, msgs, iov,
			    ctl, firsts);
			done = 0;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS) {
			/* The socket buffer is full: the rest would fail the
			 * same way. Counted; the transport resends. */
			for (; done < nm; done++)
				q->dropped += msgs[done].msg_hdr.msg_iovlen;
			log_debug("%s: send buffer full: %llu datagrams "
			    "dropped so far", __func__,
			    (unsigned long long)q->dropped);
			break;
		}
		/* One bad destination must not block the rest; what was
		 * lost here is the transport's to resend. */
		log_debug("%s: sendmmsg: %s", __func__, strerror(errno));
		done++;
	}
	q->n = 0;
}
