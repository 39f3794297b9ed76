/* SPDX-License-Identifier: ISC */
/*
 * state_redis.h: the Redis backend of state.h, for a cluster of nodes
 * (docs/CLUSTER.md).
 *
 * Redis holds the cluster's state; each node keeps a view of all of it in
 * a memory state (state_mem), kept current by the change events that the
 * Redis scripts publish (cluster_ev.h). Reads answer from the view. A write
 * is one script (cluster_lua.c); its callback runs once the node's view has
 * applied the write's own event, so a caller that answers from the callback
 * answers after its change is both in Redis and in this node's view. A
 * barrier reads p2p:seq and waits for the view to reach it.
 *
 * After each (re)connection the view is loaded again from Redis, page by
 * page, while the events of that time wait in a capped buffer; then the
 * node puts back the registrations it holds that Redis lost (Redis came
 * back empty) and retracts those Redis holds for it that ended meanwhile.
 * A gap in the event numbers (a message lost) starts a reload too.
 *
 * While Redis is unreachable every write fails at once with
 * STATE_UNAVAILABLE and health() says why; reads go on from the view, and
 * registrations of this node keep working (touch and expiry are local).
 *
 * Hooks tell the server what other nodes did that concerns its agents.
 */
#ifndef P2P_STATE_REDIS_H
#define P2P_STATE_REDIS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

#define STATE_REDIS_BUFFERED	100000	/* events kept while reloading */
#define STATE_REDIS_VIEW_MAX	1000000	/* peers of the whole cluster */

struct clr;

enum state_redis_gev {
	STATE_REDIS_MEMBER_JOIN = 1,
	STATE_REDIS_MEMBER_LEAVE,
	STATE_REDIS_DESTROYED
};

struct state_redis_hooks {
	/* A registration of this node ended by the cluster's doing. */
	void	(*dropped)(uint32_t reg_id, const char *peer_id, void *arg);
	/* Another node introduced a and b (a the initiator). */
	void	(*introduced)(const char *a, const char *b, void *arg);
	/* Another node withdrew the introduction of a and b. */
	void	(*withdrawn)(const char *a, const char *b, const char *reason,
		    void *arg);
	/* Another node changed a group's membership. */
	void	(*group)(enum state_redis_gev, const char *group,
		    const char *peer_id, void *arg);
	/* Another node's registration sent a NAT report (in the view now). */
	void	(*nat)(const char *peer_id, void *arg);
	/* The view was reloaded (and is in sync again). */
	void	(*synced)(void *arg);
	void	*arg;
};

/*
 * A backend on link (owned by the caller, which forwards its p2p:ev
 * messages to state_redis_message and its up/down to state_redis_up/down),
 * for node slot, with at most max_local registrations of its own.
 */
struct state	*state_redis_new(struct clr *link, uint16_t slot,
		    size_t max_local, const struct state_redis_hooks *);
void		 state_redis_message(struct state *, const char *data,
		    size_t len);
void		 state_redis_up(struct state *);
void		 state_redis_down(struct state *, const char *why);
/* 1 once the view follows the events (loaded after the last connect). */
int		 state_redis_synced(const struct state *);
/* Stop calling anyone back: pending answers are dropped (shutdown). */
void		 state_redis_close(struct state *);
/*
 * A NAT report of a local registration p (peer_id, reg_id and its NAT
 * facts: nat, portmap, other, rtt_us), for the other nodes' views: each
 * applies it and, when the type, mapping or other address is new, calls
 * the nat hook.
 */
void		 state_redis_nat(struct state *, const struct state_peer *p);
/* 1 if st is a Redis backend. */
int		 state_redis_is(const struct state *);

/*
 * The relay quota's count of a peer, shared by the nodes (docs/CLUSTER.md:
 * p2p:quota:ID; state_redis_quota.c). One call adds add bytes relayed
 * without a lease, gives back back bytes of a lease not used, and takes a
 * lease of up to want bytes of what is left under quota; the count lives
 * until expires (unix s; a later one extends it). The answer names the peer
 * and tag (the caller's, e.g. a reg_id) and comes to cb once, or not at all
 * when cb is NULL or the backend is closing; rc is STATE_UNAVAILABLE (at
 * once, while the link is down) when Redis did not give a well-formed
 * answer. No other state changes.
 */
struct state_quota {
	enum state_rc	 rc;
	char		 peer_id[P2P_NAME_MAX + 1];
	uint32_t	 tag;
	uint64_t	 want;
	uint64_t	 count;		/* the peer's count after this call */
	uint64_t	 grant;		/* <= want; the lease taken */
};
typedef void (*state_quota_cb)(const struct state_quota *, void *);
void		 state_redis_quota(struct state *, const char *peer_id,
		    uint32_t tag, uint64_t want, uint64_t add, uint64_t back,
		    uint64_t quota, uint64_t expires, state_quota_cb, void *);
/* The memory view of a Redis state (st itself for another backend). */
struct state	*state_redis_view(struct state *);
/* Redis's event number that this node's view has reached. */
uint64_t	 state_redis_applied(const struct state *);

#endif /* P2P_STATE_REDIS_H */
