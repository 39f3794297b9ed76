/* SPDX-License-Identifier: ISC */
/*
 * srv_listen.c: the server's addresses on one or both IP families.
 *
 * --listen, --tcp-listen and --alt-listen may each be given twice, one IPv4
 * and one IPv6 address; more, or two of one family, are refused naming the
 * option (at start, on reload and by --check-config). Each --alt-listen
 * belongs to the --listen of its family. The first --listen is the primary:
 * UDP and TCP on one port, STATE_DIR/port, node-to-node traffic in a cluster;
 * exactly as a server on one family has always been. The second gets the
 * same on its own sockets (srv_fam2), IPv6 only (IPV6_V6ONLY) so that both
 * may take the same port, and its port in STATE_DIR/port6 (or port4).
 *
 * An agent registers over one family; the server tells it its UDP address
 * on the other (Registered.other_family), where the agent learns its
 * reflexive address of that family by STUN. A wildcard --listen names no
 * address: the first public one of that family among the host's interfaces
 * at start stands for it (none: the agent is told nothing).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <ifaddrs.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "candfilter.h"
#include "log.h"
#include "server.h"

#define SRV_LISTEN_DEFAULT	"0.0.0.0:3478"

static const char *
srv_listen_fam(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/*
 * Parse option opt's values (at most two, of different families) into ss;
 * returns how many, or -1 with the reason in err.
 */
static int
srv_listen_parse(const char *opt, const struct conf_list *l,
    uint16_t default_port, struct sockaddr_storage ss[2], char *err,
    size_t errlen)
{
	char msg[256];
	socklen_t len;
	size_t i;

	if (l->n > 2) {
		snprintf(err, errlen, "--%s: given %zu times; at most twice, "
		    "one IPv4 and one IPv6 address", opt, l->n);
		return -1;
	}
	for (i = 0; i < l->n; i++) {
		if (addr_parse(l->v[i], &ss[i], &len, default_port, msg,
		    sizeof(msg)) == -1) {
			snprintf(err, errlen, "--%s: %s", opt, msg);
			return -1;
		}
		addr_normalize(&ss[i]);
	}
	if (l->n == 2 && ss[0].ss_family == ss[1].ss_family) {
		snprintf(err, errlen, "--%s %s and %s: both %s; give one IPv4 "
		    "and one IPv6 address", opt, l->v[0], l->v[1],
		    srv_listen_fam(ss[0].ss_family));
		return -1;
	}
	return (int)l->n;
}

int
srv_listen_check(const struct srv_conf *c, char *err, size_t errlen)
{
	struct sockaddr_storage lis[2], ss[2];
	int nl, n, i;

	if ((nl = srv_listen_parse("listen", &c->listen, 3478, lis, err,
	    errlen)) == -1 ||
	    srv_listen_parse("tcp-listen", &c->tcp_listen, 443, ss, err,
	    errlen) == -1 ||
	    (n = srv_listen_parse("alt-listen", &c->alt_listen, 0, ss, err,
	    errlen)) == -1)
		return -1;
	if (nl == 0)
		lis[nl++].ss_family = AF_INET;	/* SRV_LISTEN_DEFAULT */
	for (i = 0; i < n; i++)
		if (ss[i].ss_family != lis[0].ss_family &&
		    (nl < 2 || ss[i].ss_family != lis[1].ss_family)) {
			snprintf(err, errlen, "--alt-listen %s: no --listen "
			    "of that family (%s)", c->alt_listen.v[i],
			    srv_listen_fam(ss[i].ss_family));
			return -1;
		}
	return 0;
}

int
srv_listen_alt(const struct srv_conf *c, int family,
    struct sockaddr_storage *alt, char *err, size_t errlen)
{
	struct sockaddr_storage ss[2];
	int n, i;

	if ((n = srv_listen_parse("alt-listen", &c->alt_listen, 0, ss, err,
	    errlen)) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (ss[i].ss_family == family) {
			*alt = ss[i];
			return 0;
		}
	return 1;
}

/* UDP and TCP on one port number: with port 0, TCP follows UDP's choice. */
static void
srv_listen_primary(struct srv *s, const struct sockaddr_storage *ss,
    int v6only)
{
	socklen_t len = addr_len((const struct sockaddr *)ss);
	char a[ADDR_STRLEN];
	int tries;

	for (tries = 0; tries < 10; tries++) {
		if ((s->udp_fd = srv_udp_bind((const struct sockaddr *)ss, len,
		    v6only, &s->bound)) == -1)
			fatal("bind udp %s", addr_fmt((const struct sockaddr *)
			    ss, a, sizeof(a)));
		if (srv_tcp_listen(s, &s->listener, (struct sockaddr *)
		    &s->bound, len, v6only, NULL) == 0)
			break;
		if (errno != EADDRINUSE || addr_port((const struct sockaddr *)
		    ss))
			fatal("listen tcp %s", addr_fmt((struct sockaddr *)
			    &s->bound, a, sizeof(a)));
		srv_udp_stop(s);
	}
	if (tries == 10)
		fatalx("no port free for both UDP and TCP");
	log_info("listening on %s (udp, tcp)", addr_fmt((struct sockaddr *)
	    &s->bound, a, sizeof(a)));
}

/* The second family: its own port number, TCP beside UDP likewise. */
static void
srv_listen_second(struct srv *s, const struct sockaddr_storage *ss)
{
	socklen_t len = addr_len((const struct sockaddr *)ss);
	struct srv_fam2 *f = &s->fam2;
	char a[ADDR_STRLEN], err[256];
	int tries;

	for (tries = 0; tries < 10; tries++) {
		if ((f->udp_fd = srv_udp_bind((const struct sockaddr *)ss, len,
		    1, &f->bound)) == -1)
			fatal("bind udp %s", addr_fmt((const struct sockaddr *)
			    ss, a, sizeof(a)));
		if (srv_tcp_listen(s, &f->listener, (struct sockaddr *)
		    &f->bound, len, 1, NULL) == 0)
			break;
		if (errno != EADDRINUSE || addr_port((const struct sockaddr *)
		    ss))
			fatal("listen tcp %s", addr_fmt((struct sockaddr *)
			    &f->bound, a, sizeof(a)));
		close(f->udp_fd);
		f->udp_fd = -1;
	}
	if (tries == 10)
		fatalx("no port free for both UDP and TCP");
	addr_normalize(&f->bound);
	log_info("listening on %s (udp, tcp)", addr_fmt((struct sockaddr *)
	    &f->bound, a, sizeof(a)));
	if (srv_write_port_file(s, f->bound.ss_family == AF_INET6 ? "port6" :
	    "port4", addr_port((struct sockaddr *)&f->bound), err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
}

/* --tcp-listen: agents behind firewalls that let only, say, 443 out. */
static void
srv_listen_tcp_extra(struct srv *s, const struct sockaddr_storage *ss,
    int i, int v6only)
{
	struct evconnlistener **slot = i == 0 ? &s->listener2 :
	    &s->fam2.listener2;
	struct sockaddr_storage *bound = i == 0 ? &s->tcp2_bound :
	    &s->fam2.tcp2_bound;
	const char *file;
	char err[256], a[ADDR_STRLEN];

	if (srv_tcp_listen(s, slot, (const struct sockaddr *)ss,
	    addr_len((const struct sockaddr *)ss), v6only, bound) == -1)
		fatal("listen tcp %s", addr_fmt((const struct sockaddr *)ss, a,
		    sizeof(a)));
	addr_normalize(bound);
	log_info("listening on %s (tcp)", addr_fmt((struct sockaddr *)bound,
	    a, sizeof(a)));
	/* STATE_DIR/tcp_port; the second one's tcp_port4 or tcp_port6. */
	file = i == 0 ? "tcp_port" : bound->ss_family == AF_INET6 ?
	    "tcp_port6" : "tcp_port4";
	if (srv_write_port_file(s, file, addr_port((struct sockaddr *)bound),
	    err, sizeof(err)) == -1)
		fatalx("%s", err);
}

/* An address's bytes (4 or 16) and its length, for candfilter. */
static size_t
srv_listen_ip(const struct sockaddr_storage *ss, const uint8_t **ip)
{
	if (ss->ss_family == AF_INET) {
		*ip = (const uint8_t *)&((const struct sockaddr_in *)ss)->
		    sin_addr;
		return 4;
	}
	*ip = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	return 16;
}

/*
 * What agents of the other family are told of the socket bound at b: b,
 * or for a wildcard the host's first public address of b's family.
 */
static void
srv_listen_told(const struct sockaddr_storage *b, struct sockaddr_storage *out)
{
	struct ifaddrs *ifs, *i;
	struct sockaddr_storage ss;
	const uint8_t *ip;
	size_t n;
	uint16_t port = addr_port((const struct sockaddr *)b);

	memset(out, 0, sizeof(*out));
	n = srv_listen_ip(b, &ip);
	if (cand_classify(ip, n) != CAND_UNSPECIFIED) {
		*out = *b;
		return;
	}
	if (getifaddrs(&ifs) == -1) {
		log_warn("getifaddrs");
		return;
	}
	for (i = ifs; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family !=
		    b->ss_family)
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, i->ifa_addr, addr_len(i->ifa_addr));
		n = srv_listen_ip(&ss, &ip);
		if (cand_classify(ip, n) != CAND_PUBLIC)
			continue;
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = htons(port);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		*out = ss;
		break;
	}
	freeifaddrs(ifs);
}

int
srv_listen_other(const struct srv *s, int family,
    struct sockaddr_storage *out)
{
	const struct sockaddr_storage *t = &s->fam2.told[family == AF_INET];

	if (s->fam2.udp_fd == -1 || t->ss_family == 0)
		return -1;
	*out = *t;
	return 0;
}

/*
 * What other nodes and devices are told of this server (a cluster node's
 * entry, /v1/nodes, /v1/tokens): udp, --advertise, else the IPv4 --listen,
 * else the primary; udp6, the IPv6 --listen (a wildcard: the address its
 * agents of the other family are told), "" when it has none.
 */
void
srv_listen_addrs(const struct srv *s, char *udp, size_t len, char *udp6,
    size_t len6)
{
	const struct sockaddr_storage *v4 = NULL, *v6 = NULL;
	const uint8_t *ip;

	if (s->bound.ss_family == AF_INET)
		v4 = &s->bound;
	else if (s->bound.ss_family == AF_INET6)
		v6 = &s->bound;
	if (s->fam2.udp_fd != -1 && s->fam2.bound.ss_family == AF_INET)
		v4 = &s->fam2.bound;
	else if (s->fam2.udp_fd != -1 && s->fam2.bound.ss_family == AF_INET6)
		v6 = &s->fam2.bound;
	if (s->conf.advertise != NULL)
		snprintf(udp, len, "%s", s->conf.advertise);
	else
		addr_fmt((const struct sockaddr *)(v4 != NULL ? v4 : &s->bound),
		    udp, len);
	udp6[0] = '\0';
	if (v6 == NULL)
		return;
	if (s->fam2.udp_fd != -1 && s->fam2.told[1].ss_family == AF_INET6 &&
	    srv_listen_ip(v6, &ip) == 16 && cand_classify(ip, 16) ==
	    CAND_UNSPECIFIED)
		v6 = &s->fam2.told[1];
	addr_fmt((const struct sockaddr *)v6, udp6, len6);
}

void
srv_listen_bind(struct srv *s)
{
	struct sockaddr_storage lis[2], tcp[2];
	struct conf_list def = { NULL, 0 };
	char *dv = (char *)SRV_LISTEN_DEFAULT, err[256];
	const struct conf_list *l = &s->conf.listen;
	int n, t, i;

	s->fam2.udp_fd = -1;
	if (l->n == 0) {
		def.v = &dv;
		def.n = 1;
		l = &def;
	}
	if ((n = srv_listen_parse("listen", l, 3478, lis, err,
	    sizeof(err))) == -1 || (t = srv_listen_parse("tcp-listen",
	    &s->conf.tcp_listen, 443, tcp, err, sizeof(err))) == -1)
		fatalx("%s", err);
	srv_listen_primary(s, &lis[0], n == 2);
	if (n == 2) {
		srv_listen_second(s, &lis[1]);
		srv_listen_told(&s->bound, &s->fam2.told[s->bound.ss_family ==
		    AF_INET6]);
		srv_listen_told(&s->fam2.bound, &s->fam2.told[
		    s->fam2.bound.ss_family == AF_INET6]);
	}
	for (i = 0; i < t; i++)
		srv_listen_tcp_extra(s, &tcp[i], i, t == 2);
}
