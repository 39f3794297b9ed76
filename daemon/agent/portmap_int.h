/* SPDX-License-Identifier: ISC */
/*
 * portmap_int.h: what portmap.c shares with its two backends:
 * portmap_pcp.c (PCP and NAT-PMP, one UDP socket to the gateway) and
 * portmap_upnp.c (UPnP IGD through the helper process).
 *
 * portmap.c calls a backend's probe, map and delete; a backend reports
 * back through the portmap_on_* functions, once per call (found or
 * unavailable for a probe; granted or refused for a map; deleted for a
 * delete), and portmap_on_lost when the router lost the mapping.
 */
#ifndef P2P_PORTMAP_INT_H
#define P2P_PORTMAP_INT_H

#include <stdint.h>

#include "pcp.h"
#include "portmap.h"

#define PORTMAP_LOG_MAX		8	/* ignored answers logged per run */

enum portmap_state {
	PM_IDLE,	/* nothing asked, or nothing answered */
	PM_PROBING,	/* asking who is there */
	PM_MAPPING,	/* asking one protocol for the mapping */
	PM_GRANTED,	/* holding it */
	PM_STOPPING,	/* deleting it */
	PM_STOPPED
};

enum portmap_avail {
	PM_UNKNOWN,
	PM_YES,
	PM_NO
};

struct portmap_pcp;
struct portmap_upnp;

struct portmap {
	struct event_base	*base;
	struct portmap_conf	 conf;
	struct portmap_cb	 cb;
	void			*cb_arg;
	char			 helper[256];

	enum portmap_state	 state;
	enum portmap_avail	 avail[PORTMAP_NPROTO];
	uint64_t		 found_at[PORTMAP_NPROTO];	/* order of answers */
	enum portmap_proto	 proto;		/* mapping or held */
	struct portmap_info	 info;		/* when PM_GRANTED */
	uint32_t		 reflexive;	/* host order, 0 unknown */
	int			 logged;	/* ignored answers logged */

	struct event		*renew_ev;	/* renew, or expire */
	struct event		*stop_ev;	/* the stop's deadline */
	void			(*done)(void *);
	void			*done_arg;

	struct portmap_pcp	*pcp;
	struct portmap_upnp	*upnp;
	struct portmap_stats	 st;
};

uint64_t	portmap_now(void);
void		portmap_arm(struct event *, uint64_t us_from_now);
/* Log an ignored answer, at most PORTMAP_LOG_MAX per run. */
void		portmap_ignored(struct portmap *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* Backends report here. */
void	portmap_on_found(struct portmap *, enum portmap_proto);
void	portmap_on_unavailable(struct portmap *, enum portmap_proto,
	    const char *why);
void	portmap_on_granted(struct portmap *, enum portmap_proto,
	    uint32_t external_ip, uint16_t external_port, uint32_t lifetime_s);
void	portmap_on_refused(struct portmap *, enum portmap_proto,
	    const char *why);
void	portmap_on_deleted(struct portmap *, enum portmap_proto);
void	portmap_on_lost(struct portmap *, enum portmap_proto, const char *why);

/* portmap_pcp.c: PCP and NAT-PMP. */
struct portmap_pcp	*portmap_pcp_new(struct portmap *);
void	portmap_pcp_free(struct portmap_pcp *);
void	portmap_pcp_probe(struct portmap_pcp *, int protocols);
void	portmap_pcp_map(struct portmap_pcp *, enum portmap_proto,
	    uint16_t external_port, uint32_t lifetime_s);
void	portmap_pcp_delete(struct portmap_pcp *, enum portmap_proto);
void	portmap_pcp_cancel(struct portmap_pcp *);

/* portmap_upnp.c: UPnP IGD through the helper. */
struct portmap_upnp	*portmap_upnp_new(struct portmap *);
void	portmap_upnp_free(struct portmap_upnp *);
void	portmap_upnp_probe(struct portmap_upnp *);
void	portmap_upnp_map(struct portmap_upnp *, uint16_t external_port,
	    uint32_t lifetime_s);
void	portmap_upnp_delete(struct portmap_upnp *);
/* Stop a probe; a map or delete in flight is let finish. */
void	portmap_upnp_cancel(struct portmap_upnp *);
int	portmap_upnp_busy(const struct portmap_upnp *);

#endif /* P2P_PORTMAP_INT_H */
