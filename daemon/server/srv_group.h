/* SPDX-License-Identifier: ISC */
/*
 * srv_group.h: server-managed groups (PROTOCOL.md §7): the operations the
 * HTTP API and the agents' CTRL requests call, the policy, membership events
 * and join_complete.
 *
 * The logic knows no sockets or clocks: the caller passes now_us, pushes
 * events through srv_group_io, reports push acknowledgements with
 * srv_group_acked() and calls srv_group_tick() at srv_group_next() (join
 * timeouts, coalesced state_sync). srv_signal.c binds it to the server.
 *
 * Operations change the state, whose writes complete later on a cluster
 * (state.h), so each answers through a callback (the *_cb forms): called
 * exactly once, after the events went out. The plain forms return the
 * answer directly and work only on a state that answers at once (the
 * memory backend: tests and tools); elsewhere they return
 * SRV_GROUP_UNAVAILABLE and change nothing.
 */
#ifndef P2P_SRV_GROUP_H
#define P2P_SRV_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

#define SRV_GROUP_MESH_MAX	32		/* default --mesh-max */
#define SRV_GROUP_JOIN_US	(5 * 1000000ULL)	/* default --join-timeout */
#define SRV_GROUP_SYNC_US	200000ULL	/* coalesce writes this long */
#define SRV_GROUP_TRACK_MAX	4096		/* joins awaiting acks */

enum srv_group_rc {
	SRV_GROUP_OK = 0,
	SRV_GROUP_INVALID = -1,		/* a bad name, attribute, option */
	SRV_GROUP_NOT_FOUND = -2,	/* no such group */
	SRV_GROUP_EXISTS = -3,		/* create: exists */
	SRV_GROUP_NOT_MEMBER = -4,	/* leave: not a member */
	SRV_GROUP_ALREADY = -5,		/* join: already a member */
	SRV_GROUP_DENIED = -6,		/* the policy says no */
	SRV_GROUP_FULL = -7,
	SRV_GROUP_UNAVAILABLE = -8	/* cluster state unavailable */
};

typedef void (*srv_group_done)(enum srv_group_rc, void *arg);
/* An agent's request: msg says why when rc is not SRV_GROUP_OK. */
typedef void (*srv_group_req_done)(enum srv_group_rc, const char *msg,
    void *arg);

enum srv_group_ev {
	SRV_GEV_MEMBER_JOIN = 1,
	SRV_GEV_MEMBER_LEAVE,
	SRV_GEV_DESTROYED,
	SRV_GEV_JOIN_COMPLETE
};

struct srv_group_event {
	enum srv_group_ev	 type;
	const char		*group;
	const char		*peer_id;	/* joiner / leaver; NULL else */
	const char *const	*missing;	/* join_complete: not acked */
	size_t			 nmissing;
};

struct srv_group_io {
	/*
	 * Push ev to the agent of member `to`. Returns a non-zero cookie that
	 * srv_group_acked() will be given when that agent acknowledges, or 0
	 * when the member has no agent connected here.
	 */
	uint64_t	(*push)(void *arg, const char *to,
			    const struct srv_group_event *ev);
	/* Policy groups: a and b share no group any more (withdraw). */
	void		(*unshare)(void *arg, const char *a, const char *b,
			    const char *reason);
	/* A mesh group: introduce joiner to member (if both are online). */
	void		(*introduce)(void *arg, const char *joiner,
			    const char *member);
	/* srv_group_next() may be earlier now: re-arm the timer. */
	void		(*rearm)(void *arg);
	void		*arg;
};

/*
 * An observer sees each event once (not once per member), after the pushes:
 * the HTTP API's /v1/events. At most SRV_GROUP_OBSERVERS.
 */
#define SRV_GROUP_OBSERVERS	4
typedef void (*srv_group_observer)(const struct srv_group_event *, void *);

struct srv_group_conf {
	size_t		 mesh_max;	/* mesh sessions up to this size */
	uint64_t	 join_timeout_us;
	int		 open;		/* --policy open */
};

/* Agents' requests (CTRL), checked against the policy. */
enum srv_group_op {
	SRV_GOP_JOIN,
	SRV_GOP_LEAVE,
	SRV_GOP_CREATE,
	SRV_GOP_DESTROY
};

struct srv_groups;

struct srv_groups *srv_group_new(struct state *,
		    const struct srv_group_conf *, const struct srv_group_io *);
void		 srv_group_free(struct srv_groups *);
int		 srv_group_observe(struct srv_groups *, srv_group_observer,
		    void *);
void		 srv_group_unobserve(struct srv_groups *, srv_group_observer,
		    void *);

/* The operations of the API: no policy, events to every member. */
void		 srv_group_create_cb(struct srv_groups *, const char *name,
		    const struct state_attr *, unsigned nattrs, int mesh,
		    uint64_t now_us, srv_group_done, void *);
void		 srv_group_destroy_cb(struct srv_groups *, const char *name,
		    uint64_t now_us, srv_group_done, void *);
void		 srv_group_join_cb(struct srv_groups *, const char *name,
		    const char *peer_id, uint64_t now_us, srv_group_done,
		    void *);
void		 srv_group_leave_cb(struct srv_groups *, const char *name,
		    const char *peer_id, uint64_t now_us, srv_group_done,
		    void *);
/* srv_group_sync.c: the same, for a state that answers at once. */
enum srv_group_rc srv_group_create(struct srv_groups *, const char *name,
		    const struct state_attr *, unsigned nattrs, int mesh,
		    uint64_t now_us);
enum srv_group_rc srv_group_destroy(struct srv_groups *, const char *name,
		    uint64_t now_us);
enum srv_group_rc srv_group_join(struct srv_groups *, const char *name,
		    const char *peer_id, uint64_t now_us);
enum srv_group_rc srv_group_leave(struct srv_groups *, const char *name,
		    const char *peer_id, uint64_t now_us);
/* Group names (cb per name); returns the count. */
size_t		 srv_group_list(struct srv_groups *, state_name_cb, void *);
/* The group into *out and its members through member_cb (may be NULL). */
enum srv_group_rc srv_group_show(struct srv_groups *, const char *name,
		    struct state_group *out, state_name_cb member_cb, void *);

/*
 * A request from the agent of `me`, under the policy: with `groups` only
 * join and leave, of groups its token grants (join creates a missing one);
 * with `open` anything (join creates too). Fills msg on failure.
 */
void		 srv_group_request_cb(struct srv_groups *,
		    const struct state_peer *me, enum srv_group_op,
		    const char *name, uint64_t now_us, srv_group_req_done,
		    void *);
enum srv_group_rc srv_group_request(struct srv_groups *,
		    const struct state_peer *me, enum srv_group_op,
		    const char *name, uint64_t now_us, char *msg, size_t);

/*
 * May a and b have a session: policy open; or they are members of one
 * server-managed group; or their tokens share a group name for which no
 * server-managed group exists (a managed group replaces the token group of
 * its name; the token then only grants joining it).
 */
int		 srv_group_may_talk(struct srv_groups *,
		    const struct state_peer *a, const struct state_peer *b);

/*
 * Another node of the cluster changed a group (a join, a leave, or a
 * destroy, seen before the group is gone): push the event to this node's
 * agents among the members and show it to the observers.
 */
void		 srv_group_remote(struct srv_groups *, enum srv_group_ev,
		    const char *group, const char *peer_id);

/* --policy open (1) or groups (0), as a reload changes it. */
void		 srv_group_set_open(struct srv_groups *, int open);

/* The agent of peer_id acknowledged the push of that cookie. */
void		 srv_group_acked(struct srv_groups *, const char *peer_id,
		    uint64_t cookie, uint64_t now_us);
/* Join timeouts and pending state_sync; call at srv_group_next(). */
void		 srv_group_tick(struct srv_groups *, uint64_t now_us);
uint64_t	 srv_group_next(struct srv_groups *);	/* UINT64_MAX: none */
const char	*srv_group_strerror(enum srv_group_rc);

/* srv_signal.c: the binding to p2p-server (server.c calls these). */
struct srv;
int		 srv_groups_start(struct srv *, long mesh_max,
		    long join_timeout_s, char *err, size_t errlen);
void		 srv_groups_stop(struct srv *);

#endif /* P2P_SRV_GROUP_H */
