/* SPDX-License-Identifier: ISC */
/*
 * srv_group_int.h: what the two files of the groups module share
 * (srv_group.c: the operations and the policy; srv_group_track.c: the
 * joins waiting for acknowledgements, join_complete, observers, timers).
 * Not an interface: the server uses srv_group.h.
 */
#ifndef P2P_SRV_GROUP_INT_H
#define P2P_SRV_GROUP_INT_H

#include "srv_group.h"
#include "wire.h"

typedef char gname[P2P_NAME_MAX + 1];

struct track_ent {
	gname			 peer;
	uint64_t		 cookie;	/* 0: no agent connected */
	int			 acked;
};

struct track {
	gname			 group;
	gname			 joiner;
	uint64_t		 deadline_us;
	struct track_ent	*ents;
	size_t			 n;
	struct track		*next;
};

struct srv_groups {
	struct state		*st;
	struct srv_group_conf	 conf;
	struct srv_group_io	 io;
	struct track		*tracks;	/* oldest first */
	size_t			 ntracks;
	uint64_t		 sync_due_us;	/* 0: nothing to write */
	struct {
		srv_group_observer	 cb;
		void			*arg;
	}			 obs[SRV_GROUP_OBSERVERS];
	size_t			 nobs;
};

/* A growing list of names, for collecting members through callbacks. */
struct names {
	gname			*v;
	size_t			 n, cap;
	int			 oom;
};

void	names_add(const char *name, void *arg);
void	names_members(struct srv_groups *, const char *group, struct names *);

void	group_notify(struct srv_groups *, const struct srv_group_event *);
void	group_push_all(struct srv_groups *, const struct names *,
	    const struct srv_group_event *);
void	group_changed(struct srv_groups *, uint64_t now_us);
/* A join happened: push member_join to mem, track their acknowledgements. */
void	track_join(struct srv_groups *, const char *group, const char *joiner,
	    const struct names *mem, uint64_t now_us);
void	track_drop_group(struct srv_groups *, const char *group);
void	track_drop_member(struct srv_groups *, const char *group,
	    const char *peer);
void	track_free_all(struct srv_groups *);

#endif /* P2P_SRV_GROUP_INT_H */
