/* SPDX-License-Identifier: ISC */
/*
 * natmap.c: the agent's port mapping (portmap.c asks the router; this file
 * says when, and where the answer goes).
 *
 * At start, and again when the registration shows another public address
 * (a network change), the router is asked for one mapping of the agent's
 * UDP port by PCP, NAT-PMP and UPnP IGD at once (portmap_start). A granted
 * mapping goes to the server in the NatReport, which passes it to the
 * agent's peers in Introduce as a candidate of its own (route.c checks it
 * before the server-reflexive address): a peer behind any NAT reaches the
 * agent there, even a symmetric one against a symmetric one. Every grant,
 * change and loss re-plans the sessions on the relay. `p2pctl nat` shows
 * it; p2pd's shutdown deletes it (natmap_stop) before the loop ends.
 * --no-portmap (config key no-portmap) asks for nothing.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "agent.h"
#include "log.h"
#include "portmap.h"

struct natmap {
	struct agent		*a;
	struct portmap		*pm;
	uint32_t		 public_ip;	/* last registration's, host order */
};

static void
natmap_changed(void *arg, const struct portmap_info *info)
{
	struct natmap	*nm = arg;
	struct agent	*a = nm->a;
	char		 ext[ADDR_STRLEN];

	if (info->proto == PORTMAP_NONE)
		log_info("port mapping: none any more");
	else {
		addr_fmt((const struct sockaddr *)&info->external, ext,
		    sizeof(ext));
		log_info("port mapping: %s maps %s to UDP port %u (%u s)",
		    portmap_proto_name(info->proto), ext, a->udp_port,
		    info->lifetime_s);
	}
	/* The server passes it on (or withdraws it) with a new Introduce. */
	nat_report_now(a);
	a->hooks.replan(a, info->proto == PORTMAP_NONE ?
	    "the port mapping is gone" : "a port mapping was granted");
}

int
natmap_init(struct agent *a)
{
	static const struct portmap_cb cb = { .changed = natmap_changed };
	struct portmap_conf conf;
	struct natmap *nm;

	a->natmap = NULL;
	if (a->conf.no_portmap)
		return 0;
	if ((nm = calloc(1, sizeof(*nm))) == NULL)
		return -1;
	memset(&conf, 0, sizeof(conf));
	conf.internal_port = a->udp_port;
	nm->a = a;
	if ((nm->pm = portmap_new(a->base, &conf, &cb, nm)) == NULL) {
		free(nm);
		return -1;
	}
	a->natmap = nm;
	portmap_start(nm->pm);
	return 0;
}

/* Registered: the public address is known; another one is a new network. */
void
natmap_registered(struct agent *a, const struct sockaddr *pub)
{
	struct natmap		*nm = a->natmap;
	struct portmap_info	 info;
	uint32_t		 ip;

	if (nm == NULL || pub == NULL || pub->sa_family != AF_INET)
		return;
	ip = ntohl(((const struct sockaddr_in *)pub)->sin_addr.s_addr);
	portmap_set_reflexive(nm->pm, ip);
	if (nm->public_ip != 0 && nm->public_ip != ip) {
		log_info("public address changed: asking the router for a "
		    "port mapping again");
		portmap_start(nm->pm);
	}
	nm->public_ip = ip;
	/* A mapping granted before the registration: to the server now, not
	 * with the NAT classification seconds later. */
	if (portmap_get(nm->pm, &info) == 0)
		nat_report_now(a);
}

/* 0 and *info while a mapping is held. */
int
natmap_get(struct agent *a, struct portmap_info *info)
{
	if (a->natmap == NULL)
		return -1;
	return portmap_get(a->natmap->pm, info);
}

/* Delete the mapping, then done(arg) (at once without one). */
void
natmap_stop(struct agent *a, void (*done)(void *), void *arg)
{
	if (a->natmap == NULL) {
		done(arg);
		return;
	}
	portmap_stop(a->natmap->pm, done, arg);
}

void
natmap_free(struct agent *a)
{
	if (a->natmap == NULL)
		return;
	portmap_free(a->natmap->pm);
	free(a->natmap);
	a->natmap = NULL;
}
