/* SPDX-License-Identifier: ISC */
/*
 * fuzz_http_json: the HTTP API's request bodies and queries (srv_json.c):
 * any bytes as a POST /v1/tokens, a POST /v1/groups and a POST /v1/match
 * body, as the query of GET /v1/groups?KEY=VALUE, and as one KEY=VALUE of
 * p2pctl --attr (match.c). Whatever is accepted must hold valid names and
 * bounded values; whatever is refused says why.
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
	struct srv_json_match jm;
	struct state_attr qa[STATE_GROUP_ATTRS];
	struct match_attr ma;
	json_object *o;
	char err[256], *txt;
	unsigned i, n;

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
	if ((o = srv_json_parse((const char *)data, len, srv_json_match_fields,
	    err, sizeof(err))) != NULL) {
		err[0] = '\0';
		if (srv_json_match(o, &jm, err, sizeof(err)) == 0) {
			if (!p2p_name_valid(jm.peer_id) ||
			    jm.nattrs > MATCH_ATTRS_MAX ||
			    jm.size < MATCH_SIZE_MIN ||
			    jm.size > MATCH_SIZE_MAX || jm.timeout_s < 1 ||
			    jm.timeout_s > MATCH_TIMEOUT_MAX)
				abort();
			for (i = 0; i < jm.nattrs; i++)
				if (!p2p_name_valid(jm.attrs[i].key) ||
				    jm.attrs[i].value[0] == '\0' ||
				    (i > 0 && strcmp(jm.attrs[i - 1].key,
				    jm.attrs[i].key) >= 0))
					abort();
		} else if (err[0] == '\0')
			abort();
		json_object_put(o);
	}
	if ((txt = malloc(len + 1)) == NULL)
		return 0;
	memcpy(txt, data, len);
	txt[len] = '\0';
	err[0] = '\0';
	if (srv_json_query_attrs(txt, qa, &n, err, sizeof(err)) == 0) {
		if (n > STATE_GROUP_ATTRS)
			abort();
		for (i = 0; i < n; i++)
			if (!p2p_name_valid(qa[i].key) ||
			    !state_attr_value_valid(qa[i].value))
				abort();
	} else if (err[0] == '\0')
		abort();
	err[0] = '\0';
	if (match_attr_parse(txt, &ma, err, sizeof(err)) == 0) {
		if (!p2p_name_valid(ma.key) || ma.value[0] == '\0')
			abort();
	} else if (err[0] == '\0')
		abort();
	free(txt);
	return 0;
}
