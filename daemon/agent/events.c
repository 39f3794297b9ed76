/*
 * events.c: events for subscribers (SubscribeReq).
 *
 * An event is queued to every subscribed client; ipc_send_event() drops a
 * subscriber whose unread output passed the cap (ERR_LAGGED), so a slow
 * reader never slows the agent or grows its memory.
 */
#include <string.h>

#include "agent.h"
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
