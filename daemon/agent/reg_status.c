/* SPDX-License-Identifier: ISC */
/*
 * reg_status.c: what status shows of the registration (agent.h): its
 * state and error, the public address, the leg, the node registered with
 * and the nodes of the cluster as they were told.
 */
#include "config.h"

#include <stdio.h>

#include "addr.h"
#include "agent.h"
#include "reg.h"

enum reg_state
reg_state(struct agent *a)
{
	return a->reg != NULL ? a->reg->state : REG_UNREACHABLE;
}

const char *
reg_state_name(enum reg_state s)
{
	switch (s) {
	case REG_REGISTERED:
		return "registered";
	case REG_UNREACHABLE:
		return "unreachable";
	case REG_REJECTED:
		return "rejected";
	default:
		return "registering";
	}
}

const char *
reg_error(struct agent *a)
{
	return a->reg != NULL ? a->reg->error : "";
}

uint32_t
reg_current_id(struct agent *a)
{
	return a->reg != NULL && a->reg->phase == PH_UP ? a->reg->reg_id : 0;
}

void
reg_public_addr(struct agent *a, char *buf, size_t len)
{
	if (a->reg == NULL || !a->reg->have_public) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	addr_fmt((struct sockaddr *)&a->reg->public, buf, len);
}

const struct sockaddr *
reg_public_sa(struct agent *a)
{
	if (a->reg == NULL || !a->reg->have_public)
		return NULL;
	return (const struct sockaddr *)&a->reg->public;
}

/* Which leg a registration (or its attempt) is using: for status. */
const char *
reg_transport_name(struct agent *a)
{
	return a->reg != NULL && a->reg->use_tcp ? "tcp" : "udp";
}

const char *
reg_server_node(struct agent *a)
{
	struct reg *r = a->reg;

	if (r == NULL || r->phase != PH_UP)
		return "";
	return r->node_id;
}

void
reg_server_nodes(struct agent *a, void (*fn)(void *, const char *id,
    const char *udp, const char *tcp), void *arg)
{
	struct reg *r = a->reg;
	unsigned i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nnodes; i++)
		if (r->nodes[i].told)
			fn(arg, r->nodes[i].id, r->nodes[i].udp_s,
			    r->nodes[i].tcp_s);
}
