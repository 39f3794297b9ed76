/* SPDX-License-Identifier: ISC */
/* test_conf.c: flags and config files from one table (conf.h). */
#include <criterion/criterion.h>

#include <sys/stat.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

struct settings {
	char			*server;
	long			 port;
	int			 fg;
	int			 verbose;
	struct conf_list	 groups;
	size_t			 inbox;
	int			 help;
};

static const struct conf_opt opts[] = {
	{ "server", 's', CONF_STR, offsetof(struct settings, server), 0, 0,
	    "HOST:PORT", "server address" },
	{ "port", 'p', CONF_INT, offsetof(struct settings, port), 0, 65535,
	    "N", "local UDP port" },
	{ "foreground", 'f', CONF_BOOL, offsetof(struct settings, fg), 0, 0,
	    NULL, "stay in the foreground" },
	{ "verbose", 'v', CONF_COUNT, offsetof(struct settings, verbose), 0, 9,
	    NULL, "more logging" },
	{ "group", 0, CONF_LIST, offsetof(struct settings, groups), 0, 0,
	    "NAME", "a group" },
	{ "inbox-size", 0, CONF_SIZE, offsetof(struct settings, inbox), 1024,
	    1LL << 30, "BYTES", "inbox cap" },
	{ "help", 'h', CONF_BOOL, offsetof(struct settings, help), 0, 0,
	    NULL, "this help" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL }
};

static struct settings s;
static char dir[256];
static char err[512];

static void
setup(void)
{
	memset(&s, 0, sizeof(s));
	err[0] = '\0';
	/* In the current (build) directory: no machine paths in tests. */
	strcpy(dir, "test_conf.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[300];

	conf_free(opts, &s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)system(cmd);
}

static char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[300];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_not_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	cr_assert_eq(chmod(path, mode), 0);
	return path;
}

static int
load(int argc, char **argv, int *first)
{
	return conf_load(opts, &s, argc, argv, first, NULL, err, sizeof(err));
}

TestSuite(conf, .init = setup, .fini = teardown);

Test(conf, good_file_every_type)
{
	char *p = write_file("a.conf",
	    "# comment\n\n  server = 10.0.0.1:3478  # trailing\n"
	    "port=4000\nforeground = yes\nverbose = 2\n"
	    "group = a\ngroup = b\ninbox_size = 4K\n", 0600);

	cr_assert_eq(conf_parse_file(opts, &s, p, err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_str_eq(s.server, "10.0.0.1:3478");
	cr_assert_eq(s.port, 4000);
	cr_assert_eq(s.fg, 1);
	cr_assert_eq(s.verbose, 2);
	cr_assert_eq(s.groups.n, 2);
	cr_assert_str_eq(s.groups.v[1], "b");
	cr_assert_eq(s.inbox, 4096);
}

Test(conf, unknown_key_names_file_and_line)
{
	char *p = write_file("b.conf", "port = 1\n\nbogus = 3\n", 0600);
	char want[256];

	cr_assert_eq(conf_parse_file(opts, &s, p, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: unknown key 'bogus'", p);
	cr_assert_str_eq(err, want);
}

Test(conf, bad_value_names_option)
{
	char *p = write_file("c.conf", "port = 70000\n", 0600);

	cr_assert_eq(conf_parse_file(opts, &s, p, err, sizeof(err)), -1);
	cr_assert(strstr(err, ":1: port: '70000' is not a number from 0 to "
	    "65535") != NULL, "%s", err);
	cr_assert_eq(conf_parse_line(opts, &s, "foreground = maybe", err,
	    sizeof(err)), -1);
	cr_assert(strstr(err, "foreground") != NULL, "%s", err);
	cr_assert_eq(conf_parse_line(opts, &s, "inbox-size = 12X", err,
	    sizeof(err)), -1);
	cr_assert_eq(conf_parse_line(opts, &s, "inbox-size = 10", err,
	    sizeof(err)), -1, "below min");
	cr_assert_eq(conf_parse_line(opts, &s, "inbox-size = 2G", err,
	    sizeof(err)), -1, "above max");
	cr_assert_eq(conf_parse_line(opts, &s, "port = 12abc", err,
	    sizeof(err)), -1);
	cr_assert_eq(conf_parse_line(opts, &s, "port =", err,
	    sizeof(err)), -1);
	cr_assert_eq(conf_parse_line(opts, &s, "no equals sign", err,
	    sizeof(err)), -1);
	cr_assert_eq(conf_parse_line(opts, &s, "verbose = 10", err,
	    sizeof(err)), -1, "count above its max");
	cr_assert_eq(s.port, 0, "nothing applied");
}

Test(conf, group_writable_file_refused)
{
	char *p = write_file("d.conf", "port = 1\n", 0620);

	cr_assert_eq(conf_parse_file(opts, &s, p, err, sizeof(err)), -1);
	cr_assert(strstr(err, "writable by group or others") != NULL, "%s",
	    err);
	cr_assert_eq(s.port, 0);
}

Test(conf, missing_file)
{
	char p[300];

	snprintf(p, sizeof(p), "%s/missing.conf", dir);
	cr_assert_eq(conf_parse_file(opts, &s, p, err, sizeof(err)), -1);
	cr_assert(strstr(err, p) != NULL);
}

Test(conf, flags_override_file)
{
	char *p = write_file("e.conf", "port = 1\nserver = a:1\ngroup = x\n"
	    "group = y\n", 0600);
	char *argv[] = { "prog", "-c", p, "--port=2", "-fvv", "--group", "z",
	    "-s", "b:2", "operand", "--port", "9", NULL };
	int first = 0;

	cr_assert_eq(load(12, argv, &first), 0, "%s", err);
	cr_assert_eq(s.port, 2);
	cr_assert_str_eq(s.server, "b:2");
	cr_assert_eq(s.fg, 1);
	cr_assert_eq(s.verbose, 2);
	cr_assert_eq(s.groups.n, 1, "flag replaces the file's list");
	cr_assert_str_eq(s.groups.v[0], "z");
	cr_assert_eq(first, 9, "stops at the first operand");
}

Test(conf, short_with_attached_value_and_double_dash)
{
	char *argv[] = { "prog", "-p80", "--", "-v", NULL };
	int first = 0;

	cr_assert_eq(load(4, argv, &first), 0, "%s", err);
	cr_assert_eq(s.port, 80);
	cr_assert_eq(s.verbose, 0);
	cr_assert_eq(first, 3);
}

Test(conf, unknown_and_missing)
{
	char *a1[] = { "prog", "--foo", NULL };
	char *a2[] = { "prog", "-x", NULL };
	char *a3[] = { "prog", "--port", NULL };
	char *a4[] = { "prog", "--port", "65536", NULL };
	char p[300];
	char *a5[] = { "prog", "-c", p, NULL };

	snprintf(p, sizeof(p), "%s/missing.conf", dir);
	cr_assert_eq(load(2, a1, NULL), -1);
	cr_assert_str_eq(err, "unknown option --foo");
	cr_assert_eq(load(2, a2, NULL), -1);
	cr_assert_str_eq(err, "unknown option -x");
	cr_assert_eq(load(2, a3, NULL), -1);
	cr_assert(strstr(err, "--port: missing N") != NULL, "%s", err);
	cr_assert_eq(load(3, a4, NULL), -1);
	cr_assert_str_eq(err, "--port: '65536' is not a number from 0 to 65535");
	cr_assert_eq(load(3, a5, NULL), -1);
	cr_assert(strstr(err, "missing.conf") != NULL, "%s", err);
}

Test(conf, conf_path_returned)
{
	char *p = write_file("f.conf", "verbose = 1\n", 0600);
	char *argv[] = { "prog", "-c", p, "-v", NULL };
	char *cpath = NULL;
	int first;

	cr_assert_eq(conf_load(opts, &s, 4, argv, &first, &cpath, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cpath, p);
	cr_assert_eq(s.verbose, 2, "file 1, then one -v");
	free(cpath);
}

Test(conf, usage_lists_options)
{
	char buf[4096];
	FILE *fp = fmemopen(buf, sizeof(buf), "w");

	conf_usage(fp, "prog", "[-fv] [-c FILE]", opts);
	fclose(fp);
	cr_assert(strstr(buf, "usage: prog [-fv] [-c FILE]") != NULL);
	cr_assert(strstr(buf, "-s, --server HOST:PORT") != NULL, "%s", buf);
	cr_assert(strstr(buf, "--inbox-size BYTES") != NULL);
}

Test(conf, long_line_refused)
{
	char *line = malloc(10000);

	memset(line, 'a', 9999);
	line[9999] = '\0';
	cr_assert_eq(conf_parse_line(opts, &s, line, err, sizeof(err)), -1);
	cr_assert(strstr(err, "too long") != NULL);
	free(line);
}

/* What a reload uses: compare, show and exchange one option's values. */
Test(conf, same_format_swap, .init = setup, .fini = teardown)
{
	struct settings	b;
	const struct conf_opt *o;
	char		buf[128];

	memset(&b, 0, sizeof(b));
	cr_assert_eq(conf_parse_line(opts, &s, "server = a:1", err,
	    sizeof(err)), 0);
	cr_assert_eq(conf_parse_line(opts, &s, "group = x", err, sizeof(err)),
	    0);
	cr_assert_eq(conf_parse_line(opts, &s, "group = y", err, sizeof(err)),
	    0);
	cr_assert_eq(conf_parse_line(opts, &b, "group = x", err, sizeof(err)),
	    0);
	for (o = opts; o->name != NULL; o++) {
		if (strcmp(o->name, "port") == 0 ||
		    strcmp(o->name, "inbox-size") == 0)
			cr_assert(conf_same(o, &s, &b), "%s", o->name);
		if (strcmp(o->name, "server") == 0) {
			cr_assert(!conf_same(o, &s, &b));
			conf_format(o, &b, buf, sizeof(buf));
			cr_assert_str_eq(buf, "(none)");
			conf_swap(o, &s, &b);
			cr_assert_null(s.server);
			cr_assert_str_eq(b.server, "a:1");
		}
		if (strcmp(o->name, "group") == 0) {
			cr_assert(!conf_same(o, &s, &b));
			conf_format(o, &s, buf, sizeof(buf));
			cr_assert_str_eq(buf, "x,y");
		}
	}
	s.port = 7;
	cr_assert(!conf_same(&opts[1], &s, &b));
	conf_format(&opts[1], &s, buf, sizeof(buf));
	cr_assert_str_eq(buf, "7");
	conf_free(opts, &b);
	conf_free(opts, &s);
}
