/* SPDX-License-Identifier: ISC */
/*
 * cluster_claim.c: a node claims its node id at start (cluster.h): the id's
 * epoch goes up and the node gets its slot (cluster_lua_node_start).
 *
 * The id may be held: its alive key (p2p:alive:ID = EPOCH:NONCE:BEAT,
 * CLUSTER_ALIVE_MS after the holder's last heartbeat) still exists. The
 * holder is either another live process with this id (refused, naming
 * --node-id) or an earlier run of this node that died (SIGKILL, a crash)
 * before its key expired: that one is taken over, with a new epoch.
 *
 *  - The run file, STATE_DIR/cluster-run: a run holds an exclusive lock on
 *    it for as long as it lives (the kernel drops it when the process
 *    dies) and writes "ID NONCE" in it once it holds the id. A start that
 *    gets the lock and finds there the nonce of the key's holder knows the
 *    holder is the previous run of this node, and dead: it takes over at
 *    once.
 *  - Otherwise (no state directory, the lock held by a live process, the
 *    holder unknown here: another machine, another state directory): watch
 *    the key for a heartbeat and a second more; if it did not change, the
 *    holder is dead and the id is taken over.
 */
#include "config.h"

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "cluster_int.h"
#include "cluster_lua.h"
#include "cluster_redis.h"
#include "log.h"
#include "server.h"

#define CL_RUN_FILE	"cluster-run"

/* Open and lock the run file: 1 locked, 0 not (why logged), -1 none. */
static int
cl_run_open(struct cluster *cl)
{
	const char *dir = cl->srv->conf.state_dir;
	char path[4096];

	cl->run_fd = -1;
	if (dir == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, CL_RUN_FILE);
	if ((cl->run_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) ==
	    -1) {
		log_warn("cluster: %s", path);
		return -1;
	}
	if (flock(cl->run_fd, LOCK_EX | LOCK_NB) == -1) {
		log_info("cluster: %s is locked by a running process (%s)",
		    path, strerror(errno));
		close(cl->run_fd);
		cl->run_fd = -1;
		return 0;
	}
	return 1;
}

/* The nonce of the holder EPOCH:NONCE:BEAT written by our previous run? */
static int
cl_run_was_ours(const struct cluster *cl, const char *holder)
{
	char buf[160], id[P2P_NAME_MAX + 1], nonce[sizeof(cl->nonce)];
	const char *n, *e;
	ssize_t len;

	if (cl->run_fd == -1 ||
	    (len = pread(cl->run_fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return 0;
	buf[len] = '\0';
	if (sscanf(buf, "%64s %16s", id, nonce) != 2 ||
	    strcmp(id, cl->node_id) != 0 ||
	    (n = strchr(holder, ':')) == NULL ||
	    (e = strchr(n + 1, ':')) == NULL)
		return 0;
	n++;
	return (size_t)(e - n) == strlen(nonce) &&
	    memcmp(n, nonce, (size_t)(e - n)) == 0;
}

/* This run holds the id now: say so in the run file. */
static void
cl_run_write(const struct cluster *cl)
{
	char buf[160];
	int n;

	if (cl->run_fd == -1)
		return;
	n = snprintf(buf, sizeof(buf), "%s %s\n", cl->node_id, cl->nonce);
	if (ftruncate(cl->run_fd, 0) == -1 ||
	    pwrite(cl->run_fd, buf, (size_t)n, 0) != n)
		log_warn("cluster: writing %s/%s", cl->srv->conf.state_dir,
		    CL_RUN_FILE);
}

/*
 * The holder did not beat within a beat and a second: 0 (dead), or -1
 * with err (alive, or Redis failed us).
 */
static int
cl_holder_dead(struct cluster *cl, const char *holder, char *err,
    size_t errlen)
{
	struct cl_wait w;
	const char *argv[2];
	char key[128];
	int never = 0;

	log_info("cluster: node id %s is held (%s): waiting %d s to see "
	    "whether its holder is alive", cl->node_id, holder,
	    CLUSTER_BEAT_S + 1);
	(void)cl_run_until(cl->srv, &never, (CLUSTER_BEAT_S + 1) * 1000000ULL);
	snprintf(key, sizeof(key), "p2p:alive:%s", cl->node_id);
	argv[0] = "GET";
	argv[1] = key;
	memset(&w, 0, sizeof(w));
	if (clr_command(cl->link, cl_keep_reply, &w, 2, argv, NULL) == -1 ||
	    cl_run_until(cl->srv, &w.done, CLUSTER_START_US) == -1) {
		snprintf(err, errlen, "--cluster: %s", clr_why(cl->link));
		return -1;
	}
	if (w.str[0] != '\0' && strcmp(w.str, holder) != 0) {
		snprintf(err, errlen, "--node-id %s is held by a live node "
		    "(epoch %.*s): choose another id or stop that node",
		    cl->node_id, (int)strcspn(holder, ":"), holder);
		return -1;
	}
	return 0;
}

int
cl_claim(struct cluster *cl, char *err, size_t errlen)
{
	struct cl_wait w;
	char now[24], udp[64], udp6[64], node[64], holder[256];
	const char *args[9];
	int force = 0, locked;

	locked = cl_run_open(cl);
	cl_bound(cl->srv, udp, sizeof(udp), udp6, sizeof(udp6));
	cl_node_addr(cl->srv, node, sizeof(node));
	for (;;) {
		snprintf(now, sizeof(now), "%llu",
		    (unsigned long long)cl_now_ms());
		args[0] = cl->node_id;
		args[1] = cl->nonce;
		args[2] = now;
		args[3] = udp;
		args[4] = udp;
		args[5] = force ? "1" : "0";
		args[6] = "0";
		args[7] = node;
		args[8] = udp6;
		if (cl_eval_wait(cl, cluster_lua_node_start, 9, args, &w) ==
		    -1 || w.n < 2) {
			snprintf(err, errlen, "--cluster: redis did not accept "
			    "the node: %s", w.str[0] ? w.str :
			    clr_why(cl->link));
			return -1;
		}
		if (w.ints[0] > 0)
			break;
		if (w.ints[0] == -2) {
			snprintf(err, errlen, "--node-id %s: all 255 node "
			    "slots of the cluster are taken", cl->node_id);
			return -1;
		}
		snprintf(holder, sizeof(holder), "%s", w.str);
		if (locked == 1 && cl_run_was_ours(cl, holder))
			log_info("cluster: node id %s is held by this node's "
			    "previous run (%s), which is gone: taking over",
			    cl->node_id, holder);
		else if (cl_holder_dead(cl, holder, err, errlen) == -1)
			return -1;
		force = 1;
	}
	cl->epoch = (uint64_t)w.ints[0];
	cl->slot = (uint16_t)w.ints[1];
	if (cl->slot == 0 || cl->slot >= STATE_NODES) {
		snprintf(err, errlen, "--cluster: redis gave slot %u",
		    cl->slot);
		return -1;
	}
	cl_run_write(cl);
	log_info("cluster: node %s, epoch %llu, slot %u", cl->node_id,
	    (unsigned long long)cl->epoch, cl->slot);
	return 0;
}
