/* SPDX-License-Identifier: ISC */
/*
 * portmap.h: one port mapping from the router, for the agent's UDP port.
 *
 * Routers that offer it open a port on request: PCP (RFC 6887), NAT-PMP
 * (RFC 6886) and UPnP IGD. A granted mapping makes this side reachable
 * like a full cone: a peer's packets to the external address reach the
 * agent whatever NAT type the router has otherwise.
 *
 * portmap_start() asks all three at once, without taking a mapping: PCP
 * ANNOUNCE and NAT-PMP's external address request to the default gateway
 * (portmap_pcp.c), and UPnP discovery in a helper process
 * (portmap_upnp.c; miniupnpc's calls block and trust the router with
 * memory, portmap_helper.c runs them under limits). The first protocol
 * that answers is asked for the mapping; if it refuses, the next that
 * answered. So the agent never holds more than one mapping. A granted
 * mapping whose external address cannot be right (not a public address,
 * or not the reflexive address the server sees, once that is known) is
 * deleted again and counted; so is every answer that does not parse or
 * does not answer what was asked.
 *
 * The mapping is renewed at half its lifetime and lost when it expires
 * unrenewed or the router restarts (its epoch goes back); then
 * portmap_start() runs again. cb->changed() reports every grant, change
 * and loss. portmap_stop() deletes the mapping and calls done() once the
 * router answered, or gave up (PORTMAP_STOP_US at most).
 *
 * Calls go down, callbacks come up: nothing here knows the agent. A
 * program that uses this must hand argv to portmap_helper_main() first
 * thing in main(): the helper is the program itself, run again.
 */
#ifndef P2P_PORTMAP_H
#define P2P_PORTMAP_H

#include <netinet/in.h>

#include <stdint.h>

struct event_base;

enum portmap_proto {
	PORTMAP_NONE = 0,
	PORTMAP_PCP,
	PORTMAP_NATPMP,
	PORTMAP_UPNP,
	PORTMAP_NPROTO
};
#define PORTMAP_ALL	((1 << PORTMAP_PCP) | (1 << PORTMAP_NATPMP) | \
			 (1 << PORTMAP_UPNP))

#define PORTMAP_LIFETIME_S	7200	/* asked for by default */
#define PORTMAP_STOP_US		(5ULL * 1000000)
#define PORTMAP_HELPER_ARG	"--portmap-helper"

struct portmap_conf {
	uint16_t	 internal_port;	/* the agent's UDP port */
	uint32_t	 lifetime_s;	/* 0: PORTMAP_LIFETIME_S */
	int		 protocols;	/* 1 << enum portmap_proto; 0: all */
	const char	*helper;	/* the program to run as UPnP helper:
					   NULL = /proc/self/exe */
};

struct portmap_info {
	enum portmap_proto	proto;		/* PORTMAP_NONE: no mapping */
	struct sockaddr_in	external;
	uint32_t		lifetime_s;	/* granted; 0 = permanent */
	uint64_t		expires_us;	/* monotonic; 0 = permanent */
};

/* Everything counted since portmap_new(). */
struct portmap_stats {
	uint64_t	sent;		/* requests (and helper runs) */
	uint64_t	answers;	/* that parsed and matched */
	uint64_t	malformed;	/* ignored: did not parse, too long */
	uint64_t	mismatched;	/* ignored: not an answer to our ask */
	uint64_t	bad_external;	/* refused: unusable external address */
	uint64_t	refused;	/* the router said no */
	uint64_t	helper_failures;	/* died, timed out, said too much */
	uint64_t	granted;
	uint64_t	renewed;
	uint64_t	deleted;
	uint64_t	lost;		/* expired or router restarted */
};

struct portmap_cb {
	/* A mapping was granted or changed (info->proto set) or is gone
	 * (PORTMAP_NONE). */
	void	(*changed)(void *arg, const struct portmap_info *info);
};

struct portmap;

struct portmap	*portmap_new(struct event_base *, const struct portmap_conf *,
		    const struct portmap_cb *, void *arg);
void		 portmap_free(struct portmap *);
/* Ask (again), e.g. when the network changed: a held mapping is kept. */
void		 portmap_start(struct portmap *);
/* The IPv4 address (host order) the server sees this side as, or 0. */
void		 portmap_set_reflexive(struct portmap *, uint32_t ip);
/* 0 and *info if a mapping is held, else -1. */
int		 portmap_get(const struct portmap *, struct portmap_info *);
const struct portmap_stats *portmap_stats(const struct portmap *);
/* Delete the mapping (if any), then done(arg); no more after that. */
void		 portmap_stop(struct portmap *, void (*done)(void *), void *);
const char	*portmap_proto_name(enum portmap_proto);

/* If argv asks for the helper, run it and exit; else return. */
void		 portmap_helper_main(int argc, char **argv);

#endif /* P2P_PORTMAP_H */
