/* SPDX-License-Identifier: ISC */
/*
 * ctl_events.c: `p2pctl events` (SubscribeReq) and the events it gets:
 * peer states (from the engine) and group membership (ctl_group.c), each
 * with the time it happened (Event.time_us).
 *
 * An event is queued to every subscribed client; a subscriber whose
 * unread output passed the cap is dropped (ERR_LAGGED), so a slow reader
 * never slows the agent or grows its memory.
 */
#include <string.h>

#include "ctl.h"

void
ctl_subscribe(struct ipc_client *c, P2p__Ipc__Request *req)
{
	c->subscribed = 1;
	ipc_reply(c, req->id, P2P__IPC__CODE__OK, NULL);
}

/* Queue ev to every subscriber (ipc_send_event drops a lagging one),
 * stamped with the wall clock. */
static void
ctl_events_send(struct ctl *ctl, P2p__Ipc__Event *ev)
{
	struct ipc_client *c, *tc;

	ev->time_us = agent_wall_ns() / 1000;
	TAILQ_FOREACH_SAFE(c, &ctl->ipc->clients, entry, tc) {
		if (c->subscribed && !c->closing)
			(void)ipc_send_event(c, ev);
	}
}

void
ctl_events_peer_state(struct ctl *ctl, const char *peer, const char *state,
    const char *path, const char *reason)
{
	P2p__Ipc__Event ev = P2P__IPC__EVENT__INIT;
	P2p__Ipc__PeerState ps = P2P__IPC__PEER_STATE__INIT;

	ps.peer_id = (char *)peer;
	ps.state = (char *)state;
	ps.path = (char *)path;
	ps.reason = (char *)(reason != NULL ? reason : "");
	ev.ev_case = P2P__IPC__EVENT__EV_PEER_STATE;
	ev.peer_state = &ps;
	ctl_events_send(ctl, &ev);
}

void
ctl_events_group(struct ctl *ctl, const char *event, const char *group,
    const char *peer, char **missing, size_t nmissing, uint32_t missing_count)
{
	P2p__Ipc__Event ev = P2P__IPC__EVENT__INIT;
	P2p__Ipc__GroupEvent ge = P2P__IPC__GROUP_EVENT__INIT;

	ge.event = (char *)event;
	ge.group = (char *)group;
	ge.peer_id = (char *)(peer != NULL ? peer : "");
	ge.missing = missing;
	ge.n_missing = nmissing;
	ge.missing_count = missing_count;
	ev.ev_case = P2P__IPC__EVENT__EV_GROUP_EVENT;
	ev.group_event = &ge;
	ctl_events_send(ctl, &ev);
}
