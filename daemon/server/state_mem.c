/* SPDX-License-Identifier: ISC */
/*
 * state_mem.c: the in-memory state backend (state.h).
 *
 * Peers sit in two chained hash tables, by peer id and by reg_id; the hash is
 * libsodium's keyed SipHash with a random key so that remote peers cannot
 * aim ids at one bucket. Introductions are kept on both peers as a small
 * capped array of the other's id. Groups sit in a third table by name, each
 * with its members in join order; a fourth maps a peer id to its groups so
 * that "do these two share a group" does not walk every group. Peers and
 * introductions are not persisted; groups are, through state_file.c, when
 * state_mem_persist() gave a path.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <sodium.h>

#include "addr.h"
#include "state.h"

#define MEM_BUCKETS	4096

struct mem_peer {
	struct state_peer	 p;
	char			(*intros)[P2P_NAME_MAX + 1];
	unsigned		 nintros;
	struct mem_peer		*next_id;
	struct mem_peer		*next_reg;	/* only while registered */
};

typedef char mem_name[P2P_NAME_MAX + 1];

struct mem_group {
	struct state_group	 g;		/* g.nmembers: used of members */
	mem_name		*members;
	size_t			 cap;
	struct mem_group	*next;
};

/* The groups of one peer id (exists while it has at least one). */
struct mem_member {
	mem_name		 id;
	mem_name		*groups;
	unsigned		 ngroups;
	struct mem_member	*next;
};

struct state_mem {
	struct state		 base;
	struct mem_group	*groups[MEM_BUCKETS];
	size_t			 ngroups;
	struct mem_member	*members[MEM_BUCKETS];
	char			*path;		/* groups file, or NULL */
	int			 dirty;
	uint8_t			 hkey[crypto_shorthash_KEYBYTES];
	size_t			 max_peers;
	size_t			 npeers;	/* pinned or registered */
	size_t			 nregs;
	struct mem_peer		*by_id[MEM_BUCKETS];
	struct mem_peer		*by_reg[MEM_BUCKETS];
};

static size_t
mem_hash(struct state_mem *m, const void *p, size_t n)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, p, n, m->hkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v % MEM_BUCKETS);
}

static struct mem_peer **
mem_id_slot(struct state_mem *m, const char *id)
{
	struct mem_peer **pp;

	pp = &m->by_id[mem_hash(m, id, strlen(id))];
	while (*pp != NULL && strcmp((*pp)->p.peer_id, id) != 0)
		pp = &(*pp)->next_id;
	return pp;
}

static struct mem_peer **
mem_reg_slot(struct state_mem *m, uint32_t reg_id)
{
	struct mem_peer **pp;

	pp = &m->by_reg[mem_hash(m, &reg_id, sizeof(reg_id))];
	while (*pp != NULL && (*pp)->p.reg_id != reg_id)
		pp = &(*pp)->next_reg;
	return pp;
}

static struct mem_peer *
mem_find_reg(struct state_mem *m, uint32_t reg_id)
{
	return reg_id == 0 ? NULL : *mem_reg_slot(m, reg_id);
}

static struct mem_peer *
mem_find_registered(struct state_mem *m, const char *id)
{
	struct mem_peer *mp = *mem_id_slot(m, id);

	return mp != NULL && mp->p.reg_id != 0 ? mp : NULL;
}

static int
mem_intro_index(struct mem_peer *mp, const char *other)
{
	unsigned i;

	for (i = 0; i < mp->nintros; i++)
		if (strcmp(mp->intros[i], other) == 0)
			return (int)i;
	return -1;
}

static void
mem_intro_remove_one(struct mem_peer *mp, const char *other)
{
	int i = mem_intro_index(mp, other);

	if (i < 0)
		return;
	mp->nintros--;
	if ((unsigned)i != mp->nintros)
		memcpy(mp->intros[i], mp->intros[mp->nintros],
		    sizeof(mp->intros[i]));
}

/* Drop every introduction of mp, on both sides. */
static void
mem_intro_clear(struct state_mem *m, struct mem_peer *mp)
{
	struct mem_peer *o;
	unsigned i;

	for (i = 0; i < mp->nintros; i++)
		if ((o = *mem_id_slot(m, mp->intros[i])) != NULL)
			mem_intro_remove_one(o, mp->p.peer_id);
	free(mp->intros);
	mp->intros = NULL;
	mp->nintros = 0;
}

/* Take mp off the reg_id table; it stays pinned. */
static void
mem_unlink_reg(struct state_mem *m, struct mem_peer *mp)
{
	struct mem_peer **pp;

	if (mp->p.reg_id == 0)
		return;
	pp = mem_reg_slot(m, mp->p.reg_id);
	if (*pp == mp)
		*pp = mp->next_reg;
	mp->next_reg = NULL;
	mp->p.reg_id = 0;
	m->nregs--;
	mem_intro_clear(m, mp);
}

static enum state_rc
mem_reg(struct state *st, const struct state_peer *p, uint64_t now_unix,
    uint32_t *replaced)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_peer **pp, *mp;
	int pinned;

	*replaced = 0;
	if (p->reg_id == 0 || mem_find_reg(m, p->reg_id) != NULL)
		return STATE_FULL;	/* the caller picks fresh ids */
	pp = mem_id_slot(m, p->peer_id);
	if ((mp = *pp) != NULL) {
		pinned = mp->p.expires_at > now_unix;
		if (pinned && sodium_memcmp(mp->p.identity_key,
		    p->identity_key, 32) != 0 && p->issued_at <= mp->p.issued_at)
			return STATE_KEY_MISMATCH;
		*replaced = mp->p.reg_id;
		mem_unlink_reg(m, mp);
	} else {
		if (m->npeers >= m->max_peers)
			return STATE_FULL;
		if ((mp = calloc(1, sizeof(*mp))) == NULL)
			return STATE_FULL;
		*pp = mp;
		m->npeers++;
	}
	mp->p = *p;
	pp = mem_reg_slot(m, p->reg_id);
	mp->next_reg = NULL;
	*pp = mp;
	m->nregs++;
	return STATE_OK;
}

static enum state_rc
mem_get(struct state *st, const char *peer_id, struct state_peer *out)
{
	struct mem_peer *mp = mem_find_registered((struct state_mem *)st,
	    peer_id);

	if (mp == NULL)
		return STATE_NOT_FOUND;
	*out = mp->p;
	return STATE_OK;
}

static enum state_rc
mem_get_reg(struct state *st, uint32_t reg_id, struct state_peer *out)
{
	struct mem_peer *mp = mem_find_reg((struct state_mem *)st, reg_id);

	if (mp == NULL)
		return STATE_NOT_FOUND;
	*out = mp->p;
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
	mp->p.last_seen_us = now_us;
	if (addr != NULL && (len = addr_len(addr)) != 0) {
		memset(&mp->p.public_addr, 0, sizeof(mp->p.public_addr));
		memcpy(&mp->p.public_addr, addr, len);
	}
	return STATE_OK;
}

static enum state_rc
mem_unreg(struct state *st, uint32_t reg_id)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_peer *mp = mem_find_reg(m, reg_id);

	if (mp == NULL)
		return STATE_NOT_FOUND;
	mem_unlink_reg(m, mp);
	return STATE_OK;
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
			reg_id = mp->p.reg_id;
			if (reg_id != 0 && now_us >= mp->p.last_seen_us &&
			    now_us - mp->p.last_seen_us >= idle_us) {
				mem_unlink_reg(m, mp);
				n++;
				if (cb != NULL)
					cb(reg_id, mp->p.peer_id, arg);
			}
			if (mp->p.reg_id == 0 && mp->p.expires_at <= now_unix) {
				*pp = mp->next_id;
				m->npeers--;
				free(mp);
				continue;
			}
			pp = &mp->next_id;
		}
	}
	return n;
}

static enum state_rc
mem_intro_add(struct state *st, const char *a, const char *b)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_peer *pa, *pb, *side[2];
	const char *other[2] = { b, a };
	void *nv;
	int i;

	if ((pa = mem_find_registered(m, a)) == NULL ||
	    (pb = mem_find_registered(m, b)) == NULL || pa == pb)
		return STATE_NOT_FOUND;
	if (mem_intro_index(pa, b) >= 0)
		return STATE_OK;
	if (pa->nintros >= STATE_MAX_INTROS || pb->nintros >= STATE_MAX_INTROS)
		return STATE_FULL;
	side[0] = pa;
	side[1] = pb;
	for (i = 0; i < 2; i++) {
		nv = realloc(side[i]->intros, (side[i]->nintros + 1) *
		    sizeof(*side[i]->intros));
		if (nv == NULL) {
			if (i == 1)
				pa->nintros--;
			return STATE_FULL;
		}
		side[i]->intros = nv;
		snprintf(side[i]->intros[side[i]->nintros++],
		    sizeof(side[i]->intros[0]), "%s", other[i]);
	}
	return STATE_OK;
}

static enum state_rc
mem_intro_del(struct state *st, const char *a, const char *b)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_peer *pa = *mem_id_slot(m, a), *pb = *mem_id_slot(m, b);

	if (pa == NULL || pb == NULL || mem_intro_index(pa, b) < 0)
		return STATE_NOT_FOUND;
	mem_intro_remove_one(pa, b);
	mem_intro_remove_one(pb, a);
	return STATE_OK;
}

static int
mem_intro_has(struct state *st, const char *a, const char *b)
{
	struct mem_peer *pa = *mem_id_slot((struct state_mem *)st, a);

	return pa != NULL && mem_intro_index(pa, b) >= 0;
}

static size_t
mem_intro_each(struct state *st, const char *peer_id, state_intro_cb cb,
    void *arg)
{
	struct mem_peer *mp = *mem_id_slot((struct state_mem *)st, peer_id);
	char (*copy)[P2P_NAME_MAX + 1];
	size_t i, n;

	if (mp == NULL || mp->nintros == 0)
		return 0;
	/* The callback may change the introductions: walk a copy. */
	n = mp->nintros;
	if ((copy = calloc(n, sizeof(*copy))) == NULL)
		return 0;
	memcpy(copy, mp->intros, n * sizeof(*copy));
	for (i = 0; i < n; i++)
		cb(copy[i], arg);
	free(copy);
	return n;
}

static size_t
mem_count(struct state *st)
{
	return ((struct state_mem *)st)->nregs;
}


static struct mem_group **
mem_group_slot(struct state_mem *m, const char *name)
{
	struct mem_group **pp;

	pp = &m->groups[mem_hash(m, name, strlen(name))];
	while (*pp != NULL && strcmp((*pp)->g.name, name) != 0)
		pp = &(*pp)->next;
	return pp;
}

static struct mem_member **
mem_member_slot(struct state_mem *m, const char *id)
{
	struct mem_member **pp;

	pp = &m->members[mem_hash(m, id, strlen(id))];
	while (*pp != NULL && strcmp((*pp)->id, id) != 0)
		pp = &(*pp)->next;
	return pp;
}

static ssize_t
mem_group_index(const struct mem_group *mg, const char *peer_id)
{
	size_t i;

	for (i = 0; i < mg->g.nmembers; i++)
		if (strcmp(mg->members[i], peer_id) == 0)
			return (ssize_t)i;
	return -1;
}

static enum state_rc
mem_group_create(struct state *st, const struct state_group *g)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_group **pp = mem_group_slot(m, g->name), *mg;

	if (*pp != NULL)
		return STATE_EXISTS;
	if (m->ngroups >= STATE_MAX_GROUPS ||
	    (mg = calloc(1, sizeof(*mg))) == NULL)
		return STATE_FULL;
	mg->g = *g;
	mg->g.nmembers = 0;
	if (mg->g.nattrs > STATE_GROUP_ATTRS)
		mg->g.nattrs = STATE_GROUP_ATTRS;
	*pp = mg;
	m->ngroups++;
	m->dirty = 1;
	return STATE_OK;
}

/* Take group off the list of peer_id. */
static void
mem_member_forget(struct state_mem *m, const char *peer_id, const char *group)
{
	struct mem_member **pp = mem_member_slot(m, peer_id), *mm = *pp;
	unsigned i;

	if (mm == NULL)
		return;
	for (i = 0; i < mm->ngroups; i++)
		if (strcmp(mm->groups[i], group) == 0) {
			mm->ngroups--;
			if (i != mm->ngroups)
				memcpy(mm->groups[i], mm->groups[mm->ngroups],
				    sizeof(mm->groups[i]));
			break;
		}
	if (mm->ngroups == 0) {
		*pp = mm->next;
		free(mm->groups);
		free(mm);
	}
}

static enum state_rc
mem_group_destroy(struct state *st, const char *name)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_group **pp = mem_group_slot(m, name), *mg = *pp;
	size_t i;

	if (mg == NULL)
		return STATE_NOT_FOUND;
	for (i = 0; i < mg->g.nmembers; i++)
		mem_member_forget(m, mg->members[i], name);
	*pp = mg->next;
	free(mg->members);
	free(mg);
	m->ngroups--;
	m->dirty = 1;
	return STATE_OK;
}

static enum state_rc
mem_group_get(struct state *st, const char *name, struct state_group *out)
{
	struct mem_group *mg = *mem_group_slot((struct state_mem *)st, name);

	if (mg == NULL)
		return STATE_NOT_FOUND;
	*out = mg->g;
	return STATE_OK;
}

/* Call cb on a copy of names: the callback may change the tables. */
static size_t
mem_each_copy(const mem_name *names, size_t n, state_name_cb cb, void *arg)
{
	mem_name *copy;
	size_t i;

	if (n == 0 || (copy = calloc(n, sizeof(*copy))) == NULL)
		return 0;
	memcpy(copy, names, n * sizeof(*copy));
	for (i = 0; i < n; i++)
		cb(copy[i], arg);
	free(copy);
	return n;
}

static size_t
mem_group_each(struct state *st, state_name_cb cb, void *arg)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_group *mg;
	mem_name *names;
	size_t b, n = 0;

	if (m->ngroups == 0 ||
	    (names = calloc(m->ngroups, sizeof(*names))) == NULL)
		return 0;
	for (b = 0; b < MEM_BUCKETS; b++)
		for (mg = m->groups[b]; mg != NULL; mg = mg->next)
			memcpy(names[n++], mg->g.name, sizeof(names[0]));
	n = mem_each_copy(names, n, cb, arg);
	free(names);
	return n;
}

static enum state_rc
mem_member_add(struct state *st, const char *group, const char *peer_id)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_group *mg = *mem_group_slot(m, group);
	struct mem_member **pp, *mm;
	void *nv;

	if (mg == NULL)
		return STATE_NOT_FOUND;
	if (mem_group_index(mg, peer_id) >= 0)
		return STATE_EXISTS;
	if (mg->g.nmembers >= STATE_GROUP_MEMBERS)
		return STATE_FULL;
	pp = mem_member_slot(m, peer_id);
	if ((mm = *pp) == NULL) {
		if ((mm = calloc(1, sizeof(*mm))) == NULL)
			return STATE_FULL;
		snprintf(mm->id, sizeof(mm->id), "%s", peer_id);
		*pp = mm;
	}
	if (mm->ngroups >= STATE_PEER_GROUPS ||
	    (nv = realloc(mm->groups, (mm->ngroups + 1) *
	    sizeof(*mm->groups))) == NULL)
		goto full;
	mm->groups = nv;
	if (mg->g.nmembers == mg->cap) {
		size_t cap = mg->cap ? mg->cap * 2 : 4;

		if ((nv = realloc(mg->members, cap * sizeof(*mg->members))) ==
		    NULL)
			goto full;
		mg->members = nv;
		mg->cap = cap;
	}
	snprintf(mm->groups[mm->ngroups++], sizeof(mm->groups[0]), "%s",
	    group);
	snprintf(mg->members[mg->g.nmembers++], sizeof(mg->members[0]), "%s",
	    peer_id);
	m->dirty = 1;
	return STATE_OK;
full:
	if (mm->ngroups == 0) {
		*pp = mm->next;
		free(mm->groups);
		free(mm);
	}
	return STATE_FULL;
}

static enum state_rc
mem_member_del(struct state *st, const char *group, const char *peer_id)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_group *mg = *mem_group_slot(m, group);
	ssize_t i;

	if (mg == NULL || (i = mem_group_index(mg, peer_id)) < 0)
		return STATE_NOT_FOUND;
	/* Keep join order: the API shows members as they came. */
	memmove(mg->members[i], mg->members[i + 1],
	    (mg->g.nmembers - (size_t)i - 1) * sizeof(mg->members[0]));
	mg->g.nmembers--;
	mem_member_forget(m, peer_id, group);
	m->dirty = 1;
	return STATE_OK;
}

static int
mem_member_has(struct state *st, const char *group, const char *peer_id)
{
	struct mem_group *mg = *mem_group_slot((struct state_mem *)st, group);

	return mg != NULL && mem_group_index(mg, peer_id) >= 0;
}

static size_t
mem_member_each(struct state *st, const char *group, state_name_cb cb,
    void *arg)
{
	struct mem_group *mg = *mem_group_slot((struct state_mem *)st, group);

	return mg == NULL ? 0 : mem_each_copy(mg->members, mg->g.nmembers, cb,
	    arg);
}

static size_t
mem_peer_groups(struct state *st, const char *peer_id, state_name_cb cb,
    void *arg)
{
	struct mem_member *mm = *mem_member_slot((struct state_mem *)st,
	    peer_id);

	return mm == NULL ? 0 : mem_each_copy(mm->groups, mm->ngroups, cb,
	    arg);
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

int
state_mem_persist(struct state *st, const char *path, char *err,
    size_t errlen)
{
	struct state_mem *m = (struct state_mem *)st;

	if (st->ops->count != mem_count) {
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

static void
mem_free(struct state *st)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_peer *mp, *next;
	struct mem_group *mg, *gnext;
	struct mem_member *mm, *mnext;
	size_t b;

	for (b = 0; b < MEM_BUCKETS; b++) {
		for (mp = m->by_id[b]; mp != NULL; mp = next) {
			next = mp->next_id;
			free(mp->intros);
			free(mp);
		}
		for (mg = m->groups[b]; mg != NULL; mg = gnext) {
			gnext = mg->next;
			free(mg->members);
			free(mg);
		}
		for (mm = m->members[b]; mm != NULL; mm = mnext) {
			mnext = mm->next;
			free(mm->groups);
			free(mm);
		}
	}
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
	.sync = mem_sync,
	.free = mem_free,
};

struct state *
state_mem_new(size_t max_peers)
{
	struct state_mem *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->base.ops = &mem_ops;
	m->max_peers = max_peers;
	crypto_shorthash_keygen(m->hkey);
	return &m->base;
}
