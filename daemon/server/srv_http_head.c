/* SPDX-License-Identifier: ISC */
/*
 * srv_http_head.c: what the HTTP API's connection filter (srv_http_conn.c)
 * needs to know of a request head before evhttp reads its body: the path,
 * the body's length (Content-Length, or chunked) and the Authorization
 * header. Only that: evhttp parses the request again, fully. The input is
 * untrusted; anything this cannot read as HTTP/1.x is reported as
 * malformed, and the filter closes the connection.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "srv_http.h"

/* The value of a header line "Name: value", if name matches. */
static const char *
srv_http_head_value(const char *line, size_t len, const char *name,
    size_t *vlen)
{
	size_t n = strlen(name);
	const char *v, *e = line + len;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	for (v = line + n + 1; v < e && (*v == ' ' || *v == '\t'); v++)
		;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*vlen = (size_t)(e - v);
	return v;
}

int
srv_http_head_parse(const char *p, size_t len, struct srv_http_head *h)
{
	const char *e = p + len, *l, *eol, *sp, *v;
	size_t vl, i;
	uint64_t cl;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	/* The request line: METHOD SP TARGET SP VERSION CRLF */
	if ((eol = memmem(p, len, "\r\n", 2)) == NULL ||
	    (sp = memchr(p, ' ', (size_t)(eol - p))) == NULL || sp == p)
		return -1;
	for (v = ++sp; v < eol && *v != ' ' && *v != '?'; v++)
		if ((unsigned char)*v < 0x21 || (unsigned char)*v > 0x7e)
			return -1;	/* a target is visible ASCII */
	if (v == sp || (size_t)(v - sp) >= sizeof(h->path))
		return -1;
	memcpy(h->path, sp, (size_t)(v - sp));
	h->path[v - sp] = '\0';
	for (l = eol + 2; l < e && (eol = memmem(l, (size_t)(e - l), "\r\n",
	    2)) != NULL && eol != l; l = eol + 2) {
		if ((v = srv_http_head_value(l, (size_t)(eol - l),
		    "Content-Length", &vl)) != NULL) {
			if (vl == 0 || vl > 18 || h->content_length != -1)
				return -1;
			for (cl = 0, i = 0; i < vl; i++) {
				if (!isdigit((unsigned char)v[i]))
					return -1;
				cl = cl * 10 + (uint64_t)(v[i] - '0');
			}
			h->content_length = (int64_t)cl;
		} else if ((v = srv_http_head_value(l, (size_t)(eol - l),
		    "Transfer-Encoding", &vl)) != NULL)
			h->chunked = 1;	/* anything but none: we cannot count */
		else if ((v = srv_http_head_value(l, (size_t)(eol - l),
		    "Authorization", &vl)) != NULL) {
			h->auth = v;
			h->auth_len = vl;
		}
	}
	/* The head ends with an empty line. */
	return eol != NULL && eol == l ? 0 : -1;
}
