/* SPDX-License-Identifier: ISC */
/*
 * conf.c: flags and config files from one table. See conf.h.
 *
 * Conventions the table relies on: CONF_STR and CONF_LIST fields start as NULL
 * (or heap memory): a new value frees the old one. For CONF_INT and CONF_SIZE
 * a table entry with min == max == 0 means "no range". Flags override the
 * file; for a CONF_LIST the first flag replaces the file's values, later
 * flags append. Parsing stops at the first operand or after "--".
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "errf.h"

#define CONF_LINE_MAX	4096
#define CONF_LIST_MAX	256

static void *
conf_field(const struct conf_opt *o, void *settings)
{
	return (char *)settings + o->offset;
}

/* Long names match with '-' and '_' equivalent (files often use '_'). */
static int
conf_name_eq(const char *name, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char a = name[i], b = s[i];

		if (a == '\0')
			return 0;
		if (a == '_')
			a = '-';
		if (b == '_')
			b = '-';
		if (a != b)
			return 0;
	}
	return name[n] == '\0';
}

static const struct conf_opt *
conf_find_long(const struct conf_opt *opts, const char *s, size_t n)
{
	for (; opts->name != NULL; opts++)
		if (conf_name_eq(opts->name, s, n))
			return opts;
	return NULL;
}

static const struct conf_opt *
conf_find_short(const struct conf_opt *opts, char c)
{
	for (; opts->name != NULL; opts++)
		if (opts->short_name != 0 && opts->short_name == c)
			return opts;
	return NULL;
}

static int
conf_takes_arg(const struct conf_opt *o)
{
	return o->type != CONF_BOOL && o->type != CONF_COUNT;
}

static void
conf_range(const struct conf_opt *o, long long *min, long long *max)
{
	*min = o->min;
	*max = o->max;
	if (*min == 0 && *max == 0) {
		*min = o->type == CONF_SIZE ? 0 : LLONG_MIN;
		*max = LLONG_MAX;
	}
	/* The field's own type bounds what the table may allow. */
	if (o->type == CONF_COUNT) {
		*min = *min < INT_MIN ? INT_MIN : *min;
		*max = *max > INT_MAX ? INT_MAX : *max;
	} else if (o->type == CONF_INT) {
		*min = *min < LONG_MIN ? LONG_MIN : *min;
		*max = *max > LONG_MAX ? LONG_MAX : *max;
	}
}

static int
conf_parse_int(const struct conf_opt *o, const char *who, const char *v,
    char *err, size_t errlen)
{
	long long min, max, n;
	char *end;

	conf_range(o, &min, &max);
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < min || n > max)
		return errf(err, errlen,
		    "%s: '%s' is not a number from %lld to %lld", who, v,
		    min, max);
	return 0;
}

static int
conf_parse_size(const char *v, unsigned long long *out)
{
	unsigned long long n, mul = 1;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 'K': mul = 1ULL << 10; end++; break;
	case 'M': mul = 1ULL << 20; end++; break;
	case 'G': mul = 1ULL << 30; end++; break;
	}
	if (toupper((unsigned char)*end) == 'B')
		end++;
	if (*end != '\0' || n > ULLONG_MAX / mul)
		return -1;
	*out = n * mul;
	return 0;
}

static int
conf_parse_bool(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0 || strcmp(v, "on") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "0") == 0 || strcmp(v, "off") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
conf_list_add(struct conf_list *l, const char *v)
{
	char **nv, *s;

	if (l->n >= CONF_LIST_MAX)
		return -1;
	if ((s = strdup(v)) == NULL)
		return -1;
	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL) {
		free(s);
		return -1;
	}
	nv[l->n++] = s;
	l->v = nv;
	return 0;
}

static void
conf_list_clear(struct conf_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/*
 * Store value v (NULL for a flag without argument) into o's field. who names
 * the source for errors: "--port" or "port".
 */
static int
conf_set(const struct conf_opt *o, void *settings, const char *who,
    const char *v, char *err, size_t errlen)
{
	void *f = conf_field(o, settings);
	unsigned long long sz;
	long long min, max;
	char *s;
	int b;

	switch (o->type) {
	case CONF_STR:
		if ((s = strdup(v)) == NULL)
			return errf(err, errlen, "%s: out of memory", who);
		free(*(char **)f);
		*(char **)f = s;
		return 0;
	case CONF_INT:
		if (conf_parse_int(o, who, v, err, errlen) == -1)
			return -1;
		*(long *)f = strtol(v, NULL, 10);
		return 0;
	case CONF_BOOL:
		if (v == NULL)
			b = 1;
		else if (conf_parse_bool(v, &b) == -1)
			return errf(err, errlen,
			    "%s: '%s' is not yes/no/true/false/1/0", who, v);
		*(int *)f = b;
		return 0;
	case CONF_COUNT:
		if (v == NULL) {
			if (*(int *)f < INT_MAX)
				(*(int *)f)++;
			return 0;
		}
		if (conf_parse_int(o, who, v, err, errlen) == -1)
			return -1;
		*(int *)f = (int)strtol(v, NULL, 10);
		return 0;
	case CONF_LIST:
		if (conf_list_add(f, v) == -1)
			return errf(err, errlen,
			    "%s: too many values (at most %d)", who,
			    CONF_LIST_MAX);
		return 0;
	case CONF_SIZE:
		conf_range(o, &min, &max);
		if (conf_parse_size(v, &sz) == -1 || sz > (unsigned long long)max ||
		    (long long)sz < min || sz > SIZE_MAX)
			return errf(err, errlen, "%s: '%s' is not a size "
			    "from %lld to %lld bytes (suffix K, M or G allowed)",
			    who, v, min, max);
		*(size_t *)f = (size_t)sz;
		return 0;
	}
	return errf(err, errlen, "%s: bad option type", who);
}

static char *
conf_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
conf_parse_line(const struct conf_opt *opts, void *settings, const char *line,
    char *err, size_t errlen)
{
	const struct conf_opt *o;
	char buf[CONF_LINE_MAX], *key, *val, *eq;
	size_t n, kl;
	int rc;

	n = strlen(line);
	if (n >= sizeof(buf))
		return errf(err, errlen, "line too long (at most %zu bytes)",
		    sizeof(buf) - 1);
	memcpy(buf, line, n + 1);
	if ((eq = strchr(buf, '#')) != NULL)
		*eq = '\0';
	key = conf_trim(buf);
	if (*key == '\0')
		return 0;
	if ((eq = strchr(key, '=')) == NULL)
		return errf(err, errlen, "expected 'key = value', got '%s'",
		    key);
	*eq = '\0';
	key = conf_trim(key);
	val = conf_trim(eq + 1);
	kl = strlen(val);
	if (kl >= 2 && val[0] == '"' && val[kl - 1] == '"') {
		val[kl - 1] = '\0';
		val++;
	}
	kl = strlen(key);
	if (kl == 0 || (o = conf_find_long(opts, key, kl)) == NULL)
		return errf(err, errlen, "unknown key '%s'", key);
	if (*val == '\0' && o->type != CONF_STR)
		return errf(err, errlen, "%s: missing value", o->name);
	rc = conf_set(o, settings, o->name, val, err, errlen);
	return rc;
}

int
conf_parse_file(const struct conf_opt *opts, void *settings, const char *path,
    char *err, size_t errlen)
{
	char line[CONF_LINE_MAX + 1], msg[512];
	struct stat st;
	unsigned lineno = 0;
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return errf(err, errlen, "%s: not a regular file", path);
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		fclose(fp);
		return errf(err, errlen, "%s is writable by group or others "
		    "(mode %04o): chmod go-w %s", path,
		    (unsigned)(st.st_mode & 07777), path);
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n' && !feof(fp)) {
			fclose(fp);
			return errf(err, errlen, "%s:%u: line too long",
			    path, lineno);
		}
		if (conf_parse_line(opts, settings, line, msg,
		    sizeof(msg)) == -1) {
			fclose(fp);
			return errf(err, errlen, "%s:%u: %s", path, lineno,
			    msg);
		}
	}
	if (ferror(fp)) {
		fclose(fp);
		return errf(err, errlen, "%s: read error", path);
	}
	fclose(fp);
	return 0;
}

/* What one pass over argv does: pass 1 only finds -c, pass 2 applies. */
struct conf_walk {
	const struct conf_opt	*opts;
	void			*settings;
	int			 apply;
	unsigned char		*seen;		/* per option: set by a flag */
	const char		*cpath;
};

static int
conf_flag(struct conf_walk *w, const struct conf_opt *o, const char *who,
    const char *v, char *err, size_t errlen)
{
	size_t idx = (size_t)(o - w->opts);

	if (!w->apply)
		return 0;
	if (o->type == CONF_LIST && !w->seen[idx])
		conf_list_clear(conf_field(o, w->settings));
	w->seen[idx] = 1;
	return conf_set(o, w->settings, who, v, err, errlen);
}

static int
conf_long(struct conf_walk *w, int argc, char **argv, int *i, char *err,
    size_t errlen)
{
	const char *a = argv[*i] + 2, *eq, *v;
	const struct conf_opt *o;
	char who[80];
	size_t n;

	eq = strchr(a, '=');
	n = eq != NULL ? (size_t)(eq - a) : strlen(a);
	snprintf(who, sizeof(who), "--%.*s", (int)(n > 64 ? 64 : n), a);
	if (conf_name_eq("config", a, n)) {
		if (eq == NULL && *i + 1 >= argc)
			return errf(err, errlen, "--config: missing FILE");
		w->cpath = eq != NULL ? eq + 1 : argv[++*i];
		return 0;
	}
	if ((o = conf_find_long(w->opts, a, n)) == NULL)
		return errf(err, errlen, "unknown option %s", argv[*i]);
	v = eq != NULL ? eq + 1 : NULL;
	if (conf_takes_arg(o) && v == NULL) {
		if (*i + 1 >= argc)
			return errf(err, errlen, "%s: missing %s", who,
			    o->arg != NULL ? o->arg : "argument");
		v = argv[++*i];
	}
	return conf_flag(w, o, who, v, err, errlen);
}

static int
conf_short(struct conf_walk *w, int argc, char **argv, int *i, char *err,
    size_t errlen)
{
	const char *a = argv[*i] + 1, *v;
	const struct conf_opt *o;
	char who[3] = "-?";

	for (; *a != '\0'; a++) {
		who[1] = *a;
		o = conf_find_short(w->opts, *a);
		if (o == NULL && *a != 'c')
			return errf(err, errlen, "unknown option -%c", *a);
		if (o != NULL && !conf_takes_arg(o)) {
			if (conf_flag(w, o, who, NULL, err, errlen) == -1)
				return -1;
			continue;
		}
		/* The rest of the word, or the next word, is the argument. */
		if (a[1] != '\0')
			v = a + 1;
		else if (*i + 1 < argc)
			v = argv[++*i];
		else
			return errf(err, errlen, "%s: missing %s", who,
			    o != NULL && o->arg != NULL ? o->arg : "argument");
		if (o == NULL)
			w->cpath = v;
		else if (conf_flag(w, o, who, v, err, errlen) == -1)
			return -1;
		return 0;
	}
	return 0;
}

static int
conf_walk_argv(struct conf_walk *w, int argc, char **argv, int *first,
    char *err, size_t errlen)
{
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			break;
		if (argv[i][1] == '-')
			rc = conf_long(w, argc, argv, &i, err, errlen);
		else
			rc = conf_short(w, argc, argv, &i, err, errlen);
		if (rc == -1)
			return -1;
	}
	*first = i;
	return 0;
}

int
conf_load(const struct conf_opt *opts, void *settings, int argc, char **argv,
    int *first_operand, char **conf_path, char *err, size_t errlen)
{
	struct conf_walk w;
	size_t n = 0;
	int first, rc = -1;

	while (opts[n].name != NULL)
		n++;
	memset(&w, 0, sizeof(w));
	w.opts = opts;
	w.settings = settings;
	if ((w.seen = calloc(n + 1, 1)) == NULL)
		return errf(err, errlen, "out of memory");
	if (conf_walk_argv(&w, argc, argv, &first, err, errlen) == -1)
		goto out;
	if (w.cpath != NULL && conf_parse_file(opts, settings, w.cpath, err,
	    errlen) == -1)
		goto out;
	w.apply = 1;
	if (conf_walk_argv(&w, argc, argv, &first, err, errlen) == -1)
		goto out;
	if (first_operand != NULL)
		*first_operand = first;
	if (conf_path != NULL && w.cpath != NULL &&
	    (*conf_path = strdup(w.cpath)) == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(w.seen);
	return rc;
}

void
conf_usage(FILE *fp, const char *prog, const char *synopsis,
    const struct conf_opt *opts)
{
	char lhs[64];

	fprintf(fp, "usage: %s %s\n", prog, synopsis != NULL ? synopsis : "");
	fprintf(fp, "  -c FILE                  read options from FILE "
	    "(key = value lines)\n");
	for (; opts->name != NULL; opts++) {
		if (opts->short_name != 0)
			snprintf(lhs, sizeof(lhs), "-%c, --%s%s%s",
			    opts->short_name, opts->name,
			    conf_takes_arg(opts) ? " " : "",
			    conf_takes_arg(opts) && opts->arg ? opts->arg : "");
		else
			snprintf(lhs, sizeof(lhs), "--%s%s%s", opts->name,
			    conf_takes_arg(opts) ? " " : "",
			    conf_takes_arg(opts) && opts->arg ? opts->arg : "");
		fprintf(fp, "  %-24s %s\n", lhs, opts->help ? opts->help : "");
	}
}

void
conf_free(const struct conf_opt *opts, void *settings)
{
	char **s;

	for (; opts->name != NULL; opts++) {
		if (opts->type == CONF_STR) {
			s = conf_field(opts, settings);
			free(*s);
			*s = NULL;
		} else if (opts->type == CONF_LIST)
			conf_list_clear(conf_field(opts, settings));
	}
}
