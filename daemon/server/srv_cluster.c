/* SPDX-License-Identifier: ISC */
/*
 * srv_cluster.c: what other nodes of the cluster did, brought to this
 * node's agents (the hooks of state_redis.h): a registration of ours that
 * ended elsewhere is dropped here, introductions and withdrawals reach the
 * agents of the peers concerned that are registered here, group events go
 * to this node's members and to its /v1/events streams, and a NAT report
 * re-introduces its peer to the relayed peers registered here.
 */
#include "config.h"

#include "log.h"
#include "server.h"
#include "srv_group.h"
#include "state_redis.h"

static void
srv_cluster_dropped(uint32_t reg_id, const char *peer_id, void *arg)
{
	struct srv *s = arg;

	if (srv_sess_find(s, reg_id) == NULL)
		return;
	log_info("peer %s: its registration here ended (registered again "
	    "elsewhere in the cluster)", peer_id);
	srv_sess_drop(s, reg_id);
}

static void
srv_cluster_introduced(const char *a, const char *b, void *arg)
{
	srv_introduce_pair(arg, a, b);
}

static void
srv_cluster_withdrawn(const char *a, const char *b, const char *reason,
    void *arg)
{
	srv_withdraw_push(arg, a, b, reason[0] ? reason : "withdrawn");
}

static void
srv_cluster_nat(const char *peer_id, void *arg)
{
	srv_reintroduce_remote(arg, peer_id);
}

static void
srv_cluster_group(enum state_redis_gev gev, const char *group,
    const char *peer_id, void *arg)
{
	struct srv *s = arg;
	struct srv_groups *g = s->groups;

	if (g == NULL)
		return;
	switch (gev) {
	case STATE_REDIS_MEMBER_JOIN:
		srv_group_remote(g, SRV_GEV_MEMBER_JOIN, group, peer_id);
		break;
	case STATE_REDIS_MEMBER_LEAVE:
		srv_group_remote(g, SRV_GEV_MEMBER_LEAVE, group, peer_id);
		break;
	case STATE_REDIS_DESTROYED:
		srv_group_remote(g, SRV_GEV_DESTROYED, group, NULL);
		break;
	}
}

/* Set as s->hooks.cluster_state (srv_wire.c). */
void	srv_cluster_hooks(struct srv *, struct state_redis_hooks *);

void
srv_cluster_hooks(struct srv *s, struct state_redis_hooks *h)
{
	h->dropped = srv_cluster_dropped;
	h->introduced = srv_cluster_introduced;
	h->withdrawn = srv_cluster_withdrawn;
	h->group = srv_cluster_group;
	h->nat = srv_cluster_nat;
	h->synced = NULL;
	h->arg = s;
}
