/* SPDX-License-Identifier: ISC */
/*
 * cluster.c: a node's life in the cluster (cluster.h): options, start,
 * heartbeats, the node list, reaping dead nodes. The state itself is
 * state_redis.c; the link is cluster_redis.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <sodium.h>

#include "addr.h"
#include "cluster.h"
#include "cluster_int.h"
#include "cluster_ev.h"
#include "cluster_lua.h"
#include "cluster_redis.h"
#include "log.h"
#include "nodemsg.h"
#include "server.h"
#include "state_redis.h"

uint64_t
cl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
cluster_check_conf(struct srv *s, int url_from_flag, char *err,
    size_t errlen)
{
	struct srv_conf *c = &s->conf;
	struct cluster *cl;
	char msg[512];

	if (c->cluster == NULL) {
		if (c->node_id != NULL || c->cluster_key_file != NULL ||
		    c->cluster_password_file != NULL) {
			snprintf(err, errlen, "--node-id, --cluster-key-file "
			    "and --cluster-password-file need --cluster");
			return -1;
		}
		return 0;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->cluster = cl;
	cl->srv = s;
	cl->run_fd = -1;
	if (cluster_url_parse(c->cluster, !url_from_flag, &cl->url, msg,
	    sizeof(msg)) == -1) {
		snprintf(err, errlen, "--cluster: %s", msg);
		return -1;
	}
	if (c->node_id == NULL || !p2p_name_valid(c->node_id)) {
		snprintf(err, errlen, "--node-id: %s", c->node_id == NULL ?
		    "required with --cluster" : "1 to 64 characters of "
		    "[A-Za-z0-9._-]");
		return -1;
	}
	snprintf(cl->node_id, sizeof(cl->node_id), "%s", c->node_id);
	/* What the other nodes accept of an entry (cluster_node.c). */
	if (c->advertise != NULL && (strlen(c->advertise) >=
	    sizeof(((struct cluster_node *)0)->udp) ||
	    !cluster_hostport_ok(c->advertise, strlen(c->advertise), 0))) {
		snprintf(err, errlen, "--advertise %s: with --cluster, "
		    "HOST:PORT of at most %zu characters (a name of letters, "
		    "digits, '.' and '-', an IPv4 address or a bracketed IPv6 "
		    "address; port 1-65535)", c->advertise,
		    sizeof(((struct cluster_node *)0)->udp) - 1);
		return -1;
	}
	if (c->cluster_key_file == NULL) {
		snprintf(err, errlen, "--cluster-key-file: required with "
		    "--cluster (32+ bytes, mode 0600, the same on every node)");
		return -1;
	}
	if (secret_load(c->cluster_key_file, cl->key, &cl->keylen, msg,
	    sizeof(msg)) == -1) {
		snprintf(err, errlen, "--cluster-key-file: %s", msg);
		return -1;
	}
	if (c->cluster_password_file != NULL) {
		if (cl->url.password[0] != '\0') {
			snprintf(err, errlen, "--cluster-password-file: the "
			    "--cluster URL has a password already");
			return -1;
		}
		if (secret_load_text(c->cluster_password_file,
		    cl->url.password, sizeof(cl->url.password), msg,
		    sizeof(msg)) == -1) {
			snprintf(err, errlen, "--cluster-password-file: %s",
			    msg);
			return -1;
		}
	}
	return 0;
}

/* --check-config: the cluster options of c, as a start would check them. */
int
cluster_check_only(const struct srv_conf *c, int url_from_flag, char *err,
    size_t errlen)
{
	struct srv *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->conf = *c;	/* borrowed: nothing of it is freed here */
	rc = cluster_check_conf(s, url_from_flag, err, errlen);
	if (s->cluster != NULL) {
		sodium_memzero(s->cluster, sizeof(*s->cluster));
		free(s->cluster);
	}
	free(s);
	return rc;
}

uint32_t
cluster_reg_id(const struct cluster *cl, uint32_t random)
{
	return (uint32_t)cl->slot << 24 | (random & 0xffffff);
}

void
cl_keep_reply(const struct redisReply *reply, void *arg)
{
	struct cl_wait *w = arg;
	size_t i;

	w->done = 1;
	if (reply == NULL)
		return;
	w->ok = 1;
	if (reply->type == REDIS_REPLY_ERROR) {
		w->ok = 0;
		snprintf(w->str, sizeof(w->str), "%.200s", reply->str);
		return;
	}
	if (reply->type == REDIS_REPLY_STRING) {
		snprintf(w->str, sizeof(w->str), "%.200s", reply->str);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY)
		return;
	w->n = reply->elements;
	for (i = 0; i < reply->elements && i < 4; i++) {
		if (reply->element[i]->type == REDIS_REPLY_INTEGER)
			w->ints[i] = reply->element[i]->integer;
		else if (reply->element[i]->type == REDIS_REPLY_STRING && i == 1)
			snprintf(w->str, sizeof(w->str), "%.200s",
			    reply->element[i]->str);
	}
}

static void
cl_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/*
 * Run the loop until *flag (or fn() when flag is NULL) or the deadline; 0
 * if it came. A timer of our own wakes each pass (a loopexit would outlive
 * us and stop the server's own loop later).
 */
static int
cl_run_until_fn(struct srv *s, const int *flag, int (*fn)(void *),
    void *arg, uint64_t us)
{
	uint64_t end = srv_now_us() + us;
	struct timeval tv = { 0, 20000 };
	struct event *ev;
	int ok;

	if ((ev = evtimer_new(s->base, cl_wake, NULL)) == NULL)
		return -1;
	while (!(ok = flag != NULL ? *flag : fn(arg)) && srv_now_us() < end) {
		evtimer_add(ev, &tv);
		event_base_loop(s->base, EVLOOP_ONCE);
	}
	event_free(ev);
	return ok ? 0 : -1;
}

int
cl_run_until(struct srv *s, const int *flag, uint64_t us)
{
	return cl_run_until_fn(s, flag, NULL, NULL, us);
}

static int
cl_link_up(void *arg)
{
	return clr_is_up(arg);
}

static int
cl_synced(void *arg)
{
	return state_redis_synced(arg);
}

int
cl_eval_wait(struct cluster *cl, const char *script, int argc,
    const char **args, struct cl_wait *w)
{
	const char *argv[16];
	int i;

	memset(w, 0, sizeof(*w));
	argv[0] = "EVAL";
	argv[1] = script;
	argv[2] = "0";
	for (i = 0; i < argc && i < 13; i++)
		argv[3 + i] = args[i];
	if (clr_command(cl->link, cl_keep_reply, w, argc + 3, argv, NULL) ==
	    -1)
		return -1;
	if (cl_run_until(cl->srv, &w->done, CLUSTER_START_US) == -1)
		return -1;
	return w->ok ? 0 : -1;
}

void
cl_bound(struct srv *s, char *udp, size_t len, char *udp6, size_t len6)
{
	srv_listen_addrs(s, udp, len, udp6, len6);
}

/*
 * Where other nodes send node-to-node packets: the bound address when it
 * names one (not a wildcard), else the advertised one.
 */
void
cl_node_addr(struct srv *s, char *out, size_t len)
{
	struct sockaddr_storage ss = s->bound;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
	int wild;

	addr_normalize(&ss);
	wild = (ss.ss_family == AF_INET && sin->sin_addr.s_addr == 0) ||
	    (ss.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr));
	if (wild && s->conf.advertise != NULL)
		snprintf(out, len, "%s", s->conf.advertise);
	else
		addr_fmt((struct sockaddr *)&ss, out, len);
}

static void
cl_up(void *arg)
{
	struct cluster *cl = arg;

	if (cl->st != NULL)
		state_redis_up(cl->st);
}

static void
cl_down(void *arg, const char *why)
{
	struct cluster *cl = arg;

	if (cl->st != NULL)
		state_redis_down(cl->st, why);
}

static void
cl_message(void *arg, const char *channel, const char *data, size_t len)
{
	struct cluster *cl = arg;

	if (cl->st != NULL && strcmp(channel, "p2p:ev") == 0)
		state_redis_message(cl->st, data, len);
}

int
cluster_start(struct srv *s, char *err, size_t errlen)
{
	struct cluster *cl = s->cluster;
	static const char *const channels[] = { "p2p:ev" };
	struct state_redis_hooks hooks;
	struct clr_cb cb;
	struct cl_wait w;
	struct timeval one = { 1, 0 };
	uint8_t rnd[8];
	char url[300], sl[8];
	const char *args[1];

	randombytes_buf(rnd, sizeof(rnd));
	cluster_ev_hex(rnd, sizeof(rnd), cl->nonce);
	memset(&cb, 0, sizeof(cb));
	cb.up = cl_up;
	cb.down = cl_down;
	cb.message = cl_message;
	cb.arg = cl;
	if ((cl->link = clr_new(s->base, &cl->url, cl->url.password[0] ?
	    cl->url.password : NULL, channels, 1, &cb)) == NULL) {
		snprintf(err, errlen, "--cluster: out of memory");
		return -1;
	}
	sodium_memzero(cl->url.password, sizeof(cl->url.password));
	clr_start(cl->link);
	if (cl_run_until_fn(s, NULL, cl_link_up, cl->link, CLUSTER_START_US) ==
	    -1) {
		snprintf(err, errlen, "--cluster: redis %s is unreachable: %s",
		    cluster_url_fmt(&cl->url, url, sizeof(url)),
		    clr_why(cl->link));
		return -1;
	}
	if (cl_claim(cl, err, errlen) == -1)
		return -1;
	if ((cl->nm = calloc(1, sizeof(*cl->nm))) == NULL ||
	    nodemsg_init(cl->nm, cl->key, cl->keylen, (uint8_t)cl->slot,
	    (uint32_t)cl->epoch) == -1) {
		snprintf(err, errlen, "--cluster-key-file: cannot derive the "
		    "node keys");
		return -1;
	}
	/* P2PD_NODE_NO_AES=1: ChaCha20-Poly1305 only, as older nodes. */
	if (getenv("P2PD_NODE_NO_AES") != NULL &&
	    strcmp(getenv("P2PD_NODE_NO_AES"), "1") == 0)
		cl->nm->aes = 0;
	log_info("cluster: node channel %s", cl->nm->aes ? "AES-256-GCM with "
	    "nodes that take it, else ChaCha20-Poly1305" :
	    "ChaCha20-Poly1305");
	/* What an earlier run of this node left in Redis is dead. */
	snprintf(sl, sizeof(sl), "%u", cl->slot);
	args[0] = sl;
	(void)cl_eval_wait(cl, cluster_lua_reap, 1, args, &w);
	s->hooks.cluster_state(s, &hooks);	/* calls back up (srv_cluster.c) */
	if ((cl->st = state_redis_new(cl->link, cl->slot, SRV_MAX_PEERS,
	    &hooks)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	state_redis_up(cl->st);
	(void)cl_run_until_fn(s, NULL, cl_synced, cl->st, 3 * CLUSTER_START_US);
	if (!state_redis_synced(cl->st)) {
		snprintf(err, errlen, "--cluster: could not load the state "
		    "from redis: %s", clr_is_up(cl->link) ? "too slow" :
		    clr_why(cl->link));
		return -1;
	}
	if ((cl->tick_ev = event_new(s->base, -1, EV_PERSIST, cl_tick, cl)) ==
	    NULL || event_add(cl->tick_ev, &one) == -1) {
		snprintf(err, errlen, "cannot set up the cluster timer");
		return -1;
	}
	cl_heartbeat(cl);
	return 0;
}

/* A clean stop: retract our registrations and our alive key now. */
static void
cl_leave(struct cluster *cl)
{
	struct cl_wait *w1 = &cl->leave_w[0], *w2 = &cl->leave_w[1];
	const char *argv[4];
	char sl[8], key[128];

	if (cl->link == NULL || !clr_is_up(cl->link) || cl->slot == 0)
		return;
	memset(cl->leave_w, 0, sizeof(cl->leave_w));
	snprintf(sl, sizeof(sl), "%u", cl->slot);
	snprintf(key, sizeof(key), "p2p:alive:%s", cl->node_id);
	argv[0] = "EVAL";
	argv[1] = cluster_lua_reap;
	argv[2] = "0";
	argv[3] = sl;
	if (clr_command(cl->link, cl_keep_reply, w1, 4, argv, NULL) == -1)
		return;
	argv[0] = "DEL";
	argv[1] = key;
	if (clr_command(cl->link, cl_keep_reply, w2, 2, argv, NULL) == -1)
		return;
	(void)cl_run_until(cl->srv, &w2->done, 1000000ULL);
}

void
cluster_stop(struct srv *s)
{
	struct cluster *cl = s->cluster;

	if (cl == NULL)
		return;
	if (cl->tick_ev != NULL)
		event_free(cl->tick_ev);
	cl->tick_ev = NULL;
	cl_leave(cl);
	if (cl->st != NULL)
		state_redis_close(cl->st);
	clr_free(cl->link);
	cl->link = NULL;
	if (cl->nm != NULL) {
		nodemsg_wipe(cl->nm);
		free(cl->nm);
		cl->nm = NULL;
	}
	if (cl->run_fd != -1)
		close(cl->run_fd);	/* the lock goes with it */
	cl->run_fd = -1;
}

/* Count the answers of the import's writes. */
struct cl_import {
	struct cluster	*cl;
	struct state	*file;
	size_t		 pending, failed;
	int		 done;
	const char	*group;
};

static void
cl_import_done(const struct state_result *r, void *arg)
{
	struct cl_import *im = arg;

	if (r->rc != STATE_OK && r->rc != STATE_EXISTS)
		im->failed++;
	if (--im->pending == 0)
		im->done = 1;
}

static void
cl_import_member(const char *peer, void *arg)
{
	struct cl_import *im = arg;

	im->pending++;
	state_member_add_cb(im->cl->st, im->group, peer, cl_import_done, im);
}

static void
cl_import_group(const char *name, void *arg)
{
	struct cl_import *im = arg;
	struct state_group g;

	if (state_group_get(im->file, name, &g) != STATE_OK)
		return;
	im->pending++;
	state_group_create_cb(im->cl->st, &g, cl_import_done, im);
	im->group = name;
	(void)state_member_each(im->file, name, cl_import_member, im);
}

static void
cl_count(const char *name, void *arg)
{
	(void)name;
	(*(size_t *)arg)++;
}

int
cluster_import(struct srv *s, const char *path, char *err, size_t errlen)
{
	size_t have = 0;
	struct cl_import im;
	size_t n;

	(void)state_group_each(s->state, cl_count, &have);
	if (have > 0 || access(path, F_OK) == -1)
		return 0;	/* Redis has groups, or there is no file */
	memset(&im, 0, sizeof(im));
	im.cl = s->cluster;
	if ((im.file = state_mem_new(1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (state_file_load(im.file, path, err, errlen) == -1) {
		state_free(im.file);
		return -1;
	}
	im.pending = 1;		/* until every write is sent */
	n = state_group_each(im.file, cl_import_group, &im);
	if (--im.pending == 0)
		im.done = 1;
	if (cl_run_until(s, &im.done, 6 * CLUSTER_START_US) == -1 ||
	    im.failed > 0) {
		snprintf(err, errlen, "--cluster: importing %s into redis: "
		    "%zu write(s) failed%s", path, im.failed, im.done ? "" :
		    ", others did not finish");
		state_free(im.file);
		return -1;
	}
	log_info("cluster: imported %zu group(s) from %s into redis", n,
	    path);
	state_free(im.file);
	return 0;
}
