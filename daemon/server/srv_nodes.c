/* SPDX-License-Identifier: ISC */
/*
 * srv_nodes.c: the live nodes of the cluster, told to agents (NodeList,
 * PROTOCOL.md §8): pushed on the control channel after each registration
 * and to every agent of the node when the set of live nodes changes (the
 * node list cluster_node.c reads from Redis). An agent moves to one of
 * them when its node stops answering; it believes the list because it
 * comes on the channel keyed by the server key all nodes share. Draining
 * nodes are left out, and as many nodes as fit one packet are named.
 */
#include "config.h"

#include <string.h>

#include "cluster.h"
#include "log.h"
#include "server.h"

/* What a NodeList may take of a CTRL packet (AGENT_UDP_MTU 1500). */
#define SRV_NODES_BYTES		1200
#define SRV_NODES_MAX		64

struct srv_nodes {
	P2p__Srv__NodeList	 nl;
	P2p__Srv__NodeInfo	 ni[SRV_NODES_MAX];
	P2p__Srv__NodeInfo	*np[SRV_NODES_MAX];
};

/* The list as it stands: this node first, then the others by slot. */
static void
srv_nodes_fill(struct srv *s, struct srv_nodes *l)
{
	const struct cluster *cl = s->cluster;
	const struct cluster_node *n;
	size_t i, k, size = 0;

	p2p__srv__node_list__init(&l->nl);
	l->nl.nodes = l->np;
	l->nl.self = (char *)cl->node_id;
	for (k = 0; k < STATE_NODES && l->nl.n_nodes < SRV_NODES_MAX; k++) {
		i = k == 0 ? cl->slot : k;
		if (k != 0 && i == cl->slot)
			continue;
		n = &cl->nodes[i];
		if (i == 0 || n->id[0] == '\0' || !n->alive || n->draining ||
		    n->udp[0] == '\0')
			continue;
		size += strlen(n->id) + strlen(n->udp) + strlen(n->tcp) +
		    strlen(n->udp6) + strlen(n->tcp6) + 12;
		if (size > SRV_NODES_BYTES)
			break;
		p2p__srv__node_info__init(&l->ni[l->nl.n_nodes]);
		l->ni[l->nl.n_nodes].id = (char *)n->id;
		l->ni[l->nl.n_nodes].udp = (char *)n->udp;
		l->ni[l->nl.n_nodes].tcp = (char *)n->tcp;
		l->ni[l->nl.n_nodes].udp6 = (char *)n->udp6;
		l->ni[l->nl.n_nodes].tcp6 = (char *)n->tcp6;
		l->np[l->nl.n_nodes] = &l->ni[l->nl.n_nodes];
		l->nl.n_nodes++;
	}
}

static int
srv_nodes_send(struct srv_sess *x, struct srv_nodes *l)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;

	m.body_case = P2P__SRV__SERVER_MSG__BODY_NODE_LIST;
	m.node_list = &l->nl;
	return srv_push(x, &m);
}

/* After a registration on a cluster node: the list to its agent. */
void
srv_nodes_push(struct srv *s, struct srv_sess *x)
{
	struct srv_nodes l;

	if (s->cluster == NULL)
		return;
	srv_nodes_fill(s, &l);
	if (srv_nodes_send(x, &l) == -1)
		log_debug("peer %s: node list not pushed", x->peer_id);
}

/* The set of live nodes changed: the new list to every agent here. */
void
srv_nodes_changed(struct srv *s)
{
	struct srv_nodes l;
	struct srv_sess *x;
	size_t b, n = 0;

	if (s->cluster == NULL || s->draining)
		return;
	srv_nodes_fill(s, &l);
	for (b = 0; b < SRV_BUCKETS; b++)
		for (x = s->sess[b]; x != NULL; x = x->next)
			if (srv_nodes_send(x, &l) == 0)
				n++;
	if (n > 0)
		log_info("cluster: %zu live node(s) now: told %zu agent(s)",
		    l.nl.n_nodes, n);
}
