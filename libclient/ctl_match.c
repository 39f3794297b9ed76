/* SPDX-License-Identifier: ISC */
/*
 * ctl_match.c: p2pctl match and group search (PROTOCOL.md §7.1).
 *
 *	match --attr KEY=VALUE ... --size N [--timeout S] [--json]
 *	match --cancel
 *	group search KEY=VALUE ...
 *
 * match waits for the server's answer and prints the match group as
 * `group show` does. No match within the timeout exits 1 with a message;
 * Ctrl-C closes the connection, which cancels the ticket (the agent does
 * that for a client that goes away), and `match --cancel` from another
 * shell cancels it too.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p2pctl.h"

#define CTL_ATTRS_MAX	8

static const struct option ctl_match_opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ "attr", required_argument, NULL, 'a' },
	{ "size", required_argument, NULL, 'n' },
	{ "timeout", required_argument, NULL, 't' },
	{ "cancel", no_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 }
};

/* KEY=VALUE with both parts there; the library checks the rest. */
static int
ctl_attr_form(struct ctl *ctl, const char *what, const char *kv)
{
	const char	*eq = strchr(kv, '=');

	if (eq == NULL || eq == kv || eq[1] == '\0')
		return ctl_usage(ctl, "bad %s '%s': expected KEY=VALUE", what,
		    kv);
	return CTL_OK;
}

static int
ctl_match_num(const char *s, unsigned long lo, unsigned long hi,
    uint32_t *out)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v < lo ||
	    v > hi)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/*
 * Ctrl-C (or SIGTERM) while waiting: say so and leave; closing the
 * connection makes the agent cancel the ticket. Set explicitly, so that it
 * also holds where the shell started us with SIGINT ignored.
 */
static void
ctl_match_sig(int sig)
{
	static const char msg[] = "p2pctl: match: interrupted: the ticket is "
	    "cancelled\n";

	(void)sig;
	(void)write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(130);
}

static void
ctl_match_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ctl_match_sig;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
}

/* EINVAL (the library's check of an attribute) is a usage error. */
static int
ctl_match_fail(struct ctl *ctl, int rc, const char *what)
{
	if (rc == P2PCLIENT_EINVAL) {
		fprintf(stderr, "p2pctl: %s: %s\n", what,
		    p2pclient_errmsg(ctl->c));
		return CTL_USAGE;
	}
	return ctl_fail(ctl, rc, what);
}

int
ctl_match(struct ctl *ctl, int argc, char **argv)
{
	struct p2pclient_groups	*gs;
	const char		*attrs[CTL_ATTRS_MAX];
	size_t			 n = 0;
	uint32_t		 size = 0, timeout_s = 0;
	int			 ch, rc, cancel = 0;

	while ((ch = ctl_getopt(ctl, argc, argv, "+", ctl_match_opts)) !=
	    -1) {
		switch (ch) {
		case 'a':
			if (n == CTL_ATTRS_MAX)
				return ctl_usage(ctl, "--attr: at most %d "
				    "attributes", CTL_ATTRS_MAX);
			if ((rc = ctl_attr_form(ctl, "--attr", optarg)) !=
			    CTL_OK)
				return rc;
			attrs[n++] = optarg;
			break;
		case 'n':
			if (ctl_match_num(optarg, 2, 32, &size) == -1)
				return ctl_usage(ctl, "bad --size '%s': 2 to "
				    "32 devices", optarg);
			break;
		case 't':
			if (ctl_match_num(optarg, 1, 3600, &timeout_s) == -1)
				return ctl_usage(ctl, "bad --timeout '%s': 1 "
				    "to 3600 seconds", optarg);
			break;
		case 'c':
			cancel = 1;
			break;
		default:
			return ctl_usage(ctl, "bad option '%s'",
			    argv[optind - 1]);
		}
	}
	if (optind != argc)
		return ctl_usage(ctl, "unexpected argument '%s'", argv[optind]);
	if (cancel && (n > 0 || size != 0 || timeout_s != 0))
		return ctl_usage(ctl, "--cancel takes no other option");
	if (!cancel && size == 0)
		return ctl_usage(ctl, "--size is missing");
	if ((rc = ctl_connect(ctl)) != CTL_OK)
		return rc;
	if (cancel) {
		if ((rc = p2pclient_match_cancel(ctl->c)) != 0)
			return ctl_fail(ctl, rc, "match --cancel");
		return CTL_OK;
	}
	ctl_match_signals();
	if ((rc = p2pclient_match(ctl->c, attrs, n, size, timeout_s, &gs)) !=
	    0)
		return ctl_match_fail(ctl, rc, "match");
	if (gs->n != 1) {
		p2pclient_groups_free(gs);
		fprintf(stderr, "p2pctl: match: p2pd answered without the "
		    "match group\n");
		return CTL_FAIL;
	}
	if (!ctl->json)
		printf("group %s\n", gs->v[0]->name);
	ctl_group_print(ctl, gs, 1);
	p2pclient_groups_free(gs);
	return CTL_OK;
}

int
ctl_group_search(struct ctl *ctl, int nattrs, char **attrs)
{
	struct p2pclient_groups	*gs;
	int			 i, rc;

	if (nattrs > CTL_ATTRS_MAX)
		return ctl_usage(ctl, "group search: at most %d attributes",
		    CTL_ATTRS_MAX);
	for (i = 0; i < nattrs; i++)
		if ((rc = ctl_attr_form(ctl, "attribute", attrs[i])) != CTL_OK)
			return rc;
	if ((rc = ctl_connect(ctl)) != CTL_OK)
		return rc;
	if ((rc = p2pclient_group_search(ctl->c, (const char *const *)attrs,
	    (size_t)nattrs, &gs)) != 0)
		return ctl_match_fail(ctl, rc, "group search");
	ctl_group_print(ctl, gs, 0);
	p2pclient_groups_free(gs);
	return CTL_OK;
}
