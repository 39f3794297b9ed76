/* SPDX-License-Identifier: ISC */
/*
 * cluster_node.c: a node's life among the others (cluster.h): heartbeats
 * (and what their answers say: taken for dead, Redis emptied, the id taken
 * by another process), joining again with the same slot, the node list,
 * reaping the registrations of nodes whose alive key expired.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "cluster.h"
#include "cluster_ev.h"
#include "cluster_int.h"
#include "cluster_lua.h"
#include "cluster_redis.h"
#include "log.h"
#include "nodemsg.h"
#include "server.h"
#include "state_redis.h"

#define CL_NODE_FIELDS	14	/* per node in cluster_lua_nodes' reply */

static void
cl_ignore(const struct redisReply *reply, void *arg)
{
	(void)reply;
	(void)arg;
}

static void
cl_beat_reply(const struct redisReply *reply, void *arg)
{
	struct cluster *cl = arg;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements < 1 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER)
		return;
	switch (reply->element[0]->integer) {
	case 0:
		return;
	case 1:
		log_warnx("cluster: node %s was taken for dead (no heartbeat "
		    "for %d s): publishing its registrations again",
		    cl->node_id, CLUSTER_ALIVE_MS / 1000);
		state_redis_up(cl->st);		/* reload, put back */
		return;
	case -2:
		log_warnx("cluster: redis lost the cluster's state: joining "
		    "again");
		cl->starting = 1;
		return;
	default:
		fatalx("cluster: node id %s is now held by another process "
		    "(%s): stopping", cl->node_id, reply->elements > 1 &&
		    reply->element[1]->type == REDIS_REPLY_STRING ?
		    reply->element[1]->str : "?");
	}
}

void
cl_heartbeat(struct cluster *cl)
{
	char epoch[24], beat[24], now[24], peers[24], udp[64], ttl[16];
	char node[64], relay[24], udp6[64];
	const char *argv[18];

	cl_bound(cl->srv, udp, sizeof(udp), udp6, sizeof(udp6));
	cl_node_addr(cl->srv, node, sizeof(node));
	/* Relayed bytes per second since the last beat (ties: least loaded). */
	snprintf(relay, sizeof(relay), "%llu", (unsigned long long)
	    ((cl->srv->cnt.relay_bytes - cl->relay_bytes_beat) /
	    CLUSTER_BEAT_S));
	cl->relay_bytes_beat = cl->srv->cnt.relay_bytes;
	snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)cl->epoch);
	snprintf(beat, sizeof(beat), "%llu", (unsigned long long)++cl->beat);
	snprintf(now, sizeof(now), "%llu", (unsigned long long)cl_now_ms());
	snprintf(peers, sizeof(peers), "%zu", state_count(cl->st));
	snprintf(ttl, sizeof(ttl), "%d", CLUSTER_ALIVE_MS);
	argv[0] = "EVAL";
	argv[1] = cluster_lua_heartbeat;
	argv[2] = "0";
	argv[3] = cl->node_id;
	argv[4] = epoch;
	argv[5] = cl->nonce;
	argv[6] = beat;
	argv[7] = now;
	argv[8] = peers;
	argv[9] = relay;
	argv[10] = udp;
	argv[11] = udp;
	argv[12] = ttl;
	argv[13] = node;
	argv[14] = cl->srv->draining ? "1" : "0";
	argv[15] = cl->nm != NULL && cl->nm->aes ? "aes" : "";
	argv[16] = udp6;
	argv[17] = udp6;
	(void)clr_command(cl->link, cl_beat_reply, cl, 18, argv, NULL);
}

/* Redis lost everything: claim our slot again (the reg_ids name it). */
static void
cl_rejoin_reply(const struct redisReply *reply, void *arg)
{
	struct cluster *cl = arg;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements < 2 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER ||
	    reply->element[1]->type != REDIS_REPLY_INTEGER ||
	    reply->element[0]->integer <= 0)
		return;		/* the next tick tries again */
	if (reply->element[1]->integer != cl->slot)
		fatalx("cluster: slot %u of node %s went to another node "
		    "while redis was away: restart this node", cl->slot,
		    cl->node_id);
	cl->epoch = (uint64_t)reply->element[0]->integer;
	cl->starting = 0;
	log_info("cluster: joined again (epoch %llu)",
	    (unsigned long long)cl->epoch);
	state_redis_up(cl->st);
}

static void
cl_rejoin(struct cluster *cl)
{
	char now[24], udp[64], slot[8], node[64], udp6[64];
	const char *argv[12];

	cl_bound(cl->srv, udp, sizeof(udp), udp6, sizeof(udp6));
	cl_node_addr(cl->srv, node, sizeof(node));
	snprintf(now, sizeof(now), "%llu", (unsigned long long)cl_now_ms());
	snprintf(slot, sizeof(slot), "%u", cl->slot);
	argv[0] = "EVAL";
	argv[1] = cluster_lua_node_start;
	argv[2] = "0";
	argv[3] = cl->node_id;
	argv[4] = cl->nonce;
	argv[5] = now;
	argv[6] = udp;
	argv[7] = udp;
	argv[8] = "1";
	argv[9] = slot;
	argv[10] = node;
	argv[11] = udp6;
	(void)clr_command(cl->link, cl_rejoin_reply, cl, 12, argv, NULL);
}

static void
cl_reap(struct cluster *cl, uint16_t slot)
{
	const char *argv[4];
	char sl[8];

	snprintf(sl, sizeof(sl), "%u", slot);
	argv[0] = "EVAL";
	argv[1] = cluster_lua_reap;
	argv[2] = "0";
	argv[3] = sl;
	(void)clr_command(cl->link, cl_ignore, NULL, 4, argv, NULL);
}

/*
 * The node's aead field says it takes AES-256-GCM on the node channel, and
 * was written by its current run (EPOCH:aes).
 */
static int
cl_node_aes(const char *f, uint64_t epoch)
{
	unsigned long long e;
	char what[8];

	return sscanf(f, "%llu:%7s", &e, what) == 2 && e == epoch &&
	    strcmp(what, "aes") == 0;
}

/* The addresses of an entry: udp (tcp may be empty, then udp's). */
static int
cl_addr_ok(const struct redisReply *r, int v6, int empty)
{
	if (r->len == 0)
		return empty;
	return r->len < sizeof(((struct cluster_node *)0)->udp) &&
	    cluster_hostport_ok(r->str, r->len, v6);
}

static int
cl_node_addrs_ok(const struct redisReply *const *e)
{
	return cl_addr_ok(e[3], 0, 0) && cl_addr_ok(e[4], 0, 1) &&
	    cl_addr_ok(e[12], 1, 1) && cl_addr_ok(e[13], 1, 1);
}

/* FNV-1a over what agents are told of the live nodes (srv_nodes.c). */
static uint64_t
cl_nodes_sig(const struct cluster *cl)
{
	const struct cluster_node *n;
	uint64_t h = 14695981039346656037ULL;
	const char *f[5];
	size_t i, j;
	const char *c;

	for (i = 1; i < STATE_NODES; i++) {
		n = &cl->nodes[i];
		if (n->id[0] == '\0' || !n->alive || n->draining)
			continue;
		f[0] = n->id;
		f[1] = n->udp;
		f[2] = n->tcp;
		f[3] = n->udp6;
		f[4] = n->tcp6;
		for (j = 0; j < 5; j++)
			for (c = f[j]; ; c++) {
				h = (h ^ (uint8_t)*c) * 1099511628211ULL;
				if (*c == '\0')
					break;
			}
	}
	return h;
}

/* The node list: {slot, id, alive, udp, tcp, peers, relay, hb, epoch,
 * node, drain, aead, udp6, tcp6}... (cluster_lua_nodes). An entry whose
 * addresses do not parse is left out (counted; logged when such entries
 * appear after a read without); a dead one is still reaped. */
static void
cl_nodes_reply(const struct redisReply *reply, void *arg)
{
	struct cluster *cl = arg;
	struct cluster_node *n;
	unsigned long long v;
	uint64_t sig, bad = 0;
	size_t i, j;
	int slot;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements % CL_NODE_FIELDS != 0)
		return;
	for (i = 0; i < reply->elements; i++)
		if (reply->element[i]->type != REDIS_REPLY_STRING)
			return;
	memset(cl->nodes, 0, sizeof(cl->nodes));
	memset(cl->node_addr_ok, 0, sizeof(cl->node_addr_ok));
	for (i = 0; i < reply->elements; i += CL_NODE_FIELDS) {
		const struct redisReply *const *e = (const struct redisReply
		    *const *)reply->element + i;

		if (sscanf(e[0]->str, "%d", &slot) != 1 || slot <= 0 ||
		    slot >= STATE_NODES || !p2p_name_valid(e[1]->str)) {
			bad++;
			continue;
		}
		if (e[2]->len == 0 && slot != cl->slot)
			cl_reap(cl, (uint16_t)slot);
		if (!cl_node_addrs_ok(e)) {
			if (bad++ == 0 && cl->nodes_bad_last == 0)
				log_warnx("cluster: node %s's entry in redis "
				    "has a malformed address (left out)",
				    e[1]->str);
			continue;
		}
		n = &cl->nodes[slot];
		snprintf(n->id, sizeof(n->id), "%s", e[1]->str);
		n->alive = e[2]->len > 0;
		snprintf(n->udp, sizeof(n->udp), "%s", e[3]->str);
		snprintf(n->tcp, sizeof(n->tcp), "%s", e[4]->len > 0 ?
		    e[4]->str : e[3]->str);
		snprintf(n->udp6, sizeof(n->udp6), "%s", e[12]->str);
		snprintf(n->tcp6, sizeof(n->tcp6), "%s", e[13]->len > 0 ?
		    e[13]->str : e[12]->str);
		for (j = 5; j < 9; j++) {
			v = 0;
			(void)sscanf(e[j]->str, "%llu", &v);
			if (j == 5)
				n->peers = v;
			else if (j == 6)
				n->relay_bps = v;
			else if (j == 7)
				n->hb_ms = v;
			else
				n->epoch = v;
		}
		snprintf(n->node, sizeof(n->node), "%s", e[9]->str);
		n->draining = strcmp(e[10]->str, "1") == 0;
		n->aes = cl_node_aes(e[11]->str, n->epoch);
		cl->node_addr_ok[slot] = n->alive && cluster_ev_addr(n->node,
		    strlen(n->node), &cl->node_addr[slot]) == 0;
	}
	cl->nodes_bad += bad;
	cl->nodes_bad_last = bad;
	cl->nodes_ms = cl_now_ms();
	sig = cl_nodes_sig(cl);
	if (sig != cl->nodes_sig) {
		/* The first read too: agents may have registered before. */
		cl->nodes_sig = sig;
		cl->srv->hooks.nodes_changed(cl->srv);
	}
}

void
cl_tick(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *cl = arg;
	const char *argv[3];

	(void)fd;
	(void)what;
	if (!clr_is_up(cl->link))
		return;
	cl->ticks++;
	if (cl->starting) {
		cl_rejoin(cl);
		return;
	}
	if (cl->ticks % CLUSTER_BEAT_S == 0)
		cl_heartbeat(cl);
	if (cl->ticks % CLUSTER_REAP_S == 0) {
		argv[0] = "EVAL";
		argv[1] = cluster_lua_nodes;
		argv[2] = "0";
		(void)clr_command(cl->link, cl_nodes_reply, cl, 3, argv, NULL);
	}
}

size_t
cluster_live_nodes(const struct cluster *cl)
{
	size_t i, n = 0;

	for (i = 1; i < STATE_NODES; i++)
		if (cl->nodes[i].id[0] != '\0' && cl->nodes[i].alive)
			n++;
	return n;
}

uint64_t
cluster_commands(const struct cluster *cl)
{
	return clr_commands(cl->link);
}

uint64_t
cluster_bad_nodes(const struct cluster *cl)
{
	return cl->nodes_bad;
}

int
cluster_health(struct srv *s, char *why, size_t len)
{
	if (s->cluster == NULL || s->cluster->st == NULL)
		return 0;
	return state_health(s->cluster->st, why, len);
}

