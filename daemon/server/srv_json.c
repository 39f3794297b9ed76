/* SPDX-License-Identifier: ISC */
/*
 * srv_json.c: the HTTP API's request bodies, parsed and checked
 * (srv_json.h). Only json-c and the name and value rules: no HTTP.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "srv_json.h"
#include "wire.h"

const char *const srv_json_token_fields[] = { "peer_id", "ttl", "groups",
    NULL };
const char *const srv_json_group_fields[] = { "name", "attributes", "mesh",
    NULL };

static void
srv_json_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
srv_json_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

json_object *
srv_json_parse(const char *txt, size_t len, const char *const *known,
    char *err, size_t errlen)
{
	enum json_tokener_error jerr;
	json_tokener *tok;
	json_object *o;
	size_t i;

	if (memchr(txt, '\0', len) != NULL) {
		srv_json_err(err, errlen, "the body holds a NUL byte");
		return NULL;
	}
	if (len > INT32_MAX || (tok = json_tokener_new_ex(16)) == NULL) {
		srv_json_err(err, errlen, "cannot parse the body");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, txt, (int)len);
	jerr = json_tokener_get_error(tok);
	i = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o != NULL && jerr == json_tokener_success)
		while (i < len && strchr(" \t\r\n", txt[i]) != NULL)
			i++;
	if (o == NULL || jerr != json_tokener_success || i != len) {
		json_object_put(o);
		srv_json_err(err, errlen, "malformed JSON: %s",
		    jerr == json_tokener_continue ? "unexpected end" :
		    jerr != json_tokener_success ?
		    json_tokener_error_desc(jerr) :
		    o == NULL ? "no value" : "data after the value");
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		srv_json_err(err, errlen, "the body must be a JSON object");
		return NULL;
	}
	json_object_object_foreach(o, key, val) {
		(void)val;
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], key) == 0)
				break;
		if (known[i] == NULL) {
			srv_json_err(err, errlen, "unknown field '%.64s'", key);
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* A string field that must be a p2p name; -1 if present and not one. */
static int
srv_json_name(json_object *v, char out[P2P_NAME_MAX + 1])
{
	const char *s;

	if (!json_object_is_type(v, json_type_string) ||
	    (s = json_object_get_string(v)) == NULL || !p2p_name_valid(s))
		return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int
srv_json_token(json_object *in, struct srv_json_token *t, char *err,
    size_t errlen)
{
	json_object *v, *g;
	size_t i, n;

	memset(t, 0, sizeof(*t));
	t->ttl = 3600;
	if (!json_object_object_get_ex(in, "peer_id", &v) ||
	    srv_json_name(v, t->peer_id) == -1) {
		srv_json_err(err, errlen, "peer_id: a name of 1 to 64 "
		    "characters of [A-Za-z0-9._-] is required");
		return -1;
	}
	if (json_object_object_get_ex(in, "ttl", &v) &&
	    (!json_object_is_type(v, json_type_int) ||
	    (t->ttl = json_object_get_int64(v)) < 1 ||
	    t->ttl > SRV_JSON_TTL_MAX)) {
		srv_json_err(err, errlen, "ttl: an integer of seconds from 1 "
		    "to %ld", SRV_JSON_TTL_MAX);
		return -1;
	}
	if (!json_object_object_get_ex(in, "groups", &v))
		return 0;
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) > TOKEN_MAX_GROUPS) {
		srv_json_err(err, errlen, "groups: an array of at most %d "
		    "names", TOKEN_MAX_GROUPS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		g = json_object_array_get_idx(v, i);
		if (srv_json_name(g, t->groups[i]) == -1) {
			srv_json_err(err, errlen, "groups[%zu]: not a name of "
			    "[A-Za-z0-9._-]", i);
			return -1;
		}
	}
	t->ngroups = (unsigned)n;
	return 0;
}

int
srv_json_group(json_object *in, struct srv_json_group *g, char *err,
    size_t errlen)
{
	json_object *v;
	const char *s;

	memset(g, 0, sizeof(*g));
	g->mesh = 1;
	if (!json_object_object_get_ex(in, "name", &v) ||
	    srv_json_name(v, g->name) == -1) {
		srv_json_err(err, errlen, "name: a name of 1 to 64 characters "
		    "of [A-Za-z0-9._-] is required");
		return -1;
	}
	if (json_object_object_get_ex(in, "mesh", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			srv_json_err(err, errlen, "mesh: true or false");
			return -1;
		}
		g->mesh = json_object_get_boolean(v);
	}
	if (!json_object_object_get_ex(in, "attributes", &v))
		return 0;
	if (!json_object_is_type(v, json_type_object) ||
	    json_object_object_length(v) > STATE_GROUP_ATTRS) {
		srv_json_err(err, errlen, "attributes: an object of at most %d "
		    "string values", STATE_GROUP_ATTRS);
		return -1;
	}
	json_object_object_foreach(v, key, val) {
		if (!p2p_name_valid(key) ||
		    !json_object_is_type(val, json_type_string) ||
		    (s = json_object_get_string(val)) == NULL ||
		    !state_attr_value_valid(s)) {
			srv_json_err(err, errlen, "attributes: keys are names "
			    "of [A-Za-z0-9._-], values strings of at most %d "
			    "bytes without control characters",
			    STATE_ATTR_VALUE_MAX);
			return -1;
		}
		snprintf(g->attrs[g->nattrs].key, sizeof(g->attrs[0].key),
		    "%s", key);
		snprintf(g->attrs[g->nattrs].value, sizeof(g->attrs[0].value),
		    "%s", s);
		g->nattrs++;
	}
	return 0;
}
