/* SPDX-License-Identifier: ISC */
/*
 * state_mem.c: the in-memory state backend (state.h): peers, pins and
 * introductions; groups are in state_mem_group.c.
 *
 * Peers sit in two chained hash tables, by peer id and by reg_id; the hash is
 * libsodium's keyed SipHash with a random key so that remote peers cannot
 * aim ids at one bucket. A peer is stored compactly (state_mem.h) and copied
 * out as a struct state_peer. Introductions (state_mem_intro.c) are kept on
 * both peers as a small capped array of the other's id. When a registration
 * ends its entry becomes a pin: it drops what only a registration needs and
 * joins the pin list (oldest first), which has its own budget, so pins never
 * take the place of a registration. Peers and introductions are not
 * persisted; groups are, through state_file.c, when state_mem_persist() gave
 * a path.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <sodium.h>

#include "addr.h"
#include "state_mem.h"

/* Copy an address into the compact form (zero for another family). */
static void
mem_sa_set(union mem_sa *d, const struct sockaddr_storage *ss)
{
	socklen_t len = addr_len((const struct sockaddr *)ss);

	memset(d, 0, sizeof(*d));
	if (len != 0 && len <= sizeof(*d))
		memcpy(d, ss, len);
}

static void
mem_sa_get(struct sockaddr_storage *ss, const union mem_sa *s)
{
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, s, sizeof(*s));
}

/* The other family's reflexive address of p, if it has one we can keep. */
static int
mem_has_other(const struct state_peer *p)
{
	socklen_t len = addr_len((const struct sockaddr *)&p->other);

	return len != 0 && len <= sizeof(union mem_sa);
}

/*
 * The local addresses of p, with its other family's reflexive address
 * after them when it has one, in one allocation (NULL when none).
 */
static int
mem_local_make(const struct state_peer *p, unsigned nlocal,
    union mem_sa **out)
{
	int other = mem_has_other(p);
	unsigned i;

	*out = NULL;
	if (nlocal + (unsigned)other == 0)
		return 0;
	if ((*out = calloc(nlocal + (unsigned)other, sizeof(**out))) == NULL)
		return -1;
	for (i = 0; i < nlocal; i++)
		mem_sa_set(&(*out)[i], &p->local_addrs[i]);
	if (other)
		mem_sa_set(&(*out)[nlocal], &p->other);
	return 0;
}

static void
mem_nat_set(struct mem_peer *mp, const struct state_peer *p)
{
	mp->nat = p->nat < STATE_NAT_TYPES ? p->nat : 0;
	mp->pm_ip = p->portmap.sin_family == AF_INET ?
	    p->portmap.sin_addr.s_addr : 0;
	mp->pm_port = p->portmap.sin_family == AF_INET ?
	    p->portmap.sin_port : 0;
	mp->rtt_us = p->rtt_us < STATE_RTT_MAX_US ? p->rtt_us :
	    STATE_RTT_MAX_US;
	mp->has_other = (uint8_t)mem_has_other(p);
}

/* The registration's data of p into mp (key and times included). */
int
mem_peer_fill(struct mem_peer *mp, const struct state_peer *p)
{
	union mem_sa *local = NULL;
	char *groups = NULL;
	size_t glen = 0, off = 0;
	unsigned i, nlocal = p->nlocal, ngroups = p->ngroups;

	if (nlocal > STATE_MAX_LOCAL)
		nlocal = STATE_MAX_LOCAL;
	if (ngroups > TOKEN_MAX_GROUPS)
		ngroups = TOKEN_MAX_GROUPS;
	for (i = 0; i < ngroups; i++)
		glen += strnlen(p->groups[i], P2P_NAME_MAX) + 1;
	if (mem_local_make(p, nlocal, &local) == -1 ||
	    (glen > 0 && (groups = malloc(glen)) == NULL)) {
		free(local);
		return -1;
	}
	for (i = 0; i < ngroups; i++) {
		size_t n = strnlen(p->groups[i], P2P_NAME_MAX);

		memcpy(groups + off, p->groups[i], n);
		groups[off + n] = '\0';
		off += n + 1;
	}
	free(mp->local);
	free(mp->groups);
	mp->local = local;
	mp->groups = groups;
	mp->nlocal = (uint8_t)nlocal;
	mp->ngroups = (uint8_t)ngroups;
	snprintf(mp->peer_id, sizeof(mp->peer_id), "%s", p->peer_id);
	memcpy(mp->identity_key, p->identity_key, 32);
	mp->aesni = p->aesni != 0;
	mp->transport = (uint8_t)p->transport;
	mp->reg_id = p->reg_id;
	mp->node = (uint8_t)(p->node < STATE_NODES ? p->node : 0);
	mp->issued_at = p->issued_at;
	mp->expires_at = p->expires_at;
	mp->last_seen_us = p->last_seen_us;
	mem_sa_set(&mp->public_addr, &p->public_addr);
	mem_nat_set(mp, p);
	return 0;
}

/* A new NatReport of a registered mp: its local addresses stay. */
int
mem_peer_nat(struct mem_peer *mp, const struct state_peer *p)
{
	struct state_peer q;
	union mem_sa *local;
	unsigned i;

	if (mem_has_other(p) != mp->has_other || mp->has_other) {
		/* The other address sits after the local ones. */
		memset(&q, 0, sizeof(q));
		for (i = 0; i < mp->nlocal; i++)
			mem_sa_get(&q.local_addrs[i], &mp->local[i]);
		q.other = p->other;
		if (mem_local_make(&q, mp->nlocal, &local) == -1)
			return -1;
		free(mp->local);
		mp->local = local;
	}
	mem_nat_set(mp, p);
	return 0;
}

void
mem_peer_out(const struct mem_peer *mp, struct state_peer *out)
{
	const char *g = mp->groups;
	unsigned i;

	memset(out, 0, sizeof(*out));
	memcpy(out->peer_id, mp->peer_id, sizeof(out->peer_id));
	memcpy(out->identity_key, mp->identity_key, 32);
	out->reg_id = mp->reg_id;
	out->node = mp->node;
	mem_sa_get(&out->public_addr, &mp->public_addr);
	for (i = 0; i < mp->nlocal; i++)
		mem_sa_get(&out->local_addrs[i], &mp->local[i]);
	out->nlocal = mp->nlocal;
	for (i = 0; i < mp->ngroups; i++) {
		snprintf(out->groups[i], sizeof(out->groups[i]), "%s", g);
		g += strlen(g) + 1;
	}
	out->ngroups = mp->ngroups;
	out->issued_at = mp->issued_at;
	out->expires_at = mp->expires_at;
	out->aesni = mp->aesni;
	out->transport = (enum state_transport)mp->transport;
	out->last_seen_us = mp->last_seen_us;
	out->nat = mp->nat;
	out->rtt_us = mp->rtt_us;
	if (mp->has_other && mp->local != NULL)
		mem_sa_get(&out->other, &mp->local[mp->nlocal]);
	if (mp->pm_port != 0) {
		out->portmap.sin_family = AF_INET;
		out->portmap.sin_addr.s_addr = mp->pm_ip;
		out->portmap.sin_port = mp->pm_port;
	}
}

void
mem_pin_unlink(struct state_mem *m, struct mem_peer *mp)
{
	if (mp->pin_prev != NULL)
		mp->pin_prev->pin_next = mp->pin_next;
	else
		m->pin_head = mp->pin_next;
	if (mp->pin_next != NULL)
		mp->pin_next->pin_prev = mp->pin_prev;
	else
		m->pin_tail = mp->pin_prev;
	mp->pin_prev = mp->pin_next = NULL;
	m->npins--;
}

void
mem_peer_free(struct mem_peer *mp)
{
	free(mp->local);
	free(mp->groups);
	free(mp->intros);
	free(mp);
}

/* Forget a pin entirely. */
static void
mem_pin_drop(struct state_mem *m, struct mem_peer *mp)
{
	struct mem_peer **pp = mem_id_slot(m, mp->peer_id);

	if (*pp == mp)
		*pp = mp->next_id;
	mem_pin_unlink(m, mp);
	mem_peer_free(mp);
}

/* Past the pins' budget the oldest go (never while walking by_id). */
void
mem_pins_trim(struct state_mem *m)
{
	while (m->npins > m->max_pins && m->pin_head != NULL)
		mem_pin_drop(m, m->pin_head);
}

void
mem_pin_append(struct state_mem *m, struct mem_peer *mp)
{
	mp->pin_prev = m->pin_tail;
	mp->pin_next = NULL;
	if (m->pin_tail != NULL)
		m->pin_tail->pin_next = mp;
	else
		m->pin_head = mp;
	m->pin_tail = mp;
	m->npins++;
}

/* The registration of mp ends: mp becomes a pin (the newest). */
void
mem_unlink_reg(struct state_mem *m, struct mem_peer *mp)
{
	struct mem_peer **pp;

	if (mp->reg_id == 0)
		return;
	pp = mem_reg_slot(m, mp->reg_id);
	if (*pp == mp)
		*pp = mp->next_reg;
	mp->next_reg = NULL;
	mp->reg_id = 0;
	m->nregs--;
	m->nregs_node[mp->node]--;
	mem_intro_clear(m, mp);
	free(mp->local);
	free(mp->groups);
	mp->local = NULL;
	mp->groups = NULL;
	mp->nlocal = mp->ngroups = mp->has_other = 0;
	mem_pin_append(m, mp);
}

static enum state_rc
mem_reg_now(struct state_mem *m, const struct state_peer *p,
    uint64_t now_unix, uint32_t *replaced)
{
	struct mem_peer **pp, *mp;
	int pinned;

	*replaced = 0;
	if (p->reg_id == 0 || mem_find_reg(m, p->reg_id) != NULL)
		return STATE_FULL;	/* the caller picks fresh ids */
	pp = mem_id_slot(m, p->peer_id);
	if ((mp = *pp) != NULL) {
		pinned = mp->expires_at > now_unix;
		if (pinned && sodium_memcmp(mp->identity_key,
		    p->identity_key, 32) != 0 && p->issued_at <= mp->issued_at)
			return STATE_KEY_MISMATCH;
		if (mp->reg_id == 0 && m->nregs >= m->max_peers)
			return STATE_FULL;
		*replaced = mp->reg_id;
		mem_unlink_reg(m, mp);		/* now a pin */
		if (mem_peer_fill(mp, p) == -1)
			return STATE_FULL;	/* no memory: still a pin */
		mem_pin_unlink(m, mp);
	} else {
		if (m->nregs >= m->max_peers ||
		    (mp = calloc(1, sizeof(*mp))) == NULL)
			return STATE_FULL;
		if (mem_peer_fill(mp, p) == -1) {
			free(mp);
			return STATE_FULL;
		}
		*pp = mp;
	}
	pp = mem_reg_slot(m, p->reg_id);
	mp->next_reg = NULL;
	*pp = mp;
	m->nregs++;
	m->nregs_node[mp->node]++;
	return STATE_OK;
}

static void
mem_reg(struct state *st, const struct state_peer *p, uint64_t now_unix,
    state_done_cb cb, void *arg)
{
	struct state_mem *m = (struct state_mem *)st;
	uint32_t replaced;
	enum state_rc rc;

	rc = mem_reg_now(m, p, now_unix, &replaced);
	mem_pins_trim(m);
	state_answer(cb, arg, rc, replaced);
}

static enum state_rc
mem_get(struct state *st, const char *peer_id, struct state_peer *out)
{
	struct mem_peer *mp = mem_find_registered((struct state_mem *)st,
	    peer_id);

	if (mp == NULL)
		return STATE_NOT_FOUND;
	mem_peer_out(mp, out);
	return STATE_OK;
}

static enum state_rc
mem_get_reg(struct state *st, uint32_t reg_id, struct state_peer *out)
{
	struct mem_peer *mp = mem_find_reg((struct state_mem *)st, reg_id);

	if (mp == NULL)
		return STATE_NOT_FOUND;
	mem_peer_out(mp, out);
	return STATE_OK;
}

static enum state_rc
mem_touch(struct state *st, uint32_t reg_id, const struct sockaddr *addr,
    uint64_t now_us)
{
	struct mem_peer *mp = mem_find_reg((struct state_mem *)st, reg_id);
	socklen_t len;

	if (mp == NULL)
		return STATE_NOT_FOUND;
	mp->last_seen_us = now_us;
	if (addr != NULL && (len = addr_len(addr)) != 0 &&
	    len <= sizeof(mp->public_addr)) {
		memset(&mp->public_addr, 0, sizeof(mp->public_addr));
		memcpy(&mp->public_addr, addr, len);
	}
	return STATE_OK;
}

static void
mem_unreg(struct state *st, uint32_t reg_id, state_done_cb cb, void *arg)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_peer *mp = mem_find_reg(m, reg_id);

	if (mp == NULL) {
		state_answer(cb, arg, STATE_NOT_FOUND, 0);
		return;
	}
	mem_unlink_reg(m, mp);
	mem_pins_trim(m);
	state_answer(cb, arg, STATE_OK, 0);
}

static size_t
mem_expire(struct state *st, uint64_t now_us, uint64_t idle_us,
    uint64_t now_unix, state_drop_cb cb, void *arg)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_peer **pp, *mp;
	size_t b, n = 0;
	uint32_t reg_id;

	for (b = 0; b < MEM_BUCKETS; b++) {
		pp = &m->by_id[b];
		while ((mp = *pp) != NULL) {
			reg_id = mp->reg_id;
			if (reg_id != 0 && now_us >= mp->last_seen_us &&
			    now_us - mp->last_seen_us >= idle_us) {
				mem_unlink_reg(m, mp);
				n++;
				if (cb != NULL)
					cb(reg_id, mp->peer_id, arg);
			}
			if (mp->reg_id == 0 && mp->expires_at <= now_unix) {
				*pp = mp->next_id;
				mem_pin_unlink(m, mp);
				mem_peer_free(mp);
				continue;
			}
			pp = &mp->next_id;
		}
	}
	mem_pins_trim(m);
	return n;
}

static size_t
mem_count(struct state *st)
{
	return ((struct state_mem *)st)->nregs;
}

static void
mem_barrier(struct state *st, state_done_cb cb, void *arg)
{
	(void)st;
	state_answer(cb, arg, STATE_OK, 0);	/* one view: always current */
}

static int
mem_health(struct state *st, char *why, size_t len)
{
	(void)st;
	(void)why;
	(void)len;
	return 0;
}

static enum state_rc
mem_sync(struct state *st, char *err, size_t errlen)
{
	struct state_mem *m = (struct state_mem *)st;

	if (m->path == NULL || !m->dirty)
		return STATE_OK;
	if (state_file_save(st, m->path, err, errlen) == -1)
		return STATE_IO;
	m->dirty = 0;
	return STATE_OK;
}

static void
mem_free(struct state *st)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_peer *mp, *next;
	size_t b;

	for (b = 0; b < MEM_BUCKETS; b++)
		for (mp = m->by_id[b]; mp != NULL; mp = next) {
			next = mp->next_id;
			mem_peer_free(mp);
		}
	mem_group_free_all(m);
	mem_match_free_all(m);
	free(m->path);
	free(m);
}

static const struct state_ops mem_ops = {
	.reg = mem_reg,
	.get = mem_get,
	.get_reg = mem_get_reg,
	.touch = mem_touch,
	.unreg = mem_unreg,
	.expire = mem_expire,
	.intro_add = mem_intro_add,
	.intro_del = mem_intro_del,
	.intro_has = mem_intro_has,
	.intro_each = mem_intro_each,
	.count = mem_count,
	.group_create = mem_group_create,
	.group_destroy = mem_group_destroy,
	.group_get = mem_group_get,
	.group_each = mem_group_each,
	.member_add = mem_member_add,
	.member_del = mem_member_del,
	.member_has = mem_member_has,
	.member_each = mem_member_each,
	.peer_groups = mem_peer_groups,
	.groups_expired = mem_groups_expired,
	.match_add = mem_match_add,
	.match_del = mem_match_del,
	.match_get = mem_match_get,
	.match_each = mem_match_each,
	.match_pools = mem_match_pools,
	.match_hooks = mem_match_hooks,
	.barrier = mem_barrier,
	.health = mem_health,
	.sync = mem_sync,
	.free = mem_free,
};

int
state_mem_persist(struct state *st, const char *path, char *err,
    size_t errlen)
{
	struct state_mem *m = (struct state_mem *)st;

	if (st->ops != &mem_ops) {
		snprintf(err, errlen, "not the memory backend");
		return -1;
	}
	free(m->path);
	if ((m->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (state_file_load(st, path, err, errlen) == -1)
		return -1;
	m->dirty = 0;
	return 0;
}

void
state_mem_set_max_pins(struct state *st, size_t max_pins)
{
	struct state_mem *m = (struct state_mem *)st;

	if (st->ops != &mem_ops)
		return;
	m->max_pins = max_pins;
	mem_pins_trim(m);
}

size_t
state_mem_pins(struct state *st)
{
	return st->ops == &mem_ops ? ((struct state_mem *)st)->npins : 0;
}

struct state *
state_mem_new(size_t max_peers)
{
	struct state_mem *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->base.ops = &mem_ops;
	m->base.immediate = 1;
	m->max_peers = max_peers;
	m->max_pins = max_peers;
	crypto_shorthash_keygen(m->hkey);
	return &m->base;
}
