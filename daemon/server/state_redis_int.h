/* SPDX-License-Identifier: ISC */
/*
 * state_redis_int.h: what the Redis backend's files share (state_redis.c:
 * the ops table; state_redis_group.c, state_redis_match.c: groups and
 * tickets; state_redis_sync.c: events, reloading the view;
 * state_redis_write.c, below them all: the scripts of the writes and the
 * writes waiting for their events). Not an interface: the server uses
 * state_redis.h.
 */
#ifndef P2P_STATE_REDIS_INT_H
#define P2P_STATE_REDIS_INT_H

#include "addr.h"
#include "cluster_ev.h"
#include "state_redis.h"

/* A write answered by Redis, waiting for its event to reach the view. */
struct rs_wait {
	uint64_t		 seq;
	state_done_cb		 cb;
	void			*arg;
	struct state_result	 r;
	struct rs_wait		*next;
};

/* An event that arrived while the view was being reloaded. */
struct rs_buf {
	size_t			 len;
	struct rs_buf		*next;
	char			 data[];
};

struct state_redis {
	struct state		 base;
	struct state		*view;		/* state_mem */
	struct clr		*link;
	uint16_t		 slot;
	size_t			 max_local;
	struct state_redis_hooks hooks;
	int			 closing;
	uint64_t		 applied;	/* event number in the view */
	int			 synced;
	/* Reloading: the next view, its first number, buffered events. */
	int			 loading;
	uint64_t		 load_gen;	/* a newer load cancels */
	struct state		*next_view;
	uint64_t		 load_seq;
	int			 load_kind;
	struct rs_buf		*buf_head, *buf_tail;
	size_t			 nbuf;
	struct state_match_hooks mhooks;	/* state_redis_match.c */
	struct rs_wait		*wait_head, *wait_tail;
	size_t			 nwait;
	char			 why[256];
};

/* state_redis_write.c: writes waiting for their events; the barrier. */
void	rs_barrier(struct state *, state_done_cb, void *);
void	rs_wait_add(struct state_redis *, uint64_t seq, state_done_cb,
	    void *, const struct state_result *);
void	rs_wait_run(struct state_redis *);
void	rs_wait_fail(struct state_redis *);
/* state_redis_sync.c */
void	rs_load_start(struct state_redis *);
/* Apply one event to view v; origin node in *origin (0: none). */
void	rs_apply(struct state_redis *, struct state *v,
	    const struct cluster_ev *, int notify);
void	rs_buf_free(struct state_redis *);

static inline struct state_redis *
rs(struct state *st)
{
	return (struct state_redis *)st;
}

/* state_redis_write.c: a script; its answer comes to cb (at once if it
 * cannot). */
int	rs_eval(struct state_redis *, const char *script, int argc,
	    const char **argv, const size_t *lens, state_done_cb, void *);

/* state_redis_group.c: the group operations of the ops table. */
void	rs_group_create(struct state *, const struct state_group *,
	    state_done_cb, void *);
void	rs_group_destroy(struct state *, const char *, state_done_cb, void *);
enum state_rc rs_group_get(struct state *, const char *,
	    struct state_group *);
size_t	rs_group_each(struct state *, state_name_cb, void *);
void	rs_member_add(struct state *, const char *, const char *,
	    state_done_cb, void *);
void	rs_member_del(struct state *, const char *, const char *,
	    state_done_cb, void *);
int	rs_member_has(struct state *, const char *, const char *);
size_t	rs_member_each(struct state *, const char *, state_name_cb, void *);
size_t	rs_peer_groups(struct state *, const char *, state_name_cb, void *);

/* state_redis_match.c */
void	rs_match_add(struct state *, const struct state_ticket *,
	    const char *, uint64_t, uint64_t, state_match_cb, void *);
void	rs_match_del(struct state *, const char *, uint64_t,
	    enum state_ticket_end, state_match_cb, void *);
enum state_rc rs_match_get(struct state *, const char *,
	    struct state_ticket *);
size_t	rs_match_each(struct state *, state_ticket_cb, void *);
size_t	rs_match_pools(struct state *, state_pool_cb, void *);
void	rs_match_hooks(struct state *, const struct state_match_hooks *);
size_t	rs_groups_expired(struct state *, uint64_t, state_name_cb, void *);
/* TA, TG, TM, TD and GL events into view v. */
void	rs_apply_match(struct state_redis *, struct state *v,
	    const struct cluster_ev *, int notify);

/* state_redis_write.c: a registration script (republish: put back a held
 * one). */
int	rs_send_register(struct state_redis *, const struct state_peer *,
	    uint64_t now_unix, int republish, state_done_cb, void *);
int	rs_send_unregister(struct state_redis *, const char *peer_id,
	    uint32_t reg_id);
/* The NAT facts of a peer as script arguments ("" for none). */
void	rs_nat_args(const struct state_peer *, char pm[ADDR_STRLEN],
	    char oth[ADDR_STRLEN], char rtt[16]);

#endif /* P2P_STATE_REDIS_INT_H */
