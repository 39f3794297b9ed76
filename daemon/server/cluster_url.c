/* SPDX-License-Identifier: ISC */
/*
 * cluster_url.c: parse the --cluster Redis address, and check the HOST:PORT
 * addresses nodes publish for themselves (cluster_url.h).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_url.h"

static int
url_err(char *err, size_t errlen, const char *s, const char *why)
{
	snprintf(err, errlen, "'%.80s%s': %s", s, strlen(s) > 80 ? "..." : "",
	    why);
	return -1;
}

/* A decimal number in [min, max] spanning exactly [p, end). */
static int
url_num(const char *p, const char *end, long min, long max, long *out)
{
	long v = 0;

	if (p == end || end - p > 7)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Printable, no space, none of the characters that end a part. */
static int
url_word_ok(const char *p, const char *end, const char *stops)
{
	for (; p < end; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr(stops, *p) != NULL)
			return 0;
	return 1;
}

static int
url_unix(const char *s, struct cluster_url *u, char *err, size_t errlen)
{
	const char *path = s + strlen("unix://");

	if (path[0] != '/')
		return url_err(err, errlen, s, "the socket path must be "
		    "absolute (unix:///PATH)");
	if (strlen(path) > sizeof(u->path) - 1 || strlen(path) > 107)
		return url_err(err, errlen, s, "the socket path is too long");
	if (!url_word_ok(path, path + strlen(path), ""))
		return url_err(err, errlen, s, "the socket path has spaces "
		    "or control characters");
	u->unix_socket = 1;
	snprintf(u->path, sizeof(u->path), "%s", path);
	return 0;
}

int
cluster_url_parse(const char *s, int allow_password, struct cluster_url *u,
    char *err, size_t errlen)
{
	const char *p, *at, *colon, *slash, *hend, *end;
	long v;

	memset(u, 0, sizeof(*u));
	if (s == NULL || *s == '\0')
		return url_err(err, errlen, "", "empty");
	if (strlen(s) > CLUSTER_URL_MAX)
		return url_err(err, errlen, s, "longer than 1024 characters");
	if (strncmp(s, "unix://", 7) == 0)
		return url_unix(s, u, err, errlen);
	if (strncmp(s, "redis://", 8) != 0)
		return url_err(err, errlen, s, "not redis://HOST:PORT[/DB] or "
		    "unix:///PATH (rediss:// and TLS are not supported)");
	p = s + 8;
	end = p + strlen(p);
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = end;
	/* The last '@' before the path ends the user information. */
	at = NULL;
	for (const char *q = p; q < slash; q++)
		if (*q == '@')
			at = q;
	if (at != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (colon != NULL) {
			if (!allow_password)
				return url_err(err, errlen, "redis://...",
				    "a password on the command line would "
				    "show in ps: use --cluster-password-file "
				    "(or the config file)");
			if (at - colon - 1 > CLUSTER_PASS_MAX ||
			    at - colon - 1 < 1)
				return url_err(err, errlen, "redis://...",
				    "the password must be 1 to 512 "
				    "characters");
			memcpy(u->password, colon + 1, (size_t)(at - colon - 1));
		} else
			colon = at;
		if (colon - p > CLUSTER_USER_MAX ||
		    !url_word_ok(p, colon, ":@/"))
			return url_err(err, errlen, "redis://...", "bad user "
			    "name (at most 128 printable characters)");
		memcpy(u->user, p, (size_t)(colon - p));
		if (u->user[0] == '\0' && u->password[0] == '\0')
			return url_err(err, errlen, s, "empty user name before "
			    "'@'");
		p = at + 1;
	}
	/* HOST:PORT, HOST possibly [v6]. */
	if (*p == '[') {
		hend = memchr(p, ']', (size_t)(slash - p));
		if (hend == NULL || hend[1] != ':')
			return url_err(err, errlen, s, "an IPv6 address needs "
			    "[ADDR]:PORT");
		p++;
		colon = hend + 1;
	} else {
		colon = NULL;
		for (const char *q = p; q < slash; q++)
			if (*q == ':')
				colon = q;
		if (colon == NULL)
			return url_err(err, errlen, s, "no port (redis://"
			    "HOST:PORT, Redis listens on 6379 by default)");
		hend = colon;
	}
	if (hend == p || hend - p > CLUSTER_HOST_MAX ||
	    !url_word_ok(p, hend, "@/[]"))
		return url_err(err, errlen, s, "bad host");
	memcpy(u->host, p, (size_t)(hend - p));
	if (url_num(colon + 1, slash, 1, 65535, &v) == -1)
		return url_err(err, errlen, s, "the port must be a number "
		    "from 1 to 65535");
	u->port = (int)v;
	if (slash < end) {
		if (url_num(slash + 1, end, 0, 1023, &v) == -1)
			return url_err(err, errlen, s, "the database must be a "
			    "number from 0 to 1023 (redis://HOST:PORT/DB)");
		u->db = (int)v;
	}
	return 0;
}

const char *
cluster_url_fmt(const struct cluster_url *u, char *buf, size_t len)
{
	if (u->unix_socket)
		snprintf(buf, len, "unix://%s", u->path);
	else
		snprintf(buf, len, "redis://%s%s%s%s%s:%d/%d", u->user,
		    u->user[0] ? "@" : "", strchr(u->host, ':') ? "[" : "",
		    u->host, strchr(u->host, ':') ? "]" : "", u->port, u->db);
	return buf;
}

int
cluster_hostport_ok(const char *s, size_t len, int v6)
{
	char host[CLUSTER_HOST_MAX + 1];
	struct in6_addr a6;
	const char *colon, *c;
	size_t hl;
	long port;

	if (len == 0 || strnlen(s, len + 1) != len ||
	    (colon = strrchr(s, ':')) == NULL ||
	    url_num(colon + 1, s + len, 1, 65535, &port) == -1 ||
	    colon[1] == '0')
		return 0;
	if (s[0] == '[') {
		if (colon < s + 2 || colon[-1] != ']' ||
		    (hl = (size_t)(colon - s) - 2) > CLUSTER_HOST_MAX)
			return 0;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		return inet_pton(AF_INET6, host, &a6) == 1;
	}
	if (v6 || colon == s)
		return 0;
	for (c = s; c < colon; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '.' || *c == '-'))
			return 0;
	return 1;
}
