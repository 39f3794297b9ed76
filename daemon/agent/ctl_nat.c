/* SPDX-License-Identifier: ISC */
/*
 * ctl_nat.c: `p2pctl nat [--refresh]`: the agent's NAT classification
 * (the engine's nat.c). With refresh the tests run again and the answer
 * waits for their end (cb->nat_done), CTL_NAT_WAIT_US at most.
 */
#include <string.h>

#include <event2/event.h>

#include "ctl.h"

#define CTL_NAT_WAIT_US		(10ULL * 1000000)

static void
ctl_nat_reply(struct ipc_client *c, uint32_t id)
{
	P2p__Ipc__Response	 r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__NatResp	 nr = P2P__IPC__NAT_RESP__INIT;
	struct engine_nat	 en;

	engine_nat(c->a, &en);
	nr.nat_type = (char *)en.type;
	nr.nat_mapping = (char *)en.mapping;
	nr.nat_filtering = (char *)en.filtering;
	nr.mapped_addr = (char *)en.mapped;
	nr.other_addr = (char *)en.other;
	nr.detail = (char *)en.detail;
	nr.tested_ago_s = en.tested_ago_s;
	nr.portmap_protocol = (char *)en.portmap_proto;
	nr.portmap_external = en.portmap_external;
	nr.portmap_lifetime_s = en.portmap_lifetime_s;
	r.id = id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_NAT;
	r.nat = &nr;
	(void)ipc_send_resp(c, &r);
}

/* Answer the waiters: all (the run ended) or those past their deadline. */
static void
ctl_nat_answer(struct ctl *ctl, int all)
{
	uint64_t	now = agent_now(), next = 0;
	size_t		i = 0;

	while (i < ctl->nnat) {
		if (!all && now < ctl->nat_w[i].deadline) {
			if (next == 0 || ctl->nat_w[i].deadline < next)
				next = ctl->nat_w[i].deadline;
			i++;
			continue;
		}
		if (all)
			ctl_nat_reply(ctl->nat_w[i].c, ctl->nat_w[i].id);
		else
			ipc_reply(ctl->nat_w[i].c, ctl->nat_w[i].id,
			    P2P__IPC__CODE__ERR_TIMEOUT, "no NAT test result "
			    "in time (server state: %s)",
			    engine_server_state(ctl->a));
		ctl->nat_w[i] = ctl->nat_w[--ctl->nnat];
	}
	if (next != 0 && ctl->nat_timer != NULL)
		agent_timer_in(ctl->nat_timer, next - now);
}

static void
ctl_nat_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ctl_nat_answer(arg, 0);
}

void
ctl_nat(struct ipc_client *c, P2p__Ipc__Request *req)
{
	struct ctl *ctl = c->a->ctl;
	struct ctl_nat_wait *w;

	if (!req->nat->refresh) {
		ctl_nat_reply(c, req->id);
		return;
	}
	if (ctl->nnat == CTL_NAT_WAITERS || (ctl->nat_timer == NULL &&
	    (ctl->nat_timer = evtimer_new(c->a->base, ctl_nat_timeout,
	    ctl)) == NULL)) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_BUSY, "too many "
		    "'nat --refresh' requests are waiting");
		return;
	}
	w = &ctl->nat_w[ctl->nnat++];
	w->c = c;
	w->id = req->id;
	w->deadline = agent_now() + CTL_NAT_WAIT_US;
	ctl_nat_answer(ctl, 0);		/* arms the timer */
	engine_nat_refresh(c->a);
}

void
ctl_nat_done(struct ctl *ctl)
{
	ctl_nat_answer(ctl, 1);
}

void
ctl_nat_gone(struct ipc_client *c)
{
	struct ctl *ctl = c->a->ctl;
	size_t i = 0;

	while (i < ctl->nnat) {
		if (ctl->nat_w[i].c == c)
			ctl->nat_w[i] = ctl->nat_w[--ctl->nnat];
		else
			i++;
	}
}

void
ctl_nat_free(struct ctl *ctl)
{
	if (ctl->nat_timer != NULL)
		event_free(ctl->nat_timer);
	ctl->nat_timer = NULL;
	ctl->nnat = 0;
}
