/* SPDX-License-Identifier: ISC */
/*
 * conf_diff.c: two settings structs filled from one table, compared option
 * by option, for reloads (conf.h): conf_same, conf_format, conf_swap.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"

static size_t
conf_field_size(const struct conf_opt *o)
{
	switch (o->type) {
	case CONF_STR:		return sizeof(char *);
	case CONF_INT:		return sizeof(long);
	case CONF_BOOL:
	case CONF_COUNT:	return sizeof(int);
	case CONF_LIST:		return sizeof(struct conf_list);
	case CONF_SIZE:		return sizeof(size_t);
	}
	return 0;
}

int
conf_same(const struct conf_opt *o, const void *a, const void *b)
{
	const void *fa = (const char *)a + o->offset;
	const void *fb = (const char *)b + o->offset;
	const struct conf_list *la = fa, *lb = fb;
	const char *sa, *sb;
	size_t i;

	switch (o->type) {
	case CONF_STR:
		sa = *(char *const *)fa;
		sb = *(char *const *)fb;
		return (sa == NULL && sb == NULL) ||
		    (sa != NULL && sb != NULL && strcmp(sa, sb) == 0);
	case CONF_LIST:
		if (la->n != lb->n)
			return 0;
		for (i = 0; i < la->n; i++)
			if (strcmp(la->v[i], lb->v[i]) != 0)
				return 0;
		return 1;
	default:
		return memcmp(fa, fb, conf_field_size(o)) == 0;
	}
}

void
conf_format(const struct conf_opt *o, const void *settings, char *buf,
    size_t len)
{
	const void *f = (const char *)settings + o->offset;
	const struct conf_list *l = f;
	const char *s;
	size_t i, n;

	switch (o->type) {
	case CONF_STR:
		s = *(char *const *)f;
		snprintf(buf, len, "%s", s != NULL ? s : "(none)");
		return;
	case CONF_INT:
		snprintf(buf, len, "%ld", *(const long *)f);
		return;
	case CONF_BOOL:
		snprintf(buf, len, "%s", *(const int *)f ? "yes" : "no");
		return;
	case CONF_COUNT:
		snprintf(buf, len, "%d", *(const int *)f);
		return;
	case CONF_SIZE:
		snprintf(buf, len, "%zu", *(const size_t *)f);
		return;
	case CONF_LIST:
		snprintf(buf, len, "%s", l->n == 0 ? "(none)" : "");
		for (i = 0; i < l->n && (n = strlen(buf)) < len; i++)
			snprintf(buf + n, len - n, "%s%s", i ? "," : "",
			    l->v[i]);
		return;
	}
	snprintf(buf, len, "?");
}

void
conf_swap(const struct conf_opt *o, void *a, void *b)
{
	unsigned char	 tmp[sizeof(struct conf_list)];
	void		*fa = (char *)a + o->offset;
	void		*fb = (char *)b + o->offset;
	size_t		 n = conf_field_size(o);

	memcpy(tmp, fa, n);
	memcpy(fa, fb, n);
	memcpy(fb, tmp, n);
}
