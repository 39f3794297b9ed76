/* SPDX-License-Identifier: ISC */
/*
 * fuzz_cluster_url.c: cluster_url_parse() on arbitrary text, with and
 * without passwords allowed; what it accepts must format and parse again
 * to the same thing. cluster_hostport_ok() on the same text (a node's
 * address as Redis hands it back): what it accepts ends in a port.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_url.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct cluster_url u, v;
	char *s, err[256], buf[CLUSTER_URL_MAX + 64];
	int allow;

	if (len == 0 || (s = malloc(len)) == NULL)
		return 0;
	allow = data[0] & 1;
	memcpy(s, data + 1, len - 1);
	s[len - 1] = '\0';
	if (cluster_url_parse(s, allow, &u, err, sizeof(err)) == 0) {
		if (!u.unix_socket && (u.port < 1 || u.port > 65535 ||
		    u.host[0] == '\0'))
			abort();
		if (!allow && u.password[0] != '\0')
			abort();
		cluster_url_fmt(&u, buf, sizeof(buf));
		if (cluster_url_parse(buf, 0, &v, err, sizeof(err)) != 0 ||
		    v.port != u.port || v.db != u.db ||
		    strcmp(v.host, u.host) != 0 || strcmp(v.path, u.path) != 0)
			abort();
	}
	if (cluster_hostport_ok(s, strlen(s), allow) &&
	    (strrchr(s, ':') == NULL || strrchr(s, ':')[1] == '\0' ||
	    (allow && s[0] != '[')))
		abort();
	free(s);
	return 0;
}
