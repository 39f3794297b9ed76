/* SPDX-License-Identifier: ISC */
/*
 * reg_nodes.c: the servers an agent may register with (docs/CLUSTER.md,
 * "Agents"): every address its --server options resolve to, and the live
 * nodes of the cluster as the node it registered with last told it
 * (NodeList, PROTOCOL.md §8), kept in STATE_DIR/nodes across restarts.
 * The list comes only on the authenticated control channel, so only a
 * holder of the server key can add a node to it, and a node reached
 * through it must prove the same key (reg_hs.c).
 *
 * A node with an IPv6 address names it beside its other one (udp6, tcp6):
 * an agent that reaches its node over IPv6 keeps a node's IPv6 address,
 * one on IPv4 the other, so that moving keeps the family that works.
 *
 * Moving: an unanswered attempt with several candidates gives up after
 * REG_TRIES_MULTI HELLOs and goes on to another candidate at once; after a
 * round in which every one failed, the usual backoff. A node that stops
 * answering (reg_live.c) or a Move sends the agent to another node after a
 * random delay, so that the agents of a dead node do not all arrive at
 * the same moment.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "addr.h"
#include "agent.h"
#include "log.h"
#include "reg.h"
#include "wire.h"

#define REG_NODES_FILE		"nodes"
#define REG_NODES_HEADER	"# p2pd cluster nodes v1"

static int
reg_nodes_find(struct reg *r, const struct sockaddr_storage *udp)
{
	unsigned i;

	for (i = 0; i < r->nnodes; i++)
		if (addr_equal((const struct sockaddr *)&r->nodes[i].udp,
		    (const struct sockaddr *)udp))
			return (int)i;
	return -1;
}

/* Make r->srv and r->srv_tcp those of node i. */
void
reg_nodes_use(struct reg *r, unsigned i)
{
	if (i >= r->nnodes)
		return;
	r->cur = i;
	r->srv = r->nodes[i].udp;
	r->srv_tcp = r->nodes[i].tcp;
	r->have_srv = 1;
}

/* Whether the node in use is reached over IPv6 (not a mapped IPv4). */
static int
reg_nodes_on_v6(const struct reg *r)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&r->srv;

	return r->have_srv && r->srv.ss_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr);
}

/* The addresses of a told node the agent uses: its IPv6 ones when the
 * agent is on IPv6 and the node has them, else udp and tcp. */
static void
reg_nodes_family(const struct reg *r, const char **udp, const char **tcp,
    const char *udp6, const char *tcp6)
{
	if (udp6 == NULL || *udp6 == '\0' || !reg_nodes_on_v6(r))
		return;
	*udp = udp6;
	*tcp = tcp6 != NULL ? tcp6 : "";
}

/*
 * A node as told ("HOST:PORT" strings from the server or the state file):
 * merged into the entry with its UDP address (a --server one gets its id),
 * else added. -1 if it cannot be parsed or the list is full.
 */
static int
reg_nodes_add(struct reg *r, const char *id, const char *udp,
    const char *tcp)
{
	struct sockaddr_storage u, t;
	struct reg_node *n;
	socklen_t len;
	char err[256];
	int i;

	if (!p2p_name_valid(id) || strlen(udp) >= sizeof(n->udp_s) ||
	    strlen(tcp) >= sizeof(n->tcp_s) || addr_parse(udp, &u, &len, 3478,
	    err, sizeof(err)) == -1 || addr_port((struct sockaddr *)&u) == 0)
		return -1;
	t = u;
	if (*tcp != '\0' && (addr_parse(tcp, &t, &len, addr_port(
	    (struct sockaddr *)&u), err, sizeof(err)) == -1 ||
	    addr_port((struct sockaddr *)&t) == 0))
		return -1;
	if ((i = reg_nodes_find(r, &u)) >= 0) {
		n = &r->nodes[i];
		snprintf(n->id, sizeof(n->id), "%s", id);
		n->told = 1;
		return 0;
	}
	if (r->nnodes >= REG_NODES_MAX)
		return -1;
	n = &r->nodes[r->nnodes++];
	memset(n, 0, sizeof(*n));
	snprintf(n->id, sizeof(n->id), "%s", id);
	snprintf(n->udp_s, sizeof(n->udp_s), "%s", udp);
	snprintf(n->tcp_s, sizeof(n->tcp_s), "%s", *tcp ? tcp : udp);
	n->udp = u;
	n->tcp = t;
	n->told = 1;
	return 0;
}

/* Forget what the cluster told (the --server entries stay, without ids). */
static void
reg_nodes_forget(struct reg *r)
{
	struct sockaddr_storage cur = r->srv;
	unsigned i, k = 0;
	int c;

	for (i = 0; i < r->nnodes; i++) {
		if (!r->nodes[i].conf)
			continue;
		r->nodes[k] = r->nodes[i];
		r->nodes[k].id[0] = '\0';
		r->nodes[k].told = 0;
		k++;
	}
	r->nnodes = k;
	/* The node in use stays in the list, whatever it says. */
	if ((c = reg_nodes_find(r, &cur)) >= 0)
		r->cur = (unsigned)c;
	else if (r->have_srv && r->nnodes < REG_NODES_MAX) {
		memset(&r->nodes[r->nnodes], 0, sizeof(r->nodes[0]));
		r->nodes[r->nnodes].udp = r->srv;
		r->nodes[r->nnodes].tcp = r->srv_tcp;
		addr_fmt((struct sockaddr *)&r->srv, r->nodes[r->nnodes].udp_s,
		    sizeof(r->nodes[0].udp_s));
		addr_fmt((struct sockaddr *)&r->srv_tcp,
		    r->nodes[r->nnodes].tcp_s, sizeof(r->nodes[0].tcp_s));
		r->cur = r->nnodes++;
	}
}

static int
reg_nodes_path(struct reg *r, char *path, size_t len)
{
	return (size_t)snprintf(path, len, "%s/%s", r->a->conf.state_dir,
	    REG_NODES_FILE) >= len ? -1 : 0;
}

/* STATE_DIR/nodes: the list as last told, written whole then renamed. */
static void
reg_nodes_save(struct reg *r)
{
	char path[1024], tmp[1040];
	unsigned i;
	FILE *fp;
	int fd;

	if (reg_nodes_path(r, path, sizeof(path)) == -1)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		log_warn("node list: %s", tmp);
		if (fd != -1)
			close(fd);
		return;
	}
	fprintf(fp, "%s\n", REG_NODES_HEADER);
	for (i = 0; i < r->nnodes; i++)
		if (r->nodes[i].told)
			fprintf(fp, "%s %s %s\n", r->nodes[i].id,
			    r->nodes[i].udp_s, r->nodes[i].tcp_s);
	if (fflush(fp) == EOF || fsync(fileno(fp)) == -1) {
		log_warn("node list: %s", tmp);
		fclose(fp);
		unlink(tmp);
		return;
	}
	fclose(fp);
	if (rename(tmp, path) == -1) {
		log_warn("node list: %s", path);
		unlink(tmp);
	}
}

/*
 * The list a previous run kept. Any line that is not "ID UDP [TCP]" makes
 * the whole file suspect: reported with its path and line, and ignored.
 */
static void
reg_nodes_load(struct reg *r)
{
	char path[1024], line[512], id[AGENT_ID_MAX + 2], udp[80], tcp[80];
	unsigned lineno = 0, n0 = r->nnodes, added = 0;
	FILE *fp;
	int k;

	if (reg_nodes_path(r, path, sizeof(path)) == -1 ||
	    (fp = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (lineno == 1 && strncmp(line, REG_NODES_HEADER,
		    strlen(REG_NODES_HEADER)) == 0)
			continue;
		if (strchr(line, '\n') == NULL && !feof(fp))
			goto bad;
		tcp[0] = '\0';
		k = sscanf(line, "%65s %79s %79s", id, udp, tcp);
		if (k < 2 || reg_nodes_add(r, id, udp, tcp) == -1)
			goto bad;
		added++;
	}
	fclose(fp);
	if (added > 0)
		log_info("node list: %u node(s) from %s", added, path);
	return;
bad:
	log_warnx("node list %s:%u: not 'ID HOST:PORT [HOST:PORT]': the file "
	    "is ignored", path, lineno);
	fclose(fp);
	/* Nothing of it stays (a --server entry it named keeps no id). */
	r->nnodes = n0;
	for (k = 0; k < (int)r->nnodes; k++)
		if (!r->nodes[k].told)
			r->nodes[k].id[0] = '\0';
}

/*
 * --server (each address a name resolves to), --server-tcp (once for all,
 * or once per --server), then STATE_DIR/nodes.
 */
int
reg_nodes_init(struct reg *r)
{
	const struct agent_conf *c = &r->a->conf;
	struct sockaddr_storage ss[REG_NODES_MAX], tcp;
	struct reg_node *n;
	socklen_t len;
	char err[256];
	size_t i;
	int k, j;

	if (c->server_tcp.n > 1 && c->server_tcp.n != c->server.n) {
		log_warnx("--server-tcp: given %zu times for %zu --server: give "
		    "it once (for all) or once per --server", c->server_tcp.n,
		    c->server.n);
		return -1;
	}
	for (i = 0; i < c->server.n; i++) {
		if ((k = addr_parse_all(c->server.v[i], ss, REG_NODES_MAX,
		    3478, err, sizeof(err))) == -1) {
			log_warnx("--server: %s", err);
			return -1;
		}
		for (j = 0; j < k && r->nnodes < REG_NODES_MAX; j++) {
			if (reg_nodes_find(r, &ss[j]) >= 0)
				continue;
			tcp = ss[j];
			if (c->server_tcp.n > 0 && addr_parse(c->server_tcp.v[
			    c->server_tcp.n == 1 ? 0 : i], &tcp, &len,
			    addr_port((struct sockaddr *)&ss[j]), err,
			    sizeof(err)) == -1) {
				log_warnx("--server-tcp: %s", err);
				return -1;
			}
			n = &r->nodes[r->nnodes++];
			memset(n, 0, sizeof(*n));
			n->conf = 1;
			n->udp = ss[j];
			n->tcp = tcp;
			addr_fmt((struct sockaddr *)&n->udp, n->udp_s,
			    sizeof(n->udp_s));
			addr_fmt((struct sockaddr *)&n->tcp, n->tcp_s,
			    sizeof(n->tcp_s));
		}
	}
	if (r->nnodes == 0) {
		log_warnx("--server: no address to register with");
		return -1;
	}
	reg_nodes_load(r);
	reg_nodes_use(r, 0);
	return 0;
}

/* A NodeList push (authenticated by the channel it came on). */
void
reg_nodes_list_in(struct reg *r, const P2p__Srv__NodeList *nl)
{
	unsigned bad = 0;
	const char *udp, *tcp;
	size_t i;

	reg_nodes_forget(r);
	for (i = 0; i < nl->n_nodes; i++) {
		if (nl->nodes[i]->id == NULL || nl->nodes[i]->udp == NULL) {
			bad++;
			continue;
		}
		udp = nl->nodes[i]->udp;
		tcp = nl->nodes[i]->tcp != NULL ? nl->nodes[i]->tcp : "";
		reg_nodes_family(r, &udp, &tcp, nl->nodes[i]->udp6,
		    nl->nodes[i]->tcp6);
		if (reg_nodes_add(r, nl->nodes[i]->id, udp, tcp) == -1)
			bad++;
	}
	if (bad > 0)
		log_warnx("node list: %u of %zu node(s) unusable", bad,
		    nl->n_nodes);
	snprintf(r->node_id, sizeof(r->node_id), "%s",
	    nl->self != NULL && p2p_name_valid(nl->self) ? nl->self : "");
	log_debug("node list: %zu node(s), this one is %s", nl->n_nodes,
	    r->node_id);
	reg_nodes_save(r);
}

/*
 * Another node than the one in use: one at random among those that have
 * not failed in this round (the move's spread). -1 when none is left:
 * a new round begins.
 */
int
reg_nodes_next(struct reg *r)
{
	unsigned i, k, cand[REG_NODES_MAX];

	r->nodes[r->cur].failed = 1;
	for (i = 0, k = 0; i < r->nnodes; i++)
		if (!r->nodes[i].failed && i != r->cur)
			cand[k++] = i;
	if (k == 0) {
		for (i = 0; i < r->nnodes; i++)
			r->nodes[i].failed = 0;
		return -1;
	}
	reg_nodes_use(r, cand[randombytes_uniform(k)]);
	return 0;
}

/* The node a Move names (added to the list if new): its index, -1 if
 * unusable or the one in use. */
int
reg_nodes_move(struct reg *r, const P2p__Srv__Move *mv)
{
	struct sockaddr_storage u;
	const char *udp = mv->udp, *tcp = mv->tcp != NULL ? mv->tcp : "";
	socklen_t len;
	char err[256];
	int i;

	reg_nodes_family(r, &udp, &tcp, mv->udp6, mv->tcp6);
	if (udp == NULL || addr_parse(udp, &u, &len, 3478, err,
	    sizeof(err)) == -1)
		return -1;
	if ((i = reg_nodes_find(r, &u)) < 0) {
		if (reg_nodes_add(r, mv->node_id != NULL ? mv->node_id : "",
		    udp, tcp) == -1 ||
		    (i = reg_nodes_find(r, &u)) < 0)
			return -1;
	}
	if ((unsigned)i == r->cur)
		return -1;
	return i;
}
