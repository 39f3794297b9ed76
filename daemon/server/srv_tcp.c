/* SPDX-License-Identifier: ISC */
/*
 * srv_tcp.c: agents that cannot use UDP speak the same packets over TCP on
 * the same port number, each framed as u16 length || packet (PROTOCOL.md
 * §2.1). STUN is not spoken here. Every connection has capped buffers: a
 * peer that sends faster than we parse is throttled by the read watermark,
 * one that does not read its replies is dropped when its output passes
 * TCP_OUT_MAX. A registration made over a connection ends with it.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "addr.h"
#include "log.h"
#include "server.h"

#define TCP_IN_MAX	(64 * 1024)
#define TCP_OUT_MAX	(256 * 1024)
#define TCP_IDLE_S	120
#define TCP_ACCEPT_PAUSE_MS 250	/* after EMFILE and the like */

struct srv_tcp {
	struct srv		*srv;
	struct bufferevent	*bev;
	struct sockaddr_storage	 peer;
	uint32_t		 reg_id;
	struct srv_tcp		*next;
	struct srv_tcp		*prev;
};

static void
srv_tcp_close(struct srv_tcp *c)
{
	struct srv *s = c->srv;
	char a[ADDR_STRLEN];
	uint32_t id;

	log_debug("tcp %s closed", addr_fmt((struct sockaddr *)&c->peer, a,
	    sizeof(a)));
	id = c->reg_id;
	c->reg_id = 0;
	s->hooks.tcp_closed(s, c, id);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->tcp_list = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->ntcp--;
	bufferevent_free(c->bev);
	free(c);
}

void
srv_tcp_set_reg(struct srv_tcp *c, uint32_t reg_id)
{
	c->reg_id = reg_id;
}

uint32_t
srv_tcp_get_reg(struct srv_tcp *c)
{
	return c->reg_id;
}

void
srv_tcp_write(struct srv_tcp *c, const uint8_t *pkt, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	uint8_t hdr[2];

	if (len > 0xffff || evbuffer_get_length(out) + len + 2 > TCP_OUT_MAX) {
		c->srv->cnt.tcp_out_dropped++;
		return;	/* the peer is not reading: drop, it will retry */
	}
	hdr[0] = (uint8_t)(len >> 8);
	hdr[1] = (uint8_t)len;
	evbuffer_add(out, hdr, 2);
	evbuffer_add(out, pkt, len);
}

static void
srv_tcp_read(struct bufferevent *bev, void *arg)
{
	struct srv_tcp *c = arg;
	struct srv *s = c->srv;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[2], pkt[SRV_PKT_MAX];
	size_t len;

	while (evbuffer_copyout(in, hdr, 2) == 2) {
		len = ((size_t)hdr[0] << 8) | hdr[1];
		if (len == 0 || len > sizeof(pkt)) {
			s->cnt.dropped_malformed++;
			srv_tcp_close(c);
			return;
		}
		if (evbuffer_get_length(in) < len + 2)
			return;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, pkt, len);
		s->cnt.rx_packets++;
		s->cnt.rx_bytes += len;
		s->hooks.packet(s, pkt, len, (struct sockaddr *)&c->peer, c);
		/* The packet hook never closes c; only errors below do. */
	}
}

static void
srv_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	srv_tcp_close(arg);
}

static void
srv_tcp_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct srv *s = arg;
	struct timeval idle = { TCP_IDLE_S, 0 };
	struct srv_tcp *c;
	int one = 1;

	if (s->ntcp >= SRV_TCP_CONNS_MAX || (size_t)salen > sizeof(c->peer) ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		s->cnt.tcp_refused++;
		evutil_closesocket(fd);
		return;
	}
	c->srv = s;
	memcpy(&c->peer, sa, (size_t)salen);
	addr_normalize(&c->peer);
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bufferevent_setcb(c->bev, srv_tcp_read, NULL, srv_tcp_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, TCP_IN_MAX);
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = s->tcp_list;
	if (c->next != NULL)
		c->next->prev = c;
	s->tcp_list = c;
	s->ntcp++;
	s->cnt.tcp_accepted++;
}

/* Every listener: the --listen and --tcp-listen ones of both families. */
static void
srv_tcp_each(struct srv *s, void (*fn)(struct evconnlistener *))
{
	struct evconnlistener *l[4] = { s->listener, s->listener2,
	    s->fam2.listener, s->fam2.listener2 };
	size_t i;

	for (i = 0; i < 4; i++)
		if (l[i] != NULL)
			fn(l[i]);
}

static void
srv_tcp_enable(struct evconnlistener *l)
{
	evconnlistener_enable(l);
}

static void
srv_tcp_disable(struct evconnlistener *l)
{
	evconnlistener_disable(l);
}

static void
srv_tcp_resume(evutil_socket_t fd, short what, void *arg)
{
	srv_tcp_each(arg, srv_tcp_enable);
}

/*
 * accept() failed. At the descriptor limit (EMFILE) the pending connection
 * stays, so retrying at once spins: pause both listeners a moment instead,
 * and say so at most once a second.
 */
static void
srv_tcp_accept_error(struct evconnlistener *l, void *arg)
{
	struct srv *s = arg;
	struct timeval tv = { 0, TCP_ACCEPT_PAUSE_MS * 1000 };
	uint64_t held = 0;
	int e = EVUTIL_SOCKET_ERROR();

	s->cnt.tcp_accept_errors++;
	if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM)
		return;
	if (s->tcp_resume_ev == NULL &&
	    (s->tcp_resume_ev = evtimer_new(s->base, srv_tcp_resume, s)) ==
	    NULL)
		return;
	if (log_ratelimit(&s->tcp_accept_rl, srv_now_us(), &held))
		log_warnx("tcp: cannot accept: %s: pausing for %d ms (%llu more "
		    "such errors since the last line)", strerror(e),
		    TCP_ACCEPT_PAUSE_MS, (unsigned long long)held);
	srv_tcp_each(s, srv_tcp_disable);
	evtimer_add(s->tcp_resume_ev, &tv);
}

int
srv_tcp_listen(struct srv *s, struct evconnlistener **slot,
    const struct sockaddr *sa, socklen_t len, int v6only,
    struct sockaddr_storage *bound)
{
	socklen_t blen = sizeof(*bound);

	*slot = evconnlistener_new_bind(s->base, srv_tcp_accept, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC |
	    (v6only && sa->sa_family == AF_INET6 ? LEV_OPT_BIND_IPV6ONLY : 0),
	    128, sa, (int)len);
	if (*slot == NULL)
		return -1;
	evconnlistener_set_error_cb(*slot, srv_tcp_accept_error);
	if (bound != NULL && getsockname(evconnlistener_get_fd(*slot),
	    (struct sockaddr *)bound, &blen) == -1)
		return -1;
	return 0;
}

void
srv_tcp_stop(struct srv *s)
{
	while (s->tcp_list != NULL)
		srv_tcp_close(s->tcp_list);
	if (s->listener != NULL) {
		evconnlistener_free(s->listener);
		s->listener = NULL;
	}
	if (s->listener2 != NULL) {
		evconnlistener_free(s->listener2);
		s->listener2 = NULL;
	}
	if (s->fam2.listener != NULL) {
		evconnlistener_free(s->fam2.listener);
		s->fam2.listener = NULL;
	}
	if (s->fam2.listener2 != NULL) {
		evconnlistener_free(s->fam2.listener2);
		s->fam2.listener2 = NULL;
	}
	if (s->tcp_resume_ev != NULL) {
		event_free(s->tcp_resume_ev);
		s->tcp_resume_ev = NULL;
	}
}
