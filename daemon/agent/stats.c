/* SPDX-License-Identifier: ISC */
/*
 * stats.c: the agent's counters as one table (agent.h): each counter's
 * name (that of its field in ipc.proto's Counters, when it has one), where
 * it lives in struct agent_counters, its metric (name and labels, as
 * `p2pctl metrics` and --metrics show it, docs/METRICS.md) and what it
 * counts. `p2pctl status` is filled from it, and so are the metrics; a new
 * counter is one line here.
 */
#include <stddef.h>
#include <string.h>

#include "peer.h"
#include "session.h"

#define STAT(f, m, h)	{ #f, offsetof(struct agent_counters, f), m, \
			    NULL, NULL, h }
#define STATL(f, m, ln, lv, h)	{ #f, offsetof(struct agent_counters, \
				    f), m, ln, lv, h }
#define DROP(f, lv)	STATL(f, "p2pd_drops_total", "reason", lv, NULL)

const struct stats_field stats_fields[] = {
	STAT(packets_in, "p2pd_packets_received_total",
	    "datagrams received (the agent's and spray sockets, the TCP leg)"),
	STAT(packets_out, "p2pd_packets_sent_total", "datagrams sent"),
	STAT(dropped, "p2pd_dropped_total", "datagrams and messages "
	    "dropped: malformed, unknown, failed to decrypt, or no room"),
	STAT(bytes_in, "p2pd_received_bytes_total", "bytes received"),
	STAT(bytes_out, "p2pd_sent_bytes_total", "bytes sent"),
	STAT(retransmitted, "p2pd_lost_packets_total", "packets "
	    "declared lost and sent again, ended sessions included"),
	STAT(retransmitted_bytes, "p2pd_retransmitted_bytes_total",
	    "stream bytes sent again, ended sessions included"),
	STATL(drop_malformed, "p2pd_drops_total", "reason", "malformed",
	    "dropped, by reason (server: the server link's)"),
	DROP(drop_unknown_session, "unknown_session"),
	DROP(drop_decrypt, "decrypt"),
	DROP(drop_handshake, "handshake"),
	DROP(drop_no_room, "no_room"),
	DROP(drop_no_path, "no_path"),
	DROP(drop_guard, "guard"),
	DROP(drop_probe, "probe"),
	DROP(drop_server, "server"),
	STAT(handshakes, "p2pd_handshakes_total",
	    "handshakes that made a session"),
	STAT(rekeys, "p2pd_rekeys_total",
	    "session keys renewed, ended sessions included"),
	STATL(relay_bytes_in, "p2pd_relay_bytes_total", "direction", "in",
	    "peer packet bytes through the server's relay"),
	STATL(relay_bytes_out, "p2pd_relay_bytes_total", "direction", "out",
	    NULL),
	STAT(lost_bytes, "p2pd_lost_reliable_bytes_total", "reliable stream "
	    "bytes the transport had taken and the peer had not acknowledged "
	    "when their session ended"),
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

void
stats_collect(struct agent *a, struct agent_counters *c)
{
	struct tp_stats ts;
	struct peer *p;

	*c = a->ctr;
	/* What AGENT_DROP did not count: the server link's (reg*.c) */
	c->drop_server = c->dropped - c->drop_malformed -
	    c->drop_unknown_session - c->drop_decrypt - c->drop_handshake -
	    c->drop_no_room - c->drop_no_path - c->drop_guard -
	    c->drop_probe;
	c->retransmitted = a->ctr_closed.retransmitted;
	c->retransmitted_bytes = a->ctr_closed.retransmitted_bytes;
	c->rekeys = a->ctr_closed.rekeys;
	for (p = peer_first(a); p != NULL; p = peer_next(p)) {
		session_stats(p->s, &ts);
		c->retransmitted += ts.lost;
		c->retransmitted_bytes += ts.retransmits;
		if (p->s != NULL && p->s->state == SESS_UP)
			c->rekeys += p->s->chan.rekeys;
	}
}
