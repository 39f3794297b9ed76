/* SPDX-License-Identifier: ISC */
/*
 * svc.c: services, inboxes and the byte accounting behind credit (svc.h).
 */
#include <stdlib.h>
#include <string.h>

#include "svc.h"

void
svc_table_init(struct svc_table *t, size_t inbox_size, size_t total,
    size_t max_services)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	TAILQ_INIT(&t->list);
	for (i = 0; i < SVC_CLASSES; i++)
		TAILQ_INIT(&t->spare[i]);
	t->inbox_size = inbox_size;
	t->total = total;
	t->max_services = max_services;
}

static void
svc_free(struct svc *s)
{
	struct svc_msg *m;

	while ((m = TAILQ_FIRST(&s->msgs)) != NULL) {
		TAILQ_REMOVE(&s->msgs, m, entry);
		free(m);
	}
	free(s);
}

void
svc_table_free(struct svc_table *t)
{
	struct svc *s;

	while ((s = TAILQ_FIRST(&t->list)) != NULL) {
		TAILQ_REMOVE(&t->list, s, entry);
		svc_free(s);
	}
	struct svc_msg *m;
	size_t i;

	for (i = 0; i < SVC_CLASSES; i++)
		while ((m = TAILQ_FIRST(&t->spare[i])) != NULL) {
			TAILQ_REMOVE(&t->spare[i], m, entry);
			free(m);
		}
	t->spare_bytes = 0;
	t->n = 0;
	t->total_used = 0;
}

struct svc *
svc_get(struct svc_table *t, const char *name, int create)
{
	struct svc *s;
	size_t len;

	if (name == NULL || *name == '\0')
		name = SVC_DEFAULT;
	TAILQ_FOREACH(s, &t->list, entry) {
		if (strcmp(s->name, name) == 0)
			return s;
	}
	len = strlen(name);
	if (!create || len > SVC_NAME_MAX || t->n >= t->max_services)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	memcpy(s->name, name, len + 1);
	s->t = t;
	TAILQ_INIT(&s->msgs);
	TAILQ_INIT(&s->links);
	TAILQ_INSERT_TAIL(&t->list, s, entry);
	t->n++;
	return s;
}

void
svc_gc(struct svc_table *t, struct svc *s)
{
	if (s->holder != NULL || s->nmsgs > 0 || s->used > 0 ||
	    s->reserved > 0 || !TAILQ_EMPTY(&s->links))
		return;
	TAILQ_REMOVE(&t->list, s, entry);
	t->n--;
	svc_free(s);
}

void
svc_link(struct svc *s, struct svc_link *l)
{
	TAILQ_INSERT_TAIL(&s->links, l, entry);
}

void
svc_unlink(struct svc *s, struct svc_link *l)
{
	TAILQ_REMOVE(&s->links, l, entry);
}

size_t
svc_room(const struct svc_table *t, const struct svc *s)
{
	size_t in, all;

	in = s->used + s->reserved >= t->inbox_size ? 0 :
	    t->inbox_size - s->used - s->reserved;
	all = t->total_used >= t->total ? 0 : t->total - t->total_used;
	return in < all ? in : all;
}

void
svc_reserve(struct svc_table *t, struct svc *s, size_t n)
{
	s->reserved += n;
	t->total_used += n;
}

void
svc_arrive(struct svc_table *t, struct svc *s, size_t n)
{
	size_t from_res = n < s->reserved ? n : s->reserved;

	/* Bytes beyond the reservation (tp lets a message larger than the
	 * credit in whole) still count, so the totals stay consistent. */
	s->reserved -= from_res;
	t->total_used += n - from_res;
	s->used += n;
}

void
svc_unreserve(struct svc_table *t, struct svc *s, size_t n)
{
	if (n > s->reserved)
		n = s->reserved;
	s->reserved -= n;
	t->total_used -= n;
}

void
svc_release(struct svc_table *t, struct svc *s, size_t n)
{
	if (n > s->used)
		n = s->used;
	s->used -= n;
	t->total_used -= n;
}

/* The size class of a message of len bytes (SVC_CLASSES: none). */
static size_t
svc_class(size_t len)
{
	size_t k = 0;

	while (k < SVC_CLASSES && ((size_t)SVC_CLASS_MIN << k) < len)
		k++;
	return k;
}

int
svc_push(struct svc *s, const char *from, const uint8_t *data, size_t len,
    size_t cost)
{
	struct svc_table *t = s->t;
	struct svc_msg *m = NULL;
	size_t flen, k = svc_class(len), cap, j;

	/* A spare of its class, or of the next two (at most 4x as large). */
	for (j = k; j < k + 3 && j < SVC_CLASSES && m == NULL; j++) {
		if ((m = TAILQ_FIRST(&t->spare[j])) != NULL) {
			TAILQ_REMOVE(&t->spare[j], m, entry);
			t->spare_bytes -= m->cap;
		}
	}
	if (m == NULL) {
		cap = k < SVC_CLASSES ? (size_t)SVC_CLASS_MIN << k : len;
		if ((m = malloc(sizeof(*m) + cap)) == NULL)
			return -1;
		m->cap = cap;
	}
	flen = strnlen(from, SVC_NAME_MAX);
	memcpy(m->from, from, flen);
	m->from[flen] = '\0';
	m->cost = cost;
	m->len = len;
	m->off = 0;
	if (len > 0)
		memcpy(m->data, data, len);
	TAILQ_INSERT_TAIL(&s->msgs, m, entry);
	s->nmsgs++;
	return 0;
}

struct svc_msg *
svc_peek(struct svc *s)
{
	return TAILQ_FIRST(&s->msgs);
}

struct svc_msg *
svc_pop(struct svc_table *t, struct svc *s)
{
	struct svc_msg *m;

	if ((m = TAILQ_FIRST(&s->msgs)) == NULL)
		return NULL;
	TAILQ_REMOVE(&s->msgs, m, entry);
	s->nmsgs--;
	svc_release(t, s, m->cost);
	return m;
}

void
svc_msg_free(struct svc_table *t, struct svc_msg *m)
{
	size_t k;

	if (m == NULL)
		return;
	k = svc_class(m->cap);
	if (k >= SVC_CLASSES || ((size_t)SVC_CLASS_MIN << k) != m->cap ||
	    t->spare_bytes + m->cap > SVC_SPARE_MAX(t)) {
		free(m);
		return;
	}
	TAILQ_INSERT_HEAD(&t->spare[k], m, entry);
	t->spare_bytes += m->cap;
}
