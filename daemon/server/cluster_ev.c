/* SPDX-License-Identifier: ISC */
/*
 * cluster_ev.c: parse the cluster's change events (cluster_ev.h).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_ev.h"
#include "wire.h"

static const struct {
	const char	*type;
	unsigned	 min, max;	/* fields after SEQ and TYPE */
} cluster_ev_types[] = {
	{ "R", 12, 15 }, { "U", 2, 2 }, { "I", 3, 3 }, { "W", 4, 4 },
	{ "GC", 3, 3 + 2 * STATE_GROUP_ATTRS }, { "GD", 2, 2 },
	{ "MA", 3, 3 }, { "MD", 3, 3 }, { "X", 1, 1 }, { "N", 3, 6 },
	{ "TA", 6, 6 + 2 * MATCH_ATTRS_MAX }, { "TG", 4, 4 },
	{ "TM", 4, 2 + 2 * MATCH_SIZE_MAX }, { "TD", 3, 3 }, { "GL", 2, 2 },
};

static int
ev_err(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "cluster event: %s", why);
	return -1;
}

static int
ev_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0' || strlen(s) > 20)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int
cluster_ev_parse(const char *data, size_t len, struct cluster_ev *ev,
    char *err, size_t errlen)
{
	char *p, *nl, *fields[CLUSTER_EV_FIELDS + 2];
	unsigned n = 0, i;

	memset(ev, 0, offsetof(struct cluster_ev, buf));
	if (len > CLUSTER_EV_MAX)
		return ev_err(err, errlen, "too long");
	memcpy(ev->buf, data, len);
	ev->buf[len] = '\0';
	if (memchr(ev->buf, '\0', len) != NULL)
		return ev_err(err, errlen, "a NUL byte");
	for (p = ev->buf;; p = nl + 1) {
		if (n == CLUSTER_EV_FIELDS + 2)
			return ev_err(err, errlen, "too many fields");
		fields[n++] = p;
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
	}
	for (i = 0; i < n; i++)
		for (p = fields[i]; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return ev_err(err, errlen, "a control byte");
	if (n < 2 || ev_u64(fields[0], UINT64_MAX - 1, &ev->seq) == -1 ||
	    ev->seq == 0)
		return ev_err(err, errlen, "no sequence number");
	for (i = 0; i < sizeof(cluster_ev_types) / sizeof(cluster_ev_types[0]);
	    i++)
		if (strcmp(fields[1], cluster_ev_types[i].type) == 0)
			break;
	if (i == sizeof(cluster_ev_types) / sizeof(cluster_ev_types[0]))
		return ev_err(err, errlen, "unknown type");
	if (n - 2 < cluster_ev_types[i].min || n - 2 > cluster_ev_types[i].max)
		return ev_err(err, errlen, "wrong number of fields");
	snprintf(ev->type, sizeof(ev->type), "%s", fields[1]);
	for (i = 2; i < n; i++)
		ev->f[i - 2] = fields[i];
	ev->nf = n - 2;
	return 0;
}

int
cluster_ev_num(const struct cluster_ev *ev, unsigned i, uint64_t max,
    uint64_t *out)
{
	if (i >= ev->nf)
		return -1;
	return ev_u64(ev->f[i], max, out);
}

const char *
cluster_ev_name(const struct cluster_ev *ev, unsigned i)
{
	if (i >= ev->nf || !p2p_name_valid(ev->f[i]))
		return NULL;
	return ev->f[i];
}

int
cluster_ev_addr(const char *s, size_t len, struct sockaddr_storage *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
	char host[INET6_ADDRSTRLEN + 1], port[8];
	const char *colon, *hs = s, *he;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > INET6_ADDRSTRLEN + 8)
		return -1;
	colon = NULL;
	for (he = s; he < s + len; he++)
		if (*he == ':')
			colon = he;
	if (colon == NULL || (size_t)(s + len - colon - 1) >= sizeof(port))
		return -1;
	memcpy(port, colon + 1, (size_t)(s + len - colon - 1));
	port[s + len - colon - 1] = '\0';
	if (ev_u64(port, 65535, &v) == -1)
		return -1;
	he = colon;
	if (s[0] == '[') {
		if (colon - s < 3 || colon[-1] != ']')
			return -1;
		hs = s + 1;
		he = colon - 1;
	}
	if ((size_t)(he - hs) >= sizeof(host))
		return -1;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	if (s[0] == '[') {
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)v);
	} else {
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)v);
	}
	return 0;
}

void
cluster_ev_hex(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
ev_unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		hi = s[2 * i];
		lo = s[2 * i + 1];
		hi = hi >= '0' && hi <= '9' ? hi - '0' : hi >= 'a' && hi <= 'f' ?
		    hi - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' : lo >= 'a' && lo <= 'f' ?
		    lo - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Comma-separated addresses into p->local_addrs (at most STATE_MAX_LOCAL). */
static int
ev_locals(const char *s, struct state_peer *p)
{
	const char *e;

	while (*s != '\0') {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		if (p->nlocal == STATE_MAX_LOCAL ||
		    cluster_ev_addr(s, (size_t)(e - s),
		    &p->local_addrs[p->nlocal]) == -1)
			return -1;
		p->nlocal++;
		s = *e == ',' ? e + 1 : e;
	}
	return 0;
}

static int
ev_groups(const char *s, struct state_peer *p)
{
	const char *e;
	size_t n;

	while (*s != '\0') {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		n = (size_t)(e - s);
		if (p->ngroups == TOKEN_MAX_GROUPS || n == 0 ||
		    n > P2P_NAME_MAX || !p2p_name_valid_len(s, n))
			return -1;
		memcpy(p->groups[p->ngroups], s, n);
		p->groups[p->ngroups++][n] = '\0';
		s = *e == ',' ? e + 1 : e;
	}
	return 0;
}

/* A port mapping: "" (none) or an IPv4 "ip:port" with a port. */
static int
ev_portmap(const char *s, struct sockaddr_in *out)
{
	struct sockaddr_storage ss;

	memset(out, 0, sizeof(*out));
	if (*s == '\0')
		return 0;
	if (cluster_ev_addr(s, strlen(s), &ss) == -1 ||
	    ss.ss_family != AF_INET ||
	    ((struct sockaddr_in *)&ss)->sin_port == 0)
		return -1;
	memcpy(out, &ss, sizeof(*out));
	return 0;
}

/* The other family's reflexive address: "" (none) or one with a port. */
static int
ev_other(const char *s, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (*s == '\0')
		return 0;
	if (cluster_ev_addr(s, strlen(s), out) == -1 ||
	    (out->ss_family == AF_INET ?
	    ((struct sockaddr_in *)out)->sin_port :
	    ((struct sockaddr_in6 *)out)->sin6_port) == 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

/*
 * The NAT facts that close R (from field i) and N (from field 2): nat
 * [pm [oth [rtt]]], each optional field absent from the events of older
 * nodes. A round trip over STATE_RTT_MAX_US counts as that.
 */
static int
ev_nat_facts(const struct cluster_ev *ev, unsigned i, struct state_peer *p)
{
	uint64_t rtt;

	p->nat = state_nat_index(ev->f[i]);
	if ((ev->nf > i + 1 && ev_portmap(ev->f[i + 1], &p->portmap) == -1) ||
	    (ev->nf > i + 2 && ev_other(ev->f[i + 2], &p->other) == -1))
		return -1;
	if (ev->nf > i + 3) {
		if (cluster_ev_num(ev, i + 3, UINT32_MAX, &rtt) == -1)
			return -1;
		p->rtt_us = rtt < STATE_RTT_MAX_US ? (uint32_t)rtt :
		    STATE_RTT_MAX_US;
	}
	return 0;
}

int
cluster_ev_peer(const struct cluster_ev *ev, struct state_peer *p,
    char *nat, size_t natlen, char *err, size_t errlen)
{
	const char *id = cluster_ev_name(ev, 0);
	uint64_t node, reg, iat, exp, aesni, tr;

	memset(p, 0, sizeof(*p));
	if (strcmp(ev->type, "R") != 0 || id == NULL)
		return ev_err(err, errlen, "not a registration");
	if (cluster_ev_num(ev, 1, STATE_NODES - 1, &node) == -1 ||
	    cluster_ev_num(ev, 2, UINT32_MAX, &reg) == -1 || reg == 0 ||
	    ev_unhex(ev->f[3], p->identity_key, 32) == -1 ||
	    cluster_ev_num(ev, 4, UINT64_MAX - 1, &iat) == -1 ||
	    cluster_ev_num(ev, 5, UINT64_MAX - 1, &exp) == -1 ||
	    cluster_ev_num(ev, 6, 1, &aesni) == -1 ||
	    cluster_ev_num(ev, 7, 1, &tr) == -1)
		return ev_err(err, errlen, "a bad registration field");
	if ((ev->f[8][0] != '\0' && cluster_ev_addr(ev->f[8],
	    strlen(ev->f[8]), &p->public_addr) == -1) ||
	    ev_locals(ev->f[9], p) == -1 || ev_groups(ev->f[10], p) == -1)
		return ev_err(err, errlen, "a bad address or group");
	snprintf(p->peer_id, sizeof(p->peer_id), "%s", id);
	p->node = (uint16_t)node;
	p->reg_id = (uint32_t)reg;
	p->issued_at = iat;
	p->expires_at = exp;
	p->aesni = (int)aesni;
	p->transport = tr ? STATE_TCP : STATE_UDP;
	snprintf(nat, natlen, "%s", ev->f[11]);
	if (ev_nat_facts(ev, 11, p) == -1)
		return ev_err(err, errlen, "a bad port mapping, other "
		    "address or round trip");
	return 0;
}

int
cluster_ev_nat(const struct cluster_ev *ev, struct state_peer *p)
{
	const char *id = cluster_ev_name(ev, 0);
	uint64_t reg;

	memset(p, 0, sizeof(*p));
	if (strcmp(ev->type, "N") != 0 || id == NULL ||
	    cluster_ev_num(ev, 1, UINT32_MAX, &reg) == -1 || reg == 0 ||
	    ev_nat_facts(ev, 2, p) == -1)
		return -1;
	snprintf(p->peer_id, sizeof(p->peer_id), "%s", id);
	p->reg_id = (uint32_t)reg;
	return 0;
}

int
cluster_ev_ticket(const struct cluster_ev *ev, struct state_ticket *t)
{
	const char *peer = cluster_ev_name(ev, 0);
	uint64_t id, size, node, kind, dl;
	char err[128];
	unsigned i;

	memset(t, 0, sizeof(*t));
	if (strcmp(ev->type, "TA") != 0 || peer == NULL || cluster_ev_num(ev, 1, UINT64_MAX - 1, &id) == -1 ||
	    id == 0 || cluster_ev_num(ev, 2, MATCH_SIZE_MAX, &size) == -1 ||
	    size < MATCH_SIZE_MIN ||
	    cluster_ev_num(ev, 3, STATE_NODES - 1, &node) == -1 ||
	    cluster_ev_num(ev, 4, 1, &kind) == -1 ||
	    cluster_ev_num(ev, 5, UINT64_MAX - 1, &dl) == -1 ||
	    (ev->nf - 6) % 2 != 0)
		return -1;
	snprintf(t->peer_id, sizeof(t->peer_id), "%s", peer);
	t->id = id;
	t->size = (unsigned)size;
	t->node = (uint16_t)node;
	t->kind = kind ? STATE_TICKET_AGENT : STATE_TICKET_API;
	t->deadline_ms = dl;
	for (i = 6; i + 1 < ev->nf && t->nattrs < MATCH_ATTRS_MAX; i += 2)
		if (match_attr_set(&t->attrs[t->nattrs++], ev->f[i],
		    ev->f[i + 1], strlen(ev->f[i + 1]), err, sizeof(err)) == -1)
			return -1;
	return match_attrs_check(t->attrs, t->nattrs, err, sizeof(err));
}
