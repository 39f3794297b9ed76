/* SPDX-License-Identifier: ISC */
/*
 * p2pctl.c: the command-line client of p2pd, built on libp2pclient.
 *
 *	p2pctl [-s SOCKET] [--json] COMMAND [ARGS...]
 *
 * Global flags come before the command; --json is also accepted after it
 * (each command's option table includes it).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2pctl.h"


static const struct ctl_cmd ctl_cmds[] = {
	{ "status", ctl_status, "[--json] status" },
	{ "peers", ctl_peers, "[--json] peers" },
	{ "connect", ctl_connect_cmd, "connect PEER [--timeout S]" },
	{ "disconnect", ctl_disconnect, "disconnect PEER" },
	{ "send", ctl_send,
	    "send PEER [--service NAME] [--sync] [--mode reliable|unordered|"
	    "sequenced|unreliable] [--channel N] [--priority normal|high|low] "
	    "MESSAGE|-" },
	{ "recv", ctl_recv,
	    "[--json] recv [--service NAME] [--count N] [--timeout S]" },
	{ "pipe", ctl_pipe, "pipe PEER [--name NAME] [--timeout S]" },
	{ "ping", ctl_ping, "[--json] ping PEER [-c N] [-i S] [--timeout S]" },
	{ "events", ctl_events, "[--json] events" },
	{ "nat", ctl_nat, "[--json] nat [--refresh]" },
	{ "group", ctl_group, "[--json] group create|destroy|join|leave NAME | "
	    "list | show NAME | search KEY=VALUE ... | "
	    "send NAME [--service S] [--sync] MESSAGE|-" },
	{ "match", ctl_match, "[--json] match [--attr KEY=VALUE]... [--size N] "
	    "[--timeout S] [--cancel]" },
	{ NULL, NULL, NULL }
};

static void
ctl_help(FILE *fp)
{
	const struct ctl_cmd	*cmd;

	fprintf(fp, "usage: p2pctl [-s SOCKET] [--json] COMMAND [ARGS]\n");
	for (cmd = ctl_cmds; cmd->name != NULL; cmd++)
		fprintf(fp, "       p2pctl [-s SOCKET] %s\n", cmd->usage);
	fprintf(fp, "The socket defaults to $P2PD_SOCKET, else %s.\n",
	    P2PCLIENT_DEFAULT_SOCKET);
}

int
ctl_usage(struct ctl *ctl, const char *fmt, ...)
{
	va_list	ap;

	if (fmt != NULL) {
		fprintf(stderr, "p2pctl: ");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
	}
	if (ctl->cmd != NULL)
		fprintf(stderr, "usage: p2pctl [-s SOCKET] %s\n",
		    ctl->cmd->usage);
	else
		ctl_help(stderr);
	return CTL_USAGE;
}

int
ctl_connect(struct ctl *ctl)
{
	char	err[512];
	int	code;

	ctl->c = p2pclient_open_ex(ctl->sock, &code, err, sizeof(err));
	if (ctl->c != NULL)
		return CTL_OK;
	fprintf(stderr, "p2pctl: %s\n", err);
	return code == P2PCLIENT_ENOTRUNNING ? CTL_NOTRUNNING : CTL_FAIL;
}

/* Report a failed call; a usage error from the agent is still exit 1. */
int
ctl_fail(struct ctl *ctl, int code, const char *what)
{
	const char	*msg = ctl->c != NULL ? p2pclient_errmsg(ctl->c) : "";

	if (*msg == '\0')
		msg = p2pclient_strerror(code);
	fprintf(stderr, "p2pctl: %s: %s\n", what, msg);
	return CTL_FAIL;
}

/*
 * getopt_long over a command's arguments, with --json accepted anywhere.
 * Returns the option character as getopt_long does; 'J' (--json) is handled
 * here and not returned.
 */
int
ctl_getopt(struct ctl *ctl, int argc, char **argv, const char *shortopts,
    const void *longopts)
{
	int	ch;

	for (;;) {
		ch = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (ch != 'J')
			return ch;
		ctl->json = 1;
	}
}

int
ctl_parse_secs(const char *s, int *ms)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0 ||
	    v > INT_MAX / 1000)
		return -1;
	*ms = (int)(v * 1000);
	return 0;
}

int
ctl_parse_count(const char *s, uint32_t *n)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v == 0 ||
	    v > UINT32_MAX)
		return -1;
	*n = (uint32_t)v;
	return 0;
}

/*
 * The options a command's own switch does not take: --timeout S (into
 * *timeout_ms; a command without one passes NULL) and anything unknown.
 */
int
ctl_opt_other(struct ctl *ctl, int ch, char **argv, int *timeout_ms)
{
	if (ch != 't')
		return ctl_usage(ctl, "bad option '%s'", argv[optind - 1]);
	if (timeout_ms == NULL || ctl_parse_secs(optarg, timeout_ms) == -1)
		return ctl_usage(ctl, "bad --timeout '%s'", optarg);
	return CTL_OK;
}

/* Exactly one PEER operand after the options. */
int
ctl_one_peer(struct ctl *ctl, int argc, char **argv, const char **peer)
{
	if (argc - optind != 1)
		return ctl_usage(ctl, argc == optind ? "PEER is missing" :
		    "too many arguments");
	*peer = argv[optind];
	return CTL_OK;
}

int
main(int argc, char *argv[])
{
	const struct ctl_cmd	*cmd;
	struct ctl		 ctl;
	int			 i, rc;

	memset(&ctl, 0, sizeof(ctl));
	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctl.json = 1;
		else if ((strcmp(argv[i], "-s") == 0 ||
		    strcmp(argv[i], "--socket") == 0) && i + 1 < argc)
			ctl.sock = argv[++i];
		else if (strncmp(argv[i], "--socket=", 9) == 0)
			ctl.sock = argv[i] + 9;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			ctl_help(stdout);
			return CTL_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("p2pctl %s\n", PACKAGE_VERSION);
			return CTL_OK;
		} else
			return ctl_usage(&ctl, "unknown option '%s'", argv[i]);
	}
	if (i == argc)
		return ctl_usage(&ctl, "no command given");
	for (cmd = ctl_cmds; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, argv[i]) == 0)
			break;
	if (cmd->name == NULL)
		return ctl_usage(&ctl, "unknown command '%s'", argv[i]);
	ctl.cmd = cmd;
	/* The command sees argv[0] = its name, like a program of its own. */
	optind = 1;
	opterr = 0;
	rc = cmd->func(&ctl, argc - i, argv + i);
	if (fflush(stdout) == EOF && rc == CTL_OK) {
		fprintf(stderr, "p2pctl: writing output: %s\n",
		    strerror(errno));
		rc = CTL_FAIL;
	}
	p2pclient_close(ctl.c);
	return rc;
}
