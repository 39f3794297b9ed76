/* SPDX-License-Identifier: ISC */
/*
 * srv_udp.c: the server's UDP sockets (one per --listen family): bind,
 * batched reads with recvmmsg, STUN handed up to s->hooks.stun, everything
 * else to s->hooks.packet; and srv_send(), the one exit for replies (UDP,
 * or a TCP frame).
 *
 * UDP replies and relayed packets are queued (udpio_outq) and leave with
 * sendmmsg, runs to one agent as one GSO send (unless P2PD_NO_GSO=1): at
 * the end of a read batch, or from udp_flush_ev, which the first queued
 * datagram activates so that it runs after the other callbacks of this
 * pass of the event loop (timers, TCP input).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/sock_diag.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "log.h"
#include "server.h"
#include "stun.h"
#include "udpio.h"

#define UDP_BATCH	SRV_RX_BATCH

/*
 * Big enough that a kernel burst (or a flood while the server waits for a
 * core) does not drop requests at once. The kernel caps what it gives at
 * net.core.rmem_max unless the server may force it (CAP_NET_ADMIN).
 */
#define UDP_RCVBUF	(4 * 1024 * 1024)

/* Ask for UDP_RCVBUF; say so when the kernel gives much less. */
static void
srv_udp_rcvbuf(int fd, const struct sockaddr *sa)
{
	socklen_t gl = sizeof(int);
	int rcv = UDP_RCVBUF, got = 0;
	char a[ADDR_STRLEN];

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
	    sizeof(rcv)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	/* Linux reports twice the size set (its bookkeeping's share). */
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0 &&
	    got < UDP_RCVBUF)
		log_warnx("udp %s: the kernel gave a %d KiB receive buffer, "
		    "not %d KiB: raise the sysctl net.core.rmem_max to %d, or "
		    "bursts and floods drop requests (p2p_udp_rx_dropped_total)",
		    addr_fmt(sa, a, sizeof(a)), got / 1024, UDP_RCVBUF / 1024,
		    UDP_RCVBUF);
}

int
srv_udp_bind(const struct sockaddr *sa, socklen_t len, int v6only,
    struct sockaddr_storage *bound)
{
	socklen_t blen = sizeof(*bound);
	int fd, e;

	fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	srv_udp_rcvbuf(fd, sa);
	/* Beside an IPv4 socket on the same port: IPv6 only. */
	if (sa->sa_family == AF_INET6 && v6only &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
	    sizeof(v6only)) == -1)
		goto fail;
	if (bind(fd, sa, len) == -1 ||
	    getsockname(fd, (struct sockaddr *)bound, &blen) == -1)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/*
 * One datagram from udpio_read(); pkt is NULL for one that was too large.
 * stun is the STUN socket index of the socket it came in on (0 or
 * SRV_STUN_FAM2).
 */
static void
srv_udp_input(struct srv *s, int stun, const uint8_t *pkt, size_t len,
    struct sockaddr_storage *from)
{
	s->cnt.rx_packets++;
	if (pkt == NULL) {
		s->cnt.dropped_malformed++;
		return;
	}
	s->cnt.rx_bytes += len;
	addr_normalize(from);
	if (stun_is_stun(pkt, len))
		s->hooks.stun(s, stun, pkt, len, (struct sockaddr *)from);
	else
		s->hooks.packet(s, pkt, len, (struct sockaddr *)from, NULL);
}

static void
srv_udp_datagram(void *arg, const uint8_t *pkt, size_t len,
    struct sockaddr_storage *from, socklen_t fromlen)
{
	srv_udp_input(arg, 0, pkt, len, from);
}

static void
srv_udp_datagram2(void *arg, const uint8_t *pkt, size_t len,
    struct sockaddr_storage *from, socklen_t fromlen)
{
	srv_udp_input(arg, SRV_STUN_FAM2, pkt, len, from);
}

static void
srv_udp_flush(struct srv *s)
{
	udpio_outq_flush(s->udp_outq);
	if (s->fam2.udp_outq != NULL)
		udpio_outq_flush(s->fam2.udp_outq);
}

/* Either family's socket: the second one's STUN is told apart (fam2). */
static void
srv_udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	uint8_t (*bufs)[SRV_PKT_MAX + 1] = s->scratch.rx;

	udpio_read(fd, bufs[0], sizeof(bufs[0]), UDP_BATCH,
	    fd == s->fam2.udp_fd ? srv_udp_datagram2 : srv_udp_datagram, s);
	srv_udp_flush(s);
}

static void
srv_udp_flushcb(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;

	(void)fd;
	(void)what;
	srv_udp_flush(s);
}

/* P2PD_NO_GSO=1: plain datagrams, for tests and comparisons. */
static int
srv_udp_no_gso(void)
{
	const char *e = getenv("P2PD_NO_GSO");

	return e != NULL && *e != '\0' && strcmp(e, "0") != 0;
}

int
srv_udp_start(struct srv *s)
{
	if ((s->udp_outq = calloc(1, sizeof(*s->udp_outq))) == NULL)
		return -1;
	udpio_outq_init(s->udp_outq, s->udp_fd, s->bound.ss_family,
	    !srv_udp_no_gso());
	s->udp_flush_ev = event_new(s->base, -1, 0, srv_udp_flushcb, s);
	s->udp_ev = event_new(s->base, s->udp_fd, EV_READ | EV_PERSIST,
	    srv_udp_read, s);
	if (s->udp_flush_ev == NULL || s->udp_ev == NULL ||
	    event_add(s->udp_ev, NULL) == -1)
		return -1;
	if (s->fam2.udp_fd == -1)
		return 0;
	if ((s->fam2.udp_outq = calloc(1, sizeof(*s->fam2.udp_outq))) == NULL)
		return -1;
	udpio_outq_init(s->fam2.udp_outq, s->fam2.udp_fd,
	    s->fam2.bound.ss_family, !srv_udp_no_gso());
	s->fam2.udp_ev = event_new(s->base, s->fam2.udp_fd,
	    EV_READ | EV_PERSIST, srv_udp_read, s);
	if (s->fam2.udp_ev == NULL || event_add(s->fam2.udp_ev, NULL) == -1)
		return -1;
	return 0;
}

void
srv_udp_stop(struct srv *s)
{
	if (s->udp_outq != NULL) {
		udpio_outq_flush(s->udp_outq);
		free(s->udp_outq);
		s->udp_outq = NULL;
	}
	if (s->udp_flush_ev != NULL) {
		event_free(s->udp_flush_ev);
		s->udp_flush_ev = NULL;
	}
	if (s->udp_ev != NULL) {
		event_free(s->udp_ev);
		s->udp_ev = NULL;
	}
	if (s->udp_fd != -1) {
		close(s->udp_fd);
		s->udp_fd = -1;
	}
	if (s->fam2.udp_outq != NULL) {
		udpio_outq_flush(s->fam2.udp_outq);
		free(s->fam2.udp_outq);
		s->fam2.udp_outq = NULL;
	}
	if (s->fam2.udp_ev != NULL) {
		event_free(s->fam2.udp_ev);
		s->fam2.udp_ev = NULL;
	}
	if (s->fam2.udp_fd != -1) {
		close(s->fam2.udp_fd);
		s->fam2.udp_fd = -1;
	}
}

/* Datagrams the kernel dropped at one socket: its receive buffer was
 * full. 0 where the kernel does not say (SO_MEMINFO). */
static uint64_t
srv_udp_fd_drops(int fd)
{
#ifdef SO_MEMINFO
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t l = sizeof(mi);

	if (fd != -1 && getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &l) == 0 &&
	    l > SK_MEMINFO_DROPS * sizeof(uint32_t))
		return mi[SK_MEMINFO_DROPS];
#endif
	(void)fd;
	return 0;
}

uint64_t
srv_udp_rx_dropped(struct srv *s)
{
	return srv_udp_fd_drops(s->udp_fd) + srv_udp_fd_drops(s->fam2.udp_fd);
}

/*
 * The queue of the socket that reaches to: the second family's when to is
 * of its family (addresses are normalised: IPv4 is AF_INET here), else the
 * first (an IPv6 socket alone reaches IPv4 through mapped addresses).
 */
static struct udpio_outq *
srv_udp_outq(struct srv *s, const struct sockaddr *to)
{
	if (s->fam2.udp_outq != NULL &&
	    to->sa_family == s->fam2.bound.ss_family)
		return s->fam2.udp_outq;
	return s->udp_outq;
}

void
srv_send(struct srv *s, const struct sockaddr *to, struct srv_tcp *tcp,
    const uint8_t *pkt, size_t len)
{
	struct udpio_outq *q;
	char a[ADDR_STRLEN];

	s->cnt.tx_packets++;
	if (tcp != NULL) {
		srv_tcp_write(tcp, pkt, len);
		return;
	}
	if ((q = srv_udp_outq(s, to)) == NULL || udpio_outq_add(q, to,
	    addr_len(to), pkt, len) == -1) {
		log_debug("%s: cannot send %zu bytes to %s", __func__, len,
		    addr_fmt(to, a, sizeof(a)));
		return;
	}
	if (q->n == 1)
		event_active(s->udp_flush_ev, EV_WRITE, 0);
}
