/*
 * udp.c: the agent's one UDP socket, shared by the server and all peers.
 *
 * Reads come in batches (udpio.h) and each datagram is dispatched by its
 * first bytes (wire_classify): CTRL and registration packets to reg.c,
 * handshakes and DATA to peer.c, anything else is dropped and counted.
 * Sends are queued and leave in batches (sendmmsg) when the queue fills or
 * when the current event has been handled (udp_flush).
 *
 * The kernel's cost is per datagram (one skb, one route lookup each), so
 * runs of equal-sized datagrams to one peer leave as one UDP GSO send and
 * the receiving socket takes them as one GRO buffer (udpio.h). Both are on
 * unless the environment has P2PD_NO_GSO=1. A kernel or socket that refuses
 * GSO (EINVAL, EIO) turns it off for good; a segment over a path's MTU
 * (EMSGSIZE) sends the rest of that batch one by one.
 *
 * The socket is IPv6 dual-stack where the host allows it, so one socket
 * reaches IPv4 and IPv6 peers; addresses are normalised (addr.h) on the way
 * in and IPv4 destinations mapped on the way out.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/udp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "addr.h"
#include "log.h"
#include "peer.h"
#include "udpio.h"
#include "wire.h"

struct udp_out {
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	size_t			 len;
	uint8_t			 buf[AGENT_UDP_MTU];
};

static struct udp_out	 udp_q[AGENT_UDP_BATCH];
static size_t		 udp_nq;
static int		 udp_family;
static int		 udp_gso;	/* send runs with UDP_SEGMENT */
static int		 udp_gro;	/* the socket has UDP_GRO */

/* With GRO each slot takes up to 64 KiB, so fewer of them. */
#define UDP_GRO_BATCH	16

#ifndef SOL_UDP
#define SOL_UDP		IPPROTO_UDP
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103	/* Linux 4.18; older kernels refuse it */
#endif

static void
udp_dispatch(struct agent *a, const uint8_t *p, size_t len,
    struct sockaddr_storage *ss, socklen_t sslen)
{
	uint8_t type = 0;

	addr_normalize(ss);
	sslen = addr_len((struct sockaddr *)ss);
	a->ctr.packets_in++;
	a->ctr.bytes_in += len;
	switch (wire_agent_dest(p, len, &type)) {
	case WIRE_DEST_SERVER:
		reg_input(a, p, len, (struct sockaddr *)ss, sslen);
		break;
	case WIRE_DEST_PEER:
		peer_input(a, type, p, len, (struct sockaddr *)ss, sslen);
		break;
	default:
		a->ctr.dropped++;
		break;
	}
}

/* One datagram from udpio_read(); p is NULL for one that was too large. */
static void
udp_datagram(void *arg, const uint8_t *p, size_t len,
    struct sockaddr_storage *ss, socklen_t sslen)
{
	struct agent	*a = arg;

	if (p == NULL) {
		a->ctr.packets_in++;
		a->ctr.dropped++;
		return;
	}
	udp_dispatch(a, p, len, ss, sslen);
}

static void
udp_read(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t	 bufs[AGENT_UDP_BATCH][AGENT_UDP_MTU + 1];
	static uint8_t	 grobufs[UDP_GRO_BATCH][UDPIO_GRO_SLOT];
	struct agent	*a = arg;

	if (udp_gro)
		udpio_read_gro(fd, grobufs[0], sizeof(grobufs[0]),
		    AGENT_UDP_MTU, UDP_GRO_BATCH, udp_datagram, a);
	else
		udpio_read(fd, bufs[0], sizeof(bufs[0]), AGENT_UDP_BATCH,
		    udp_datagram, a);
	peer_flush_all(a);
	udp_flush(a);
}

static int
udp_bind(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	int fd, off = 0, sz = 4 * 1024 * 1024;

	if ((fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
		    sizeof(off));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_any;
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&ss, addr_len((struct sockaddr *)&ss))
	    == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* P2PD_NO_GSO=1: plain datagrams both ways, for tests and comparisons. */
static int
udp_no_gso(void)
{
	const char *e = getenv("P2PD_NO_GSO");

	return e != NULL && *e != '\0' && strcmp(e, "0") != 0;
}

int
udp_open(struct agent *a)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint16_t port = (uint16_t)a->conf.port;

	udp_family = AF_INET6;
	if ((a->udp_fd = udp_bind(AF_INET6, port)) == -1) {
		udp_family = AF_INET;
		a->udp_fd = udp_bind(AF_INET, port);
	}
	if (a->udp_fd == -1) {
		log_warn("cannot bind UDP port %u", port);
		return -1;
	}
	if (getsockname(a->udp_fd, (struct sockaddr *)&ss, &len) == -1) {
		log_warn("%s: getsockname", __func__);
		return -1;
	}
	a->udp_port = addr_port((struct sockaddr *)&ss);
	udp_gso = udp_gro = 0;
	if (!udp_no_gso()) {
		udp_gso = 1;
		udp_gro = udpio_gro_enable(a->udp_fd) == 0;
	}
	log_debug("UDP GSO %s, GRO %s", udp_gso ? "on" : "off",
	    udp_gro ? "on" : "off");
	a->udp_ev = event_new(a->base, a->udp_fd, EV_READ | EV_PERSIST,
	    udp_read, a);
	if (a->udp_ev == NULL || event_add(a->udp_ev, NULL) == -1) {
		log_warnx("%s: cannot watch the UDP socket", __func__);
		return -1;
	}
	return 0;
}

void
udp_close(struct agent *a)
{
	if (a->udp_ev != NULL)
		event_free(a->udp_ev);
	a->udp_ev = NULL;
	if (a->udp_fd != -1)
		close(a->udp_fd);
	a->udp_fd = -1;
	udp_nq = 0;
}

/* An IPv4 destination on a dual-stack socket goes as ::ffff:a.b.c.d. */
static void
udp_map(struct udp_out *o, const struct sockaddr *sa, socklen_t salen)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&o->ss;

	if (udp_family == AF_INET6 && sa->sa_family == AF_INET) {
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

void
udp_send(struct agent *a, const struct sockaddr *sa, socklen_t salen,
    const uint8_t *p, size_t len)
{
	struct udp_out *o;

	if (a->udp_fd == -1 || len > AGENT_UDP_MTU)
		return;
	if (udp_family == AF_INET && sa->sa_family != AF_INET)
		return;		/* no IPv6 here */
	if (udp_nq == AGENT_UDP_BATCH)
		udp_flush(a);
	o = &udp_q[udp_nq++];
	udp_map(o, sa, salen);
	memcpy(o->buf, p, len);
	o->len = len;
	a->ctr.packets_out++;
	a->ctr.bytes_out += len;
}

/*
 * The messages for queued datagrams first.. on: one per GSO run, or one per
 * datagram without GSO. firsts[m] is message m's first datagram.
 */
static size_t
udp_build(size_t first, int gso, struct mmsghdr *msgs, struct iovec *iov,
    uint8_t (*ctl)[CMSG_SPACE(sizeof(uint16_t))], size_t *firsts)
{
	struct udpio_dgram	 dg[AGENT_UDP_BATCH];
	struct msghdr		*mh;
	struct cmsghdr		*c;
	uint16_t		 seg;
	size_t			 i, k, m = 0;

	for (i = first; i < udp_nq; i++) {
		iov[i].iov_base = udp_q[i].buf;
		iov[i].iov_len = udp_q[i].len;
		dg[i].sa = (struct sockaddr *)&udp_q[i].ss;
		dg[i].salen = udp_q[i].sslen;
		dg[i].len = udp_q[i].len;
	}
	for (i = first; i < udp_nq; i += k, m++) {
		k = gso ? udpio_gso_group(&dg[i], udp_nq - i) : 1;
		mh = &msgs[m].msg_hdr;
		memset(&msgs[m], 0, sizeof(msgs[m]));
		mh->msg_iov = &iov[i];
		mh->msg_iovlen = k;
		mh->msg_name = &udp_q[i].ss;
		mh->msg_namelen = udp_q[i].sslen;
		firsts[m] = i;
		if (k == 1)
			continue;
		mh->msg_control = ctl[m];
		mh->msg_controllen = sizeof(ctl[m]);
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(seg));
		seg = (uint16_t)udp_q[i].len;
		memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	}
	return m;
}

void
udp_flush(struct agent *a)
{
	static uint8_t	 ctl[AGENT_UDP_BATCH]
			    [CMSG_SPACE(sizeof(uint16_t))]
			    __attribute__((aligned(8)));
	static int	 mtu_logged;
	struct mmsghdr	 msgs[AGENT_UDP_BATCH];
	struct iovec	 iov[AGENT_UDP_BATCH];
	size_t		 firsts[AGENT_UDP_BATCH];
	size_t		 nm, done;
	int		 n;

	nm = udp_build(0, udp_gso, msgs, iov, ctl, firsts);
	done = 0;
	while (done < nm && a->udp_fd != -1) {
		n = sendmmsg(a->udp_fd, msgs + done, (unsigned)(nm - done), 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (msgs[done].msg_hdr.msg_iovlen > 1 &&
			    (errno == EINVAL || errno == EIO)) {
				/* Refused GSO (no checksum offload, an
				 * IPsec route, an old kernel): resend the
				 * rest one by one, and from now on. */
				log_warnx("UDP GSO refused (%s): sending "
				    "datagrams one by one", strerror(errno));
				udp_gso = 0;
				nm = udp_build(firsts[done], 0, msgs, iov, ctl,
				    firsts);
				done = 0;
				continue;
			}
			if (msgs[done].msg_hdr.msg_iovlen > 1 &&
			    errno == EMSGSIZE) {
				/* A segment is over this path's MTU, where
				 * a plain datagram may still be fragmented:
				 * the rest of this flush goes one by one,
				 * GSO stays on for other paths. */
				if (!mtu_logged++)
					log_info("UDP GSO segments over a "
					    "path MTU: sent one by one");
				nm = udp_build(firsts[done], 0, msgs, iov, ctl,
				    firsts);
				done = 0;
				continue;
			}
			/* One bad destination must not block the rest; the
			 * transport retransmits what was lost here. */
			log_debug("%s: sendmmsg: %s", __func__,
			    strerror(errno));
			done++;
			continue;
		}
		done += (size_t)n;
	}
	udp_nq = 0;
}
