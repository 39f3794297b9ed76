/* SPDX-License-Identifier: ISC */
/*
 * state_mem_group.c: server-managed groups in the memory backend (state.h):
 * a table of groups by name, each with its members in join order, and a
 * table of peer id -> its groups so that "do these two share a group" does
 * not walk every group. Writes answer at once through their callback.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "state_mem.h"

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

static enum state_rc mem_group_create_now(struct state_mem *,
	    const struct state_group *);

void
mem_group_create(struct state *st, const struct state_group *g,
    state_done_cb cb, void *arg)
{
	state_answer(cb, arg, mem_group_create_now((struct state_mem *)st, g), 0);
}

static enum state_rc
mem_group_create_now(struct state_mem *m, const struct state_group *g)
{
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
	if (mg->g.expires_at != 0)
		m->ngroups_exp++;
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
mem_group_destroy_now(struct state_mem *m, const char *name)
{
	struct mem_group **pp = mem_group_slot(m, name), *mg = *pp;
	size_t i;

	if (mg == NULL)
		return STATE_NOT_FOUND;
	for (i = 0; i < mg->g.nmembers; i++)
		mem_member_forget(m, mg->members[i], name);
	*pp = mg->next;
	if (mg->g.expires_at != 0)
		m->ngroups_exp--;
	free(mg->members);
	free(mg);
	m->ngroups--;
	m->dirty = 1;
	return STATE_OK;
}

enum state_rc
mem_group_get(struct state *st, const char *name, struct state_group *out)
{
	struct mem_group *mg = *mem_group_slot((struct state_mem *)st, name);

	if (mg == NULL)
		return STATE_NOT_FOUND;
	*out = mg->g;
	return STATE_OK;
}

size_t
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

size_t
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
mem_member_add_now(struct state_mem *m, const char *group, const char *peer_id)
{
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
mem_member_del_now(struct state_mem *m, const char *group, const char *peer_id)
{
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

int
mem_member_has(struct state *st, const char *group, const char *peer_id)
{
	struct mem_group *mg = *mem_group_slot((struct state_mem *)st, group);

	return mg != NULL && mem_group_index(mg, peer_id) >= 0;
}

size_t
mem_member_each(struct state *st, const char *group, state_name_cb cb,
    void *arg)
{
	struct mem_group *mg = *mem_group_slot((struct state_mem *)st, group);

	return mg == NULL ? 0 : mem_each_copy(mg->members, mg->g.nmembers, cb,
	    arg);
}

size_t
mem_peer_groups(struct state *st, const char *peer_id, state_name_cb cb,
    void *arg)
{
	struct mem_member *mm = *mem_member_slot((struct state_mem *)st,
	    peer_id);

	return mm == NULL ? 0 : mem_each_copy(mm->groups, mm->ngroups, cb,
	    arg);
}

unsigned
mem_member_ngroups(struct state_mem *m, const char *id)
{
	struct mem_member *mm = *mem_member_slot(m, id);

	return mm == NULL ? 0 : mm->ngroups;
}

int
state_mem_group_expires(struct state *st, const char *name, uint64_t exp)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_group *mg = *mem_group_slot(m, name);

	if (mg == NULL)
		return -1;
	if (mg->g.expires_at == 0 && exp != 0)
		m->ngroups_exp++;
	else if (mg->g.expires_at != 0 && exp == 0)
		m->ngroups_exp--;
	mg->g.expires_at = exp;
	m->dirty = 1;
	return 0;
}

size_t
mem_groups_expired(struct state *st, uint64_t now_unix, state_name_cb cb,
    void *arg)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_group *mg;
	mem_name *names;
	size_t b, n = 0;

	if (m->ngroups_exp == 0 ||
	    (names = calloc(m->ngroups_exp, sizeof(*names))) == NULL)
		return 0;
	for (b = 0; b < MEM_BUCKETS; b++)
		for (mg = m->groups[b]; mg != NULL && n < m->ngroups_exp;
		    mg = mg->next)
			if (mg->g.expires_at != 0 &&
			    mg->g.expires_at <= now_unix)
				memcpy(names[n++], mg->g.name,
				    sizeof(names[0]));
	n = n > 0 ? mem_each_copy(names, n, cb, arg) : 0;
	free(names);
	return n;
}

void
mem_group_destroy(struct state *st, const char *name, state_done_cb cb,
    void *arg)
{
	state_answer(cb, arg, mem_group_destroy_now((struct state_mem *)st, name),
	    0);
}

void
mem_member_add(struct state *st, const char *group, const char *peer_id,
    state_done_cb cb, void *arg)
{
	state_answer(cb, arg, mem_member_add_now((struct state_mem *)st, group,
	    peer_id), 0);
}

void
mem_member_del(struct state *st, const char *group, const char *peer_id,
    state_done_cb cb, void *arg)
{
	state_answer(cb, arg, mem_member_del_now((struct state_mem *)st, group,
	    peer_id), 0);
}

void
mem_group_free_all(struct state_mem *m)
{
	struct mem_group *mg, *gnext;
	struct mem_member *mm, *mnext;
	size_t b;

	for (b = 0; b < MEM_BUCKETS; b++) {
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
}
