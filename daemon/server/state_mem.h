/* SPDX-License-Identifier: ISC */
/*
 * state_mem.h: the memory backend's tables, shared by its files
 * (state_mem.c: the ops table, peers and pins; state_mem_intro.c:
 * introductions; state_mem_group.c: groups; state_mem_match.c: tickets;
 * state_mem_table.c, below them all: the hash and the lookups).
 * Not an interface: everything else goes through state.h.
 *
 * A registered peer costs one struct mem_peer (about 240 bytes) plus its
 * local addresses (28 bytes each) and token groups (their names), and 65
 * bytes per introduction on each side; a pin keeps only the peer id, the key
 * and the token's times.
 */
#ifndef P2P_STATE_MEM_H
#define P2P_STATE_MEM_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "state.h"

#define MEM_BUCKETS	4096

typedef char mem_name[P2P_NAME_MAX + 1];

/* An IPv4 or IPv6 socket address, without sockaddr_storage's 128 bytes. */
union mem_sa {
	struct sockaddr		sa;
	struct sockaddr_in	in;
	struct sockaddr_in6	in6;
};

struct mem_peer {
	mem_name		 peer_id;
	uint8_t			 identity_key[32];
	uint8_t			 aesni;
	uint8_t			 transport;	/* enum state_transport */
	uint8_t			 nlocal;
	uint8_t			 ngroups;
	uint8_t			 node;		/* cluster slot, 0: one node */
	uint8_t			 nat;		/* state_nat_type */
	uint8_t			 has_other;	/* local[nlocal]: the other
						   family's reflexive */
	uint32_t		 reg_id;	/* 0: a pin */
	uint32_t		 pm_ip;		/* its port mapping (network */
	uint64_t		 issued_at;	/* order); these three fill */
	uint64_t		 expires_at;	/* what was padding */
	uint64_t		 last_seen_us;
	union mem_sa		 public_addr;
	uint16_t		 pm_port;	/* network order; 0: none */
	union mem_sa		*local;		/* nlocal (+ has_other) */
	char			*groups;	/* ngroups NUL-ended names */
	mem_name		*intros;
	unsigned		 nintros;
	uint32_t		 rtt_us;	/* fills what was padding */
	struct mem_peer		*next_id;
	struct mem_peer		*next_reg;	/* only while registered */
	struct mem_peer		*pin_prev;	/* only while a pin */
	struct mem_peer		*pin_next;
};

struct mem_group {
	struct state_group	 g;	/* g.nmembers: used of members */
	mem_name		*members;
	size_t			 cap;
	struct mem_group	*next;
};

/* A pool of compatible tickets (state_mem_match.c). */
struct mem_pool {
	char			 id[MATCH_POOL_HEX + 1];
	unsigned		 size;
	unsigned		 nattrs;
	struct match_attr	*attrs;
	size_t			 waiting;
	size_t			 refs;		/* its tickets, waiting or not */
	struct mem_ticket	*head, *tail;	/* waiting, oldest first */
	struct mem_pool		*next;
};

struct mem_ticket {
	mem_name		 peer;
	mem_name		 group;		/* "" while waiting */
	uint64_t		 id;
	uint64_t		 deadline_ms;
	uint16_t		 node;
	uint8_t			 kind;
	struct mem_pool		*pool;
	struct mem_ticket	*qprev, *qnext;	/* in its pool, while waiting */
	struct mem_ticket	*next;		/* by peer */
};

/* The groups of one peer id (exists while it has at least one). */
struct mem_member {
	mem_name		 id;
	mem_name		*groups;
	unsigned		 ngroups;
	struct mem_member	*next;
};

struct state_mem {
	struct state		 base;
	struct mem_group	*groups[MEM_BUCKETS];
	size_t			 ngroups;
	size_t			 ngroups_exp;	/* with a lifetime */
	struct mem_ticket	*tickets[MEM_BUCKETS];
	struct mem_pool		*pools[MEM_BUCKETS];
	size_t			 ntickets;
	struct state_match_hooks mhooks;
	struct mem_member	*members[MEM_BUCKETS];
	char			*path;		/* groups file, or NULL */
	int			 dirty;
	uint8_t			 hkey[crypto_shorthash_KEYBYTES];
	size_t			 max_peers;	/* registered */
	size_t			 max_pins;
	size_t			 nregs;
	size_t			 nregs_node[STATE_NODES];
	size_t			 npins;
	struct mem_peer		*pin_head;	/* oldest pin first */
	struct mem_peer		*pin_tail;
	struct mem_peer		*by_id[MEM_BUCKETS];
	struct mem_peer		*by_reg[MEM_BUCKETS];
};

/* state_mem_table.c: the hash, the lookups. */
size_t	mem_hash(struct state_mem *, const void *, size_t);
struct mem_peer **mem_id_slot(struct state_mem *, const char *id);
struct mem_peer **mem_reg_slot(struct state_mem *, uint32_t reg_id);
struct mem_peer *mem_find_reg(struct state_mem *, uint32_t reg_id);
struct mem_peer *mem_find_registered(struct state_mem *, const char *id);

/* state_mem_group.c: a copy of names to cb (cb may change the tables). */
size_t	mem_each_copy(const mem_name *, size_t, state_name_cb, void *);
void	mem_group_free_all(struct state_mem *);

/* state_mem.c: peers and pins. */
void	mem_unlink_reg(struct state_mem *, struct mem_peer *);
int	mem_peer_fill(struct mem_peer *, const struct state_peer *);
/* Its NAT facts (nat, portmap, other, rtt_us) from p; -1: no memory. */
int	mem_peer_nat(struct mem_peer *, const struct state_peer *);
void	mem_peer_out(const struct mem_peer *, struct state_peer *);
void	mem_pin_append(struct state_mem *, struct mem_peer *);
void	mem_pin_unlink(struct state_mem *, struct mem_peer *);
void	mem_pins_trim(struct state_mem *);
void	mem_peer_free(struct mem_peer *);

/* state_mem_intro.c: introductions. */
void	mem_intro_clear(struct state_mem *, struct mem_peer *);
void	mem_intro_add(struct state *, const char *, const char *,
	    state_done_cb, void *);
void	mem_intro_del(struct state *, const char *, const char *,
	    state_done_cb, void *);
int	mem_intro_has(struct state *, const char *, const char *);
size_t	mem_intro_each(struct state *, const char *, state_intro_cb, void *);

/* state_mem_group.c: the group operations of the ops table. */
void	mem_group_create(struct state *, const struct state_group *,
	    state_done_cb, void *);
void	mem_group_destroy(struct state *, const char *, state_done_cb, void *);
enum state_rc mem_group_get(struct state *, const char *,
	    struct state_group *);
size_t	mem_group_each(struct state *, state_name_cb, void *);
void	mem_member_add(struct state *, const char *, const char *,
	    state_done_cb, void *);
void	mem_member_del(struct state *, const char *, const char *,
	    state_done_cb, void *);
int	mem_member_has(struct state *, const char *, const char *);
size_t	mem_member_each(struct state *, const char *, state_name_cb, void *);
size_t	mem_peer_groups(struct state *, const char *, state_name_cb, void *);
size_t	mem_groups_expired(struct state *, uint64_t, state_name_cb, void *);
/* How many groups peer id is a member of. */
unsigned mem_member_ngroups(struct state_mem *, const char *id);

/* state_mem_match.c: matchmaking tickets. */
void	mem_match_add(struct state *, const struct state_ticket *,
	    const char *, uint64_t, uint64_t, state_match_cb, void *);
void	mem_match_del(struct state *, const char *, uint64_t,
	    enum state_ticket_end, state_match_cb, void *);
enum state_rc mem_match_get(struct state *, const char *,
	    struct state_ticket *);
size_t	mem_match_each(struct state *, state_ticket_cb, void *);
size_t	mem_match_pools(struct state *, state_pool_cb, void *);
void	mem_match_hooks(struct state *, const struct state_match_hooks *);
void	mem_match_free_all(struct state_mem *);

#endif /* P2P_STATE_MEM_H */
