/* SPDX-License-Identifier: ISC */
/*
 * spray.c: the extra sockets of the birthday method (path.h, "Symmetric
 * NATs"), on the side behind a symmetric NAT.
 *
 * Each socket is one more mapping in the NAT towards the peer. They are
 * opened when the path selector first sends from one, read like the
 * agent's socket (only DATA is accepted on them: checks and, once a spray
 * socket carries the direct path, the session's traffic), and closed when
 * the attempt is over, except the one that carries the direct path, which
 * lives as long as the session. The number open at once over all sessions
 * is capped (AGENT_SPRAY_MAX).
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "peer.h"
#include "session.h"

struct spray_sock {
	struct session	*s;
	unsigned	 slot;		/* 1.. */
	int		 fd;
	struct event	*ev;
};

static void
spray_read(evutil_socket_t fd, short what, void *arg)
{
	struct spray_sock *ss = arg;
	struct agent *a = ss->s->a;
	struct sockaddr_storage src;
	unsigned slot = ss->slot, gone = a->nspray_closed;
	socklen_t slen;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < AGENT_UDP_BATCH; i++) {
		slen = sizeof(src);
		n = recvfrom(fd, a->buf->dgram, AGENT_UDP_MTU + 1, 0,
		    (struct sockaddr *)&src, &slen);
		if (n < 0)
			break;
		a->hooks.datagram(a, (size_t)n > AGENT_UDP_MTU ? NULL :
		    a->buf->dgram, (size_t)n, &src, slot);
		/* The session may have ended and closed this socket (ss
		 * is then freed): stop at once. */
		if (a->nspray_closed != gone)
			break;
	}
}

static void
spray_sock_free(struct agent *a, struct spray_sock *ss)
{
	if (ss == NULL)
		return;
	event_free(ss->ev);
	close(ss->fd);
	a->nspray--;
	a->nspray_closed++;
	free(ss);
}

/* Open n sockets for s (IPv4): 0, or -1 (cap, descriptors). */
int
spray_open(struct session *s, unsigned n)
{
	struct agent *a = s->a;
	struct route *rt = &s->rt;
	struct sockaddr_in sin;
	struct spray_sock *ss;
	unsigned i;
	int fd;

	if (rt->spray != NULL) {
		for (i = 0; i < rt->nspray && rt->spray[i] != NULL; i++)
			;
		if (i == rt->nspray && i == n)
			return 0;
		spray_close(s, 0);	/* one survivor of an earlier round */
	}
	if (n == 0 || a->nspray + n > AGENT_SPRAY_MAX) {
		log_info("%s: no room for %u more spray sockets (%u open)",
		    s->p->id, n, a->nspray);
		return -1;
	}
	if ((rt->spray = calloc(n, sizeof(*rt->spray))) == NULL)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	for (i = 0; i < n; i++) {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
		if (fd == -1 || bind(fd, (struct sockaddr *)&sin,
		    sizeof(sin)) == -1) {
			log_warn("%s: spray socket %u", s->p->id, i + 1);
			if (fd != -1)
				close(fd);
			break;
		}
		if ((ss = calloc(1, sizeof(*ss))) == NULL) {
			close(fd);
			break;
		}
		ss->s = s;
		ss->slot = i + 1;
		ss->fd = fd;
		ss->ev = event_new(a->base, fd, EV_READ | EV_PERSIST,
		    spray_read, ss);
		if (ss->ev == NULL || event_add(ss->ev, NULL) == -1) {
			if (ss->ev != NULL)
				event_free(ss->ev);
			close(fd);
			free(ss);
			break;
		}
		rt->spray[i] = ss;
		a->nspray++;
	}
	rt->nspray = i;
	log_debug("%s: %u spray sockets open", s->p->id, rt->nspray);
	return rt->nspray > 0 ? 0 : -1;
}

/* Close every spray socket of s but slot keep (0: all). */
void
spray_close(struct session *s, unsigned keep)
{
	struct route *rt = &s->rt;
	struct spray_sock *k = NULL;
	unsigned i;

	if (rt->spray == NULL)
		return;
	for (i = 0; i < rt->nspray; i++) {
		if (rt->spray[i] == NULL)
			continue;
		if (i + 1 == keep)
			k = rt->spray[i];
		else
			spray_sock_free(s->a, rt->spray[i]);
		rt->spray[i] = NULL;
	}
	if (k == NULL) {
		free(rt->spray);
		rt->spray = NULL;
		rt->nspray = 0;
		return;
	}
	/* The survivor keeps its slot number: the path names it. */
	rt->spray[keep - 1] = k;
}

void
spray_send(struct session *s, unsigned slot, const struct sockaddr *to,
    const uint8_t *pkt, size_t len, int ttl)
{
	struct agent *a = s->a;
	struct spray_sock *ss;

	if (slot == 0 || slot > s->rt.nspray ||
	    (ss = s->rt.spray[slot - 1]) == NULL || to->sa_family != AF_INET) {
		a->ctr.dropped++;
		return;
	}
	if ((ttl > 0 ? udp_sendto_ttl(ss->fd, to, pkt, len, ttl) :
	    sendto(ss->fd, pkt, len, 0, to, sizeof(struct sockaddr_in))) ==
	    -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_debug("%s: spray send: %s", s->p->id,
			    strerror(errno));
		return;
	}
	a->ctr.packets_out++;
	a->ctr.bytes_out += len;
	if (ttl > 0)
		a->lowttl_sent++;
}
