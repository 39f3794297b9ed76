/* SPDX-License-Identifier: ISC */
/*
 * guard_send.c: where the agent's own path checks and birthday probes may
 * go (guard.h; issue 15, finding 4; PROTOCOL.md §2.7).
 *
 * A peer's candidates are its claim (host addresses) or the server's
 * (its reflexive address, validated). Neither may make the agent probe
 * loopback, link-local, multicast or reserved addresses, nor its own LAN
 * for a peer that is not on it: core candfilter.c decides from the
 * agent's networks (listed again every GUARD_NETS_TTL_US), its reflexive
 * IP and the peer's. Candidates it refuses never enter the path selector
 * (guard_cand); every check and probe is asked again as it leaves
 * (guard_send), which also caps them at a rate per destination IP over all
 * sessions. Both count as drops with reason "probe".
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>

#include "addr.h"
#include "candfilter.h"
#include "guard.h"
#include "log.h"
#include "peer.h"
#include "session.h"

#define GUARD_NETS_TTL_US	2000000

/* The IP of sa as bytes (4 or 16) into ip: its length, 0 if none. */
static size_t
guard_ip(const struct sockaddr *sa, uint8_t ip[16])
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		memcpy(ip, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(ip, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 16;
	}
	return 0;
}

/* The length of a netmask in bits. */
static unsigned
guard_prefix(const uint8_t *m, size_t len)
{
	unsigned bits = 0;
	size_t i;
	uint8_t b;

	for (i = 0; i < len; i++)
		for (b = m[i]; b & 0x80; b = (uint8_t)(b << 1))
			bits++;
	return bits;
}

/* List the agent's networks again when the list is older than the TTL. */
static void
guard_nets(struct agent_guard *g, uint64_t now)
{
	struct ifaddrs *ifa, *i;
	struct cand_net *n;
	uint8_t mask[16];

	if (g->nets_at != 0 && now - g->nets_at < GUARD_NETS_TTL_US)
		return;
	g->nets_at = now;
	if (getifaddrs(&ifa) == -1)
		return;		/* keep the last list */
	g->nnets = 0;
	for (i = ifa; i != NULL && g->nnets < GUARD_NETS_MAX;
	    i = i->ifa_next) {
		n = &g->nets[g->nnets];
		if ((n->iplen = guard_ip(i->ifa_addr, n->ip)) == 0)
			continue;
		n->prefix = guard_ip(i->ifa_netmask, mask) == n->iplen ?
		    guard_prefix(mask, n->iplen) : (unsigned)n->iplen * 8;
		g->nnets++;
	}
	freeifaddrs(ifa);
}

/* 1 if to is an IP the peer announced as one of its interfaces'. */
static int
guard_host_cand(const struct peer *p, const struct sockaddr *to)
{
	size_t i;

	for (i = 0; i < p->nhost; i++)
		if (addr_equal_ip(&p->addrs[i].sa, to))
			return 1;
	return 0;
}

/* What core candfilter.c decides from, for session s (bufs hold IPs). */
static void
guard_ctx(struct agent *a, const struct session *s, struct cand_ctx *c,
    uint8_t mine[16], uint8_t theirs[16])
{
	struct agent_guard *g = a->guard;

	guard_nets(g, agent_now());
	memset(c, 0, sizeof(*c));
	c->own = g->nets;
	c->nown = g->nnets;
	c->mine = mine;
	c->minelen = guard_ip(reg_public_sa(a), mine);
	c->theirs = theirs;
	c->theirslen = s->p->have_pub ? guard_ip(&s->p->pub.sa, theirs) : 0;
}

/* Why cand_check_ok refused ip (for the log). */
static const char *
guard_why(const struct cand_ctx *c, const uint8_t *ip, size_t iplen)
{
	int k = cand_classify(ip, iplen);

	if (k != CAND_PUBLIC && k != CAND_PRIVATE)
		return cand_kind_name(k);
	if (!cand_same_lan(c))
		return "one of this host's networks, and the peer is not on "
		    "this LAN";
	return "one of this host's networks, not an address the peer "
	    "announced";
}

int
guard_cand(struct agent *a, const struct session *s,
    const struct sockaddr *to)
{
	struct agent_guard *g = a->guard;
	struct cand_ctx c;
	uint8_t mine[16], theirs[16], ip[16];
	char buf[ADDR_STRLEN];
	uint64_t held;
	size_t n;

	guard_ctx(a, s, &c, mine, theirs);
	if ((n = guard_ip(to, ip)) > 0 && cand_check_ok(&c, ip, n,
	    guard_host_cand(s->p, to)))
		return 1;
	g->cand_refused++;
	AGENT_DROP(a, probe);
	if (log_ratelimit(&g->cand_rl, agent_now(), &held))
		log_info("session with %s: not checking %s (%s)%s", s->p->id,
		    addr_fmt(to, buf, sizeof(buf)), n > 0 ? guard_why(&c, ip,
		    n) : "no IP", held > 0 ? " (and others held back)" : "");
	return 0;
}

int
guard_spray(struct agent *a, const struct session *s)
{
	struct cand_ctx c;
	uint8_t mine[16], theirs[16];

	guard_ctx(a, s, &c, mine, theirs);
	return c.theirslen > 0 && cand_spray_ok(theirs, c.theirslen, theirs,
	    c.theirslen, c.own, c.nown);
}

/* 1 if to is (IP and port) one of the session's candidates. */
static int
guard_is_cand(const struct session *s, const struct sockaddr *to)
{
	size_t i;

	for (i = 0; i < s->rt.path.ncands; i++)
		if (addr_equal((const struct sockaddr *)
		    &s->rt.path.cands[i].addr, to))
			return 1;
	return 0;
}

int
guard_send(struct agent *a, const struct session *s,
    const struct sockaddr *to)
{
	struct agent_guard *g = a->guard;
	struct cand_ctx c;
	uint8_t mine[16], theirs[16], ip[16];
	size_t n;

	guard_ctx(a, s, &c, mine, theirs);
	n = guard_ip(to, ip);
	/* A check to a candidate, or a birthday probe: a random port of the
	 * peer's validated reflexive IP, never our own networks. */
	if (n == 0 || !cand_check_ok(&c, ip, n, guard_host_cand(s->p, to)) ||
	    (!guard_is_cand(s, to) && !cand_spray_ok(ip, n, theirs,
	    c.theirslen, c.own, c.nown))) {
		g->send_refused++;
		AGENT_DROP(a, probe);
		return 0;
	}
	if (!ratelim_take(&g->sends, ip, n, agent_now())) {
		g->send_over_rate++;
		AGENT_DROP(a, probe);
		return 0;
	}
	return 1;
}
