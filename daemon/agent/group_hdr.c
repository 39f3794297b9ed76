/* SPDX-License-Identifier: ISC */
/*
 * group_hdr.c: the header of a group message (group_hdr.h, PROTOCOL.md §7):
 * `1 | glen u8 | group | slen u8 | service`. The parser takes untrusted
 * bytes (it has a fuzz target of its own).
 */
#include "config.h"

#include <string.h>

#include "group_hdr.h"

size_t
group_hdr_write(uint8_t *hdr, const char *group, const char *service)
{
	size_t gl = strlen(group), sl = strlen(service), n = 0;

	hdr[n++] = GROUP_HDR_VERSION;
	hdr[n++] = (uint8_t)gl;
	memcpy(hdr + n, group, gl);
	n += gl;
	hdr[n++] = (uint8_t)sl;
	memcpy(hdr + n, service, sl);
	return n + sl;
}

static int
group_hdr_name(const uint8_t *p, size_t len, size_t *off,
    char out[SVC_NAME_MAX + 1])
{
	size_t n, i;

	if (*off >= len)
		return -1;
	n = p[(*off)++];
	if (n == 0 || n > SVC_NAME_MAX || len - *off < n)
		return -1;
	for (i = 0; i < n; i++) {
		char c = (char)p[*off + i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return -1;
		out[i] = c;
	}
	out[n] = '\0';
	*off += n;
	return 0;
}

int
group_hdr_parse(const uint8_t *p, size_t len, char group[SVC_NAME_MAX + 1],
    char service[SVC_NAME_MAX + 1], size_t *hdrlen)
{
	size_t off = 1;

	if (len < 1 || p[0] != GROUP_HDR_VERSION)
		return -1;
	if (group_hdr_name(p, len, &off, group) == -1 ||
	    group_hdr_name(p, len, &off, service) == -1)
		return -1;
	*hdrlen = off;
	return 0;
}
