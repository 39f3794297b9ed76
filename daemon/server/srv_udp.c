/*
 * srv_udp.c: the server's UDP socket: bind, batched reads with recvmmsg,
 * STUN answered here, everything else handed to srv_packet(); and srv_send(),
 * the one exit for replies (UDP, or a TCP frame).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "log.h"
#include "server.h"
#include "stun.h"

#define UDP_BATCH	32

/* Big enough that a kernel burst does not drop requests at once. */
#define UDP_RCVBUF	(4 * 1024 * 1024)

int
srv_udp_bind(struct srv *s, const struct sockaddr *sa, socklen_t len)
{
	socklen_t blen = sizeof(s->bound);
	int fd, rcv = UDP_RCVBUF;

	fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (bind(fd, sa, len) == -1 ||
	    getsockname(fd, (struct sockaddr *)&s->bound, &blen) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	s->udp_fd = fd;
	return 0;
}

static void
srv_stun(struct srv *s, const uint8_t *pkt, size_t len,
    const struct sockaddr *from)
{
	uint8_t out[SRV_PKT_MAX];
	size_t n;

	s->cnt.stun_requests++;
	n = stun_server_reply(pkt, len, from, out, sizeof(out));
	if (n == 0) {
		s->cnt.dropped_malformed++;
		return;
	}
	s->cnt.stun_replies++;
	srv_send(s, from, NULL, out, n);
}

static void
srv_udp_datagram(struct srv *s, const uint8_t *pkt, size_t len,
    struct sockaddr_storage *from)
{
	s->cnt.rx_packets++;
	s->cnt.rx_bytes += len;
	addr_normalize(from);
	if (stun_is_stun(pkt, len))
		srv_stun(s, pkt, len, (struct sockaddr *)from);
	else
		srv_packet(s, pkt, len, (struct sockaddr *)from, NULL);
}

static void
srv_udp_read(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t bufs[UDP_BATCH][SRV_PKT_MAX];
	struct srv *s = arg;
	struct mmsghdr msgs[UDP_BATCH];
	struct sockaddr_storage from[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	int i, n, rounds;

	/* A few batches per wakeup, then let timers and TCP run. */
	for (rounds = 0; rounds < 8; rounds++) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < UDP_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(fd, msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("%s: recvmmsg", __func__);
			return;
		}
		for (i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				s->cnt.rx_packets++;
				s->cnt.dropped_malformed++;
				continue;
			}
			srv_udp_datagram(s, bufs[i], msgs[i].msg_len,
			    &from[i]);
		}
		if (n < UDP_BATCH)
			return;
	}
}

int
srv_udp_start(struct srv *s)
{
	s->udp_ev = event_new(s->base, s->udp_fd, EV_READ | EV_PERSIST,
	    srv_udp_read, s);
	if (s->udp_ev == NULL || event_add(s->udp_ev, NULL) == -1)
		return -1;
	return 0;
}

void
srv_udp_stop(struct srv *s)
{
	if (s->udp_ev != NULL) {
		event_free(s->udp_ev);
		s->udp_ev = NULL;
	}
	if (s->udp_fd != -1) {
		close(s->udp_fd);
		s->udp_fd = -1;
	}
}

void
srv_send(struct srv *s, const struct sockaddr *to, struct srv_tcp *tcp,
    const uint8_t *pkt, size_t len)
{
	char a[ADDR_STRLEN];
	struct sockaddr_in6 v6;
	const struct sockaddr *dst = to;
	socklen_t dlen = addr_len(to);

	s->cnt.tx_packets++;
	if (tcp != NULL) {
		srv_tcp_write(tcp, pkt, len);
		return;
	}
	/* An IPv6 socket reaches IPv4 peers through mapped addresses. */
	if (to->sa_family == AF_INET && s->bound.ss_family == AF_INET6) {
		memset(&v6, 0, sizeof(v6));
		v6.sin6_family = AF_INET6;
		v6.sin6_port = ((const struct sockaddr_in *)to)->sin_port;
		v6.sin6_addr.s6_addr[10] = 0xff;
		v6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&v6.sin6_addr.s6_addr[12],
		    &((const struct sockaddr_in *)to)->sin_addr, 4);
		dst = (struct sockaddr *)&v6;
		dlen = sizeof(v6);
	}
	if (sendto(s->udp_fd, pkt, len, 0, dst, dlen) == -1 &&
	    errno != EAGAIN && errno != EWOULDBLOCK)
		log_debug("%s: sendto %s: %s", __func__,
		    addr_fmt(to, a, sizeof(a)), strerror(errno));
}
