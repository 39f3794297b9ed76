/* SPDX-License-Identifier: ISC */
/*
 * srv_wire.c: the server's layers wired together (server.h, struct
 * srv_hooks): what the transport and the cluster hand up goes to the
 * layers above them. The only file that names functions of both sides.
 */
#include "config.h"

#include "server.h"

void	srv_cluster_hooks(struct srv *, struct state_redis_hooks *);

void
srv_wire(struct srv *s)
{
	s->hooks.stun = srv_stun_input;
	s->hooks.packet = srv_packet;
	s->hooks.tcp_closed = srv_reg_tcp_closed;
	s->hooks.cluster_state = srv_cluster_hooks;
	s->hooks.nodes_changed = srv_nodes_changed;
}
