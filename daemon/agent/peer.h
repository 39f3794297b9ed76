/* SPDX-License-Identifier: ISC */
/*
 * peer.h: the engine's peer directory and what works on it.
 *
 * struct peer is what the directory knows about a peer: its id, and what
 * the server vouched for in its introduction (identity key, addresses,
 * relay id, NAT type, AES-NI flag), plus the timestamp of its last accepted
 * handshake. A peer has at most one session (session.h), made when a
 * connect asks for it or its handshake arrives, and freed when it ends.
 *
 * peer.c is the table alone (by id through a keyed hash, by static key,
 * in order); peer_conn.c turns connect requests, the server's answers and
 * pushes (Introduce, Withdraw, Error), and disconnects into sessions.
 */
#ifndef P2P_AGENT_PEER_H
#define P2P_AGENT_PEER_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdint.h>

#include "agent.h"
#include "hs.h"
#include "hs_cookie.h"
#include "server.pb-c.h"

/*
 * An IPv4 or IPv6 address as the directory keeps it: a peer has up to
 * AGENT_MAX_ADDRS of them, and a sockaddr_storage is 128 bytes.
 */
union peer_addr {
	struct sockaddr		 sa;
	struct sockaddr_in	 in;
	struct sockaddr_in6	 in6;
};

struct peer {
	TAILQ_ENTRY(peer)	 entry;		/* in order of creation */
	struct peer		*hnext;		/* hash chain */
	struct agent		*a;
	char			 id[AGENT_ID_MAX + 1];

	int			 introduced;
	int			 aesni;
	uint8_t			 ed_pk[32];
	uint8_t			 x_pk[32];
	union peer_addr		 addrs[AGENT_MAX_ADDRS];
	size_t			 naddrs;
	size_t			 nhost;		/* addrs[0..nhost): its hosts';
						   the rest reflexive: on its
						   other family, then pub */
	union peer_addr		 pub;		/* its server-reflexive address */
	int			 have_pub;
	struct sockaddr_in	 portmap;	/* its router's mapping for it
						   (port 0: none), on pub's IP */
	uint32_t		 relay_id;	/* from Introduce: RELAY to it */
	char			 nat_type[32];	/* as it reported it, or "" */
	int			 peer_tcp;	/* it reaches the server over TCP */
	uint64_t		 punch_at;	/* the last Introduce's start of
						   punching (agent_now); 0: none */
	int			 timed;		/* the server times our rounds */
	uint8_t			 last_ts[HS_TAI64N_LEN];
	int			 have_ts;
	struct hs_cookie	 cookie;	/* its COOKIE_REPLY, under load */

	struct session		*s;		/* NULL: no session */
};

/* peer.c */
int		 peer_tab_init(struct agent *) __attribute__((warn_unused_result));
/* Frees every peer; their sessions must be gone (peer_free_all). */
void		 peer_tab_free(struct agent *);
struct peer	*peer_find(struct agent *, const char *id);
/* Find or add: NULL if the table is full or id is not a valid name. */
struct peer	*peer_get(struct agent *, const char *id);
/* An introduced peer with this static key (HS_INIT), or NULL. */
struct peer	*peer_by_xkey(struct agent *, const uint8_t x_pk[32]);
struct peer	*peer_first(struct agent *);
struct peer	*peer_next(struct peer *);
size_t		 peer_count(struct agent *);

/* peer_conn.c */
int		 peer_connect(struct agent *, const char *id, void *owner,
		    uint32_t req, uint32_t timeout_ms);
void		 peer_introduce(struct agent *, const P2p__Srv__Introduce *);
void		 peer_withdraw(struct agent *, const char *id,
		    const char *reason);
void		 peer_connect_failed(struct agent *, const char *id, int code,
		    const char *msg);
/* Registered again: relay ids changed, ask for fresh introductions. */
void		 peer_registered(struct agent *);
/* From the session's drive: ask again for a fresh introduction that
 * failed, once it is due (s->reintro_at). */
void		 peer_reintro_due(struct session *, uint64_t now);
/* Close the session with p (CLOSE sent when it is up). */
void		 peer_disconnect(struct peer *, const char *reason);
void		 peer_close_all(struct agent *, const char *reason);
void		 peer_free_all(struct agent *);

#endif /* P2P_AGENT_PEER_H */
