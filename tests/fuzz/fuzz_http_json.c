/* SPDX-License-Identifier: ISC */
/*
 * fuzz_http_json: the HTTP API's request bodies (srv_json.c): any bytes as
 * a POST /v1/tokens and a POST /v1/groups body. Whatever is accepted must
 * hold valid names and bounded values.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srv_json.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct srv_json_token t;
	struct srv_json_group g;
	json_object *o;
	char err[256];
	unsigned i;

	if ((o = srv_json_parse((const char *)data, len, srv_json_token_fields,
	    err, sizeof(err))) != NULL) {
		if (srv_json_token(o, &t, err, sizeof(err)) == 0) {
			if (!p2p_name_valid(t.peer_id) || t.ttl < 1 ||
			    t.ttl > SRV_JSON_TTL_MAX ||
			    t.ngroups > TOKEN_MAX_GROUPS)
				abort();
			for (i = 0; i < t.ngroups; i++)
				if (!p2p_name_valid(t.groups[i]))
					abort();
		} else if (err[0] == '\0')
			abort();
		json_object_put(o);
	} else if (err[0] == '\0')
		abort();
	if ((o = srv_json_parse((const char *)data, len, srv_json_group_fields,
	    err, sizeof(err))) != NULL) {
		if (srv_json_group(o, &g, err, sizeof(err)) == 0) {
			if (!p2p_name_valid(g.name) ||
			    g.nattrs > STATE_GROUP_ATTRS)
				abort();
			for (i = 0; i < g.nattrs; i++)
				if (!p2p_name_valid(g.attrs[i].key) ||
				    strlen(g.attrs[i].value) >
				    STATE_ATTR_VALUE_MAX)
					abort();
		}
		json_object_put(o);
	}
	return 0;
}
