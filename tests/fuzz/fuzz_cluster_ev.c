/* SPDX-License-Identifier: ISC */
/*
 * fuzz_cluster_ev.c: the cluster's change events as they come from Redis
 * (cluster_ev.h), parsed and decoded as a node does (registrations and
 * matchmaking tickets), then applied to a memory view through the same
 * state calls a node makes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_ev.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct state *v;
	struct cluster_ev *ev;
	struct state_peer p, q;
	struct state_ticket t, old;
	uint32_t rep;
	uint16_t rnode;
	uint64_t n;
	char nat[32], err[128];
	unsigned i;

	if (v == NULL && (v = state_mem_new(1000)) == NULL)
		abort();
	if ((ev = malloc(sizeof(*ev))) == NULL)
		return 0;
	if (cluster_ev_parse((const char *)data, len, ev, err,
	    sizeof(err)) == 0) {
		if (ev->nf > CLUSTER_EV_FIELDS || ev->seq == 0)
			abort();
		for (i = 0; i < ev->nf; i++) {
			(void)cluster_ev_name(ev, i);
			(void)cluster_ev_num(ev, i, UINT64_MAX - 1, &n);
		}
		if (cluster_ev_peer(ev, &p, nat, sizeof(nat), err,
		    sizeof(err)) == 0) {
			if (p.reg_id == 0 || p.nlocal > STATE_MAX_LOCAL ||
			    p.ngroups > TOKEN_MAX_GROUPS ||
			    p.node >= STATE_NODES)
				abort();
			if (p.nat >= STATE_NAT_TYPES || (p.portmap.sin_port != 0 &&
			    p.portmap.sin_family != AF_INET))
				abort();
			if (p.rtt_us > STATE_RTT_MAX_US)
				abort();
			/* What the view keeps is what the event said. */
			if (state_mem_put(v, &p, &rep, &rnode) == 0 &&
			    state_mem_nat(v, &p) == 0 &&
			    (state_get_reg(v, p.reg_id, &q) != STATE_OK ||
			    q.other.ss_family != p.other.ss_family ||
			    q.rtt_us != p.rtt_us))
				abort();
			(void)state_mem_drop(v, p.peer_id, p.reg_id);
		}
		if (cluster_ev_nat(ev, &q) == 0 &&
		    (q.reg_id == 0 || q.nat >= STATE_NAT_TYPES ||
		    q.rtt_us > STATE_RTT_MAX_US ||
		    (q.portmap.sin_port != 0 &&
		    q.portmap.sin_family != AF_INET)))
			abort();
		if (cluster_ev_ticket(ev, &t) == 0) {
			if (!p2p_name_valid(t.peer_id) || t.id == 0 ||
			    t.size < MATCH_SIZE_MIN || t.size > MATCH_SIZE_MAX ||
			    t.nattrs > MATCH_ATTRS_MAX)
				abort();
			if (state_mem_ticket_put(v, &t) == -1)
				abort();
			(void)state_mem_ticket_matched(v, t.peer_id, t.id,
			    "m-1", 1, &old);
			(void)state_mem_ticket_drop(v, t.peer_id, t.id, &old);
		}
	}
	free(ev);
	return 0;
}
