/* SPDX-License-Identifier: ISC */
/*
 * refl.c: the agent's reflexive address on its other IP family.
 *
 * An agent registers over the family of its --server address, so the
 * server sees (and passes on) its reflexive address of that family only.
 * A server that listens on both tells the agent its UDP address on the
 * other (Registered.other_family). A Binding request from the agent's own
 * socket, the one its sessions use (so the NAT mapping is theirs), to that
 * address brings back where a NAT of that family maps the socket. The agent
 * sends it to the server (NatReport.other_reflexive), which passes it on in
 * introductions (Introduce.other_public): the peer checks it as a
 * server-reflexive candidate of that family, with the low-TTL opening
 * check. Sessions on the relay re-plan when it is learned or changes.
 *
 * Requests are resent REFL_RTO_US apart, doubling, REFL_TRIES times; again
 * after each registration and every REFL_REFRESH_US, which also keeps the
 * mapping alive (conntrack's UDP timeout is 30 s). Only a response from
 * that address with the transaction id of the last request counts.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "agent.h"
#include "candfilter.h"
#include "log.h"
#include "stun.h"

#define REFL_RTO_US		250000ULL
#define REFL_TRIES		5
#define REFL_REFRESH_US		25000000ULL

struct refl {
	struct agent		*a;
	struct event		*timer;
	struct sockaddr_storage	 srv;		/* the server's other family */
	int			 active;
	unsigned		 tries;
	uint8_t			 txid[STUN_TXID_LEN];
	struct sockaddr_storage	 mapped;	/* ss_family 0: unknown */
};

static void
refl_send(struct refl *r)
{
	uint8_t pkt[64];
	size_t n;

	randombytes_buf(r->txid, sizeof(r->txid));
	if ((n = stun_build_binding_request(pkt, sizeof(pkt), r->txid)) > 0)
		udp_send(r->a, (struct sockaddr *)&r->srv,
		    addr_len((struct sockaddr *)&r->srv), pkt, n);
	r->tries++;
}

static void
refl_tick(evutil_socket_t fd, short what, void *arg)
{
	struct refl *r = arg;
	char s[ADDR_STRLEN];

	(void)fd;
	(void)what;
	if (!r->active)
		return;
	if (r->tries >= REFL_TRIES) {
		log_info("reflexive address: no answer from %s (the other IP "
		    "family): trying again in %llu s", addr_fmt((struct
		    sockaddr *)&r->srv, s, sizeof(s)),
		    (unsigned long long)(REFL_REFRESH_US / 1000000));
		r->tries = 0;
		agent_timer_in(r->timer, REFL_REFRESH_US);
		return;
	}
	refl_send(r);
	agent_timer_in(r->timer, REFL_RTO_US << (r->tries - 1));
}

void
refl_start(struct agent *a, const struct sockaddr *srv)
{
	struct refl *r = a->refl;

	if (r == NULL)
		return;
	r->active = srv != NULL && (srv->sa_family == AF_INET ||
	    srv->sa_family == AF_INET6);
	evtimer_del(r->timer);
	if (!r->active)
		return;
	if (r->mapped.ss_family != 0 && r->mapped.ss_family !=
	    srv->sa_family)
		memset(&r->mapped, 0, sizeof(r->mapped));
	memset(&r->srv, 0, sizeof(r->srv));
	memcpy(&r->srv, srv, addr_len(srv));
	r->tries = 0;
	refl_tick(-1, 0, r);
}

static int
refl_usable(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return cand_host_ok((const uint8_t *)&((const struct
		    sockaddr_in *)ss)->sin_addr, 4);
	return cand_host_ok((const uint8_t *)&((const struct sockaddr_in6 *)
	    ss)->sin6_addr, 16);
}

int
refl_input(struct agent *a, const uint8_t *pkt, size_t len,
    const struct sockaddr *src)
{
	struct refl *r = a->refl;
	struct sockaddr_storage m;
	char s[ADDR_STRLEN], t[ADDR_STRLEN];

	if (r == NULL || !r->active || !addr_equal(src,
	    (struct sockaddr *)&r->srv) ||
	    stun_parse_binding_success(pkt, len, r->txid, &m) == -1)
		return 0;
	addr_normalize(&m);
	/* Answered: a copy of it proves nothing more. */
	memset(r->txid, 0, sizeof(r->txid));
	r->tries = 0;
	agent_timer_in(r->timer, REFL_REFRESH_US);
	/* Of that family, and one a peer may probe (not loopback: the
	 * server runs on this host; the server checks it again). */
	if (m.ss_family != r->srv.ss_family || addr_port((struct sockaddr *)
	    &m) == 0 || !refl_usable(&m) || (r->mapped.ss_family != 0 &&
	    addr_equal((struct sockaddr *)&m, (struct sockaddr *)&r->mapped)))
		return 1;
	r->mapped = m;
	log_info("reflexive address on %s: %s (STUN to %s)",
	    m.ss_family == AF_INET6 ? "IPv6" : "IPv4", addr_fmt((struct
	    sockaddr *)&m, s, sizeof(s)), addr_fmt(src, t, sizeof(t)));
	a->hooks.refl_changed(a);
	return 1;
}

int
refl_get(struct agent *a, struct sockaddr_storage *out)
{
	struct refl *r = a->refl;

	if (r == NULL || !r->active || r->mapped.ss_family == 0)
		return -1;
	*out = r->mapped;
	return 0;
}

int
refl_init(struct agent *a)
{
	struct refl *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->a = a;
	if ((r->timer = evtimer_new(a->base, refl_tick, r)) == NULL) {
		free(r);
		return -1;
	}
	a->refl = r;
	return 0;
}

void
refl_free(struct agent *a)
{
	struct refl *r = a->refl;

	if (r == NULL)
		return;
	event_free(r->timer);
	free(r);
	a->refl = NULL;
}
