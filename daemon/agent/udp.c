/* SPDX-License-Identifier: ISC */
/*
 * udp.c: the agent's one UDP socket, shared by the server and all peers.
 *
 * Reads come in batches (udpio.h) and each datagram goes up through
 * a->hooks.datagram (input.c). Sends are queued (udpio_outq) and leave in
 * batches (sendmmsg) when the queue fills or when the event loop has run
 * the callbacks of its current pass: the first datagram queued activates
 * a flush event, so no caller flushes by hand.
 *
 * The kernel's cost is per datagram (one skb, one route lookup each), so
 * runs of equal-sized datagrams to one peer leave as one UDP GSO send and
 * the receiving socket takes them as one GRO buffer (udpio.h). Both are on
 * unless the environment has P2PD_NO_GSO=1. A kernel or socket that refuses
 * GSO (EINVAL, EIO) turns it off for good; a segment over a path's MTU
 * (EMSGSIZE) sends the rest of that batch one by one.
 *
 * The socket is IPv6 dual-stack where the host allows it, so one socket
 * reaches IPv4 and IPv6 peers; addresses are normalised (input.c) on the
 * way in and IPv4 destinations mapped on the way out.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "agent.h"
#include "log.h"
#include "udpio.h"

/* With GRO each slot takes up to 64 KiB, so fewer of them. */
#define UDP_GRO_BATCH	16

struct udp {
	struct event		*ev;		/* readable */
	struct event		*flush_ev;	/* sends the queue */
	int			 family;
	int			 gro;		/* the socket has UDP_GRO */
	uint8_t			*bufs;		/* the read batch's slots */
	struct udpio_outq	 oq;
};

/* One datagram from udpio_read(); p is NULL for one that was too large. */
static void
udp_datagram(void *arg, const uint8_t *p, size_t len,
    struct sockaddr_storage *ss, socklen_t sslen)
{
	struct agent	*a = arg;

	(void)sslen;
	a->hooks.datagram(a, p, len, ss, 0);
}

static void
udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct agent	*a = arg;
	struct udp	*u = a->udp;

	(void)what;
	if (u->gro)
		udpio_read_gro(fd, u->bufs, UDPIO_GRO_SLOT, AGENT_UDP_MTU,
		    UDP_GRO_BATCH, udp_datagram, a);
	else
		udpio_read(fd, u->bufs, AGENT_UDP_MTU + 1, AGENT_UDP_BATCH,
		    udp_datagram, a);
}

static void
udp_flushcb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	udp_flush(arg);
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

int
udp_open(struct agent *a)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint16_t port = (uint16_t)a->conf.port;
	struct udp *u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return -1;
	a->udp = u;
	u->family = AF_INET6;
	if ((a->udp_fd = udp_bind(AF_INET6, port)) == -1) {
		u->family = AF_INET;
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
	u->gro = udpio_gro_enable(a->udp_fd) == 0;
	udpio_outq_init(&u->oq, a->udp_fd, u->family, 1);
	log_debug("UDP GSO %s, GRO %s", u->oq.gso ? "on" : "off",
	    u->gro ? "on" : "off");
	u->bufs = u->gro ? malloc((size_t)UDP_GRO_BATCH * UDPIO_GRO_SLOT) :
	    malloc((size_t)AGENT_UDP_BATCH * (AGENT_UDP_MTU + 1));
	u->ev = event_new(a->base, a->udp_fd, EV_READ | EV_PERSIST,
	    udp_read, a);
	u->flush_ev = event_new(a->base, -1, 0, udp_flushcb, a);
	if (u->bufs == NULL || u->ev == NULL || u->flush_ev == NULL ||
	    event_add(u->ev, NULL) == -1) {
		log_warnx("%s: cannot watch the UDP socket", __func__);
		return -1;
	}
	return 0;
}

void
udp_close(struct agent *a)
{
	struct udp *u = a->udp;

	if (u == NULL)
		return;
	if (u->ev != NULL)
		event_free(u->ev);
	if (u->flush_ev != NULL)
		event_free(u->flush_ev);
	if (a->udp_fd != -1)
		close(a->udp_fd);
	a->udp_fd = -1;
	free(u->bufs);
	free(u);
	a->udp = NULL;
}

void
udp_send(struct agent *a, const struct sockaddr *sa, socklen_t salen,
    const uint8_t *p, size_t len)
{
	struct udp *u = a->udp;

	if (u == NULL || a->udp_fd == -1 || len > AGENT_UDP_MTU ||
	    udpio_outq_add(&u->oq, sa, salen, p, len) == -1)
		return;
	a->ctr.packets_out++;
	a->ctr.bytes_out += len;
	/* The first of a batch: send it all once this pass has run. */
	if (u->oq.n == 1)
		event_active(u->flush_ev, EV_WRITE, 0);
}

/*
 * One datagram at once on fd with IP TTL ttl (a low-TTL opening packet,
 * lowttl.c; outside the queue: its order does not matter). -1 on error.
 */
int
udp_sendto_ttl(int fd, const struct sockaddr *sa, const uint8_t *p,
    size_t len, int ttl)
{
	union {
		struct cmsghdr	c;
		uint8_t		b[CMSG_SPACE(sizeof(int))];
	} cb;
	struct iovec	 iov = { (void *)p, len };
	struct msghdr	 mh;
	struct cmsghdr	*c;

	memset(&mh, 0, sizeof(mh));
	memset(&cb, 0, sizeof(cb));
	mh.msg_name = (void *)sa;
	mh.msg_namelen = addr_len(sa);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cb.b;
	mh.msg_controllen = sizeof(cb.b);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = sa->sa_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	c->cmsg_type = sa->sa_family == AF_INET6 ? IPV6_HOPLIMIT : IP_TTL;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &ttl, sizeof(int));
	return sendmsg(fd, &mh, MSG_DONTWAIT) == -1 ? -1 : 0;
}

/* udp_send with a low TTL (route.c's opening checks). */
void
udp_send_ttl(struct agent *a, const struct sockaddr *sa, const uint8_t *p,
    size_t len, int ttl)
{
	if (a->udp_fd == -1 || udp_sendto_ttl(a->udp_fd, sa, p, len, ttl) ==
	    -1)
		return;
	a->ctr.packets_out++;
	a->ctr.bytes_out += len;
	a->lowttl_sent++;
}

void
udp_flush(struct agent *a)
{
	if (a->udp != NULL)
		udpio_outq_flush(&a->udp->oq);
}
