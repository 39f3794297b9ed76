/* SPDX-License-Identifier: ISC */
/*
 * portmap_pcp.c: PCP (RFC 6887) and NAT-PMP (RFC 6886) towards the default
 * gateway, over one UDP socket connected to its port 5351 (so only the
 * gateway's answers arrive). The messages are core/pcp.c.
 *
 * A probe asks both at once without taking a mapping: PCP ANNOUNCE and
 * NAT-PMP's external address request (that address is NAT-PMP's external
 * address for the mapping too). A router that speaks only NAT-PMP answers
 * the PCP request with NAT-PMP's UNSUPP_VERSION. Then one MAP at a time (a
 * map or a renewal), and beside it one delete (lifetime 0: its answer says
 * lifetime 0 too). Requests are resent at 250 ms, doubling (RFC 6886
 * §3.1), PCP_TRIES times; a delete fewer, so an exit is quick. A map that
 * got no usable answer is deleted all the same: the router may have made
 * it and said so in a way we could not take.
 *
 * Every datagram is checked: one that does not parse (pcp_parse), is
 * longer than any answer, or answers nothing we asked (opcode, nonce,
 * protocol, internal port) is ignored and counted. The router's epoch is
 * tracked per version: when it goes back, the router restarted and lost
 * its mappings (RFC 6886 §3.6, RFC 6887 §8.5).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "log.h"
#include "portmap_int.h"

#define PCP_RTO_US		250000ULL
#define PCP_TRIES		4	/* 3.75 s in all */
#define PCP_DELETE_TRIES	3	/* 1.75 s: within PORTMAP_STOP_US */
#define PCP_ROUTE_MAX		65536	/* of /proc/net/route */
#define PCP_READ_MAX		16	/* datagrams per wakeup */

enum { TX_NATPMP_ADDR, TX_PCP_ANNOUNCE, TX_MAP, TX_DELETE, TX_N };

struct pcp_tx {
	int			 active;
	enum portmap_proto	 proto;		/* TX_MAP, TX_DELETE */
	uint8_t			 pkt[PCP_MAP_LEN];
	size_t			 len;
	int			 tries, max_tries;
	uint64_t		 rto_us;
	uint64_t		 next_us;
};

struct portmap_pcp {
	struct portmap		*pm;
	int			 fd;
	struct event		*rev;
	struct event		*timer;
	uint32_t		 gw;		/* host order */
	uint32_t		 client_ip;	/* ours, towards the gateway */
	uint32_t		 natpmp_ext;	/* NAT-PMP's external address */
	uint8_t			 nonce[PCP_NONCE_LEN];
	uint16_t		 eport;		/* asked for by TX_MAP */
	int			 has_epoch[2];	/* [0] NAT-PMP, [1] PCP */
	uint32_t		 epoch[2];
	uint64_t		 epoch_at[2];
	struct pcp_tx		 tx[TX_N];
};

static void	pcp_read(evutil_socket_t, short, void *);
static void	pcp_tick(evutil_socket_t, short, void *);
static void	pcp_map(struct portmap_pcp *, enum portmap_proto, uint16_t,
		    uint32_t, int);

struct portmap_pcp *
portmap_pcp_new(struct portmap *pm)
{
	struct portmap_pcp	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->pm = pm;
	c->fd = -1;
	if ((c->timer = evtimer_new(pm->base, pcp_tick, c)) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

static void
pcp_close(struct portmap_pcp *c)
{
	if (c->rev != NULL)
		event_free(c->rev);
	c->rev = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

void
portmap_pcp_free(struct portmap_pcp *c)
{
	pcp_close(c);
	event_free(c->timer);
	free(c);
}

/* The default gateway, from the routing table the kernel shows us. */
static int
pcp_gateway(uint32_t *gw)
{
	char	*buf;
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd, rc;

	if ((fd = open("/proc/net/route", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((buf = malloc(PCP_ROUTE_MAX)) == NULL) {
		close(fd);
		return -1;
	}
	while (len < PCP_ROUTE_MAX &&
	    (n = read(fd, buf + len, PCP_ROUTE_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	rc = pcp_gateway_parse(buf, len, gw);
	free(buf);
	return rc;
}

/* A socket connected to the gateway's port 5351: 0, or -1 with why. */
static int
pcp_open(struct portmap_pcp *c, const char **why)
{
	struct sockaddr_in	sin;
	socklen_t		slen = sizeof(sin);

	if (c->fd != -1)
		return 0;
	if (pcp_gateway(&c->gw) == -1) {
		*why = "no default gateway";
		return -1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(PCP_PORT);
	sin.sin_addr.s_addr = htonl(c->gw);
	if ((c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || connect(c->fd, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1 || getsockname(c->fd, (struct sockaddr *)&sin,
	    &slen) == -1) {
		*why = strerror(errno);
		pcp_close(c);
		return -1;
	}
	c->client_ip = ntohl(sin.sin_addr.s_addr);
	if ((c->rev = event_new(c->pm->base, c->fd, EV_READ | EV_PERSIST,
	    pcp_read, c)) == NULL || event_add(c->rev, NULL) == -1) {
		*why = "no memory for an event";
		pcp_close(c);
		return -1;
	}
	return 0;
}

static void
pcp_rearm(struct portmap_pcp *c)
{
	uint64_t	now = portmap_now(), next = 0;
	int		i;

	for (i = 0; i < TX_N; i++)
		if (c->tx[i].active && (next == 0 || c->tx[i].next_us < next))
			next = c->tx[i].next_us;
	evtimer_del(c->timer);
	if (next != 0)
		portmap_arm(c->timer, next > now ? next - now : 0);
}

static void
pcp_send(struct portmap_pcp *c, struct pcp_tx *t)
{
	if (send(c->fd, t->pkt, t->len, 0) == -1 && errno != EAGAIN &&
	    errno != ECONNREFUSED)
		log_debug("portmap: sending to the gateway: %s",
		    strerror(errno));
	c->pm->st.sent++;
	t->tries++;
	t->next_us = portmap_now() + t->rto_us;
	t->rto_us *= 2;
}

static void
pcp_start(struct portmap_pcp *c, int i, int max_tries)
{
	struct pcp_tx	*t = &c->tx[i];

	t->active = 1;
	t->tries = 0;
	t->max_tries = max_tries;
	t->rto_us = PCP_RTO_US;
	pcp_send(c, t);
	pcp_rearm(c);
}

/* A transaction that got no answer (or the port is closed). */
static void
pcp_giveup(struct portmap_pcp *c, int i, const char *why)
{
	struct pcp_tx	*t = &c->tx[i];

	t->active = 0;
	if (i == TX_NATPMP_ADDR)
		portmap_on_unavailable(c->pm, PORTMAP_NATPMP, why);
	else if (i == TX_PCP_ANNOUNCE)
		portmap_on_unavailable(c->pm, PORTMAP_PCP, why);
	else if (i == TX_MAP) {
		/* A first map may have been made all the same (a renewal's
		 * mapping stays ours until it expires). */
		if (c->pm->state == PM_MAPPING && !c->tx[TX_DELETE].active)
			pcp_map(c, t->proto, c->eport, 0, 1);
		portmap_on_refused(c->pm, t->proto, why);
	}
	/* a delete without answer: portmap.c's stop deadline ends it */
}

static void
pcp_tick(evutil_socket_t fd, short what, void *arg)
{
	struct portmap_pcp	*c = arg;
	uint64_t		 now = portmap_now();
	int			 i;

	for (i = 0; i < TX_N; i++) {
		if (!c->tx[i].active || c->tx[i].next_us > now)
			continue;
		if (c->tx[i].tries >= c->tx[i].max_tries)
			pcp_giveup(c, i, "no answer");
		else
			pcp_send(c, &c->tx[i]);
	}
	pcp_rearm(c);
}

void
portmap_pcp_probe(struct portmap_pcp *c, int protocols)
{
	const char	*why = NULL;
	struct pcp_tx	*t;

	if (pcp_open(c, &why) == -1) {
		if (protocols & (1 << PORTMAP_NATPMP))
			portmap_on_unavailable(c->pm, PORTMAP_NATPMP, why);
		if (protocols & (1 << PORTMAP_PCP))
			portmap_on_unavailable(c->pm, PORTMAP_PCP, why);
		return;
	}
	randombytes_buf(c->nonce, sizeof(c->nonce));
	if (protocols & (1 << PORTMAP_NATPMP)) {
		t = &c->tx[TX_NATPMP_ADDR];
		t->len = pcp_natpmp_addr_req(t->pkt, sizeof(t->pkt));
		pcp_start(c, TX_NATPMP_ADDR, PCP_TRIES);
	}
	if (protocols & (1 << PORTMAP_PCP)) {
		t = &c->tx[TX_PCP_ANNOUNCE];
		t->len = pcp_announce_req(t->pkt, sizeof(t->pkt), c->client_ip);
		pcp_start(c, TX_PCP_ANNOUNCE, PCP_TRIES);
	}
}

static void
pcp_map(struct portmap_pcp *c, enum portmap_proto p, uint16_t eport,
    uint32_t lifetime, int deleting)
{
	struct pcp_tx	*t = &c->tx[deleting ? TX_DELETE : TX_MAP];
	uint16_t	 iport = c->pm->conf.internal_port;

	if (c->fd == -1)
		return;
	t->proto = p;
	if (!deleting)
		c->eport = eport;
	if (p == PORTMAP_NATPMP)
		t->len = pcp_natpmp_map_req(t->pkt, sizeof(t->pkt), iport,
		    deleting ? 0 : eport, lifetime);
	else
		t->len = pcp_map_req(t->pkt, sizeof(t->pkt), c->client_ip,
		    c->nonce, iport, eport, 0, lifetime);
	pcp_start(c, deleting ? TX_DELETE : TX_MAP,
	    deleting ? PCP_DELETE_TRIES : PCP_TRIES);
}

void
portmap_pcp_map(struct portmap_pcp *c, enum portmap_proto p, uint16_t eport,
    uint32_t lifetime)
{
	pcp_map(c, p, eport, lifetime, 0);
}

void
portmap_pcp_delete(struct portmap_pcp *c, enum portmap_proto p)
{
	uint16_t	eport = ntohs(c->pm->info.external.sin_port);

	if (c->pm->state == PM_STOPPING)	/* no more asking for it */
		c->tx[TX_MAP].active = 0;
	pcp_map(c, p, eport != 0 ? eport : c->eport, 0, 1);
}

void
portmap_pcp_cancel(struct portmap_pcp *c)
{
	int	i;

	for (i = 0; i < TX_N; i++)
		c->tx[i].active = 0;
	evtimer_del(c->timer);
}

/* RFC 6886 §3.6: an epoch smaller than the last one plus 7/8 of the time
 * since, less 2 s of slack, means the router restarted. */
static void
pcp_epoch(struct portmap_pcp *c, const struct pcp_answer *a)
{
	int			 v = a->version == PCP_V_PCP;
	uint64_t		 now = portmap_now(), expect;
	enum portmap_proto	 p = v ? PORTMAP_PCP : PORTMAP_NATPMP;

	if (c->has_epoch[v]) {
		expect = c->epoch[v] + (now - c->epoch_at[v]) / 1000000 * 7 / 8;
		if ((uint64_t)a->epoch + 2 < expect)
			portmap_on_lost(c->pm, p, "the router restarted (its "
			    "epoch went back)");
	}
	c->has_epoch[v] = 1;
	c->epoch[v] = a->epoch;
	c->epoch_at[v] = now;
}

/* Take transaction i as answered by a; 0, or -1 (and counted) if none
 * was waiting for it. */
static int
pcp_match(struct portmap_pcp *c, int i, const struct pcp_answer *a,
    const char *what)
{
	if (!c->tx[i].active) {
		c->pm->st.mismatched++;
		portmap_ignored(c->pm, "a %s answer nothing was asked for",
		    what);
		return -1;
	}
	c->tx[i].active = 0;
	c->pm->st.answers++;
	pcp_rearm(c);
	pcp_epoch(c, a);
	return 0;
}

static void
pcp_refused(struct portmap_pcp *c, enum portmap_proto p,
    const struct pcp_answer *a)
{
	c->pm->st.refused++;
	portmap_on_refused(c->pm, p, pcp_result_str(a->version, a->result));
}

/* Which of TX_MAP and TX_DELETE an answer of protocol p is for: a delete
 * is answered with lifetime 0, a map (if granted) with more; -1 if
 * neither waits for one of p. */
static int
pcp_which(struct portmap_pcp *c, enum portmap_proto p,
    const struct pcp_answer *a)
{
	int	map = c->tx[TX_MAP].active && c->tx[TX_MAP].proto == p;
	int	del = c->tx[TX_DELETE].active && c->tx[TX_DELETE].proto == p;

	if (del && (!map || a->lifetime == 0))
		return TX_DELETE;
	return map ? TX_MAP : -1;
}

static void
pcp_natpmp(struct portmap_pcp *c, const struct pcp_answer *a)
{
	struct pcp_tx	*t = &c->tx[TX_MAP];
	int		 i;

	if (a->result == PCP_RES_UNSUPP_VERSION) {
		/* NAT-PMP's answer to our PCP request: no PCP here */
		if (c->tx[TX_PCP_ANNOUNCE].active) {
			(void)pcp_match(c, TX_PCP_ANNOUNCE, a, "pcp");
			portmap_on_unavailable(c->pm, PORTMAP_PCP,
			    "the router speaks NAT-PMP only");
		} else if (t->active && t->proto == PORTMAP_PCP) {
			(void)pcp_match(c, TX_MAP, a, "pcp");
			pcp_refused(c, PORTMAP_PCP, a);
		} else if (c->tx[TX_DELETE].active &&
		    c->tx[TX_DELETE].proto == PORTMAP_PCP) {
			(void)pcp_match(c, TX_DELETE, a, "pcp");
		} else {
			c->pm->st.mismatched++;
			portmap_ignored(c->pm, "a nat-pmp UNSUPP_VERSION "
			    "answer nothing was asked for");
		}
		return;
	}
	if (a->opcode == NATPMP_OP_ADDR) {
		if (pcp_match(c, TX_NATPMP_ADDR, a, "nat-pmp address") == -1)
			return;
		if (a->result != PCP_RES_SUCCESS) {
			portmap_on_unavailable(c->pm, PORTMAP_NATPMP,
			    pcp_result_str(a->version, a->result));
			return;
		}
		c->natpmp_ext = a->external_ip;
		portmap_on_found(c->pm, PORTMAP_NATPMP);
		return;
	}
	if ((i = pcp_which(c, PORTMAP_NATPMP, a)) == -1 ||
	    (a->result == PCP_RES_SUCCESS &&
	    a->internal_port != c->pm->conf.internal_port)) {
		c->pm->st.mismatched++;
		portmap_ignored(c->pm, "a nat-pmp mapping answer for port %u, "
		    "not asked for", (unsigned)a->internal_port);
		return;
	}
	(void)pcp_match(c, i, a, "nat-pmp mapping");
	if (i == TX_DELETE)
		portmap_on_deleted(c->pm, PORTMAP_NATPMP);
	else if (a->result != PCP_RES_SUCCESS)
		pcp_refused(c, PORTMAP_NATPMP, a);
	else
		portmap_on_granted(c->pm, PORTMAP_NATPMP, c->natpmp_ext,
		    a->external_port, a->lifetime);
}

static void
pcp_pcp(struct portmap_pcp *c, const struct pcp_answer *a)
{
	int	i;

	if (a->opcode == PCP_OP_ANNOUNCE) {
		if (pcp_match(c, TX_PCP_ANNOUNCE, a, "pcp announce") == -1)
			return;
		/* A PCP server that does not do ANNOUNCE still speaks PCP. */
		if (a->result == PCP_RES_SUCCESS || a->result == 4)
			portmap_on_found(c->pm, PORTMAP_PCP);
		else
			portmap_on_unavailable(c->pm, PORTMAP_PCP,
			    pcp_result_str(a->version, a->result));
		return;
	}
	if ((i = pcp_which(c, PORTMAP_PCP, a)) == -1 ||
	    memcmp(a->nonce, c->nonce, PCP_NONCE_LEN) != 0 ||
	    a->protocol != PCP_PROTO_UDP ||
	    a->internal_port != c->pm->conf.internal_port) {
		c->pm->st.mismatched++;
		portmap_ignored(c->pm, "a pcp mapping answer that does not "
		    "match our request (nonce, protocol or port)");
		return;
	}
	(void)pcp_match(c, i, a, "pcp mapping");
	if (i == TX_DELETE)
		portmap_on_deleted(c->pm, PORTMAP_PCP);
	else if (a->result != PCP_RES_SUCCESS)
		pcp_refused(c, PORTMAP_PCP, a);
	else	/* no IPv4 address: 0, which portmap.c refuses */
		portmap_on_granted(c->pm, PORTMAP_PCP,
		    a->has_ip ? a->external_ip : 0, a->external_port,
		    a->lifetime);
}

static void
pcp_read(evutil_socket_t fd, short what, void *arg)
{
	struct portmap_pcp	*c = arg;
	struct pcp_answer	 a;
	uint8_t			 buf[PCP_MSG_MAX + 4];
	ssize_t			 n;
	int			 i, rc;

	for (i = 0; i < PCP_READ_MAX && c->fd != -1; i++) {
		n = recv(c->fd, buf, sizeof(buf), MSG_TRUNC);
		if (n == -1) {
			if (errno == ECONNREFUSED) {	/* port 5351 closed */
				if (c->tx[TX_NATPMP_ADDR].active)
					pcp_giveup(c, TX_NATPMP_ADDR,
					    "port 5351 is closed");
				if (c->tx[TX_PCP_ANNOUNCE].active)
					pcp_giveup(c, TX_PCP_ANNOUNCE,
					    "port 5351 is closed");
				pcp_rearm(c);
				continue;
			}
			return;
		}
		if ((size_t)n > PCP_MSG_MAX) {
			c->pm->st.malformed++;
			portmap_ignored(c->pm, "a %zd-byte datagram from the "
			    "gateway, longer than any answer", n);
			continue;
		}
		if ((rc = pcp_parse(buf, (size_t)n, &a)) != 0) {
			c->pm->st.malformed++;
			portmap_ignored(c->pm, "a %zd-byte datagram from the "
			    "gateway: %s", n, pcp_err_str(rc));
			continue;
		}
		if (a.version == PCP_V_NATPMP)
			pcp_natpmp(c, &a);
		else
			pcp_pcp(c, &a);
	}
}
