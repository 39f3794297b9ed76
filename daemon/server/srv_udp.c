/*
 * srv_udp.c: the server's UDP socket: bind, batched reads with recvmmsg,
 * STUN to srv_stun.c, everything else handed to srv_packet(); and srv_send(),
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
#include "udpio.h"

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

/* One datagram from udpio_read(); pkt is NULL for one that was too large. */
static void
srv_udp_datagram(void *arg, const uint8_t *pkt, size_t len,
    struct sockaddr_storage *from, socklen_t fromlen)
{
	struct srv *s = arg;

	s->cnt.rx_packets++;
	if (pkt == NULL) {
		s->cnt.dropped_malformed++;
		return;
	}
	s->cnt.rx_bytes += len;
	addr_normalize(from);
	if (stun_is_stun(pkt, len))
		srv_stun_input(s, 0, pkt, len, (struct sockaddr *)from);
	else
		srv_packet(s, pkt, len, (struct sockaddr *)from, NULL);
}

static void
srv_udp_read(evutil_socket_t fd, short what, void *arg)
{
	/* The spare byte tells a datagram of SRV_PKT_MAX from a longer one. */
	static uint8_t bufs[UDP_BATCH][SRV_PKT_MAX + 1];

	udpio_read(fd, bufs[0], sizeof(bufs[0]), UDP_BATCH, srv_udp_datagram,
	    arg);
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
