/* SPDX-License-Identifier: ISC */
/*
 * cluster_int.h: what cluster.c (start, stop, import) and cluster_node.c
 * (heartbeats, node list, reaping) share. Not an interface: cluster.h is.
 */
#ifndef P2P_CLUSTER_INT_H
#define P2P_CLUSTER_INT_H

#include <event2/event.h>

#include "cluster.h"

uint64_t cl_now_ms(void);
/* The address devices use (--advertise or the bound one). */
void	cl_bound(struct srv *, char *, size_t);
/* Where other nodes send node-to-node packets. */
void	cl_node_addr(struct srv *, char *, size_t);
void	cl_heartbeat(struct cluster *);
void	cl_tick(evutil_socket_t, short, void *);

#endif /* P2P_CLUSTER_INT_H */
