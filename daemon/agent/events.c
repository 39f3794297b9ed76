/* SPDX-License-Identifier: ISC */
/*
 * events.c: events for subscribers (SubscribeReq): peer states and group
 * membership.
 *
 * An event is queued to every subscribed client; ipc_send_event() drops a
 * subscriber whose unread output passed the cap (ERR_LAGGED), so a slow
 * reader never slows the agent or grows its memory.
 */
#include <string.h>

#include "agent.h"
#include "group.h"
#include "ipc.h"

void
events_peer_state(struct agent *a, const char *peer, const char *state,
    const char *path, const char *reason)
{
	P2p__Ipc__Event ev = P2P__IPC__EVENT__INIT;
	P2p__Ipc__PeerState ps = P2P__IPC__PEER_STATE__INIT;
	struct ipc_client *c, *tc;

	if (a->ipc == NULL)
		return;
	ps.peer_id = (char *)peer;
	ps.state = (char *)state;
	ps.path = (char *)path;
	ps.reason = (char *)(reason != NULL ? reason : "");
	ev.ev_case = P2P__IPC__EVENT__EV_PEER_STATE;
	ev.peer_state = &ps;
	TAILQ_FOREACH_SAFE(c, &a->ipc->clients, entry, tc) {
		if (c->subscribed && !c->closing)
			(void)ipc_send_event(c, &ev);
	}
}

/*
 * A membership event of a group. ipc_send_event() caps only peer_state
 * events, so the cap for subscribers is applied here as well: a subscriber
 * that does not read its events is dropped rather than buffered forever.
 */
void
events_group(struct agent *a, const char *event, const char *group,
    const char *peer, char **missing, size_t nmissing, uint32_t missing_count)
{
	P2p__Ipc__Event ev = P2P__IPC__EVENT__INIT;
	P2p__Ipc__GroupEvent ge = P2P__IPC__GROUP_EVENT__INIT;
	struct ipc_client *c, *tc;

	if (a->ipc == NULL)
		return;
	ge.event = (char *)event;
	ge.group = (char *)group;
	ge.peer_id = (char *)(peer != NULL ? peer : "");
	ge.missing = missing;
	ge.n_missing = nmissing;
	ge.missing_count = missing_count;
	ev.ev_case = P2P__IPC__EVENT__EV_GROUP_EVENT;
	ev.group_event = &ge;
	TAILQ_FOREACH_SAFE(c, &a->ipc->clients, entry, tc) {
		if (!c->subscribed || c->closing)
			continue;
		if (ipc_outlen(c) > AGENT_CLIENT_OUTCAP) {
			ipc_reply(c, 0, P2P__IPC__CODE__ERR_LAGGED,
			    "event subscriber too slow: %zu bytes unread",
			    ipc_outlen(c));
			ipc_client_close(c, "lagged");
			continue;
		}
		(void)ipc_send_event(c, &ev);
	}
}
