/* SPDX-License-Identifier: ISC */
/*
 * upnpmsg.c: the UPnP helper's answer lines; see upnpmsg.h.
 */
#include <stdio.h>
#include <string.h>

#include "upnpmsg.h"

struct upnpmsg_rd {
	const char	*p;
	const char	*end;
};

/* The next space-separated word: its bounds, or -1 at the end. */
static int
upnpmsg_word(struct upnpmsg_rd *r, const char **w, size_t *wlen)
{
	if (r->p >= r->end)
		return -1;
	if (*r->p == ' ')
		r->p++;
	*w = r->p;
	while (r->p < r->end && *r->p != ' ')
		r->p++;
	*wlen = (size_t)(r->p - *w);
	return *wlen > 0 ? 0 : -1;
}

/* The word "KEY=VALUE" whose key is key: the value's bounds, or -1. */
static int
upnpmsg_kv(struct upnpmsg_rd *r, const char *key, const char **v,
    size_t *vlen)
{
	const char	*w;
	size_t		 wlen, klen = strlen(key);

	if (upnpmsg_word(r, &w, &wlen) == -1 || wlen <= klen + 1 ||
	    memcmp(w, key, klen) != 0 || w[klen] != '=')
		return -1;
	*v = w + klen + 1;
	*vlen = wlen - klen - 1;
	return 0;
}

static int
upnpmsg_num(const char *s, size_t len, uint32_t max, uint32_t *v)
{
	size_t	i;

	if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
		return -1;
	*v = 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    *v > (max - (uint32_t)(s[i] - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint32_t)(s[i] - '0');
	}
	return 0;
}

/* A dotted quad, exactly: host order. */
static int
upnpmsg_ip(const char *s, size_t len, uint32_t *ip)
{
	const char	*dot, *end = s + len;
	uint32_t	 part;
	int		 i;

	*ip = 0;
	for (i = 0; i < 4; i++) {
		dot = i < 3 ? memchr(s, '.', (size_t)(end - s)) : end;
		if (dot == NULL || upnpmsg_num(s, (size_t)(dot - s), 255,
		    &part) == -1)
			return -1;
		*ip = (*ip << 8) | part;
		s = dot + 1;
	}
	return 0;
}

static int
upnpmsg_ipport(const char *s, size_t len, uint32_t *ip, uint16_t *port)
{
	const char	*colon = memchr(s, ':', len);
	uint32_t	 p;

	if (colon == NULL || upnpmsg_ip(s, (size_t)(colon - s), ip) == -1 ||
	    upnpmsg_num(colon + 1, len - (size_t)(colon + 1 - s), 65535,
	    &p) == -1 || p == 0)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

int
upnpmsg_url_ok(const char *s)
{
	size_t	i, n = strlen(s);

	if (n < 8 || n >= UPNPMSG_URL_MAX || strncmp(s, "http://", 7) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' ||
		    s[i] == '\'' || s[i] == '\\')
			return 0;
	return 1;
}

int
upnpmsg_service_ok(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n >= UPNPMSG_SERVICE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == ':' ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* Copy a value of at most cap - 1 bytes and check it with ok(). */
static int
upnpmsg_str(const char *v, size_t vlen, char *dst, size_t cap,
    int (*ok)(const char *))
{
	if (vlen >= cap)
		return -1;
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
	return ok(dst) ? 0 : -1;
}

static int
upnpmsg_parse_ok(struct upnpmsg_rd *r, struct upnpmsg *m)
{
	const char	*w, *v;
	size_t		 wlen, vlen;

	if (upnpmsg_word(r, &w, &wlen) == -1)
		return -1;
	if (wlen == 5 && memcmp(w, "probe", 5) == 0) {
		m->kind = UPNPMSG_PROBE;
		if (upnpmsg_kv(r, "external", &v, &vlen) == -1 ||
		    upnpmsg_ip(v, vlen, &m->external_ip) == -1 ||
		    upnpmsg_kv(r, "lan", &v, &vlen) == -1 ||
		    upnpmsg_ip(v, vlen, &m->lan_ip) == -1 ||
		    upnpmsg_kv(r, "control", &v, &vlen) == -1 ||
		    upnpmsg_str(v, vlen, m->control, sizeof(m->control),
		    upnpmsg_url_ok) == -1 ||
		    upnpmsg_kv(r, "service", &v, &vlen) == -1 ||
		    upnpmsg_str(v, vlen, m->service, sizeof(m->service),
		    upnpmsg_service_ok) == -1)
			return -1;
	} else if (wlen == 3 && memcmp(w, "map", 3) == 0) {
		m->kind = UPNPMSG_MAP;
		if (upnpmsg_kv(r, "external", &v, &vlen) == -1 ||
		    upnpmsg_ipport(v, vlen, &m->external_ip,
		    &m->external_port) == -1 ||
		    upnpmsg_kv(r, "lifetime", &v, &vlen) == -1 ||
		    upnpmsg_num(v, vlen, UINT32_MAX, &m->lifetime) == -1)
			return -1;
	} else if (wlen == 6 && memcmp(w, "delete", 6) == 0)
		m->kind = UPNPMSG_DELETE;
	else
		return -1;
	return r->p == r->end ? 0 : -1;
}

static int
upnpmsg_parse_fail(struct upnpmsg_rd *r, struct upnpmsg *m)
{
	const char	*w;
	size_t		 wlen, i, n = 0;

	m->kind = UPNPMSG_FAIL;
	if (upnpmsg_word(r, &w, &wlen) == -1 || wlen >= sizeof(m->word))
		return -1;
	for (i = 0; i < wlen; i++)
		if (w[i] < 'a' || w[i] > 'z')
			return -1;
	memcpy(m->word, w, wlen);
	m->word[wlen] = '\0';
	if (r->p < r->end)
		r->p++;		/* the space before the text */
	for (; r->p < r->end && n < sizeof(m->detail) - 1; r->p++)
		m->detail[n++] = (*r->p >= ' ' && *r->p <= '~') ? *r->p : '?';
	m->detail[n] = '\0';
	return 0;
}

int
upnpmsg_parse(const char *line, size_t len, struct upnpmsg *m)
{
	struct upnpmsg_rd	 r;
	const char		*w;
	size_t			 wlen;

	memset(m, 0, sizeof(*m));
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len == 0 || len >= UPNPMSG_LINE_MAX || memchr(line, '\n', len) ||
	    memchr(line, '\0', len))
		return -1;
	r.p = line;
	r.end = line + len;
	if (upnpmsg_word(&r, &w, &wlen) == -1)
		return -1;
	if (wlen == 2 && memcmp(w, "ok", 2) == 0)
		return upnpmsg_parse_ok(&r, m);
	if (wlen == 4 && memcmp(w, "fail", 4) == 0)
		return upnpmsg_parse_fail(&r, m);
	return -1;
}

/* snprintf's length if it fit and parses back, else 0. */
static size_t
upnpmsg_done(char *buf, size_t cap, int n)
{
	struct upnpmsg	m;

	if (n < 0 || (size_t)n >= cap || (size_t)n >= UPNPMSG_LINE_MAX ||
	    upnpmsg_parse(buf, (size_t)n, &m) == -1)
		return 0;
	return (size_t)n;
}

#define UPNPMSG_IP(ip) (ip) >> 24, ((ip) >> 16) & 0xff, ((ip) >> 8) & 0xff, \
	(ip) & 0xff

size_t
upnpmsg_fmt_probe(char *buf, size_t cap, uint32_t external_ip,
    uint32_t lan_ip, const char *control, const char *service)
{
	if (!upnpmsg_url_ok(control) || !upnpmsg_service_ok(service))
		return 0;
	return upnpmsg_done(buf, cap, snprintf(buf, cap, "ok probe "
	    "external=%u.%u.%u.%u lan=%u.%u.%u.%u control=%s service=%s\n",
	    UPNPMSG_IP(external_ip), UPNPMSG_IP(lan_ip), control, service));
}

size_t
upnpmsg_fmt_map(char *buf, size_t cap, uint32_t external_ip,
    uint16_t external_port, uint32_t lifetime)
{
	return upnpmsg_done(buf, cap, snprintf(buf, cap, "ok map "
	    "external=%u.%u.%u.%u:%u lifetime=%u\n", UPNPMSG_IP(external_ip),
	    (unsigned)external_port, (unsigned)lifetime));
}

size_t
upnpmsg_fmt_delete(char *buf, size_t cap)
{
	return upnpmsg_done(buf, cap, snprintf(buf, cap, "ok delete\n"));
}

size_t
upnpmsg_fmt_fail(char *buf, size_t cap, const char *word, const char *detail)
{
	char	clean[UPNPMSG_DETAIL_MAX];
	size_t	i;

	for (i = 0; detail[i] != '\0' && i < sizeof(clean) - 1; i++)
		clean[i] = (detail[i] >= ' ' && detail[i] <= '~') ?
		    detail[i] : '?';
	clean[i] = '\0';
	return upnpmsg_done(buf, cap, snprintf(buf, cap, "fail %s %s\n",
	    word, clean));
}
