/* SPDX-License-Identifier: ISC */
/*
 * cluster.h: a p2p-server node in a cluster (docs/CLUSTER.md): its options,
 * its place in Redis (node id, epoch, slot), heartbeats, the list of nodes,
 * and reaping the registrations of nodes that died.
 *
 * At start (cluster_start) the node connects to Redis (or fails naming
 * --cluster), claims its node id (a live holder of the id fails naming
 * --node-id; a dead one is taken over: the epoch goes up at every start),
 * gets a slot (1..255: the top byte of its reg_ids, so a reg_id names its
 * node), retracts what an earlier run of its own left behind, loads the
 * cluster's state into its view, and imports the state directory's groups
 * file if Redis has no groups yet. Then, on a one-second tick: a heartbeat
 * (p2p:alive:ID, lives CLUSTER_ALIVE_MS, renewed every CLUSTER_BEAT_S) and
 * a look at the other nodes (every CLUSTER_REAP_S): the registrations of a
 * node whose alive key expired become pins (cluster_lua_reap), on every
 * node, once.
 */
#ifndef P2P_CLUSTER_H
#define P2P_CLUSTER_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster_url.h"
#include "secret.h"
#include "state.h"
#include "wire.h"

#define CLUSTER_ALIVE_MS	10000
#define CLUSTER_BEAT_S		3
#define CLUSTER_REAP_S		2
#define CLUSTER_START_US	(5 * 1000000ULL)	/* Redis at start */
#define CLUSTER_KEY_MIN		32

struct srv;
struct clr;
struct nodemsg;

struct cluster_node {
	char		 id[P2P_NAME_MAX + 1];	/* "": no node in the slot */
	int		 alive;
	char		 udp[64];
	char		 tcp[64];
	char		 udp6[64];		/* its IPv6 address; "": none */
	char		 tcp6[64];
	char		 node[64];		/* node-to-node address */
	uint64_t	 peers;
	uint64_t	 relay_bps;
	uint64_t	 hb_ms;			/* its last heartbeat, unix ms */
	uint64_t	 epoch;
	int		 draining;		/* shutting down */
	int		 aes;			/* takes AES-GCM NODE */
};

/* A blocking wait for one reply, at start (the loop runs meanwhile). */
struct cl_wait {
	int			 done;
	long long		 ints[4];
	char			 str[256];
	size_t			 n;
	int			 ok;
};

struct cluster {
	struct srv		*srv;
	struct cluster_url	 url;
	char			 node_id[P2P_NAME_MAX + 1];
	uint8_t			 key[SECRET_MAX];
	size_t			 keylen;
	struct clr		*link;
	struct state		*st;		/* state_redis, s->state */
	uint64_t		 epoch;
	uint16_t		 slot;
	char			 nonce[17];
	int			 run_fd;	/* STATE_DIR/cluster-run */
	uint64_t		 beat;
	unsigned		 ticks;
	struct event		*tick_ev;
	int			 starting;	/* node_start sent again */
	struct cluster_node	 nodes[STATE_NODES];
	uint64_t		 nodes_ms;	/* when nodes[] was read */
	uint64_t		 nodes_sig;	/* of the live set told agents */
	uint64_t		 nodes_bad;	/* entries refused, in all */
	uint64_t		 nodes_bad_last;	/* in the last read */
	/* Node to node (srv_node.c): keys, windows, addresses. */
	struct nodemsg		*nm;
	struct sockaddr_storage	 node_addr[STATE_NODES];
	int			 node_addr_ok[STATE_NODES];
	uint64_t		 relay_out_bytes;
	uint64_t		 relay_bytes_beat;	/* at the last beat */
	/* cl_leave's replies may come after it returns (until clr_free). */
	struct cl_wait		 leave_w[2];
};

/*
 * Parse and check the cluster options of s->conf (called with the others,
 * before anything starts): 0, or -1 with "--option: why" in err.
 * argv_url: --cluster was given on the command line (no password then).
 */
int	cluster_check_conf(struct srv *, int url_from_flag, char *err,
	    size_t errlen);
struct srv_conf;
/* --check-config: the cluster options, checked as a start would. */
int	cluster_check_only(const struct srv_conf *, int url_from_flag,
	    char *err, size_t errlen);
/* Connect, claim the node id, load the state (blocking, bounded). */
int	cluster_start(struct srv *, char *err, size_t errlen);
void	cluster_stop(struct srv *);
/*
 * First start of a cluster: the groups file of the state directory goes
 * into Redis if Redis has no groups yet (blocking, bounded). 0 also when
 * there is nothing to import; -1 with "path:line: why" or the reason.
 */
int	cluster_import(struct srv *, const char *path, char *err,
	    size_t errlen);
/* A fresh reg_id: this node's slot in the top byte. */
uint32_t cluster_reg_id(const struct cluster *, uint32_t random);
/* "" when the cluster state is usable, else why (for /healthz). */
int	cluster_health(struct srv *, char *why, size_t len);
/* Live nodes now (for /metrics and /v1/nodes). */
size_t	cluster_live_nodes(const struct cluster *);
/* Redis commands this node sent (benchmarks). */
uint64_t cluster_commands(const struct cluster *);
/* Node entries read from Redis and refused as malformed (/metrics). */
uint64_t cluster_bad_nodes(const struct cluster *);

#endif /* P2P_CLUSTER_H */
