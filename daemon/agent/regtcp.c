/* SPDX-License-Identifier: ISC */
/*
 * regtcp.c: the agent's TCP leg to the server, for networks that block UDP
 * to it (PROTOCOL.md §2.1): each packet travels as u16 length || packet.
 * One connection carries one registration, so reg.c opens a fresh one for
 * each attempt and treats its end as the end of the registration.
 *
 * Both directions are capped: input is read at most REGTCP_IN_MAX ahead of
 * the parser, and output beyond REGTCP_OUT_MAX is dropped and counted, as a
 * lossy link would (reg.c's retransmissions and keepalives cope), instead
 * of growing without bound behind a stalled connection.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "addr.h"
#include "agent.h"
#include "log.h"
#include "reg.h"

#define REGTCP_FRAME_MAX	2048		/* longest packet accepted */
#define REGTCP_IN_MAX		(64 * 1024)
#define REGTCP_OUT_MAX		(1024 * 1024)
#define REGTCP_BUSY		(256 * 1024)	/* sessions wait above this */
#define REGTCP_STALL_S		10		/* connect or write stalled */

struct regtcp {
	struct reg		*r;
	struct bufferevent	*bev;
	int			 in_cb;		/* inside regtcp_read */
	int			 dead;		/* closed from a callback */
};

static void
regtcp_free(struct regtcp *t)
{
	bufferevent_free(t->bev);
	free(t);
}

/* Detach from r; freed now, or when the read callback that closed it ends. */
void
regtcp_close(struct reg *r)
{
	struct regtcp *t = r->tcp;

	if (t == NULL)
		return;
	r->tcp = NULL;
	bufferevent_disable(t->bev, EV_READ | EV_WRITE);
	if (t->in_cb)
		t->dead = 1;
	else
		regtcp_free(t);
}

static void
regtcp_fail(struct regtcp *t, const char *why)
{
	struct reg *r = t->r;
	char a[ADDR_STRLEN];

	log_info("tcp to the server %s: %s", addr_fmt((struct sockaddr *)
	    &r->srv_tcp, a, sizeof(a)), why);
	if (r->tcp != t) {	/* already detached: nothing to tell reg.c */
		if (!t->in_cb)
			regtcp_free(t);
		return;
	}
	regtcp_close(r);
	r->a->hooks.tcp_lost(r, why);
}

static void
regtcp_read(struct bufferevent *bev, void *arg)
{
	struct regtcp *t = arg;
	struct agent *a = t->r->a;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[2], pkt[REGTCP_FRAME_MAX];
	size_t len;

	t->in_cb = 1;
	while (!t->dead && evbuffer_copyout(in, hdr, 2) == 2) {
		len = ((size_t)hdr[0] << 8) | hdr[1];
		if (len == 0 || len > sizeof(pkt)) {
			a->ctr.dropped++;
			regtcp_fail(t, len == 0 ? "empty frame" :
			    "frame longer than 2048 bytes");
			break;
		}
		if (evbuffer_get_length(in) < len + 2)
			break;
		evbuffer_drain(in, 2);
		if (evbuffer_remove(in, pkt, len) != (int)len) {
			regtcp_fail(t, "short read from the input buffer");
			break;
		}
		/* May close t (re-registration): t->dead stops the loop. */
		a->hooks.tcp_input(t->r, pkt, len);
	}
	t->in_cb = 0;
	if (t->dead)
		regtcp_free(t);
}

/*
 * The output drained below the low watermark: sessions held back by
 * regtcp_busy() may send again. Holding them back (instead of letting the
 * output overflow and drop) is the relay's flow control over TCP.
 */
static void
regtcp_written(struct bufferevent *bev, void *arg)
{
	struct regtcp *t = arg;
	struct agent *a = t->r->a;

	(void)bev;
	a->hooks.tcp_drained(a);
}

int
regtcp_busy(struct reg *r)
{
	return r->tcp != NULL && evbuffer_get_length(bufferevent_get_output(
	    r->tcp->bev)) > REGTCP_BUSY;
}

static void
regtcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct regtcp *t = arg;
	char why[128];

	if (what & BEV_EVENT_CONNECTED) {
		log_debug("tcp to the server: connected");
		return;
	}
	if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "closed by the server");
	else if (what & BEV_EVENT_TIMEOUT)
		snprintf(why, sizeof(why), "stalled for %d s", REGTCP_STALL_S);
	else
		snprintf(why, sizeof(why), "%s", evutil_socket_error_to_string(
		    evutil_socket_geterror(bufferevent_getfd(bev))));
	regtcp_fail(t, why);	/* frees t */
}

/* Start connecting (non-blocking); what is sent meanwhile waits in output. */
int
regtcp_open(struct reg *r)
{
	struct timeval stall = { REGTCP_STALL_S, 0 };
	struct sockaddr *sa = (struct sockaddr *)&r->srv_tcp;
	struct regtcp *t;
	char a[ADDR_STRLEN];
	int fd, one = 1;

	if (r->tcp != NULL)
		return 0;
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		log_warn("%s: socket", __func__);
		return -1;
	}
	/* Packets are small and each one matters now: no Nagle delay. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		log_warn("%s: TCP_NODELAY", __func__);
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		close(fd);
		return -1;
	}
	t->r = r;
	t->bev = bufferevent_socket_new(r->a->base, fd, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS);
	if (t->bev == NULL) {
		close(fd);
		free(t);
		return -1;
	}
	bufferevent_setcb(t->bev, regtcp_read, regtcp_written, regtcp_event, t);
	bufferevent_setwatermark(t->bev, EV_READ, 0, REGTCP_IN_MAX);
	/* libevent 2.1 reads 4 KiB per callback unless told otherwise. */
	(void)bufferevent_set_max_single_read(t->bev, REGTCP_IN_MAX);
	bufferevent_setwatermark(t->bev, EV_WRITE, REGTCP_BUSY / 2, 0);
	/* A write timeout also bounds the connect. */
	bufferevent_set_timeouts(t->bev, NULL, &stall);
	if (bufferevent_socket_connect(t->bev, sa, (int)addr_len(sa)) == -1) {
		log_warnx("%s: cannot connect to %s", __func__, addr_fmt(sa, a,
		    sizeof(a)));
		regtcp_free(t);
		return -1;
	}
	bufferevent_enable(t->bev, EV_READ | EV_WRITE);
	r->tcp = t;
	log_debug("tcp to the server %s: connecting", addr_fmt(sa, a,
	    sizeof(a)));
	return 0;
}

void
regtcp_send(struct reg *r, const uint8_t *p, size_t len)
{
	struct evbuffer *out;
	uint8_t frame[2 + REGTCP_FRAME_MAX];

	if (r->tcp == NULL || len == 0 || len > REGTCP_FRAME_MAX)
		return;
	out = bufferevent_get_output(r->tcp->bev);
	/* One add per frame: a failure never leaves half a frame behind. */
	frame[0] = (uint8_t)(len >> 8);
	frame[1] = (uint8_t)len;
	memcpy(frame + 2, p, len);
	if (evbuffer_get_length(out) + len + 2 > REGTCP_OUT_MAX ||
	    evbuffer_add(out, frame, len + 2) == -1) {
		r->tcp_dropped++;
		r->a->ctr.dropped++;
		return;
	}
	r->a->ctr.packets_out++;
	r->a->ctr.bytes_out += len;
}
