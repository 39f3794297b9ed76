/* SPDX-License-Identifier: ISC */
/*
 * srv_stun.c: STUN Binding answers, and RFC 5780 behaviour discovery with
 * --alt-listen ALT-IP:ALT-PORT.
 *
 * With --alt-listen the server owns four UDP sockets, one per combination
 * of its two IPs and two ports: index bit 0 is the alternate port, bit 1
 * the alternate IP, so index 0 is the main socket (udp_fd, which also
 * carries every p2pd packet) and CHANGE-REQUEST is an XOR on the index.
 * A server on both families has a second set of four (bit 2, index 4 the
 * second --listen's socket), with an --alt-listen of that family.
 * A reply leaves from the socket that owns the address it must come from,
 * so no IP_PKTINFO tricks are needed and the source is always right. The
 * three extra sockets answer STUN only; anything else on them is dropped
 * and counted (stun_alt_dropped).
 *
 * Without --alt-listen the answers are the minimal ones of stun.c, and a
 * CHANGE-REQUEST gets 420 listing it (RFC 5780 §6.1), so clients do not
 * wait for answers that cannot come. Answers are larger than requests (a
 * Binding request of 20 bytes gets 40, or 64 with RFC 5780's attributes),
 * so each source address and network is answered at a capped rate
 * (srv_ratelim.h): a spoofed source makes the server a reflector of a few
 * kilobytes a second at most.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "log.h"
#include "server.h"
#include "stun.h"
#include "udpio.h"

#define SRV_STUN_BATCH		16
#define SRV_STUN_BIND_TRIES	10

/* 1 for 0.0.0.0 and ::: a wildcard cannot say which IP a reply leaves from. */
static int
srv_stun_wildcard(const struct sockaddr *sa)
{
	static const uint8_t zero[16];

	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == 0;
	return memcmp(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr,
	    zero, 16) == 0;
}

static void
srv_stun_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* Bind one extra socket to ss; its bound address goes back into ss. */
static int
srv_stun_sock(struct sockaddr_storage *ss)
{
	socklen_t	len = sizeof(*ss);
	int		fd, e;

	fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)ss, addr_len((struct sockaddr *)ss))
	    == -1 || getsockname(fd, (struct sockaddr *)ss, &len) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	addr_normalize(ss);
	return fd;
}

/* The extra sockets of the set starting at st (0 or SRV_STUN_FAM2). */
static void
srv_stun_close(struct srv *s, int st)
{
	int	i;

	for (i = st + 1; i < st + SRV_STUN_SOCKS; i++) {
		if (s->stun[i].fd >= 0)
			close(s->stun[i].fd);
		s->stun[i].fd = -1;
	}
}

/* The three extra sockets of set st; alt port 0 picks one free on both IPs. */
static int
srv_stun_bind_alt(struct srv *s, int st, const struct sockaddr_storage *alt,
    char *err, size_t errlen)
{
	struct srv_stun_sock	*k = &s->stun[st];
	struct sockaddr_storage	 a;
	char			 b[ADDR_STRLEN];
	uint16_t		 pport, aport, want;
	int			 tries;

	pport = addr_port((struct sockaddr *)&k[0].addr);
	want = addr_port((const struct sockaddr *)alt);
	for (tries = 0; tries < SRV_STUN_BIND_TRIES; tries++) {
		/* 1: primary IP, alternate port */
		k[1].addr = k[0].addr;
		srv_stun_set_port(&k[1].addr, want);
		if ((k[1].fd = srv_stun_sock(&k[1].addr)) == -1)
			goto fail1;
		aport = addr_port((struct sockaddr *)&k[1].addr);
		/* 2: alternate IP, primary port; 3: alternate IP and port */
		k[2].addr = *alt;
		srv_stun_set_port(&k[2].addr, pport);
		k[3].addr = *alt;
		srv_stun_set_port(&k[3].addr, aport);
		if ((k[2].fd = srv_stun_sock(&k[2].addr)) == -1)
			goto fail2;
		if ((k[3].fd = srv_stun_sock(&k[3].addr)) == -1)
			goto fail3;
		return 0;
fail3:
		a = k[3].addr;
		goto fail;
fail2:
		a = k[2].addr;
		goto fail;
fail1:
		a = k[1].addr;
fail:
		srv_stun_close(s, st);
		if (errno == EADDRINUSE && want == 0)
			continue;	/* the port was free on one IP only */
		snprintf(err, errlen, "bind udp %s: %s",
		    addr_fmt((struct sockaddr *)&a, b, sizeof(b)),
		    strerror(errno));
		return -1;
	}
	snprintf(err, errlen, "no alternate port free on both addresses");
	return -1;
}

/* Set st's --alt-listen, if its family has one. */
static int
srv_stun_bind_set(struct srv *s, int st, char *err, size_t errlen)
{
	struct sockaddr_storage	alt, aa, pa;
	char			a[ADDR_STRLEN], b[ADDR_STRLEN];
	const char		*file;
	int			i, r;

	if ((r = srv_listen_alt(&s->conf, s->stun[st].addr.ss_family, &alt,
	    err, errlen)) != 0)
		return r == 1 ? 0 : -1;
	addr_fmt((struct sockaddr *)&alt, a, sizeof(a));
	addr_fmt((struct sockaddr *)&s->stun[st].addr, b, sizeof(b));
	if (srv_stun_wildcard((struct sockaddr *)&s->stun[st].addr)) {
		snprintf(err, errlen, "--alt-listen needs --listen with a "
		    "concrete IP, not %s: replies must leave from a known "
		    "address", b);
		return -1;
	}
	if (srv_stun_wildcard((struct sockaddr *)&alt)) {
		snprintf(err, errlen, "--alt-listen %s: give a concrete IP", a);
		return -1;
	}
	if (addr_port((struct sockaddr *)&alt) ==
	    addr_port((struct sockaddr *)&s->stun[st].addr)) {
		snprintf(err, errlen, "--alt-listen %s: the port must differ "
		    "from the listen port (%s)", a, b);
		return -1;
	}
	pa = s->stun[st].addr;
	aa = alt;
	srv_stun_set_port(&pa, 0);
	srv_stun_set_port(&aa, 0);
	if (addr_equal((struct sockaddr *)&aa, (struct sockaddr *)&pa)) {
		snprintf(err, errlen, "--alt-listen %s: the IP must differ "
		    "from the listen IP (%s)", a, b);
		return -1;
	}
	/* STATE_DIR/alt_port; the second family's alt_port4 or alt_port6. */
	file = st == 0 ? "alt_port" : alt.ss_family == AF_INET6 ?
	    "alt_port6" : "alt_port4";
	if (srv_stun_bind_alt(s, st, &alt, err, errlen) == -1 ||
	    srv_write_port_file(s, file, addr_port((struct sockaddr *)
	    &s->stun[st + 3].addr), err, errlen) == -1) {
		srv_stun_close(s, st);
		return -1;
	}
	s->alt |= st == 0 ? 1 : 2;
	for (i = st + 1; i < st + SRV_STUN_SOCKS; i++)
		log_info("RFC 5780: STUN also on %s",
		    addr_fmt((struct sockaddr *)&s->stun[i].addr, a, sizeof(a)));
	return 0;
}

int
srv_stun_bind(struct srv *s, char *err, size_t errlen)
{
	int	i;

	for (i = 0; i < 2 * SRV_STUN_SOCKS; i++)
		s->stun[i].fd = -1;
	s->stun[0].addr = s->bound;
	addr_normalize(&s->stun[0].addr);
	if (srv_stun_bind_set(s, 0, err, errlen) == -1)
		return -1;
	if (s->fam2.udp_fd == -1)
		return 0;
	s->stun[SRV_STUN_FAM2].addr = s->fam2.bound;
	addr_normalize(&s->stun[SRV_STUN_FAM2].addr);
	if (srv_stun_bind_set(s, SRV_STUN_FAM2, err, errlen) == -1) {
		srv_stun_close(s, 0);
		s->alt = 0;
		return -1;
	}
	return 0;
}

/* Send from socket i (0, 4: a main socket, through srv_send). */
static void
srv_stun_send(struct srv *s, int i, const struct sockaddr *to,
    const uint8_t *pkt, size_t len)
{
	char	a[ADDR_STRLEN];

	if ((i & 3) == 0) {
		srv_send(s, to, NULL, pkt, len);
		return;
	}
	s->cnt.tx_packets++;
	if (sendto(s->stun[i].fd, pkt, len, 0, to, addr_len(to)) == -1 &&
	    errno != EAGAIN && errno != EWOULDBLOCK)
		log_debug("%s: sendto %s: %s", __func__,
		    addr_fmt(to, a, sizeof(a)), strerror(errno));
}

void
srv_stun_input(struct srv *s, int i, const uint8_t *pkt, size_t len,
    const struct sockaddr *from)
{
	struct stun_reply_opts	opts;
	struct stun_msg		m;
	struct sockaddr_storage	to;
	uint8_t			out[SRV_PKT_MAX];
	size_t			n;
	int			j = i;

	s->cnt.stun_requests++;
	/* Replies are larger than requests: a capped rate per source. */
	if (!srv_ratelim_ok(&s->stun_rl, from, srv_now_us())) {
		s->cnt.stun_limited++;
		return;
	}
	memset(&to, 0, sizeof(to));
	memcpy(&to, from, addr_len(from));
	if (stun_parse(pkt, len, &m) == -1)
		memset(&m, 0, sizeof(m));	/* the reply call drops it */
	/*
	 * RESPONSE-PORT (RFC 5780 §7.5): the answer goes to that port of the
	 * same IP; so does the 420 of a server without --alt-listen, because
	 * clients (turnutils_stunclient -f) wait for it there. Either answer
	 * is a small STUN reply, and only the requester's own IP can be hit.
	 */
	if ((m.has & STUN_HAS_RESPONSE_PORT) && m.response_port != 0)
		srv_stun_set_port(&to, m.response_port);
	if (!(s->alt & (i < SRV_STUN_FAM2 ? 1 : 2))) {
		n = stun_server_reply(pkt, len, from, out, sizeof(out));
	} else {
		/* CHANGE-REQUEST picks the socket the answer leaves from. */
		if (m.has & STUN_HAS_CHANGE)
			j = i ^ ((m.change & STUN_CHANGE_IP) ? 2 : 0) ^
			    ((m.change & STUN_CHANGE_PORT) ? 1 : 0);
		opts.other = (struct sockaddr *)&s->stun[i ^ 3].addr;
		opts.origin = (struct sockaddr *)&s->stun[j].addr;
		n = stun_server_reply_opts(pkt, len, from, &opts, out,
		    sizeof(out));
		/* An error answer says so from where it was asked. */
		if (n >= 2 && ((out[0] << 8) | out[1]) == STUN_BINDING_ERROR)
			j = i;
	}
	if (n == 0) {
		s->cnt.dropped_malformed++;
		return;
	}
	s->cnt.stun_replies++;
	srv_stun_send(s, j, (struct sockaddr *)&to, out, n);
}

/* A datagram on one of the extra sockets: STUN only. */
static void
srv_stun_datagram(void *arg, const uint8_t *pkt, size_t len,
    struct sockaddr_storage *from, socklen_t fromlen)
{
	struct srv_stun_sock	*ss = arg;
	struct srv		*s = ss->srv;

	s->cnt.rx_packets++;
	if (pkt == NULL || !stun_is_stun(pkt, len)) {
		s->cnt.stun_alt_dropped++;
		return;
	}
	s->cnt.rx_bytes += len;
	addr_normalize(from);
	srv_stun_input(s, ss->idx, pkt, len, (struct sockaddr *)from);
}

static void
srv_stun_read(evutil_socket_t fd, short what, void *arg)
{
	struct srv_stun_sock *ss = arg;
	uint8_t (*bufs)[SRV_PKT_MAX + 1] = ss->srv->scratch.rx;

	udpio_read(fd, bufs[0], sizeof(bufs[0]), SRV_STUN_BATCH,
	    srv_stun_datagram, arg);
}

int
srv_stun_start(struct srv *s)
{
	int	i;

	for (i = 0; i < 2 * SRV_STUN_SOCKS; i++) {
		if ((i & 3) == 0 || s->stun[i].fd == -1)
			continue;
		s->stun[i].srv = s;
		s->stun[i].idx = i;
		s->stun[i].ev = event_new(s->base, s->stun[i].fd,
		    EV_READ | EV_PERSIST, srv_stun_read, &s->stun[i]);
		if (s->stun[i].ev == NULL ||
		    event_add(s->stun[i].ev, NULL) == -1)
			return -1;
	}
	return 0;
}

void
srv_stun_stop(struct srv *s)
{
	int	i;

	if (!s->alt)
		return;
	for (i = 0; i < 2 * SRV_STUN_SOCKS; i++) {
		if (s->stun[i].ev != NULL)
			event_free(s->stun[i].ev);
		s->stun[i].ev = NULL;
	}
	srv_stun_close(s, 0);
	srv_stun_close(s, SRV_STUN_FAM2);
	s->alt = 0;
}
