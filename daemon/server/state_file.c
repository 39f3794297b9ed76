/* SPDX-License-Identifier: ISC */
/*
 * state_file.c: the groups file of the state directory, written and read
 * through the state interface (so any backend could use it to export or
 * import its groups).
 *
 * A line-based text file, so that an operator can read it and a diff shows
 * what changed:
 *
 *	p2p-groups 1
 *	group NAME mesh|nomesh [expires UNIX]
 *	attr NAME KEY VALUE		(VALUE: the rest of the line)
 *	member NAME PEER_ID
 *
 * attr and member lines follow the group line they name; "expires" ends a
 * match group's lifetime (Unix seconds). It is written to a
 * temporary file, synced and renamed over the old one, so a crash leaves the
 * old file or the new one, never half of one. Loading checks every line; the
 * first bad one is reported as "path:line: why" and the caller refuses to
 * go on rather than run with half of its groups.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"
#include "wire.h"

#define FILE_MAGIC	"p2p-groups 1"
#define FILE_LINE_MAX	(16 + 2 * P2P_NAME_MAX + STATE_ATTR_VALUE_MAX + 8)

int
state_attr_value_valid(const char *v)
{
	size_t n = strlen(v), i;

	if (n > STATE_ATTR_VALUE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

struct save_ctx {
	struct state	*st;
	FILE		*f;
	const char	*group;
};

static void
save_member(const char *peer_id, void *arg)
{
	struct save_ctx *c = arg;

	fprintf(c->f, "member %s %s\n", c->group, peer_id);
}

static void
save_group(const char *name, void *arg)
{
	struct save_ctx *c = arg;
	struct state_group g;
	unsigned i;

	if (state_group_get(c->st, name, &g) != STATE_OK)
		return;
	fprintf(c->f, "group %s %s", g.name, g.mesh ? "mesh" : "nomesh");
	if (g.expires_at != 0)
		fprintf(c->f, " expires %llu",
		    (unsigned long long)g.expires_at);
	fprintf(c->f, "\n");
	for (i = 0; i < g.nattrs; i++)
		fprintf(c->f, "attr %s %s %s\n", g.name, g.attrs[i].key,
		    g.attrs[i].value);
	c->group = g.name;
	(void)state_member_each(c->st, g.name, save_member, c);
}

static int
file_sync_dir(const char *path)
{
	char dir[4096], *slash;
	int fd, rc;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
state_file_save(struct state *st, const char *path, char *err, size_t errlen)
{
	struct save_ctx c;
	char tmp[4200];
	int fd, bad;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
	    -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if ((c.f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	c.st = st;
	c.group = NULL;
	fprintf(c.f, "%s\n", FILE_MAGIC);
	(void)state_group_each(st, save_group, &c);
	bad = fflush(c.f) != 0 || ferror(c.f) || fsync(fd) == -1;
	if (fclose(c.f) != 0)
		bad = 1;
	if (bad || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", bad ? tmp : path,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	(void)file_sync_dir(path);	/* the rename itself, best effort */
	return 0;
}

/* Split off the next space-separated word of *p (NULL if none). */
static char *
file_word(char **p)
{
	char *w = *p, *sp;

	if (w == NULL || *w == '\0')
		return NULL;
	if ((sp = strchr(w, ' ')) != NULL) {
		*sp = '\0';
		*p = sp + 1;
	} else
		*p = w + strlen(w);
	return w;
}

/* "expires UNIX" (the rest of a group line); 0 or -1. */
static int
file_expires(char **p, uint64_t *out)
{
	char *w = file_word(p), *n = file_word(p), *end;
	unsigned long long v;

	if (w == NULL || strcmp(w, "expires") != 0 || n == NULL ||
	    **p != '\0' || *n < '1' || *n > '9' || strlen(n) > 19)
		return -1;
	v = strtoull(n, &end, 10);
	if (*end != '\0')
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* One line (without its newline); NULL or the reason it is bad. */
static const char *
file_line(struct state *st, char *line, char *last_group)
{
	struct state_group g;
	char *p = line, *kw, *name, *a, *rest;
	uint64_t exp = 0;
	enum state_rc rc;

	kw = file_word(&p);
	name = file_word(&p);
	if (kw == NULL || name == NULL || !p2p_name_valid(name))
		return "expected 'group|attr|member NAME ...'";
	if (strcmp(kw, "group") == 0) {
		a = file_word(&p);
		if (a == NULL || (strcmp(a, "mesh") != 0 &&
		    strcmp(a, "nomesh") != 0) || (*p != '\0' &&
		    file_expires(&p, &exp) == -1))
			return "expected 'group NAME mesh|nomesh "
			    "[expires UNIX]'";
		memset(&g, 0, sizeof(g));
		g.expires_at = exp;
		snprintf(g.name, sizeof(g.name), "%s", name);
		g.mesh = strcmp(a, "mesh") == 0;
		if ((rc = state_group_create(st, &g)) == STATE_EXISTS)
			return "group defined twice";
		if (rc != STATE_OK)
			return "too many groups";
		snprintf(last_group, P2P_NAME_MAX + 1, "%s", name);
		return NULL;
	}
	if (strcmp(name, last_group) != 0)
		return "does not follow the line of its group";
	if (strcmp(kw, "member") == 0) {
		a = file_word(&p);
		if (a == NULL || *p != '\0' || !p2p_name_valid(a))
			return "expected 'member GROUP PEER_ID'";
		if ((rc = state_member_add(st, name, a)) == STATE_EXISTS)
			return "member listed twice";
		return rc == STATE_OK ? NULL : "too many members";
	}
	if (strcmp(kw, "attr") == 0) {
		a = file_word(&p);
		rest = p;
		if (a == NULL || !p2p_name_valid(a) ||
		    !state_attr_value_valid(rest))
			return "expected 'attr GROUP KEY VALUE'";
		/* Attributes are set at creation: recreate with one more. */
		if (state_group_get(st, name, &g) != STATE_OK ||
		    g.nmembers != 0)
			return "attributes must come before members";
		if (g.nattrs >= STATE_GROUP_ATTRS)
			return "too many attributes";
		snprintf(g.attrs[g.nattrs].key, sizeof(g.attrs[0].key), "%s",
		    a);
		snprintf(g.attrs[g.nattrs].value, sizeof(g.attrs[0].value),
		    "%s", rest);
		g.nattrs++;
		if (state_group_destroy(st, name) != STATE_OK ||
		    state_group_create(st, &g) != STATE_OK)
			return "cannot store the attribute";
		return NULL;
	}
	return "unknown keyword";
}

int
state_file_load(struct state *st, const char *path, char *err, size_t errlen)
{
	char line[FILE_LINE_MAX + 2], last[P2P_NAME_MAX + 1] = "";
	const char *why = NULL;
	FILE *f;
	size_t n;
	unsigned lineno = 0;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;	/* a first start: no groups yet */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (why == NULL && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		n = strlen(line);
		if (n == 0 || line[n - 1] != '\n') {
			why = feof(f) ? "truncated (no newline at the end)" :
			    "line too long";
			break;
		}
		line[n - 1] = '\0';
		if (lineno == 1)
			why = strcmp(line, FILE_MAGIC) == 0 ? NULL :
			    "not a groups file (expected '" FILE_MAGIC "')";
		else
			why = file_line(st, line, last);
	}
	if (why == NULL && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	if (why == NULL && lineno == 0)
		why = "empty file";
	if (why != NULL) {
		snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
		return -1;
	}
	return 0;
}
