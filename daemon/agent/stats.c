/* SPDX-License-Identifier: ISC */
/*
 * stats.c: the agent's counters as one table (agent.h): each counter's
 * name (that of its field in ipc.proto's Counters), where it lives in
 * struct agent_counters and what it counts. `p2pctl status` is filled from
 * it, and metrics can be; a new counter is one line here.
 */
#include <stddef.h>
#include <string.h>

#include "peer.h"
#include "session.h"

#define STAT(f, h)	{ #f, offsetof(struct agent_counters, f), h }

const struct stats_field stats_fields[] = {
	STAT(packets_in, "datagrams received (the agent's and spray "
	    "sockets, the TCP leg)"),
	STAT(packets_out, "datagrams sent"),
	STAT(dropped, "datagrams and messages dropped: malformed, unknown, "
	    "failed to decrypt, or no room"),
	STAT(bytes_in, "bytes received"),
	STAT(bytes_out, "bytes sent"),
	STAT(retransmitted, "packets declared lost and sent again, ended "
	    "sessions included"),
	{ NULL, 0, NULL }
};

void
stats_collect(struct agent *a, struct agent_counters *c)
{
	struct tp_stats ts;
	struct peer *p;

	*c = a->ctr;
	c->retransmitted = a->ctr_closed.retransmitted;
	for (p = peer_first(a); p != NULL; p = peer_next(p)) {
		session_stats(p->s, &ts);
		c->retransmitted += ts.lost;
	}
}
