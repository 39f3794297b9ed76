/*
 * udp.c: the agent's one UDP socket, shared by the server and all peers.
 *
 * Reads come in batches (udpio.h) and each datagram is dispatched by its
 * first bytes (wire_classify): CTRL and registration packets to reg.c,
 * handshakes and DATA to peer.c, anything else is dropped and counted.
 * Sends are queued and leave in batches (sendmmsg) when the queue fills or
 * when the current event has been handled (udp_flush).
 *
 * The socket is IPv6 dual-stack where the host allows it, so one socket
 * reaches IPv4 and IPv6 peers; addresses are normalised (addr.h) on the way
 * in and IPv4 destinations mapped on the way out.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
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
	struct agent	*a = arg;

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

void
udp_flush(struct agent *a)
{
	struct mmsghdr msgs[AGENT_UDP_BATCH];
	struct iovec iov[AGENT_UDP_BATCH];
	size_t i, done = 0;
	int n;

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < udp_nq; i++) {
		iov[i].iov_base = udp_q[i].buf;
		iov[i].iov_len = udp_q[i].len;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &udp_q[i].ss;
		msgs[i].msg_hdr.msg_namelen = udp_q[i].sslen;
	}
	while (done < udp_nq && a->udp_fd != -1) {
		n = sendmmsg(a->udp_fd, msgs + done, (unsigned)(udp_nq - done),
		    0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
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
