/* SPDX-License-Identifier: ISC */
/*
 * group.h: the agent's side of server-managed groups (PROTOCOL.md §7).
 *
 * group.c forwards the applications' GroupReq to the server (the server
 * decides; the agent only relays and remembers), keeps the member list of
 * each group this peer is in (from GroupList replies and membership
 * events), turns the server's group_event pushes into IPC events exactly
 * once (push_seq deduplication), and frames group messages (the header
 * below) for cmd_send and the recv path of ipc_cmd.c.
 *
 * Group messages travel on the reserved message stream GROUP_SERVICE; each
 * message starts with `1 | glen u8 | group | slen u8 | service` before the
 * application's bytes, so the receiving agent can hand it to the named
 * service with the group set (PROTOCOL.md §3.2).
 */
#ifndef P2P_AGENT_GROUP_H
#define P2P_AGENT_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "ipc.h"
#include "server.pb-c.h"

#define GROUP_SERVICE		"p2p.group"	/* reserved stream name */
#define GROUP_HDR_VERSION	1
#define GROUP_HDR_MAX		(3 + 2 * SVC_NAME_MAX)
#define GROUP_MAX		256	/* groups per peer (the server's cap) */
#define GROUP_MEMBERS_MAX	1024	/* members per group (ditto) */
#define GROUP_REQ_MAX		64	/* requests waiting for the server */

/* An application's GroupReq: answered now or when the server replies. */
void	group_request(struct ipc_client *, uint32_t id,
	    const P2p__Ipc__GroupReq *);
/*
 * A ServerMsg answered one of our requests (its id): 1 if it was a group
 * request (answered and forgotten), 0 if not ours.
 */
int	group_server_reply(struct agent *, const P2p__Srv__ServerMsg *);
/* A group_event push; seq is its push_seq (duplicates are dropped). */
void	group_event_push(struct agent *, uint32_t reg_id, uint32_t seq,
	    const P2p__Srv__GroupEvent *);
/* reg_ctrl.c retransmitted a request REG_TRIES times in vain. */
void	group_server_timeout(struct agent *, uint32_t srv_id);
/*
 * reg_ctrl.c: send a request (its id is set here) and retransmit it until
 * group_server_reply() took the answer. Returns the id, 0 on failure.
 */
uint32_t reg_group_request(struct agent *, P2p__Srv__ServerMsg *);
/* Registered (again): the member lists are refreshed from the server. */
void	group_registered(struct agent *);
/* At shutdown: forget every group and pending request. */
void	group_free(struct agent *);
/* The client went away: its pending requests are answered to nobody. */
void	group_client_gone(struct agent *, struct ipc_client *);

/* Group message framing. hdr must hold GROUP_HDR_MAX bytes. */
size_t	group_hdr_write(uint8_t *hdr, const char *group, const char *service);
/*
 * Parse a header: 0 and the names (NUL-terminated copies) and the header
 * length, or -1 if malformed.
 */
int	group_hdr_parse(const uint8_t *, size_t, char group[SVC_NAME_MAX + 1],
	    char service[SVC_NAME_MAX + 1], size_t *hdrlen);

/* events.c */
void	events_group(struct agent *, const char *event, const char *group,
	    const char *peer, char **missing, size_t nmissing,
	    uint32_t missing_count);

#endif /* P2P_AGENT_GROUP_H */
