/* SPDX-License-Identifier: ISC */
/*
 * state.h: the server's shared state behind one small interface, so that a
 * later backend (Redis, for several server nodes) can replace the memory one.
 *
 * What lives here is what every server node must agree on:
 *   - peers: peer id -> identity key pin, the current registration (reg_id,
 *     observed and local addresses, token groups and lifetime, transport);
 *   - introductions: unordered pairs of peer ids the server introduced;
 *   - server-managed groups: name, options, attributes, members (peer ids,
 *     registered or not). Groups are durable: a backend keeps them across
 *     restarts (the memory backend in a file of the state directory, see
 *     state_file.c; Redis later), and state_sync() makes them so.
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
#define STATE_MAX_INTROS	1024	/* introductions per peer: AGENT_MAX_PEERS */
#define STATE_MAX_GROUPS	65536	/* server-managed groups */
#define STATE_GROUP_MEMBERS	1024	/* members per group */
#define STATE_PEER_GROUPS	256	/* groups one peer belongs to */
#define STATE_GROUP_ATTRS	16	/* attributes per group */
#define STATE_ATTR_VALUE_MAX	256	/* bytes of an attribute value */

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
	STATE_IO = -5		/* state_sync() could not write */
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
	enum state_rc	(*group_create)(struct state *,
			    const struct state_group *);
	enum state_rc	(*group_destroy)(struct state *, const char *name);
	enum state_rc	(*group_get)(struct state *, const char *name,
			    struct state_group *out);
	size_t		(*group_each)(struct state *, state_name_cb, void *);
	enum state_rc	(*member_add)(struct state *, const char *group,
			    const char *peer_id);
	enum state_rc	(*member_del)(struct state *, const char *group,
			    const char *peer_id);
	int		(*member_has)(struct state *, const char *group,
			    const char *peer_id);
	size_t		(*member_each)(struct state *, const char *group,
			    state_name_cb, void *);
	size_t		(*peer_groups)(struct state *, const char *peer_id,
			    state_name_cb, void *);
	enum state_rc	(*sync)(struct state *, char *err, size_t errlen);
	void		(*free)(struct state *);
};

struct state {
	const struct state_ops	*ops;
};

/* The memory backend; max_peers caps peers (pinned or registered). */
struct state	*state_mem_new(size_t max_peers);
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

/* STATE_EXISTS if a group of that name exists; STATE_FULL at the cap. */
static inline enum state_rc
state_group_create(struct state *st, const struct state_group *g)
{
	return st->ops->group_create(st, g);
}

/* Removes the group and its memberships. */
static inline enum state_rc
state_group_destroy(struct state *st, const char *name)
{
	return st->ops->group_destroy(st, name);
}

static inline enum state_rc
state_group_get(struct state *st, const char *name, struct state_group *out)
{
	return st->ops->group_get(st, name, out);
}

/* Every group name; returns the number of groups. */
static inline size_t
state_group_each(struct state *st, state_name_cb cb, void *arg)
{
	return st->ops->group_each(st, cb, arg);
}

/* STATE_NOT_FOUND: no such group; STATE_EXISTS: already a member. */
static inline enum state_rc
state_member_add(struct state *st, const char *group, const char *peer_id)
{
	return st->ops->member_add(st, group, peer_id);
}

static inline enum state_rc
state_member_del(struct state *st, const char *group, const char *peer_id)
{
	return st->ops->member_del(st, group, peer_id);
}

static inline int
state_member_has(struct state *st, const char *group, const char *peer_id)
{
	return st->ops->member_has(st, group, peer_id);
}

/* Members of a group, in the order they joined. */
static inline size_t
state_member_each(struct state *st, const char *group, state_name_cb cb,
    void *arg)
{
	return st->ops->member_each(st, group, cb, arg);
}

/* The server-managed groups a peer belongs to (not its token groups). */
static inline size_t
state_peer_groups(struct state *st, const char *peer_id, state_name_cb cb,
    void *arg)
{
	return st->ops->peer_groups(st, peer_id, cb, arg);
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

#endif /* P2P_STATE_H */
