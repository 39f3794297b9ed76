/* SPDX-License-Identifier: ISC */
/*
 * cluster_int.h: what cluster.c (start, stop, import), cluster_claim.c (the
 * node id at start) and cluster_node.c (heartbeats, node list, reaping)
 * share. Not an interface: cluster.h is.
 */
#ifndef P2P_CLUSTER_INT_H
#define P2P_CLUSTER_INT_H

#include <event2/event.h>

#include "cluster.h"

uint64_t cl_now_ms(void);
/* The addresses devices use (srv_listen_addrs): udp, and udp6 ("": none). */
void	cl_bound(struct srv *, char *udp, size_t, char *udp6, size_t);
/* Where other nodes send node-to-node packets. */
void	cl_node_addr(struct srv *, char *, size_t);
void	cl_heartbeat(struct cluster *);
/* Claim the node id at start: 0, or -1 with err naming the option. */
int	cl_claim(struct cluster *, char *err, size_t errlen);
/* Blocking waits at start (the loop runs meanwhile): 0 if it came. */
struct redisReply;
void	cl_keep_reply(const struct redisReply *, void *cl_wait);
int	cl_run_until(struct srv *, const int *flag, uint64_t us);
int	cl_eval_wait(struct cluster *, const char *script, int argc,
	    const char **args, struct cl_wait *);
void	cl_tick(evutil_socket_t, short, void *);

#endif /* P2P_CLUSTER_INT_H */
