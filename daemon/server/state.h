/* SPDX-License-Identifier: ISC */
/*
 * state.h: the server's shared state behind one small interface, with two
 * backends: memory (one node, the default) and Redis (a cluster of nodes,
 * state_redis.c).
 *
 * What lives here is what every server node must agree on:
 *   - peers: peer id -> identity key pin, the current registration (reg_id,
 *     observed and local addresses, token groups and lifetime, transport);
 *   - introductions: unordered pairs of peer ids the server introduced;
 *   - server-managed groups: name, options, attributes, members (peer ids,
 *     registered or not). Groups are durable: a backend keeps them across
 *     restarts (the memory backend in a file of the state directory, see
 *     state_file.c; Redis through its own persistence), and state_sync()
 *     makes them so.
 *   - matchmaking tickets (state_mem_match.c, state_redis_match.c): a
 *     device's request for a match of a size with attributes, waiting in
 *     the pool of compatible tickets until the pool holds `size` of them;
 *     the write that completes a pool makes the match group and its
 *     members in the same step (atomic across nodes on Redis).
 * Node-local things (channel keys, TCP connections, retransmission queues)
 * stay in the server's own tables, keyed by reg_id.
 *
 * Reads and writes. Reads (get, intro_has, member_each, ...) answer at once
 * from the node's view: everything, on the memory backend; on Redis a copy
 * kept current by pub/sub. Writes complete through a callback
 * (state_done_cb) called exactly once with the answer: the memory backend
 * calls it before the write returns; Redis when the write is in Redis (so
 * an HTTP 2xx given from the callback means the change is in the cluster).
 * A callback may be NULL (nobody waits). The *_cb functions are the
 * asynchronous forms the server uses; the plain forms return the answer
 * and work only on a backend that answers at once (st->immediate: the
 * memory backend, for state_file.c and tests); elsewhere they change
 * nothing and return STATE_UNAVAILABLE. state_barrier_cb() completes once
 * every write acknowledged anywhere in the cluster before it was called is
 * in this node's view, so a read after it sees them (HTTP reads use it).
 *
 * Pin rule (PROTOCOL.md §2.1): a peer id stays pinned to one identity key
 * until the pinning token expires. state_register() with the same key
 * replaces the old registration; with another key it is refused
 * (STATE_KEY_MISMATCH) unless the new token was issued later than the pinning
 * one. A registration that is replaced, removed or expired takes its
 * introductions with it; its pin stays until the token expires. Pins have
 * a budget of their own (max_pins): they never take a registration's place,
 * and at the budget the oldest pin goes first.
 *
 * Records are copied in and out (no pointers into the backend escape), all
 * input is assumed validated by the caller (names, key sizes), and every
 * table is capped: the calls fail with STATE_FULL rather than grow without
 * bound. Time is passed in: now_us (monotonic, for idleness) and now_unix
 * (wall clock, for token lifetimes).
 */
#ifndef P2P_STATE_H
#define P2P_STATE_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "match.h"
#include "token.h"
#include "wire.h"

#define STATE_MAX_LOCAL		8	/* local addresses kept per peer */
#define STATE_MAX_INTROS	1024	/* introductions per peer: AGENT_MAX_PEERS */
#define STATE_MAX_GROUPS	65536	/* server-managed groups */
#define STATE_GROUP_MEMBERS	1024	/* members per group */
#define STATE_PEER_GROUPS	256	/* groups one peer belongs to */
#define STATE_GROUP_ATTRS	16	/* attributes per group */
#define STATE_ATTR_VALUE_MAX	256	/* bytes of an attribute value */
#define STATE_NODES		256	/* cluster node slots (0: one node) */
#define STATE_MATCH_TICKETS	100000	/* tickets held at once */
#define STATE_MATCH_KEEP_MS	15000	/* a matched agent ticket is kept */

enum state_transport {
	STATE_UDP,
	STATE_TCP
};

enum state_rc {
	STATE_OK = 0,
	STATE_NOT_FOUND = -1,
	STATE_KEY_MISMATCH = -2,
	STATE_FULL = -3,
	STATE_EXISTS = -4,
	STATE_IO = -5,		/* state_sync() could not write */
	STATE_UNAVAILABLE = -6,	/* cluster state unavailable (Redis down) */
	STATE_CONFLICT = -7	/* the device holds another waiting ticket */
};

/* The answer to a write; replaced: for state_register, see there. */
struct state_result {
	enum state_rc	 rc;
	uint32_t	 replaced;
};
typedef void (*state_done_cb)(const struct state_result *, void *arg);

struct state_peer {
	char			 peer_id[P2P_NAME_MAX + 1];
	uint8_t			 identity_key[32];
	uint32_t		 reg_id;	/* 0: pinned, not registered */
	uint16_t		 node;		/* its node's slot; 0: one node */
	struct sockaddr_storage	 public_addr;
	struct sockaddr_storage	 local_addrs[STATE_MAX_LOCAL];
	unsigned		 nlocal;
	char			 groups[TOKEN_MAX_GROUPS][P2P_NAME_MAX + 1];
	unsigned		 ngroups;
	uint64_t		 issued_at;	/* unix s, of the pinning token */
	uint64_t		 expires_at;
	int			 aesni;
	enum state_transport	 transport;
	uint64_t		 last_seen_us;
	/* Its NatReport (PROTOCOL.md §2.7), for introductions made by other
	 * nodes: the type (state_nat_type), the port its router mapped
	 * (IPv4, on its public address; port 0: none). */
	uint8_t			 nat;
	struct sockaddr_in	 portmap;
	/* Its reflexive address on the other IP family (NatReport.
	 * other_reflexive; family 0: none) and its round trip to its node
	 * as it said (Register.rtt_us, then with each NatReport; 0: unknown,
	 * at most STATE_RTT_MAX_US): other nodes' introductions carry the
	 * one and time their punching with the other. */
	struct sockaddr_storage	 other;
	uint32_t		 rtt_us;
};

#define STATE_RTT_MAX_US	500000U

/* The NAT type words of a NatReport; 0 is "unknown". */
#define STATE_NAT_TYPES	7
static inline const char *
state_nat_type(unsigned i)
{
	static const char *const w[STATE_NAT_TYPES] = { "unknown", "open",
	    "full-cone", "restricted", "port-restricted", "symmetric",
	    "blocked" };

	return i < STATE_NAT_TYPES ? w[i] : w[0];
}

/* The index of a NAT type word; 0 ("unknown") for any other string. */
static inline uint8_t
state_nat_index(const char *word)
{
	uint8_t i;

	for (i = 1; i < STATE_NAT_TYPES; i++)
		if (strcmp(word, state_nat_type(i)) == 0)
			return i;
	return 0;
}

/* A group attribute: key a name, value printable (no control bytes). */
struct state_attr {
	char			 key[P2P_NAME_MAX + 1];
	char			 value[STATE_ATTR_VALUE_MAX + 1];
};

struct state_group {
	char			 name[P2P_NAME_MAX + 1];
	int			 mesh;
	struct state_attr	 attrs[STATE_GROUP_ATTRS];
	unsigned		 nattrs;
	size_t			 nmembers;	/* filled in by group_get */
	uint64_t		 expires_at;	/* unix s: a match group's end;
						   0: none */
};

/*
 * A matchmaking ticket. id is chosen by the requester (non-zero): the same
 * request sent again (an agent that registered again) names the same
 * ticket. Attributes are checked and sorted (match.h). node is the slot of
 * the node that holds it (answers its timeout, watches its agent); kind
 * says who waits for the answer. Once matched, group names the match
 * group; an agent's matched ticket is kept until deadline_ms (at least
 * STATE_MATCH_KEEP_MS after the match) so that an agent that registered
 * again meanwhile still learns its group, an API ticket is dropped at once.
 */
enum state_ticket_kind {
	STATE_TICKET_API,		/* POST /v1/match: an HTTP request */
	STATE_TICKET_AGENT		/* the device's agent (MatchRequest) */
};

enum state_ticket_end {
	STATE_END_CANCELLED,
	STATE_END_TIMEOUT,
	STATE_END_GONE,			/* its agent or HTTP client went away */
	STATE_END_REPLACED,		/* a new ticket of its device */
	STATE_END_DONE			/* a matched ticket's record expired */
};

struct state_ticket {
	char			 peer_id[P2P_NAME_MAX + 1];
	uint64_t		 id;
	unsigned		 size;
	struct match_attr	 attrs[MATCH_ATTRS_MAX];
	unsigned		 nattrs;
	uint16_t		 node;
	enum state_ticket_kind	 kind;
	uint64_t		 deadline_ms;	/* unix ms */
	char			 group[P2P_NAME_MAX + 1];  /* "" while waiting */
};

/*
 * The answer to a ticket write. match_add: rc OK (matched says whether this
 * ticket completed its pool, then group names the new group), EXISTS (the
 * device holds this very ticket: matched and group say how it stands),
 * CONFLICT (it holds another one, waiting), FULL (tickets or groups at
 * their cap, or the device in STATE_PEER_GROUPS groups). match_del: rc OK
 * or NOT_FOUND; matched and group say whether the ticket had matched.
 */
struct state_match_result {
	enum state_rc		 rc;
	int			 matched;
	char			 group[P2P_NAME_MAX + 1];
};
typedef void (*state_match_cb)(const struct state_match_result *, void *);
typedef void (*state_ticket_cb)(const struct state_ticket *, void *);
/* A pool: its attributes and size (from its oldest ticket), waiting. */
typedef void (*state_pool_cb)(const struct state_ticket *, size_t waiting,
    void *);

/*
 * What changes tickets anywhere in the cluster, told to every node once the
 * change is in its view: a match formed (its tickets as they were, in the
 * group's order) and a ticket ended (cancelled, timed out, gone, ...).
 */
struct state_match_hooks {
	void	(*matched)(const char *group, const struct state_ticket *,
		    size_t n, void *arg);
	void	(*ended)(const struct state_ticket *, enum state_ticket_end,
		    void *arg);
	void	*arg;
};

/* Called for each registration dropped by state_expire() / replaced. */
typedef void (*state_drop_cb)(uint32_t reg_id, const char *peer_id,
    void *arg);
/* Called with the other peer of each introduction. */
typedef void (*state_intro_cb)(const char *other_id, void *arg);
/* Called with each group name or member id; walks a copy, so it may change
 * the state. */
typedef void (*state_name_cb)(const char *name, void *arg);

struct state;

struct state_ops {
	void		(*reg)(struct state *, const struct state_peer *,
			    uint64_t now_unix, state_done_cb, void *);
	enum state_rc	(*get)(struct state *, const char *peer_id,
			    struct state_peer *out);
	enum state_rc	(*get_reg)(struct state *, uint32_t reg_id,
			    struct state_peer *out);
	enum state_rc	(*touch)(struct state *, uint32_t reg_id,
			    const struct sockaddr *addr, uint64_t now_us);
	void		(*unreg)(struct state *, uint32_t reg_id,
			    state_done_cb, void *);
	size_t		(*expire)(struct state *, uint64_t now_us,
			    uint64_t idle_us, uint64_t now_unix,
			    state_drop_cb, void *);
	void		(*intro_add)(struct state *, const char *a,
			    const char *b, state_done_cb, void *);
	void		(*intro_del)(struct state *, const char *a,
			    const char *b, state_done_cb, void *);
	int		(*intro_has)(struct state *, const char *a,
			    const char *b);
	size_t		(*intro_each)(struct state *, const char *peer_id,
			    state_intro_cb, void *);
	size_t		(*count)(struct state *);	/* registered peers */
	void		(*group_create)(struct state *,
			    const struct state_group *, state_done_cb, void *);
	void		(*group_destroy)(struct state *, const char *name,
			    state_done_cb, void *);
	enum state_rc	(*group_get)(struct state *, const char *name,
			    struct state_group *out);
	size_t		(*group_each)(struct state *, state_name_cb, void *);
	void		(*member_add)(struct state *, const char *group,
			    const char *peer_id, state_done_cb, void *);
	void		(*member_del)(struct state *, const char *group,
			    const char *peer_id, state_done_cb, void *);
	int		(*member_has)(struct state *, const char *group,
			    const char *peer_id);
	size_t		(*member_each)(struct state *, const char *group,
			    state_name_cb, void *);
	size_t		(*peer_groups)(struct state *, const char *peer_id,
			    state_name_cb, void *);
	size_t		(*groups_expired)(struct state *, uint64_t now_unix,
			    state_name_cb, void *);
	void		(*match_add)(struct state *,
			    const struct state_ticket *, const char *group,
			    uint64_t group_expires, uint64_t now_ms,
			    state_match_cb, void *);
	void		(*match_del)(struct state *, const char *peer_id,
			    uint64_t id, enum state_ticket_end,
			    state_match_cb, void *);
	enum state_rc	(*match_get)(struct state *, const char *peer_id,
			    struct state_ticket *out);
	size_t		(*match_each)(struct state *, state_ticket_cb,
			    void *);
	size_t		(*match_pools)(struct state *, state_pool_cb, void *);
	void		(*match_hooks)(struct state *,
			    const struct state_match_hooks *);
	void		(*barrier)(struct state *, state_done_cb, void *);
	/* 0 while usable; -1 with why filled when not (Redis down). */
	int		(*health)(struct state *, char *why, size_t len);
	enum state_rc	(*sync)(struct state *, char *err, size_t errlen);
	void		(*free)(struct state *);
};

struct state {
	const struct state_ops	*ops;
	int			 immediate;	/* writes answer at once */
};

/*
 * The memory backend; max_peers caps registered peers, and as many pins
 * (peers no longer registered whose token still runs) are kept besides.
 */
struct state	*state_mem_new(size_t max_peers);
/* The pins' budget (default: max_peers); the oldest go first beyond it. */
void		 state_mem_set_max_pins(struct state *, size_t max_pins);
/* Pins held now (for tests and metrics). */
size_t		 state_mem_pins(struct state *);
/*
 * A memory state as a cluster node's view (state_mem_view.c, for
 * state_redis.c): put a registration Redis accepted (replacing whatever held
 * its peer id or reg_id; *replaced and *replaced_node say what it replaced),
 * drop one if it still has that reg_id (1 if it did), turn every
 * registration of a node into pins (a dead node), walk, count and expire the
 * registrations of one node. -1: out of memory.
 */
int		 state_mem_put(struct state *, const struct state_peer *,
		    uint32_t *replaced, uint16_t *replaced_node);
int		 state_mem_drop(struct state *, const char *peer_id,
		    uint32_t reg_id);
/*
 * A NatReport of a registration (p's peer_id and reg_id, if it still has
 * that reg_id): its nat, portmap, other and rtt_us. 0, or -1.
 */
int		 state_mem_nat(struct state *, const struct state_peer *p);
size_t		 state_mem_reap(struct state *, uint16_t node,
		    void (*)(const struct state_peer *, void *), void *);
size_t		 state_mem_each_node(struct state *, uint16_t node,
		    void (*)(const struct state_peer *, void *), void *);
size_t		 state_mem_count_node(struct state *, uint16_t node);
/* Every registered peer (cb must not change the state). */
size_t		 state_mem_each_registered(struct state *,
		    void (*)(const struct state_peer *, void *), void *);
size_t		 state_mem_expire_node(struct state *, uint16_t node,
		    uint64_t now_us, uint64_t idle_us, state_drop_cb, void *);
/* A backend's answer to a write that ends now (cb may be NULL). */
static inline void
state_answer(state_done_cb cb, void *arg, enum state_rc rc,
    uint32_t replaced)
{
	struct state_result r;

	if (cb == NULL)
		return;
	r.rc = rc;
	r.replaced = replaced;
	cb(&r, arg);
}

/* The answer of a write, for a backend that answers at once. */
static inline void
state_keep_result(const struct state_result *r, void *arg)
{
	*(struct state_result *)arg = *r;
}
/*
 * Keep the memory backend's groups in path (state_file.c): load it now if it
 * exists (-1 with "path:line: why" in err if it is corrupt: nothing is
 * loaded), and rewrite it on each state_sync() after a change.
 */
int		 state_mem_persist(struct state *, const char *path,
		    char *err, size_t errlen);

/* state_file.c: the groups file, written and read through the ops above. */
int		 state_file_save(struct state *, const char *path,
		    char *err, size_t errlen);
int		 state_file_load(struct state *, const char *path,
		    char *err, size_t errlen);
/* An attribute value: at most STATE_ATTR_VALUE_MAX bytes, no control bytes. */
int		 state_attr_value_valid(const char *);
/*
 * Tickets in a memory state as a cluster node's view (state_mem_match.c,
 * for state_redis.c): put one as Redis holds it (replacing the device's
 * other), drop one (if it has that id; *old gets it, for the hooks), mark
 * one matched into group, kept until keep_until_ms (an API ticket is
 * dropped). 0, or -1 when the view has no such ticket (or no memory).
 */
int		 state_mem_ticket_put(struct state *,
		    const struct state_ticket *);
int		 state_mem_ticket_drop(struct state *, const char *peer_id,
		    uint64_t id, struct state_ticket *old);
int		 state_mem_ticket_matched(struct state *, const char *peer_id,
		    uint64_t id, const char *group, uint64_t keep_until_ms,
		    struct state_ticket *old);
/* A cluster node's view: a group's lifetime (GL); 0 or -1 (no group). */
int		 state_mem_group_expires(struct state *, const char *name,
		    uint64_t expires_at);
/* "cancelled", "timeout", ... and back (-1: not one). */
const char	*state_ticket_end_word(enum state_ticket_end);
int		 state_ticket_end_parse(const char *, enum state_ticket_end *);

/*
 * Register p (reg_id non-zero, the rest filled in). On success *replaced
 * holds the reg_id of a registration this one replaced (0 if none): the
 * caller drops that registration's node-local state.
 */
static inline void
state_register_cb(struct state *st, const struct state_peer *p,
    uint64_t now_unix, state_done_cb cb, void *arg)
{
	st->ops->reg(st, p, now_unix, cb, arg);
}

static inline enum state_rc
state_register(struct state *st, const struct state_peer *p,
    uint64_t now_unix, uint32_t *replaced)
{
	struct state_result r = { STATE_UNAVAILABLE, 0 };

	if (st->immediate)
		st->ops->reg(st, p, now_unix, state_keep_result, &r);
	*replaced = r.replaced;
	return r.rc;
}

/* By peer id: STATE_NOT_FOUND unless registered (reg_id != 0). */
static inline enum state_rc
state_get(struct state *st, const char *peer_id, struct state_peer *out)
{
	return st->ops->get(st, peer_id, out);
}

static inline enum state_rc
state_get_reg(struct state *st, uint32_t reg_id, struct state_peer *out)
{
	return st->ops->get_reg(st, reg_id, out);
}

/* A valid CTRL packet arrived from addr (NULL: address unchanged). */
static inline enum state_rc
state_touch(struct state *st, uint32_t reg_id, const struct sockaddr *addr,
    uint64_t now_us)
{
	return st->ops->touch(st, reg_id, addr, now_us);
}

/* Deregister: the pin stays, introductions go. */
static inline void
state_unregister_cb(struct state *st, uint32_t reg_id,
    state_done_cb cb, void *arg)
{
	st->ops->unreg(st, reg_id, cb, arg);
}

static inline enum state_rc
state_unregister(struct state *st, uint32_t reg_id)
{
	struct state_result r = { STATE_UNAVAILABLE, 0 };

	if (st->immediate)
		st->ops->unreg(st, reg_id, state_keep_result, &r);
	return r.rc;
}

/*
 * Drop registrations idle for idle_us or more (calling cb for each) and pins
 * whose token expired. Returns the number of registrations dropped.
 */
static inline size_t
state_expire(struct state *st, uint64_t now_us, uint64_t idle_us,
    uint64_t now_unix, state_drop_cb cb, void *arg)
{
	return st->ops->expire(st, now_us, idle_us, now_unix, cb, arg);
}

/* Both peers must be registered; adding twice is harmless. */
static inline void
state_intro_add_cb(struct state *st, const char *a, const char *b,
    state_done_cb cb, void *arg)
{
	st->ops->intro_add(st, a, b, cb, arg);
}

static inline enum state_rc
state_intro_add(struct state *st, const char *a, const char *b)
{
	struct state_result r = { STATE_UNAVAILABLE, 0 };

	if (st->immediate)
		st->ops->intro_add(st, a, b, state_keep_result, &r);
	return r.rc;
}

static inline void
state_intro_del_cb(struct state *st, const char *a, const char *b,
    state_done_cb cb, void *arg)
{
	st->ops->intro_del(st, a, b, cb, arg);
}

static inline enum state_rc
state_intro_del(struct state *st, const char *a, const char *b)
{
	struct state_result r = { STATE_UNAVAILABLE, 0 };

	if (st->immediate)
		st->ops->intro_del(st, a, b, state_keep_result, &r);
	return r.rc;
}

static inline int
state_intro_has(struct state *st, const char *a, const char *b)
{
	return st->ops->intro_has(st, a, b);
}

static inline size_t
state_intro_each(struct state *st, const char *peer_id, state_intro_cb cb,
    void *arg)
{
	return st->ops->intro_each(st, peer_id, cb, arg);
}

static inline size_t
state_count(struct state *st)
{
	return st->ops->count(st);
}

/*
 * Completes (cb) once every write acknowledged anywhere before this call is
 * in this node's view; STATE_UNAVAILABLE when that cannot be known.
 */
static inline void
state_barrier_cb(struct state *st, state_done_cb cb, void *arg)
{
	st->ops->barrier(st, cb, arg);
}

/* 0 while the state is usable; -1 and why (for /healthz) when not. */
static inline int
state_health(struct state *st, char *why, size_t len)
{
	return st->ops->health(st, why, len);
}

/* Make group changes durable; STATE_IO with err filled on failure. */
static inline enum state_rc
state_sync(struct state *st, char *err, size_t errlen)
{
	return st->ops->sync(st, err, errlen);
}

static inline void
state_free(struct state *st)
{
	if (st != NULL)
		st->ops->free(st);
}

/* The group and ticket calls, in a header of their own for its length. */
#include "state_group.h"

#endif /* P2P_STATE_H */
