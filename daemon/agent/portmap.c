/* SPDX-License-Identifier: ISC */
/*
 * portmap.c: one port mapping from the router: which protocol, when to
 * renew, when it is lost; see portmap.h. The protocols are the backends
 * portmap_pcp.c and portmap_upnp.c (portmap_int.h).
 */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "portmap_int.h"

#define PORTMAP_RENEW_MIN_US	1000000ULL	/* never busier than 1/s */

static void	portmap_pick(struct portmap *);

uint64_t
portmap_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
portmap_arm(struct event *ev, uint64_t us)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evtimer_add(ev, &tv);
}

void
portmap_ignored(struct portmap *pm, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	if (pm->logged >= PORTMAP_LOG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("portmap: ignored %s%s", msg, ++pm->logged ==
	    PORTMAP_LOG_MAX ? " (no more logged until the next run)" : "");
}

const char *
portmap_proto_name(enum portmap_proto p)
{
	switch (p) {
	case PORTMAP_PCP:	return "pcp";
	case PORTMAP_NATPMP:	return "nat-pmp";
	case PORTMAP_UPNP:	return "upnp";
	default:		return "none";
	}
}

static const char *
portmap_ipstr(uint32_t ip, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
	    (ip >> 8) & 0xff, ip & 0xff);
	return buf;
}

static void
portmap_changed(struct portmap *pm)
{
	if (pm->cb.changed != NULL)
		pm->cb.changed(pm->cb_arg, &pm->info);
}

/* Renew at half the lifetime; when a renewal failed, half what is left. */
static void
portmap_schedule(struct portmap *pm)
{
	uint64_t	now = portmap_now(), left;

	if (pm->info.expires_us == 0)
		return;		/* permanent */
	left = pm->info.expires_us > now ? pm->info.expires_us - now : 0;
	portmap_arm(pm->renew_ev, left / 2 > PORTMAP_RENEW_MIN_US ?
	    left / 2 : (left > 0 ? PORTMAP_RENEW_MIN_US : 0));
}

static void
portmap_renew(evutil_socket_t fd, short what, void *arg)
{
	struct portmap	*pm = arg;
	uint16_t	 eport = ntohs(pm->info.external.sin_port);

	if (pm->state != PM_GRANTED)
		return;
	if (pm->info.expires_us != 0 && portmap_now() >= pm->info.expires_us) {
		portmap_on_lost(pm, pm->proto, "it expired unrenewed");
		return;
	}
	if (pm->proto == PORTMAP_UPNP)
		portmap_upnp_map(pm->upnp, eport, pm->conf.lifetime_s);
	else
		portmap_pcp_map(pm->pcp, pm->proto, eport,
		    pm->conf.lifetime_s);
	/* The retry, should this renewal fail. */
	portmap_schedule(pm);
}

static void
portmap_stop_done(struct portmap *pm)
{
	void	(*done)(void *) = pm->done;

	portmap_pcp_cancel(pm->pcp);
	portmap_upnp_cancel(pm->upnp);
	evtimer_del(pm->renew_ev);
	evtimer_del(pm->stop_ev);
	pm->state = PM_STOPPED;
	pm->proto = PORTMAP_NONE;
	pm->info.proto = PORTMAP_NONE;
	pm->done = NULL;
	if (done != NULL)
		done(pm->done_arg);
}

static void
portmap_stop_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct portmap	*pm = arg;

	if (pm->state == PM_STOPPING)
		log_warnx("portmap: the router did not confirm deleting the "
		    "%s mapping: giving up", portmap_proto_name(pm->proto));
	portmap_stop_done(pm);
}

struct portmap *
portmap_new(struct event_base *base, const struct portmap_conf *conf,
    const struct portmap_cb *cb, void *arg)
{
	struct portmap	*pm;

	if ((pm = calloc(1, sizeof(*pm))) == NULL)
		return NULL;
	pm->base = base;
	pm->conf = *conf;
	if (pm->conf.lifetime_s == 0)
		pm->conf.lifetime_s = PORTMAP_LIFETIME_S;
	if (pm->conf.protocols == 0)
		pm->conf.protocols = PORTMAP_ALL;
	snprintf(pm->helper, sizeof(pm->helper), "%s",
	    conf->helper != NULL ? conf->helper : "/proc/self/exe");
	pm->conf.helper = pm->helper;
	if (cb != NULL)
		pm->cb = *cb;
	pm->cb_arg = arg;
	pm->renew_ev = evtimer_new(base, portmap_renew, pm);
	pm->stop_ev = evtimer_new(base, portmap_stop_timeout, pm);
	pm->pcp = portmap_pcp_new(pm);
	pm->upnp = portmap_upnp_new(pm);
	if (pm->renew_ev == NULL || pm->stop_ev == NULL || pm->pcp == NULL ||
	    pm->upnp == NULL) {
		portmap_free(pm);
		return NULL;
	}
	return pm;
}

void
portmap_free(struct portmap *pm)
{
	if (pm == NULL)
		return;
	if (pm->pcp != NULL)
		portmap_pcp_free(pm->pcp);
	if (pm->upnp != NULL)
		portmap_upnp_free(pm->upnp);
	if (pm->renew_ev != NULL)
		event_free(pm->renew_ev);
	if (pm->stop_ev != NULL)
		event_free(pm->stop_ev);
	free(pm);
}

void
portmap_start(struct portmap *pm)
{
	int	p;

	if (pm->state == PM_STOPPING || pm->state == PM_STOPPED)
		return;
	if (pm->state == PM_GRANTED) {	/* still there? renew now */
		evtimer_del(pm->renew_ev);
		portmap_arm(pm->renew_ev, 0);
		return;
	}
	if (pm->state == PM_MAPPING || pm->state == PM_PROBING)
		return;		/* already asking */
	pm->logged = 0;
	for (p = PORTMAP_PCP; p < PORTMAP_NPROTO; p++)
		pm->avail[p] = (pm->conf.protocols & (1 << p)) ? PM_UNKNOWN :
		    PM_NO;
	pm->state = PM_PROBING;
	pm->proto = PORTMAP_NONE;
	portmap_pcp_probe(pm->pcp, pm->conf.protocols);
	if (pm->avail[PORTMAP_UPNP] == PM_UNKNOWN)
		portmap_upnp_probe(pm->upnp);
	portmap_pick(pm);	/* nothing enabled: idle at once */
}

void
portmap_set_reflexive(struct portmap *pm, uint32_t ip)
{
	pm->reflexive = ip;
}

int
portmap_get(const struct portmap *pm, struct portmap_info *info)
{
	if (pm->state != PM_GRANTED)
		return -1;
	*info = pm->info;
	return 0;
}

const struct portmap_stats *
portmap_stats(const struct portmap *pm)
{
	return &pm->st;
}

void
portmap_stop(struct portmap *pm, void (*done)(void *), void *arg)
{
	pm->done = done;
	pm->done_arg = arg;
	evtimer_del(pm->renew_ev);
	if (pm->state == PM_GRANTED || pm->state == PM_MAPPING) {
		/* A mapping asked for may have been granted already. */
		pm->state = PM_STOPPING;
		portmap_arm(pm->stop_ev, PORTMAP_STOP_US);
		if (pm->proto == PORTMAP_UPNP) {
			if (!portmap_upnp_busy(pm->upnp))
				portmap_upnp_delete(pm->upnp);
			/* else: its answer comes to portmap_on_granted */
		} else
			portmap_pcp_delete(pm->pcp, pm->proto);
		return;
	}
	portmap_pcp_cancel(pm->pcp);
	portmap_upnp_cancel(pm->upnp);
	pm->state = PM_STOPPED;
	portmap_arm(pm->stop_ev, 0);	/* done() from the loop, not here */
}

/* Ask the protocol that answered first (and has not refused) for the
 * mapping; idle if every protocol has said no. */
static void
portmap_pick(struct portmap *pm)
{
	int	p, best = PORTMAP_NONE, unknown = 0;

	if (pm->state != PM_PROBING)
		return;
	for (p = PORTMAP_PCP; p < PORTMAP_NPROTO; p++) {
		if (pm->avail[p] == PM_UNKNOWN)
			unknown = 1;
		if (pm->avail[p] == PM_YES && (best == PORTMAP_NONE ||
		    pm->found_at[p] < pm->found_at[best]))
			best = p;
	}
	if (best == PORTMAP_NONE) {
		if (!unknown) {
			pm->state = PM_IDLE;
			log_info("portmap: no port mapping: the router offers "
			    "none (or refused)");
		}
		return;
	}
	pm->state = PM_MAPPING;
	pm->proto = (enum portmap_proto)best;
	log_debug("portmap: asking for a mapping with %s",
	    portmap_proto_name(pm->proto));
	if (pm->proto == PORTMAP_UPNP)
		portmap_upnp_map(pm->upnp, pm->conf.internal_port,
		    pm->conf.lifetime_s);
	else
		portmap_pcp_map(pm->pcp, pm->proto, pm->conf.internal_port,
		    pm->conf.lifetime_s);
}

void
portmap_on_found(struct portmap *pm, enum portmap_proto p)
{
	if (pm->avail[p] != PM_UNKNOWN)
		return;
	pm->avail[p] = PM_YES;
	pm->found_at[p] = portmap_now();
	log_debug("portmap: the router speaks %s", portmap_proto_name(p));
	portmap_pick(pm);
}

void
portmap_on_unavailable(struct portmap *pm, enum portmap_proto p,
    const char *why)
{
	if (pm->avail[p] == PM_NO)
		return;
	pm->avail[p] = PM_NO;
	log_debug("portmap: no %s: %s", portmap_proto_name(p), why);
	portmap_pick(pm);
}

/* Whether a granted external address can be the one peers reach. */
static const char *
portmap_external_bad(const struct portmap *pm, uint32_t ip)
{
	if (!pcp_addr_public(ip))
		return "not a public address (another NAT beyond the router?)";
	if (pm->reflexive != 0 && ip != pm->reflexive)
		return "not the address the server sees";
	return NULL;
}

void
portmap_on_granted(struct portmap *pm, enum portmap_proto p, uint32_t ip,
    uint16_t port, uint32_t lifetime)
{
	const char	*bad;
	char		 ipbuf[16];
	int		 first = pm->state == PM_MAPPING, moved;

	if (pm->state == PM_STOPPING) {	/* came in after portmap_stop() */
		if (p == PORTMAP_UPNP)
			portmap_upnp_delete(pm->upnp);
		return;
	}
	if ((pm->state != PM_MAPPING && pm->state != PM_GRANTED) ||
	    p != pm->proto)
		return;
	bad = portmap_external_bad(pm, ip);
	if (bad == NULL && port == 0)
		bad = "external port 0";
	if (bad == NULL && lifetime == 0 && p != PORTMAP_UPNP)
		bad = "lifetime 0";
	if (bad != NULL) {
		pm->st.bad_external++;
		log_warnx("portmap: %s granted %s:%u, refused: %s",
		    portmap_proto_name(p), portmap_ipstr(ip, ipbuf,
		    sizeof(ipbuf)), (unsigned)port, bad);
		/* Give it back, and hold nothing from this protocol. */
		if (p == PORTMAP_UPNP)
			portmap_upnp_delete(pm->upnp);
		else
			portmap_pcp_delete(pm->pcp, p);
		if (!first) {	/* the renewal moved it somewhere useless */
			pm->st.lost++;
			evtimer_del(pm->renew_ev);
			pm->info.proto = PORTMAP_NONE;
			portmap_changed(pm);
		}
		pm->avail[p] = PM_NO;
		pm->state = PM_PROBING;
		pm->proto = PORTMAP_NONE;
		portmap_pick(pm);
		return;
	}
	moved = !first && (ntohl(pm->info.external.sin_addr.s_addr) != ip ||
	    ntohs(pm->info.external.sin_port) != port);
	pm->state = PM_GRANTED;
	pm->info.proto = p;
	memset(&pm->info.external, 0, sizeof(pm->info.external));
	pm->info.external.sin_family = AF_INET;
	pm->info.external.sin_addr.s_addr = htonl(ip);
	pm->info.external.sin_port = htons(port);
	pm->info.lifetime_s = lifetime;
	pm->info.expires_us = lifetime == 0 ? 0 :
	    portmap_now() + (uint64_t)lifetime * 1000000;
	if (first)
		pm->st.granted++;
	else
		pm->st.renewed++;
	if (first || moved)
		log_info("portmap: %s mapping %s:%u -> port %u for %u s",
		    portmap_proto_name(p), portmap_ipstr(ip, ipbuf,
		    sizeof(ipbuf)), (unsigned)port,
		    (unsigned)pm->conf.internal_port, (unsigned)lifetime);
	else
		log_debug("portmap: %s mapping renewed for %u s",
		    portmap_proto_name(p), (unsigned)lifetime);
	evtimer_del(pm->renew_ev);
	portmap_schedule(pm);
	if (first || moved)
		portmap_changed(pm);
}

void
portmap_on_refused(struct portmap *pm, enum portmap_proto p, const char *why)
{
	if (p != pm->proto)
		return;
	if (pm->state == PM_STOPPING) {	/* nothing to delete then */
		portmap_stop_done(pm);
		return;
	}
	log_info("portmap: %s refused the mapping: %s",
	    portmap_proto_name(p), why);
	if (pm->state == PM_MAPPING) {
		pm->avail[p] = PM_NO;
		pm->state = PM_PROBING;
		pm->proto = PORTMAP_NONE;
		portmap_pick(pm);
	}
	/* PM_GRANTED: a failed renewal; the retry is armed, expiry ends it */
}

void
portmap_on_deleted(struct portmap *pm, enum portmap_proto p)
{
	if (pm->state == PM_STOPPING && p == pm->proto) {
		pm->st.deleted++;
		log_info("portmap: %s mapping deleted", portmap_proto_name(p));
		portmap_stop_done(pm);
	}
}

void
portmap_on_lost(struct portmap *pm, enum portmap_proto p, const char *why)
{
	if (pm->state != PM_GRANTED || p != pm->proto)
		return;
	pm->st.lost++;
	log_info("portmap: %s mapping lost: %s", portmap_proto_name(p), why);
	evtimer_del(pm->renew_ev);
	pm->info.proto = PORTMAP_NONE;
	pm->state = PM_IDLE;
	pm->proto = PORTMAP_NONE;
	portmap_changed(pm);
	portmap_start(pm);
}
