/* SPDX-License-Identifier: ISC */
/*
 * p2pclient_info.c: status, peers and the NAT classification, copied out of the agent's answer
 * into plain C structs so applications never see protobuf-c types.
 */
#include <stdlib.h>
#include <string.h>

#include "p2pclient_int.h"

void
p2pclient_status_free(struct p2pclient_status *st)
{
	size_t	i;

	if (st == NULL)
		return;
	free(st->peer_id);
	free(st->server_state);
	free(st->public_addr);
	free(st->server_error);
	free(st->server_transport);
	free(st->nat_type);
	free(st->nat_mapping);
	free(st->nat_filtering);
	free(st->version);
	free(st->server_addr);
	free(st->server_node);
	for (i = 0; i < st->n_server_nodes; i++) {
		if (st->server_nodes[i] == NULL)
			continue;
		free(st->server_nodes[i]->id);
		free(st->server_nodes[i]->udp);
		free(st->server_nodes[i]->tcp);
		free(st->server_nodes[i]);
	}
	free(st->server_nodes);
	free(st);
}

/* The cluster fields (since 1.3); -1 when out of memory. */
static int
p2pc_status_nodes(struct p2pclient_status *st, const P2p__Ipc__StatusResp *s)
{
	struct p2pclient_server_node *n;
	size_t i;

	if ((st->server_addr = strdup(s->server_addr)) == NULL)
		return -1;
	if (s->server_node[0] != '\0' &&
	    (st->server_node = strdup(s->server_node)) == NULL)
		return -1;
	if (s->n_server_nodes == 0)
		return 0;
	if ((st->server_nodes = calloc(s->n_server_nodes,
	    sizeof(*st->server_nodes))) == NULL)
		return -1;
	for (i = 0; i < s->n_server_nodes; i++) {
		if ((n = calloc(1, sizeof(*n))) == NULL)
			return -1;
		st->server_nodes[st->n_server_nodes++] = n;
		n->size = sizeof(*n);
		n->id = strdup(s->server_nodes[i]->id);
		n->udp = strdup(s->server_nodes[i]->udp);
		n->tcp = strdup(s->server_nodes[i]->tcp);
		if (n->id == NULL || n->udp == NULL || n->tcp == NULL)
			return -1;
	}
	return 0;
}

int
p2pclient_status(struct p2pclient *c, struct p2pclient_status **out)
{
	const P2p__Ipc__StatusResp	*s;
	const P2p__Ipc__Counters	*k;
	struct p2pclient_status		*st;
	struct p2pc_req			*r;
	int				 rc;

	*out = NULL;
	if ((rc = p2pc_wait_room(c)) != 0 ||
	    (rc = p2pc_call(c, p2pclient_status_async(c), &r)) != 0)
		return rc;
	if (r->resp->result_case != P2P__IPC__RESPONSE__RESULT_STATUS) {
		p2pc_req_release(c, r);
		return p2pc_seterr(c, P2PCLIENT_EPROTO, "p2pd answered status "
		    "without a status");
	}
	s = r->resp->status;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		goto nomem;
	st->size = sizeof(*st);
	st->peer_id = strdup(s->peer_id);
	st->server_state = strdup(s->server_state);
	st->server_error = strdup(s->server_error);
	if (s->public_addr[0] != '\0')
		st->public_addr = strdup(s->public_addr);
	if (st->peer_id == NULL || st->server_state == NULL ||
	    st->server_error == NULL ||
	    (s->public_addr[0] != '\0' && st->public_addr == NULL))
		goto nomem;
	if (s->server_transport[0] != '\0' && (st->server_transport =
	    strdup(s->server_transport)) == NULL)
		goto nomem;
	/* an agent without NAT tests sends "": that is "unknown" too */
	st->nat_type = strdup(s->nat_type[0] ? s->nat_type : "unknown");
	st->nat_mapping = strdup(s->nat_mapping[0] ? s->nat_mapping :
	    "unknown");
	st->nat_filtering = strdup(s->nat_filtering[0] ? s->nat_filtering :
	    "unknown");
	if (st->nat_type == NULL || st->nat_mapping == NULL ||
	    st->nat_filtering == NULL)
		goto nomem;
	st->local_port = s->local_port;
	if ((st->version = strdup(s->version)) == NULL)
		goto nomem;
	st->uptime_s = s->uptime_s;
	if ((k = s->counters) != NULL) {
		st->packets_in = k->packets_in;
		st->packets_out = k->packets_out;
		st->dropped = k->dropped;
		st->retransmitted = k->retransmitted;
		st->bytes_in = k->bytes_in;
		st->bytes_out = k->bytes_out;
	}
	if (p2pc_status_nodes(st, s) == -1)
		goto nomem;
	p2pc_req_release(c, r);
	*out = st;
	return 0;
nomem:
	p2pclient_status_free(st);
	p2pc_req_release(c, r);
	return p2pc_seterr(c, P2PCLIENT_ENOMEM, "out of memory");
}

void
p2pclient_peer_free(struct p2pclient_peer *p)
{
	if (p == NULL)
		return;
	free(p->peer_id);
	free(p->path);
	free(p->remote_addr);
	free(p->state);
	free(p->path_detail);
	free(p->congestion);
	free(p->cipher);
	free(p);
}

void
p2pclient_peers_free(struct p2pclient_peers *ps)
{
	size_t	i;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->n; i++)
		p2pclient_peer_free(ps->v[i]);
	free(ps->v);
	free(ps);
}

static struct p2pclient_peer *
p2pc_peer_from(const P2p__Ipc__PeerInfo *pi)
{
	struct p2pclient_peer	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->size = sizeof(*p);
	p->peer_id = strdup(pi->peer_id);
	p->path = strdup(pi->path);
	p->remote_addr = strdup(pi->remote_addr);
	p->state = strdup(pi->state);
	p->path_detail = strdup(pi->path_detail);
	p->congestion = strdup(pi->congestion);
	p->cipher = strdup(pi->cipher);
	if (!p->peer_id || !p->path || !p->remote_addr || !p->state ||
	    !p->path_detail || !p->congestion || !p->cipher) {
		p2pclient_peer_free(p);
		return NULL;
	}
	p->cwnd_bytes = pi->cwnd_bytes;
	p->lost_packets = pi->lost_packets;
	p->retransmitted_bytes = pi->retransmitted_bytes;
	p->max_message = pi->max_message;
	p->path_changes = pi->path_changes;
	p->rtt_ms = pi->rtt_ms;
	p->tx_bytes = pi->tx_bytes;
	p->rx_bytes = pi->rx_bytes;
	p->rttvar_ms = pi->rttvar_ms;
	p->min_rtt_ms = pi->min_rtt_ms;
	p->tx_packets = pi->tx_packets;
	p->queued_bytes = pi->queued_bytes;
	p->in_flight_bytes = pi->in_flight_bytes;
	p->latest_rtt_ms = pi->latest_rtt_ms;
	/* an older agent does not send the ages: 0 would say "just now" */
	if (pi->cipher[0] != '\0') {
		p->handshake_age_s = pi->handshake_age_s;
		p->last_rx_age_s = pi->last_rx_age_s;
		p->rtt_age_s = pi->rtt_age_s;
	} else
		p->handshake_age_s = p->last_rx_age_s = p->rtt_age_s = -1;
	return p;
}

/* The agent's peer list as plain C structs (NULL: out of memory). */
int
p2pc_peers_from(const P2p__Ipc__PeersResp *pr, struct p2pclient_peers **out)
{
	struct p2pclient_peers	*ps;
	size_t			 i;

	*out = NULL;
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return -1;
	ps->size = sizeof(*ps);
	if (pr->n_peers > 0 && (ps->v = calloc(pr->n_peers,
	    sizeof(*ps->v))) == NULL)
		goto nomem;
	for (i = 0; i < pr->n_peers; i++) {
		if ((ps->v[ps->n] = p2pc_peer_from(pr->peers[i])) == NULL)
			goto nomem;
		ps->n++;
	}
	*out = ps;
	return 0;
nomem:
	p2pclient_peers_free(ps);
	return -1;
}

int
p2pclient_peers(struct p2pclient *c, struct p2pclient_peers **out)
{
	struct p2pc_req	*r;
	int		 rc;

	*out = NULL;
	if ((rc = p2pc_wait_room(c)) != 0 ||
	    (rc = p2pc_call(c, p2pclient_peers_async(c), &r)) != 0)
		return rc;
	if (r->resp->result_case != P2P__IPC__RESPONSE__RESULT_PEERS) {
		p2pc_req_release(c, r);
		return p2pc_seterr(c, P2PCLIENT_EPROTO, "p2pd answered peers "
		    "without a peer list");
	}
	rc = p2pc_peers_from(r->resp->peers, out);
	p2pc_req_release(c, r);
	if (rc == -1)
		return p2pc_seterr(c, P2PCLIENT_ENOMEM, "out of memory");
	return 0;
}

void
p2pclient_nat_free(struct p2pclient_nat *n)
{
	if (n == NULL)
		return;
	free(n->nat_type);
	free(n->nat_mapping);
	free(n->nat_filtering);
	free(n->mapped_addr);
	free(n->other_addr);
	free(n->detail);
	free(n->portmap_protocol);
	free(n->portmap_external);
	free(n);
}

int
p2pclient_nat(struct p2pclient *c, int refresh, struct p2pclient_nat **out)
{
	P2p__Ipc__Request	 q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__NatReq	 m = P2P__IPC__NAT_REQ__INIT;
	const P2p__Ipc__NatResp	*s;
	struct p2pclient_nat	*n;
	struct p2pc_req		*r;
	int			 rc;

	*out = NULL;
	q.op_case = P2P__IPC__REQUEST__OP_NAT;
	q.nat = &m;
	m.refresh = refresh != 0;
	if ((rc = p2pc_wait_room(c)) != 0 ||
	    (rc = p2pc_call(c, p2pc_submit(c, &q, P2PC_ASYNC), &r)) != 0)
		return rc;
	if (r->resp->result_case != P2P__IPC__RESPONSE__RESULT_NAT) {
		p2pc_req_release(c, r);
		return p2pc_seterr(c, P2PCLIENT_EPROTO, "p2pd answered nat "
		    "without a NAT result");
	}
	s = r->resp->nat;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		goto nomem;
	n->size = sizeof(*n);
	n->nat_type = strdup(s->nat_type);
	n->nat_mapping = strdup(s->nat_mapping);
	n->nat_filtering = strdup(s->nat_filtering);
	n->mapped_addr = strdup(s->mapped_addr);
	n->other_addr = strdup(s->other_addr);
	n->detail = strdup(s->detail);
	n->portmap_protocol = strdup(s->portmap_protocol);
	n->portmap_external = strdup(s->portmap_external);
	if (n->nat_type == NULL || n->nat_mapping == NULL ||
	    n->nat_filtering == NULL || n->mapped_addr == NULL ||
	    n->other_addr == NULL || n->detail == NULL ||
	    n->portmap_protocol == NULL || n->portmap_external == NULL)
		goto nomem;
	n->tested_ago_s = s->tested_ago_s;
	n->portmap_lifetime_s = s->portmap_lifetime_s;
	p2pc_req_release(c, r);
	*out = n;
	return 0;
nomem:
	p2pclient_nat_free(n);
	p2pc_req_release(c, r);
	return p2pc_seterr(c, P2PCLIENT_ENOMEM, "out of memory");
}
