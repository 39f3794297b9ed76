/* SPDX-License-Identifier: ISC */
/*
 * p2pctl.h: shared pieces of the p2pctl command-line tool. p2pctl.c holds
 * main and the command table; each ctl_*.c implements one command group
 * (its functions are named ctl_<command>).
 *
 * Exit status (issue 2): 0 ok, 1 the operation failed (stderr says why),
 * 2 usage, 3 p2pd is not running.
 */
#ifndef P2PCTL_H
#define P2PCTL_H

#include <stddef.h>
#include <stdint.h>

#include "p2pclient.h"

#define CTL_OK		0
#define CTL_FAIL	1
#define CTL_USAGE	2
#define CTL_NOTRUNNING	3

struct json_object;

struct ctl {
	const char		*sock;	/* NULL: $P2PD_SOCKET or the default */
	int			 json;
	struct p2pclient	*c;
	const struct ctl_cmd	*cmd;
};

struct ctl_cmd {
	const char	*name;
	int		(*func)(struct ctl *, int, char **);
	const char	*usage;
};

/* p2pctl.c */
int	ctl_connect(struct ctl *);
int	ctl_fail(struct ctl *, int code, const char *what);
int	ctl_usage(struct ctl *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	ctl_getopt(struct ctl *, int argc, char **argv, const char *shortopts,
	    const void *longopts);
int	ctl_parse_secs(const char *s, int *ms);
int	ctl_parse_count(const char *s, uint32_t *n);
int	ctl_opt_other(struct ctl *, int ch, char **argv, int *timeout_ms);
int	ctl_one_peer(struct ctl *, int argc, char **argv, const char **peer);

/* ctl_json.c */
void	ctl_json_print(struct json_object *);
struct json_object *ctl_json_double(double);
void	ctl_json_str(struct json_object *, const char *key, const char *);
void	ctl_json_u64(struct json_object *, const char *key, uint64_t);
int	ctl_json_add_data(struct json_object *, const uint8_t *, size_t);
int	ctl_utf8_valid(const uint8_t *, size_t);

/* ctl_msg.c: all of stdin (-1 and errno EFBIG past P2PCLIENT_MAX_MSG). */
int	ctl_read_stdin(uint8_t **, size_t *);

/* ctl_group.c: a group list as list (show 0) or show (1) prints it. */
void	ctl_group_print(struct ctl *, const struct p2pclient_groups *,
	    int show);
/* ctl_match.c: `group search KEY=VALUE ...` */
int	ctl_group_search(struct ctl *, int nattrs, char **attrs);

/* Commands. */
int	ctl_status(struct ctl *, int, char **);
int	ctl_peers(struct ctl *, int, char **);
int	ctl_connect_cmd(struct ctl *, int, char **);
int	ctl_disconnect(struct ctl *, int, char **);
int	ctl_ping(struct ctl *, int, char **);
int	ctl_send(struct ctl *, int, char **);
int	ctl_recv(struct ctl *, int, char **);
int	ctl_pipe(struct ctl *, int, char **);
int	ctl_events(struct ctl *, int, char **);
int	ctl_group(struct ctl *, int, char **);
int	ctl_nat(struct ctl *, int, char **);
int	ctl_match(struct ctl *, int, char **);

#endif /* P2PCTL_H */
