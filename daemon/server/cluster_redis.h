/* SPDX-License-Identifier: ISC */
/*
 * cluster_redis.h: the node's link to Redis (hiredis's asynchronous API on
 * the server's libevent loop): one connection for commands and one for
 * SUBSCRIBE (a subscribed connection takes no other commands).
 *
 * The link keeps itself up: it connects both, authenticates (AUTH [user]
 * password), selects the database, subscribes, and only then calls up().
 * A connection that does not come up within CLR_CONNECT_US, a PING not
 * answered within CLR_PING_US, or any error ends both and calls down() with
 * the reason; it then tries again after 0.25 s, doubling to 4 s. (hiredis
 * 0.14, Debian 12's, has no connect or command timeouts: these timers are
 * ours.) While down, clr_command() refuses at once, and at most
 * CLR_INFLIGHT_MAX commands wait for answers; commands in flight when the
 * link goes down are answered with a NULL reply.
 *
 * Everything from Redis is untrusted input for the callers: replies are
 * hiredis's parsed types, messages are (channel, bytes, length).
 */
#ifndef P2P_CLUSTER_REDIS_H
#define P2P_CLUSTER_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "cluster_url.h"

#define CLR_CONNECT_US		(2 * 1000000ULL)
#define CLR_PING_US		(3 * 1000000ULL)	/* answer within */
#define CLR_PING_EVERY_US	(1 * 1000000ULL)
#define CLR_INFLIGHT_MAX	65536
#define CLR_CHANNELS_MAX	4

struct redisReply;
struct clr;

/* reply is NULL when the link went down before an answer came. */
typedef void (*clr_reply_fn)(const struct redisReply *reply, void *arg);

struct clr_cb {
	void	(*up)(void *arg);
	void	(*down)(void *arg, const char *why);
	void	(*message)(void *arg, const char *channel, const char *data,
		    size_t len);
	void	*arg;
};

struct clr	*clr_new(struct event_base *, const struct cluster_url *,
		    const char *password, const char *const *channels,
		    size_t nchannels, const struct clr_cb *);
void		 clr_free(struct clr *);
/* Start connecting (and keep trying). */
void		 clr_start(struct clr *);
/* 1 while both connections are ready. */
int		 clr_is_up(const struct clr *);
/* Why the link is down now ("" when up). */
const char	*clr_why(const struct clr *);
/*
 * Send one command (argv with lengths: binary-safe). 0: fn will be called
 * exactly once; -1: the link is down or too many are in flight (fn is not
 * called).
 */
int		 clr_command(struct clr *, clr_reply_fn, void *arg, int argc,
		    const char **argv, const size_t *lens);
/* Commands sent since start (for the benchmarks' per-operation counts). */
uint64_t	 clr_commands(const struct clr *);
/* Drop both connections now, as a failure would (tests, resync). */
void		 clr_reset(struct clr *, const char *why);

#endif /* P2P_CLUSTER_REDIS_H */
