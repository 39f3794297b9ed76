/* SPDX-License-Identifier: ISC */
/*
 * srv_match_int.h: what the files of srv_match.h share (srv_match.c:
 * tickets, their answers and the state's hooks; srv_match_tick.c:
 * deadlines, abandoned requests and the sweeps). Not an interface.
 */
#ifndef P2P_SRV_MATCH_INT_H
#define P2P_SRV_MATCH_INT_H

#include <sodium.h>

#include "srv_match.h"

#define MT_BUCKETS	1024

/* A ticket this node holds. */
struct mt_ent {
	char			 peer[P2P_NAME_MAX + 1];
	uint64_t		 id;
	enum state_ticket_kind	 kind;
	uint64_t		 deadline_ms;
	void			*waiter;	/* API: its HTTP request */
	uint64_t		 away_ms;	/* agent registered nowhere since */
	unsigned		 adding:1;	/* the add is under way */
	unsigned		 ending:1;	/* a del is under way */
	unsigned		 matched:1;
	unsigned		 abandoned:1;	/* its HTTP client went away */
	struct state_ticket	*deferred;	/* what happened while adding */
	enum srv_match_outcome	 outcome;	/* ... and how it ended */
	struct mt_ent		*next;
};

struct srv_match {
	struct state		*st;
	struct srv_match_conf	 conf;
	struct srv_match_io	 io;
	struct mt_ent		*tab[MT_BUCKETS];
	size_t			 n;
	uint8_t			 hkey[crypto_shorthash_KEYBYTES];
	uint64_t		 now_ms;	/* of the last tick or add */
	uint64_t		 next_sweep_ms;
	struct srv_match_stats	 stats;
};

/* A state write under way for the entry (peer, id). */
struct mt_op {
	struct srv_match	*m;
	char			 peer[P2P_NAME_MAX + 1];
	uint64_t		 id;
	int			 own;		/* the add made the entry */
	enum state_ticket_end	 why;
	struct state_ticket	 t;		/* the ticket as accepted */
	srv_match_done		 done;
	void			*arg;
};

struct mt_ent	*mt_get(struct srv_match *, const char *peer, uint64_t id);
struct mt_ent	*mt_new(struct srv_match *, const struct state_ticket *,
		    void *waiter);
void		 mt_free(struct srv_match *, struct mt_ent *);
/* Tell whoever waits here for t: the HTTP request, or the agent. */
void		 mt_tell(struct srv_match *, struct mt_ent *,
		    const struct state_ticket *, enum srv_match_outcome);
/* End a ticket in the state (the hooks answer); done may be NULL. */
void		 mt_del(struct srv_match *, const char *peer, uint64_t id,
		    enum state_ticket_end, srv_match_done, void *);
void		 mt_end(struct srv_match *, struct mt_ent *,
		    enum state_ticket_end);

#endif /* P2P_SRV_MATCH_INT_H */
