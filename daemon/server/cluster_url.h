/* SPDX-License-Identifier: ISC */
/*
 * cluster_url.h: the --cluster address of Redis, parsed and checked.
 *
 *	redis://[USER@]HOST:PORT[/DB]	TCP (HOST a name, an IPv4 address
 *					or an [IPv6] address in brackets)
 *	unix:///PATH			a Unix socket (an absolute path)
 *
 * A password in the URL (redis://USER:PASSWORD@...) is accepted only when
 * the caller allows it (from a config file, never from a flag: it would show
 * in ps); otherwise it comes from --cluster-password-file. Errors are
 * sentences for "--cluster: ..." and name what is wrong. Pure: no I/O.
 */
#ifndef P2P_CLUSTER_URL_H
#define P2P_CLUSTER_URL_H

#include <stddef.h>

#define CLUSTER_URL_MAX		1024
#define CLUSTER_HOST_MAX	255
#define CLUSTER_USER_MAX	128
#define CLUSTER_PASS_MAX	512

struct cluster_url {
	int		 unix_socket;			/* else TCP */
	char		 host[CLUSTER_HOST_MAX + 1];	/* or the path */
	char		 path[CLUSTER_URL_MAX + 1];
	int		 port;
	char		 user[CLUSTER_USER_MAX + 1];	/* "" : none */
	char		 password[CLUSTER_PASS_MAX + 1]; /* "" : none */
	int		 db;				/* SELECT, 0..1023 */
};

/* 0, or -1 with the reason in err. */
int	cluster_url_parse(const char *s, int allow_password,
	    struct cluster_url *out, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/* "redis://user@host:port/db" or "unix:///path", never the password. */
const char *cluster_url_fmt(const struct cluster_url *, char *buf,
	    size_t len);

/*
 * An address a node publishes for itself (srv_listen_addrs), len bytes at
 * s (NUL-terminated there): "[IPv6]:PORT", or unless v6 also
 * "IPv4:PORT" or "NAME:PORT" (--advertise: letters, digits, '.', '-').
 * PORT 1..65535. 1 if so; what Redis hands back is checked with it.
 */
int	cluster_hostport_ok(const char *s, size_t len, int v6);

#endif /* P2P_CLUSTER_URL_H */
