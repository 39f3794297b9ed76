/*
 * state.h: the server's shared state behind one small interface, so that a
 * later backend (Redis, for several server nodes) can replace the memory one.
 *
 * What lives here is what every server node must agree on:
 *   - peers: peer id -> identity key pin, the current registration (reg_id,
 *     observed and local addresses, token groups and lifetime, transport);
 *   - introductions: unordered pairs of peer ids the server introduced.
 * Node-local things (channel keys, TCP connections, retransmission queues)
 * stay in the server's own tables, keyed by reg_id.
 *
 * Pin rule (PROTOCOL.md §2.1): a peer id stays pinned to one identity key
 * until the pinning token expires. state_register() with the same key
 * replaces the old registration; with another key it is refused
 * (STATE_KEY_MISMATCH) unless the new token was issued later than the pinning
 * one. A registration that is replaced, removed or expired takes its
 * introductions with it; its pin stays until the token expires.
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
#include <stddef.h>
#include <stdint.h>

#include "token.h"
#include "wire.h"

#define STATE_MAX_LOCAL		8	/* local addresses kept per peer */
#define STATE_MAX_INTROS	256	/* introductions per peer */

enum state_transport {
	STATE_UDP,
	STATE_TCP
};

enum state_rc {
	STATE_OK = 0,
	STATE_NOT_FOUND = -1,
	STATE_KEY_MISMATCH = -2,
	STATE_FULL = -3
};

struct state_peer {
	char			 peer_id[P2P_NAME_MAX + 1];
	uint8_t			 identity_key[32];
	uint32_t		 reg_id;	/* 0: pinned, not registered */
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
};

/* Called for each registration dropped by state_expire() / replaced. */
typedef void (*state_drop_cb)(uint32_t reg_id, const char *peer_id,
    void *arg);
/* Called with the other peer of each introduction. */
typedef void (*state_intro_cb)(const char *other_id, void *arg);

struct state;

struct state_ops {
	enum state_rc	(*reg)(struct state *, const struct state_peer *,
			    uint64_t now_unix, uint32_t *replaced);
	enum state_rc	(*get)(struct state *, const char *peer_id,
			    struct state_peer *out);
	enum state_rc	(*get_reg)(struct state *, uint32_t reg_id,
			    struct state_peer *out);
	enum state_rc	(*touch)(struct state *, uint32_t reg_id,
			    const struct sockaddr *addr, uint64_t now_us);
	enum state_rc	(*unreg)(struct state *, uint32_t reg_id);
	size_t		(*expire)(struct state *, uint64_t now_us,
			    uint64_t idle_us, uint64_t now_unix,
			    state_drop_cb, void *);
	enum state_rc	(*intro_add)(struct state *, const char *a,
			    const char *b);
	enum state_rc	(*intro_del)(struct state *, const char *a,
			    const char *b);
	int		(*intro_has)(struct state *, const char *a,
			    const char *b);
	size_t		(*intro_each)(struct state *, const char *peer_id,
			    state_intro_cb, void *);
	size_t		(*count)(struct state *);	/* registered peers */
	void		(*free)(struct state *);
};

struct state {
	const struct state_ops	*ops;
};

/* The memory backend; max_peers caps peers (pinned or registered). */
struct state	*state_mem_new(size_t max_peers);

/*
 * Register p (reg_id non-zero, the rest filled in). On success *replaced
 * holds the reg_id of a registration this one replaced (0 if none): the
 * caller drops that registration's node-local state.
 */
static inline enum state_rc
state_register(struct state *st, const struct state_peer *p,
    uint64_t now_unix, uint32_t *replaced)
{
	return st->ops->reg(st, p, now_unix, replaced);
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
static inline enum state_rc
state_unregister(struct state *st, uint32_t reg_id)
{
	return st->ops->unreg(st, reg_id);
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
static inline enum state_rc
state_intro_add(struct state *st, const char *a, const char *b)
{
	return st->ops->intro_add(st, a, b);
}

static inline enum state_rc
state_intro_del(struct state *st, const char *a, const char *b)
{
	return st->ops->intro_del(st, a, b);
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

static inline void
state_free(struct state *st)
{
	if (st != NULL)
		st->ops->free(st);
}

#endif /* P2P_STATE_H */
