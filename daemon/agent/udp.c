/* SPDX-License-Identifier: ISC */
/*
 * udp.c: the agent's one UDP socket, shared by the server and all peers.
 *
 * Reads come in batches (udpio.h) and each datagram is dispatched by its
 * first bytes (wire_classify): CTRL and registration packets to reg.c,
 * handshakes and DATA to peer.c, anything else is dropped and counted.
 * Sends are queued (udpio_outq) and leave in batches (sendmmsg) when the
 * queue fills or when the current event has been handled (udp_flush).
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

static struct udpio_outq	 udp_oq;	/* sends wait here for udp_flush */
static int		 udp_family;
static int		 udp_gro;	/* the socket has UDP_GRO */

/* With GRO each slot takes up to 64 KiB, so fewer of them. */
#define UDP_GRO_BATCH	16

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
	udp_gro = udpio_gro_enable(a->udp_fd) == 0;
	udpio_outq_init(&udp_oq, a->udp_fd, udp_family, 1);
	log_debug("UDP GSO %s, GRO %s", udp_oq.gso ? "on" : "off",
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
	udpio_outq_init(&udp_oq, -1, udp_family, 0);
}

void
udp_send(struct agent *a, const struct sockaddr *sa, socklen_t salen,
    const uint8_t *p, size_t len)
{
	if (a->udp_fd == -1 || len > AGENT_UDP_MTU ||
	    udpio_outq_add(&udp_oq, sa, salen, p, len) == -1)
		return;
	a->ctr.packets_out++;
	a->ctr.bytes_out += len;
}

void
udp_flush(struct agent *a)
{
	(void)a;
	udpio_outq_flush(&udp_oq);
}
