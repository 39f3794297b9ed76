/* SPDX-License-Identifier: ISC */
/*
 * srv_match.h: matchmaking (PROTOCOL.md §7.1): tickets from the HTTP API
 * (POST /v1/match, for a backend) and from agents (MatchRequest), each
 * answered exactly once: when its match forms, when it times out, when it
 * is cancelled, or when its device goes away.
 *
 * The state (state.h) holds the tickets and makes the matches, atomically
 * across the nodes of a cluster; it tells every node what happened through
 * its match hooks, and this module turns that into answers: to the HTTP
 * requests waiting on this node, and as pushes to the agents registered on
 * this node. The node that accepted a ticket holds it: it ends the ticket
 * at its timeout, when its HTTP client goes away, or when its agent has
 * been registered nowhere in the cluster for the grace period. Any node
 * ends a ticket whose holder stopped (as soon as the holder is known dead,
 * or SRV_MATCH_ORPHAN_MS past its deadline).
 *
 * No sockets, no clocks: now (Unix milliseconds) is passed in; answers and
 * pushes leave through srv_match_io; the binding calls srv_match_tick()
 * every SRV_MATCH_TICK_MS (timeouts are answered that promptly).
 */
#ifndef P2P_SRV_MATCH_H
#define P2P_SRV_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "match.h"
#include "state.h"

#define SRV_MATCH_GRACE_MS	15000	/* an agent ticket outlives its agent */
#define SRV_MATCH_ORPHAN_MS	60000	/* others end a stopped holder's */
#define SRV_MATCH_SWEEP_MS	5000	/* look for orphans and lost tickets */
#define SRV_MATCH_LIFETIME_S	3600	/* default --match-lifetime */
#define SRV_MATCH_TICK_MS	100

enum srv_match_rc {
	SRV_MATCH_OK = 0,
	SRV_MATCH_INVALID = -1,		/* a bad ticket: msg says why */
	SRV_MATCH_CONFLICT = -2,	/* the device holds another ticket */
	SRV_MATCH_FULL = -3,		/* tickets or groups at their cap */
	SRV_MATCH_UNAVAILABLE = -4,	/* cluster state unavailable */
	SRV_MATCH_NOT_FOUND = -5	/* cancel: no such ticket */
};

/* How a ticket ended, as its requester hears it. */
enum srv_match_outcome {
	SRV_MATCH_MATCHED,
	SRV_MATCH_TIMEOUT,
	SRV_MATCH_CANCELLED,
	SRV_MATCH_GONE,			/* its agent or HTTP client went away */
	SRV_MATCH_LOST			/* the state lost it, or is unreachable */
};

struct srv_match_req {
	char			 peer_id[P2P_NAME_MAX + 1];
	uint64_t		 id;		/* 0: this node picks one */
	struct match_attr	 attrs[MATCH_ATTRS_MAX];
	unsigned		 nattrs;
	long long		 size;
	long long		 timeout_s;
	enum state_ticket_kind	 kind;
};

struct srv_match_io {
	/* An API ticket this node holds ended: answer its HTTP request. */
	void	(*answer)(void *arg, void *waiter, const struct state_ticket *,
		    enum srv_match_outcome);
	/* An agent ticket ended: push the result if that agent is here. */
	void	(*push)(void *arg, const struct state_ticket *,
		    enum srv_match_outcome);
	/* This node made the match group: its member events and sessions. */
	void	(*formed)(void *arg, const char *group);
	/* 0 when the node of that slot is known to have stopped. */
	int	(*holder_alive)(void *arg, uint16_t node);
	void	*arg;
};

struct srv_match_conf {
	uint64_t	 lifetime_s;	/* of match groups (--match-lifetime) */
	uint16_t	 node;		/* this node's slot (0: one node) */
	uint64_t	 grace_ms;
};

struct srv_match_stats {
	uint64_t	 tickets;	/* accepted here */
	uint64_t	 matches;	/* formed anywhere, seen here */
	uint64_t	 timeouts;
	uint64_t	 cancelled;
	uint64_t	 gone;
	uint64_t	 refused;	/* bad tickets, conflicts, caps */
};

/*
 * The state's answer to an add or a cancel: rc, the ticket as accepted
 * (id and attributes filled in; NULL on failure) and a message on failure.
 * For an add that succeeds, the outcome comes later through the io: after
 * this callback, never before it.
 */
typedef void (*srv_match_done)(enum srv_match_rc, const struct state_ticket *,
    const char *msg, void *arg);

struct srv_match;

struct srv_match *srv_match_new(struct state *, const struct srv_match_conf *,
		    const struct srv_match_io *);
void		 srv_match_free(struct srv_match *);
/* --match-lifetime, as a reload changes it (for the next matches). */
void		 srv_match_set_lifetime(struct srv_match *, uint64_t s);

/*
 * A ticket; waiter is what io.answer gets back (an API ticket's HTTP
 * request). Checks the request first (INVALID with the reason).
 */
void		 srv_match_add(struct srv_match *, const struct srv_match_req *,
		    void *waiter, uint64_t now_ms, srv_match_done, void *);
/* End the ticket of peer_id (id 0: whichever it holds). */
void		 srv_match_cancel(struct srv_match *, const char *peer_id,
		    uint64_t id, srv_match_done, void *);
/* The HTTP client of waiter went away: its ticket ends (gone). */
void		 srv_match_abandon(struct srv_match *, void *waiter);
void		 srv_match_tick(struct srv_match *, uint64_t now_ms);
const struct srv_match_stats *srv_match_stats(struct srv_match *);
/* Tickets this node holds. */
size_t		 srv_match_held(struct srv_match *);
const char	*srv_match_outcome_word(enum srv_match_outcome);
const char	*srv_match_strerror(enum srv_match_rc);

/* srv_match_srv.c: the binding to p2p-server. */
struct srv;
int		 srv_match_start(struct srv *, char *err, size_t errlen);
void		 srv_match_stop(struct srv *);

#endif /* P2P_SRV_MATCH_H */
