/* SPDX-License-Identifier: ISC */
/*
 * cluster_ev.h: the change events the Redis scripts publish on p2p:ev (one
 * per change, in the order Redis made them; docs/CLUSTER.md), parsed and
 * checked. Redis is untrusted input like the network: every field is
 * checked (names, numbers, hex, numeric addresses only) before use.
 *
 * A message is fields separated by '\n': SEQ, TYPE, then the type's fields:
 *
 *   R  peer node reg key iat exp aesni tr pub loc grp nat [pm [oth [rtt]]]
 *                                               a registration
 *   U  peer reg                                 a registration ended
 *   I  a b origin                               an introduction
 *   W  a b origin reason                        an introduction withdrawn
 *   GC name mesh origin [key value]...          a group created
 *   GD name origin                              a group destroyed
 *   MA group peer origin                        a member joined
 *   MD group peer origin                        a member left
 *   X  node                                     a dead node's registrations
 *   N  peer reg nat [pm [oth [rtt]]]            a NAT report
 *   TA peer id size node kind dl [key value]... a matchmaking ticket waits
 *   TG peer id group dl                         ... had matched (a reload)
 *   TM group keep [peer id]...                  a match: its tickets
 *   TD peer id why                              a ticket ended
 *   GL name exp                                 a group's lifetime
 *
 * key is 64 hex digits; pub an "ip:port" or "[ip6]:port" ("" for none);
 * loc such addresses and grp names, comma-separated; origin the slot of the
 * node that made the change; nat a NAT type word (any other is "unknown");
 * pm the peer's port mapping, "" or an IPv4 "ip:port"; oth its reflexive
 * address on the other IP family, "" or an address with a port; rtt its
 * round trip to its node in microseconds (0: unknown). pm, oth and rtt are
 * absent from events of nodes older than them. Pure: no I/O.
 */
#ifndef P2P_CLUSTER_EV_H
#define P2P_CLUSTER_EV_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

#define CLUSTER_EV_MAX		8192	/* bytes of one message */
#define CLUSTER_EV_FIELDS	72	/* TM: 2 + 2 x MATCH_SIZE_MAX */

struct cluster_ev {
	uint64_t	 seq;
	char		 type[3];
	char		 buf[CLUSTER_EV_MAX + 1];
	const char	*f[CLUSTER_EV_FIELDS];	/* after SEQ and TYPE */
	unsigned	 nf;
};

/* 0, or -1 with the reason in err (the message is then ignored). */
int	cluster_ev_parse(const char *data, size_t len, struct cluster_ev *,
	    char *err, size_t errlen) __attribute__((warn_unused_result));
/* An R event as a registration (last_seen_us left 0). */
int	cluster_ev_peer(const struct cluster_ev *, struct state_peer *,
	    char *nat, size_t natlen, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/* An N event into p: peer_id, reg_id and the NAT facts (nat, portmap,
 * other, rtt_us; the rest zero); -1 if malformed. */
int	cluster_ev_nat(const struct cluster_ev *, struct state_peer *p)
	    __attribute__((warn_unused_result));
/* A TA event as a matchmaking ticket (attributes checked and sorted). */
int	cluster_ev_ticket(const struct cluster_ev *, struct state_ticket *)
	    __attribute__((warn_unused_result));
/* Field i as a number in [0, max]; -1 if it is not one. */
int	cluster_ev_num(const struct cluster_ev *, unsigned i, uint64_t max,
	    uint64_t *out) __attribute__((warn_unused_result));
/* Field i as a name (p2p_name_valid); NULL if it is not one. */
const char *cluster_ev_name(const struct cluster_ev *, unsigned i);
/* A numeric "ip:port" / "[ip6]:port" (no name lookups); -1 if not one. */
int	cluster_ev_addr(const char *s, size_t len,
	    struct sockaddr_storage *out) __attribute__((warn_unused_result));
/* Hex of n bytes into out (2n + 1). */
void	cluster_ev_hex(const uint8_t *in, size_t n, char *out);

#endif /* P2P_CLUSTER_EV_H */
