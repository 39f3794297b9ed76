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

#include "addr.h"
#include "agent.h"
#include "log.h"
#include "peer.h"
#include "wire.h"

struct spray_sock {
	struct peer	*p;
	unsigned	 slot;		/* 1.. */
	int		 fd;
	struct event	*ev;
};

static void
spray_read(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t buf[AGENT_UDP_MTU + 1];
	struct spray_sock *ss = arg;
	struct peer *p = ss->p;
	unsigned slot = ss->slot;
	struct agent *a = p->a;
	struct sockaddr_storage src;
	socklen_t slen;
	uint8_t type = 0;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < AGENT_UDP_BATCH; i++) {
		slen = sizeof(src);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src,
		    &slen);
		if (n < 0)
			break;
		a->ctr.packets_in++;
		a->ctr.bytes_in += (uint64_t)n;
		addr_normalize(&src);
		if ((size_t)n > AGENT_UDP_MTU || wire_agent_dest(buf, (size_t)n,
		    &type) != WIRE_DEST_PEER || type != WIRE_DATA) {
			a->ctr.dropped++;
			continue;
		}
		a->rx_slot = slot;
		peer_input(a, type, buf, (size_t)n, (struct sockaddr *)&src,
		    slen);
		a->rx_slot = 0;
		/* The session may have ended and closed this socket (ss
		 * is then freed: compare the pointer, never read it). */
		if (p->spray == NULL || p->nspray < slot ||
		    p->spray[slot - 1] != ss)
			break;
	}
	peer_flush_all(a);
	udp_flush(a);
}

static void
spray_sock_free(struct agent *a, struct spray_sock *ss)
{
	if (ss == NULL)
		return;
	event_free(ss->ev);
	close(ss->fd);
	a->nspray--;
	free(ss);
}

/* Open n sockets for p (IPv4): 0, or -1 (cap, descriptors). */
int
spray_open(struct peer *p, unsigned n)
{
	struct agent *a = p->a;
	struct sockaddr_in sin;
	struct spray_sock *ss;
	unsigned i;
	int fd;

	if (p->spray != NULL) {
		for (i = 0; i < p->nspray && p->spray[i] != NULL; i++)
			;
		if (i == p->nspray && i == n)
			return 0;
		spray_close(p, 0);	/* one survivor of an earlier round */
	}
	if (n == 0 || a->nspray + n > AGENT_SPRAY_MAX) {
		log_info("%s: no room for %u more spray sockets (%u open)",
		    p->id, n, a->nspray);
		return -1;
	}
	if ((p->spray = calloc(n, sizeof(*p->spray))) == NULL)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	for (i = 0; i < n; i++) {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
		if (fd == -1 || bind(fd, (struct sockaddr *)&sin,
		    sizeof(sin)) == -1) {
			log_warn("%s: spray socket %u", p->id, i + 1);
			if (fd != -1)
				close(fd);
			break;
		}
		if ((ss = calloc(1, sizeof(*ss))) == NULL) {
			close(fd);
			break;
		}
		ss->p = p;
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
		p->spray[i] = ss;
		a->nspray++;
	}
	p->nspray = i;
	log_debug("%s: %u spray sockets open", p->id, p->nspray);
	return p->nspray > 0 ? 0 : -1;
}

/* Close every spray socket of p but slot keep (0: all). */
void
spray_close(struct peer *p, unsigned keep)
{
	struct spray_sock *k = NULL;
	unsigned i;

	if (p->spray == NULL)
		return;
	for (i = 0; i < p->nspray; i++) {
		if (p->spray[i] == NULL)
			continue;
		if (i + 1 == keep)
			k = p->spray[i];
		else
			spray_sock_free(p->a, p->spray[i]);
		p->spray[i] = NULL;
	}
	if (k == NULL) {
		free(p->spray);
		p->spray = NULL;
		p->nspray = 0;
		return;
	}
	/* The survivor keeps its slot number: the path names it. */
	p->spray[keep - 1] = k;
}

void
spray_send(struct peer *p, unsigned slot, const struct sockaddr *to,
    const uint8_t *pkt, size_t len)
{
	struct agent *a = p->a;
	struct spray_sock *ss;

	if (slot == 0 || slot > p->nspray || (ss = p->spray[slot - 1]) ==
	    NULL || to->sa_family != AF_INET) {
		a->ctr.dropped++;
		return;
	}
	if (sendto(ss->fd, pkt, len, 0, to, sizeof(struct sockaddr_in)) ==
	    -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_debug("%s: spray send: %s", p->id, strerror(errno));
		return;
	}
	a->ctr.packets_out++;
	a->ctr.bytes_out += len;
}
