/* SPDX-License-Identifier: ISC */
/*
 * lowttl.c: measure the TTL that opens this side's NAT and dies at the
 * first router of the Internet (core/hops.c says how and why).
 *
 * Once registered (again after each registration, whose public address may
 * be new), a fresh UDP socket with IP_RECVERR sends Binding requests to the
 * server with TTL 1..HOPS_MAX; the routers' ICMP time exceeded come back on
 * its error queue (SO_EE_OFFENDER names the router, the quoted datagram the
 * TTL), the server's answer on the socket. The result is a->low_ttl (0:
 * none), used by route.c for the first check towards a peer's public
 * address in a round and for the symmetric side's birthday sockets.
 * IPv4 only.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "agent.h"
#include "hops.h"
#include "log.h"

#define LOWTTL_READ_MAX		32

struct lowttl {
	struct agent		*a;
	struct hops		 h;
	int			 fd;
	struct event		*rev;
	struct event		*timer;
	struct sockaddr_in	 srv;
};

static void	lowttl_drive(struct lowttl *);

static void
lowttl_close(struct lowttl *l)
{
	if (l->rev != NULL) {
		event_free(l->rev);
		l->rev = NULL;
	}
	if (l->fd != -1) {
		close(l->fd);
		l->fd = -1;
	}
}

/* ICMP errors queued on the socket: time exceeded names a hop. */
static void
lowttl_errqueue(struct lowttl *l)
{
	uint8_t			 buf[256], cbuf[512];
	struct sockaddr_in	 from;
	struct iovec		 iov = { buf, sizeof(buf) };
	struct msghdr		 mh;
	struct cmsghdr		*c;
	struct sock_extended_err *ee;
	const struct sockaddr_in *off;
	ssize_t			 n;
	int			 i;

	for (i = 0; i < LOWTTL_READ_MAX; i++) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if ((n = recvmsg(l->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT)) ==
		    -1)
			return;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL;
		    c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != IPPROTO_IP ||
			    c->cmsg_type != IP_RECVERR)
				continue;
			ee = (struct sock_extended_err *)CMSG_DATA(c);
			if (ee->ee_origin != SO_EE_ORIGIN_ICMP ||
			    ee->ee_type != ICMP_TIME_EXCEEDED)
				continue;
			off = (const struct sockaddr_in *)SO_EE_OFFENDER(ee);
			if (off->sin_family != AF_INET)
				continue;
			hops_on_exceeded(&l->h, buf, (size_t)n,
			    ntohl(off->sin_addr.s_addr));
		}
	}
}

static void
lowttl_read(evutil_socket_t fd, short what, void *arg)
{
	struct lowttl	*l = arg;
	uint8_t		 buf[512];
	ssize_t		 n;
	int		 i;

	lowttl_errqueue(l);
	for (i = 0; i < LOWTTL_READ_MAX; i++) {
		if ((n = recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT)) == -1)
			break;
		hops_on_reply(&l->h, buf, (size_t)n);
	}
	lowttl_drive(l);
}

static void
lowttl_finish(struct lowttl *l)
{
	struct agent	*a = l->a;
	struct in_addr	 r = { htonl(hops_low_router(&l->h)) };
	char		 addr[INET_ADDRSTRLEN];

	lowttl_close(l);
	a->low_ttl = hops_low_ttl(&l->h);
	if (a->low_ttl == 0) {
		log_info("low TTL: none (no router between this side's NAT "
		    "and the server answered)");
		return;
	}
	if (inet_ntop(AF_INET, &r, addr, sizeof(addr)) == NULL)
		addr[0] = '\0';
	log_info("low TTL: %u (the first packets to a peer die at %s)",
	    a->low_ttl, addr);
}

static int
lowttl_send(struct lowttl *l, const struct hops_out *o)
{
	return sendto(l->fd, o->pkt, o->len, 0, (struct sockaddr *)&l->srv,
	    sizeof(l->srv)) == -1 ? -1 : 0;
}

static void
lowttl_drive(struct lowttl *l)
{
	struct hops_out	o;
	uint64_t	now = agent_now(), next;
	int		ttl;

	if (l->fd == -1)
		return;
	hops_tick(&l->h, now);
	while (hops_output(&l->h, now, &o)) {
		ttl = (int)o.ttl;
		/* An ICMP error already queued fails the next send (the
		 * socket's pending error): read them first, and try once
		 * more if one came in between. */
		lowttl_errqueue(l);
		if (setsockopt(l->fd, IPPROTO_IP, IP_TTL, &ttl,
		    sizeof(ttl)) == -1 || (lowttl_send(l, &o) == -1 &&
		    (lowttl_errqueue(l), lowttl_send(l, &o)) == -1))
			log_debug("low TTL: send with TTL %d: %s", ttl,
			    strerror(errno));
	}
	if (hops_done(&l->h)) {
		lowttl_finish(l);
		return;
	}
	next = hops_next_us(&l->h);
	agent_timer_in(l->timer, next > now ? next - now : 0);
}

static void
lowttl_tick(evutil_socket_t fd, short what, void *arg)
{
	struct lowttl	*l = arg;

	lowttl_errqueue(l);
	lowttl_drive(l);
}

/* Registered with the server at srv: measure (again). */
void
lowttl_start(struct agent *a, const struct sockaddr *srv)
{
	struct lowttl	*l = a->lowttl;
	uint8_t		 rnd[STUN_TXID_LEN];
	int		 on = 1;

	if (l == NULL || srv == NULL || srv->sa_family != AF_INET)
		return;
	lowttl_close(l);
	memcpy(&l->srv, srv, sizeof(l->srv));
	if ((l->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 || setsockopt(l->fd, IPPROTO_IP,
	    IP_RECVERR, &on, sizeof(on)) == -1) {
		log_warn("low TTL: socket");
		lowttl_close(l);
		return;
	}
	if ((l->rev = event_new(a->base, l->fd, EV_READ | EV_PERSIST,
	    lowttl_read, l)) == NULL || event_add(l->rev, NULL) == -1) {
		lowttl_close(l);
		return;
	}
	randombytes_buf(rnd, sizeof(rnd));
	hops_start(&l->h, rnd, agent_now());
	lowttl_drive(l);
}

int
lowttl_init(struct agent *a)
{
	struct lowttl	*l;

	a->low_ttl = 0;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -1;
	l->a = a;
	l->fd = -1;
	if ((l->timer = evtimer_new(a->base, lowttl_tick, l)) == NULL) {
		free(l);
		return -1;
	}
	a->lowttl = l;
	return 0;
}

void
lowttl_free(struct agent *a)
{
	struct lowttl	*l = a->lowttl;

	if (l == NULL)
		return;
	lowttl_close(l);
	event_free(l->timer);
	free(l);
	a->lowttl = NULL;
}
