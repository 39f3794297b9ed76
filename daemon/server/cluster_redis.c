/* SPDX-License-Identifier: ISC */
/*
 * cluster_redis.c: the link to Redis (cluster_redis.h).
 *
 * Each command carries a small record (struct clr_req) so that the link
 * can count what is in flight and tell a reply from a connection that went
 * away. Both connections live and die together: a node whose subscription
 * is gone would miss changes, so it must not keep writing either.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libevent.h>

#include "cluster_redis.h"
#include "log.h"

enum clr_conn { CLR_CMD, CLR_SUB };

struct clr {
	struct event_base	*base;
	struct cluster_url	 url;
	char			*password;
	char			*channels[CLR_CHANNELS_MAX];
	size_t			 nchannels;
	struct clr_cb		 cb;
	redisAsyncContext	*ac[2];
	int			 ready[2];	/* authenticated, selected */
	int			 up;
	struct event		*retry_ev;	/* reconnect, connect timeout */
	struct event		*ping_ev;
	uint64_t		 backoff_us;
	int			 ping_out;	/* a PING waits for its answer */
	uint64_t		 ping_sent_us;
	size_t			 inflight;
	uint64_t		 commands;
	uint64_t		 gen;		/* bumped at each (re)connect */
	char			 why[256];
};

struct clr_req {
	struct clr		*l;
	clr_reply_fn		 fn;
	void			*arg;
};

static void clr_down(struct clr *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static uint64_t
clr_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static void
clr_arm(struct event *ev, uint64_t us)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	event_add(ev, &tv);
}

static int
clr_which(struct clr *l, const redisAsyncContext *ac)
{
	return ac == l->ac[CLR_SUB] ? CLR_SUB : CLR_CMD;
}

static void
clr_check_up(struct clr *l)
{
	if (l->up || !l->ready[CLR_CMD] || !l->ready[CLR_SUB])
		return;
	l->up = 1;
	l->why[0] = '\0';
	l->backoff_us = 0;
	event_del(l->retry_ev);
	clr_arm(l->ping_ev, CLR_PING_EVERY_US);
	log_info("cluster: redis %s is up", cluster_url_fmt(&l->url,
	    (char [300]){ 0 }, 300));
	if (l->cb.up != NULL)
		l->cb.up(l->cb.arg);
}

/* Replies to the setup commands (AUTH, SELECT, SUBSCRIBE) and messages. */
static void
clr_setup_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct clr *l = ac->data;
	redisReply *reply = r;
	const char *step = priv;
	int which;

	if (l == NULL || reply == NULL)
		return;		/* the connection is going away */
	which = clr_which(l, ac);
	if (reply->type == REDIS_REPLY_ERROR) {
		clr_down(l, "redis %s: %.200s", step, reply->str);
		return;
	}
	if (which == CLR_SUB && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 3 && reply->element[0]->type ==
	    REDIS_REPLY_STRING) {
		const char *kind = reply->element[0]->str;

		if (strcmp(kind, "message") == 0 &&
		    reply->element[1]->type == REDIS_REPLY_STRING &&
		    reply->element[2]->type == REDIS_REPLY_STRING) {
			if (l->up && l->cb.message != NULL)
				l->cb.message(l->cb.arg,
				    reply->element[1]->str,
				    reply->element[2]->str,
				    reply->element[2]->len);
			return;
		}
		if (strcmp(kind, "subscribe") == 0 &&
		    reply->element[2]->type == REDIS_REPLY_INTEGER &&
		    (size_t)reply->element[2]->integer == l->nchannels) {
			l->ready[CLR_SUB] = 1;
			clr_check_up(l);
		}
		return;
	}
	if (strcmp(step, "SELECT") == 0) {
		l->ready[CLR_CMD] = 1;
		clr_check_up(l);
	}
}

static void
clr_free_ctx_data(redisAsyncContext *ac)
{
	ac->data = NULL;
}

static void
clr_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct clr *l = ac->data;
	int which;

	if (l == NULL)
		return;
	which = clr_which(l, ac);
	l->ac[which] = NULL;
	l->ready[which] = 0;
	clr_down(l, "redis %s: connection lost%s%s", which == CLR_SUB ?
	    "subscription" : "commands", status == REDIS_OK ? "" : ": ",
	    status == REDIS_OK ? "" : ac->errstr);
}

/* Loopback TCP can connect a socket to itself when Redis is down. */
static int
clr_self_connected(const redisAsyncContext *ac)
{
	struct sockaddr_storage a, b;
	socklen_t la = sizeof(a), lb = sizeof(b);

	if (ac->c.fd < 0 || getsockname(ac->c.fd, (struct sockaddr *)&a,
	    &la) == -1 || getpeername(ac->c.fd, (struct sockaddr *)&b,
	    &lb) == -1)
		return 0;
	return la == lb && memcmp(&a, &b, la) == 0;
}

static void
clr_on_connect(const redisAsyncContext *ac, int status)
{
	struct clr *l = ac->data;
	int which;

	if (l == NULL)
		return;
	which = clr_which(l, ac);
	if (status == REDIS_OK && clr_self_connected(ac)) {
		/* A TCP self-connect to our own ephemeral port. */
		clr_down(l, "redis %s: connected to itself (nothing listens "
		    "there)", cluster_url_fmt(&l->url, (char [300]){ 0 },
		    300));
		return;
	}
	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback. */
		l->ac[which] = NULL;
		clr_down(l, "cannot connect to redis %s: %s",
		    cluster_url_fmt(&l->url, (char [300]){ 0 }, 300),
		    ac->errstr);
	}
}

/* Send AUTH and SELECT or SUBSCRIBE on a fresh connection. */
static int
clr_setup(struct clr *l, int which)
{
	redisAsyncContext *ac = l->ac[which];
	const char *argv[3 + CLR_CHANNELS_MAX];
	char db[16];
	size_t i;
	int rc = REDIS_OK;

	if (l->password != NULL) {
		argv[0] = "AUTH";
		if (l->url.user[0] != '\0') {
			argv[1] = l->url.user;
			argv[2] = l->password;
			rc = redisAsyncCommandArgv(ac, clr_setup_reply, "AUTH",
			    3, argv, NULL);
		} else {
			argv[1] = l->password;
			rc = redisAsyncCommandArgv(ac, clr_setup_reply, "AUTH",
			    2, argv, NULL);
		}
	}
	if (rc != REDIS_OK)
		return -1;
	if (which == CLR_CMD) {
		snprintf(db, sizeof(db), "%d", l->url.db);
		argv[0] = "SELECT";
		argv[1] = db;
		return redisAsyncCommandArgv(ac, clr_setup_reply, "SELECT", 2,
		    argv, NULL) == REDIS_OK ? 0 : -1;
	}
	argv[0] = "SUBSCRIBE";
	for (i = 0; i < l->nchannels; i++)
		argv[1 + i] = l->channels[i];
	return redisAsyncCommandArgv(ac, clr_setup_reply, "SUBSCRIBE",
	    (int)(1 + l->nchannels), argv, NULL) == REDIS_OK ? 0 : -1;
}

static void
clr_connect(struct clr *l)
{
	int which;

	l->gen++;
	for (which = CLR_CMD; which <= CLR_SUB; which++) {
		redisAsyncContext *ac;

		ac = l->url.unix_socket ? redisAsyncConnectUnix(l->url.path) :
		    redisAsyncConnect(l->url.host, l->url.port);
		if (ac == NULL || ac->err) {
			clr_down(l, "cannot connect to redis %s: %s",
			    cluster_url_fmt(&l->url, (char [300]){ 0 }, 300),
			    ac ? ac->errstr : "out of memory");
			if (ac != NULL)
				redisAsyncFree(ac);
			return;
		}
		ac->data = l;
		l->ac[which] = ac;
		if (redisLibeventAttach(ac, l->base) != REDIS_OK ||
		    redisAsyncSetConnectCallback(ac, clr_on_connect) !=
		    REDIS_OK || redisAsyncSetDisconnectCallback(ac,
		    clr_on_disconnect) != REDIS_OK || clr_setup(l, which) ==
		    -1) {
			clr_down(l, "cannot set up the redis connection");
			return;
		}
	}
	/* Our own connect timeout: up by then, or start over. */
	clr_arm(l->retry_ev, CLR_CONNECT_US);
}

/* End both connections (their pending callbacks get NULL replies). */
static void
clr_close(struct clr *l)
{
	int which;

	for (which = CLR_CMD; which <= CLR_SUB; which++) {
		redisAsyncContext *ac = l->ac[which];

		l->ac[which] = NULL;
		l->ready[which] = 0;
		if (ac != NULL) {
			clr_free_ctx_data(ac);
			redisAsyncFree(ac);
		}
	}
}

static void
clr_down(struct clr *l, const char *fmt, ...)
{
	int was_up = l->up;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->why, sizeof(l->why), fmt, ap);
	va_end(ap);
	l->up = 0;
	l->ping_out = 0;
	event_del(l->ping_ev);
	/* Not from inside hiredis: the close happens in the retry event. */
	l->backoff_us = l->backoff_us == 0 ? 250000 : l->backoff_us * 2;
	if (l->backoff_us > 4000000)
		l->backoff_us = 4000000;
	event_del(l->retry_ev);
	clr_arm(l->retry_ev, 0);
	if (was_up || l->gen <= 1)
		log_warnx("cluster state unavailable: %s", l->why);
	if (l->cb.down != NULL)
		l->cb.down(l->cb.arg, l->why);
}

static void
clr_retry(evutil_socket_t fd, short what, void *arg)
{
	struct clr *l = arg;

	(void)fd;
	(void)what;
	if (l->up)
		return;
	if (l->ac[CLR_CMD] != NULL || l->ac[CLR_SUB] != NULL) {
		/* A failure, or a connect that took too long: close, wait. */
		if (l->why[0] == '\0')
			snprintf(l->why, sizeof(l->why), "redis %s did not "
			    "answer within %llu s", cluster_url_fmt(&l->url,
			    (char [300]){ 0 }, 300),
			    (unsigned long long)(CLR_CONNECT_US / 1000000));
		clr_close(l);
		if (l->backoff_us == 0)
			l->backoff_us = 250000;
		clr_arm(l->retry_ev, l->backoff_us);
		return;
	}
	l->why[0] = '\0';
	clr_connect(l);
}

static void
clr_pong(redisAsyncContext *ac, void *r, void *priv)
{
	struct clr *l = ac->data;

	(void)r;
	(void)priv;
	if (l != NULL)
		l->ping_out = 0;
}

static void
clr_ping(evutil_socket_t fd, short what, void *arg)
{
	struct clr *l = arg;

	(void)fd;
	(void)what;
	if (!l->up)
		return;
	if (l->ping_out && clr_now_us() - l->ping_sent_us >= CLR_PING_US) {
		clr_down(l, "redis %s did not answer a PING within %llu s",
		    cluster_url_fmt(&l->url, (char [300]){ 0 }, 300),
		    (unsigned long long)(CLR_PING_US / 1000000));
		return;
	}
	if (!l->ping_out && l->ac[CLR_CMD] != NULL) {
		if (redisAsyncCommand(l->ac[CLR_CMD], clr_pong, NULL, "PING") ==
		    REDIS_OK) {
			l->ping_out = 1;
			l->ping_sent_us = clr_now_us();
		}
	}
	clr_arm(l->ping_ev, CLR_PING_EVERY_US);
}

static void
clr_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct clr_req *q = priv;

	(void)ac;
	q->l->inflight--;
	q->fn(r, q->arg);
	free(q);
}

int
clr_command(struct clr *l, clr_reply_fn fn, void *arg, int argc,
    const char **argv, const size_t *lens)
{
	struct clr_req *q;

	if (!l->up || l->ac[CLR_CMD] == NULL ||
	    l->inflight >= CLR_INFLIGHT_MAX || (q = malloc(sizeof(*q))) ==
	    NULL)
		return -1;
	q->l = l;
	q->fn = fn;
	q->arg = arg;
	if (redisAsyncCommandArgv(l->ac[CLR_CMD], clr_reply, q, argc, argv,
	    lens) != REDIS_OK) {
		free(q);
		return -1;
	}
	l->inflight++;
	l->commands++;
	return 0;
}

struct clr *
clr_new(struct event_base *base, const struct cluster_url *url,
    const char *password, const char *const *channels, size_t nchannels,
    const struct clr_cb *cb)
{
	struct clr *l;
	size_t i;

	if (nchannels == 0 || nchannels > CLR_CHANNELS_MAX ||
	    (l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->base = base;
	l->url = *url;
	l->cb = *cb;
	if (password != NULL && password[0] != '\0' &&
	    (l->password = strdup(password)) == NULL)
		goto fail;
	for (i = 0; i < nchannels; i++)
		if ((l->channels[i] = strdup(channels[i])) == NULL)
			goto fail;
	l->nchannels = nchannels;
	if ((l->retry_ev = evtimer_new(base, clr_retry, l)) == NULL ||
	    (l->ping_ev = evtimer_new(base, clr_ping, l)) == NULL)
		goto fail;
	snprintf(l->why, sizeof(l->why), "connecting to redis");
	return l;
fail:
	l->nchannels = CLR_CHANNELS_MAX;
	clr_free(l);
	return NULL;
}

void
clr_start(struct clr *l)
{
	clr_connect(l);
}

int
clr_is_up(const struct clr *l)
{
	return l->up;
}

const char *
clr_why(const struct clr *l)
{
	return l->why;
}

uint64_t
clr_commands(const struct clr *l)
{
	return l->commands;
}

void
clr_reset(struct clr *l, const char *why)
{
	if (l->up)
		clr_down(l, "%s", why);
}

void
clr_free(struct clr *l)
{
	size_t i;

	if (l == NULL)
		return;
	l->cb.up = NULL;
	l->cb.down = NULL;
	l->cb.message = NULL;
	clr_close(l);
	if (l->retry_ev != NULL)
		event_free(l->retry_ev);
	if (l->ping_ev != NULL)
		event_free(l->ping_ev);
	for (i = 0; i < l->nchannels && i < CLR_CHANNELS_MAX; i++)
		free(l->channels[i]);
	if (l->password != NULL) {
		explicit_bzero(l->password, strlen(l->password));
		free(l->password);
	}
	free(l);
}
