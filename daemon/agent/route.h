/* SPDX-License-Identifier: ISC */
/*
 * route.h: which way a session's packets go (route.c) and the birthday
 * method's extra sockets (spray.c). See route.c for the picture.
 *
 * struct route is a session's path state: core path.c's selector, the
 * nonce of the next check, the spray sockets, and the address the
 * handshake came from when it came direct.
 */
#ifndef P2P_AGENT_ROUTE_H
#define P2P_AGENT_ROUTE_H

#include <sys/socket.h>
#include <stdint.h>

#include "path.h"

struct agent;
struct session;
struct spray_sock;

struct route {
	struct path		 path;
	int			 reported;	/* path told to the server */
	uint8_t			 check_nonce[PATH_NONCE_LEN]; /* next check's */
	int			 check_nonce_fresh;
	struct spray_sock	**spray;	/* spray.c: birthday sockets */
	unsigned		 nspray;
	struct sockaddr_in6	 remote;	/* handshake source, when direct
						   (IPv4 or IPv6) */
	int			 have_remote;
	uint32_t		 relay_legs[2];	/* the relay ids (ours,
						   the peer's) last seen */
};

/* route.c */
void		 route_init(struct session *, const struct sockaddr *src);
/* Up: punch after delay_us, or at the introduction's moment if it has one. */
void		 route_start(struct session *, uint64_t delay_us);
/* A fresh introduction of a peer we have a session with. */
void		 route_update(struct session *);
/* What decides the method changed (what: for the log): choose again. */
void		 route_replan(struct session *, const char *what);
void		 route_replan_all(struct agent *, const char *what);
/* Hold output back: the relay's TCP leg is full (regtcp drains it). */
int		 route_blocked(const struct session *);
void		 route_send(struct session *, const uint8_t *, size_t);
void		 route_reply(struct session *, const struct sockaddr *src,
		    const uint8_t *, size_t);
const char	*route_name(const struct session *);
void		 route_remote(const struct session *, char *, size_t);
void		 route_report(struct session *, const char *why);
/* The session ended: tell the server, close the spray sockets. */
void		 route_end(struct session *);
/* A PATH_* frame (handled: 1) or a transport packet (0). */
int		 route_frame(struct session *, const uint8_t *, size_t,
		    const struct sockaddr *src);
void		 route_packet(struct session *, const struct sockaddr *src);
void		 route_drive(struct session *, uint64_t now);
uint64_t	 route_next(const struct session *);

/* spray.c: the birthday method's extra sockets (hard side). */
int		 spray_open(struct session *, unsigned n);
void		 spray_close(struct session *, unsigned keep);
void		 spray_send(struct session *, unsigned slot,
		    const struct sockaddr *, const uint8_t *, size_t,
		    int ttl);	/* 0: the default */

#endif /* P2P_AGENT_ROUTE_H */
