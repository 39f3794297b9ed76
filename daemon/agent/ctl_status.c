/* SPDX-License-Identifier: ISC */
/*
 * ctl_status.c: `p2pctl status` and `p2pctl peers`. The counters are
 * filled from the agent's table of them (stats.c), field by field through
 * the Counters message's descriptor, so a counter added there shows here.
 * A PeersReq with watch_ms > 0 also starts pushes of the same table to
 * that client (PeerStats events) every watch_ms, until one with 0 or the
 * client goes. Status carries the agent's version and uptime; each peer
 * how fresh its figures are (handshake, last packet, RTT sample ages).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cc.h"
#include "ctl.h"

#define CTL_WATCH_MIN_MS	50	/* PeersReq.watch_ms below: this */

static void
ctl_status_counters(const struct agent_counters *ac, P2p__Ipc__Counters *pc)
{
	const ProtobufCFieldDescriptor *f;
	const struct stats_field *sf;
	uint64_t v;

	for (sf = stats_fields; sf->name != NULL; sf++) {
		f = protobuf_c_message_descriptor_get_field_by_name(
		    &p2p__ipc__counters__descriptor, sf->name);
		if (f == NULL || f->type != PROTOBUF_C_TYPE_UINT64)
			continue;
		memcpy(&v, (const char *)ac + sf->off, sizeof(v));
		memcpy((char *)pc + f->offset, &v, sizeof(v));
	}
}

#define CTL_STATUS_NODES	32

struct ctl_nodes {
	P2p__Ipc__ServerNode	 n[CTL_STATUS_NODES];
	P2p__Ipc__ServerNode	*p[CTL_STATUS_NODES];
	size_t			 count;
};

static void
ctl_status_node(void *arg, const char *id, const char *udp, const char *tcp)
{
	struct ctl_nodes *l = arg;
	P2p__Ipc__ServerNode *n;

	if (l->count >= CTL_STATUS_NODES)
		return;
	n = &l->n[l->count];
	p2p__ipc__server_node__init(n);
	n->id = (char *)id;
	n->udp = (char *)udp;
	n->tcp = (char *)tcp;
	l->p[l->count++] = n;
}

void
ctl_status(struct ipc_client *c, P2p__Ipc__Request *req)
{
	struct ctl_nodes nodes;
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__StatusResp st = P2P__IPC__STATUS_RESP__INIT;
	P2p__Ipc__Counters ctr = P2P__IPC__COUNTERS__INIT;
	struct engine_status es;
	struct engine_nat en;

	engine_status(c->a, &es);
	engine_nat(c->a, &en);
	ctl_status_counters(&es.ctr, &ctr);
	st.peer_id = c->a->peer_id;
	st.server_state = (char *)es.server_state;
	st.public_addr = es.public_addr;
	st.counters = &ctr;
	st.server_error = (char *)es.server_error;
	st.server_transport = (char *)es.server_transport;
	st.server_addr = es.server_addr;
	st.server_node = (char *)es.server_node;
	nodes.count = 0;
	engine_server_nodes(c->a, ctl_status_node, &nodes);
	st.server_nodes = nodes.p;
	st.n_server_nodes = nodes.count;
	st.local_port = es.local_port;
	st.nat_type = (char *)en.type;
	st.nat_mapping = (char *)en.mapping;
	st.nat_filtering = (char *)en.filtering;
	st.version = (char *)PACKAGE_VERSION;
	st.uptime_s = (double)(agent_now() - c->a->ctl->started) / 1e6;
	r.id = req->id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_STATUS;
	r.status = &st;
	(void)ipc_send_resp(c, &r);
}

/* An age in seconds, -1 for never. */
static double
ctl_status_age(int64_t us)
{
	return us < 0 ? -1 : (double)us / 1e6;
}

struct ctl_peers {
	P2p__Ipc__PeerInfo	*infos;
	P2p__Ipc__PeerInfo	**ptrs;
	char			(*addrs)[ADDR_STRLEN];
	size_t			 n, max;
};

static void
ctl_peers_one(void *arg, const struct engine_peer *e)
{
	struct ctl_peers *cp = arg;
	P2p__Ipc__PeerInfo *pi;

	if (cp->n == cp->max)
		return;
	pi = &cp->infos[cp->n];
	p2p__ipc__peer_info__init(pi);
	pi->peer_id = (char *)e->id;
	pi->state = (char *)e->state;
	pi->path = (char *)e->path;
	memcpy(cp->addrs[cp->n], e->remote, ADDR_STRLEN);
	pi->remote_addr = cp->addrs[cp->n];
	pi->path_detail = (char *)e->path_detail;
	pi->path_changes = e->path_changes;
	pi->rtt_ms = (double)e->ts.srtt_us / 1000.0;
	pi->tx_bytes = e->ts.tx_bytes;
	pi->rx_bytes = e->ts.rx_bytes;
	pi->queued_bytes = e->queued;
	if (e->up) {
		pi->congestion = (char *)cc_name(e->ts.congestion);
		pi->cwnd_bytes = e->ts.cwnd;
		pi->lost_packets = e->ts.lost;
		pi->retransmitted_bytes = e->ts.retransmits;
		pi->max_message = e->max_message;
		pi->rttvar_ms = (double)e->ts.rttvar_us / 1000.0;
		pi->min_rtt_ms = (double)e->ts.min_rtt_us / 1000.0;
		pi->tx_packets = e->ts.tx_packets;
		pi->in_flight_bytes = e->ts.bytes_in_flight;
		pi->latest_rtt_ms = (double)e->ts.latest_rtt_us / 1000.0;
	}
	pi->cipher = (char *)e->cipher;
	pi->handshake_age_s = ctl_status_age(e->hs_age_us);
	pi->last_rx_age_s = ctl_status_age(e->rx_age_us);
	pi->rtt_age_s = ctl_status_age(e->rtt_age_us);
	cp->ptrs[cp->n] = pi;
	cp->n++;
}

static void
ctl_peers_free(struct ctl_peers *cp)
{
	free(cp->infos);
	free(cp->ptrs);
	free(cp->addrs);
}

/* Every session's figures into pr (its memory in cp: ctl_peers_free). */
static int
ctl_peers_fill(struct agent *a, struct ctl_peers *cp, P2p__Ipc__PeersResp *pr)
{
	memset(cp, 0, sizeof(*cp));
	cp->max = engine_npeers(a) + 1;
	cp->infos = calloc(cp->max, sizeof(*cp->infos));
	cp->ptrs = calloc(cp->max, sizeof(*cp->ptrs));
	cp->addrs = calloc(cp->max, sizeof(*cp->addrs));
	if (cp->infos == NULL || cp->ptrs == NULL || cp->addrs == NULL) {
		ctl_peers_free(cp);
		return -1;
	}
	engine_peers(a, ctl_peers_one, cp);
	pr->n_peers = cp->n;
	pr->peers = cp->ptrs;
	return 0;
}

/* A watched client's push; one that has not taken its output gets the
 * next one instead (the figures are the latest, not a history). */
static void
ctl_peers_push(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_client *c = arg;
	P2p__Ipc__Event ev = P2P__IPC__EVENT__INIT;
	P2p__Ipc__PeersResp pr = P2P__IPC__PEERS_RESP__INIT;
	struct ctl_peers cp;

	(void)fd;
	(void)what;
	if (c->closing || ipc_outlen(c) > AGENT_CLIENT_OUTCAP ||
	    ctl_peers_fill(c->a, &cp, &pr) == -1)
		return;
	pr.watching = 1;
	ev.ev_case = P2P__IPC__EVENT__EV_PEER_STATS;
	ev.peer_stats = &pr;
	(void)ipc_send_event(c, &ev);
	ctl_peers_free(&cp);
}

/* Start, change or (ms 0) stop c's pushes; 0 or -1 (out of memory). */
static int
ctl_peers_watch(struct ipc_client *c, uint32_t ms)
{
	struct timeval tv;

	if (ms == 0) {
		if (c->pw_timer != NULL)
			event_del(c->pw_timer);
		return 0;
	}
	if (ms < CTL_WATCH_MIN_MS)
		ms = CTL_WATCH_MIN_MS;
	if (c->pw_timer == NULL && (c->pw_timer = event_new(c->a->base, -1,
	    EV_PERSIST, ctl_peers_push, c)) == NULL)
		return -1;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return event_add(c->pw_timer, &tv);
}

void
ctl_peers(struct ipc_client *c, P2p__Ipc__Request *req)
{
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__PeersResp pr = P2P__IPC__PEERS_RESP__INIT;
	struct ctl_peers cp;
	uint32_t ms = req->peers != NULL ? req->peers->watch_ms : 0;

	if (ctl_peers_fill(c->a, &cp, &pr) == -1) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_FAILED,
		    "out of memory");
		return;
	}
	if (ctl_peers_watch(c, ms) == -1) {
		ctl_peers_free(&cp);
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_FAILED,
		    "cannot start the watch: out of memory");
		return;
	}
	pr.watching = ms > 0;
	r.id = req->id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_PEERS;
	r.peers = &pr;
	(void)ipc_send_resp(c, &r);
	ctl_peers_free(&cp);
}

void
ctl_peers_gone(struct ipc_client *c)
{
	if (c->pw_timer != NULL)
		event_free(c->pw_timer);
	c->pw_timer = NULL;
}
