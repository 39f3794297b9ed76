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
    "attributes", NULL };
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

/* "attributes": {"KEY": "VALUE", ...} (optional): checked, sorted. */
static int
srv_json_attrs(json_object *in, struct match_attr *a, unsigned *n,
    char *err, size_t errlen)
{
	json_object *v;
	const char *s;

	*n = 0;
	if (!json_object_object_get_ex(in, "attributes", &v))
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		srv_json_err(err, errlen, "attributes: an object of string "
		    "values");
		return -1;
	}
	if (json_object_object_length(v) > MATCH_ATTRS_MAX) {
		srv_json_err(err, errlen, "attributes: too many (%d; at most "
		    "%d)", json_object_object_length(v), MATCH_ATTRS_MAX);
		return -1;
	}
	json_object_object_foreach(v, key, val) {
		if (!json_object_is_type(val, json_type_string) ||
		    (s = json_object_get_string(val)) == NULL) {
			srv_json_err(err, errlen, "attributes: %.64s: not a "
			    "string", key);
			return -1;
		}
		if (match_attr_set(&a[*n], key, s,
		    (size_t)json_object_get_string_len(val), err,
		    errlen) == -1)
			return -1;
		(*n)++;
	}
	return match_attrs_check(a, *n, err, errlen);
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
	if (srv_json_attrs(in, t->attrs, &t->nattrs, err, errlen) == -1)
		return -1;
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

const char *const srv_json_match_fields[] = { "peer_id", "attributes", "size",
    "timeout", "wait", NULL };

/* An integer field: 0, 1 when absent, -1 when not an integer. */
static int
srv_json_int(json_object *in, const char *name, long long *out)
{
	json_object *v;

	if (!json_object_object_get_ex(in, name, &v))
		return 1;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	*out = (long long)json_object_get_int64(v);
	return 0;
}

int
srv_json_match(json_object *in, struct srv_json_match *q, char *err,
    size_t errlen)
{
	json_object *v;
	int rc;

	memset(q, 0, sizeof(*q));
	q->timeout_s = MATCH_TIMEOUT_DEFAULT;
	q->wait = 1;
	if (json_object_object_get_ex(in, "wait", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			srv_json_err(err, errlen, "wait: true or false");
			return -1;
		}
		q->wait = json_object_get_boolean(v);
	}
	if (!json_object_object_get_ex(in, "peer_id", &v) ||
	    srv_json_name(v, q->peer_id) == -1) {
		srv_json_err(err, errlen, "peer_id: a name of 1 to 64 "
		    "characters of [A-Za-z0-9._-] is required");
		return -1;
	}
	if ((rc = srv_json_int(in, "size", &q->size)) != 0) {
		srv_json_err(err, errlen, "size: an integer from %d to %d is "
		    "required", MATCH_SIZE_MIN, MATCH_SIZE_MAX);
		return -1;
	}
	if (match_size_check(q->size, err, errlen) == -1)
		return -1;
	if ((rc = srv_json_int(in, "timeout", &q->timeout_s)) == -1 ||
	    match_timeout_check(q->timeout_s, err, errlen) == -1) {
		if (rc == -1)
			srv_json_err(err, errlen, "timeout: an integer of "
			    "seconds from 1 to %d", MATCH_TIMEOUT_MAX);
		return -1;
	}
	return srv_json_attrs(in, q->attrs, &q->nattrs, err, errlen);
}

static int
srv_json_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode [s, e) into out (cap bytes with the NUL); -1 if bad. */
static int
srv_json_unescape(const char *s, const char *e, char *out, size_t cap)
{
	size_t n = 0;
	int hi, lo;

	for (; s < e; s++) {
		if (n + 1 >= cap)
			return -1;
		if (*s == '+')
			out[n++] = ' ';
		else if (*s != '%')
			out[n++] = *s;
		else {
			if (e - s < 3 || (hi = srv_json_hex(s[1])) < 0 ||
			    (lo = srv_json_hex(s[2])) < 0)
				return -1;
			out[n++] = (char)(hi << 4 | lo);
			s += 2;
		}
	}
	out[n] = '\0';
	return memchr(out, '\0', n) == NULL ? 0 : -1;
}

int
srv_json_query_attrs(const char *query, struct state_attr *out, unsigned *n,
    char *err, size_t errlen)
{
	const char *p = query, *amp, *eq;
	unsigned i;

	*n = 0;
	while (p != NULL && *p != '\0') {
		if ((amp = strchr(p, '&')) == NULL)
			amp = p + strlen(p);
		if (amp == p) {
			p = amp + 1;
			continue;
		}
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL) {
			srv_json_err(err, errlen, "'%.*s': expected KEY=VALUE",
			    (int)(amp - p > 64 ? 64 : amp - p), p);
			return -1;
		}
		if (*n == STATE_GROUP_ATTRS) {
			srv_json_err(err, errlen, "at most %d attributes",
			    STATE_GROUP_ATTRS);
			return -1;
		}
		if (srv_json_unescape(p, eq, out[*n].key,
		    sizeof(out[*n].key)) == -1 || !p2p_name_valid(out[*n].key) ||
		    srv_json_unescape(eq + 1, amp, out[*n].value,
		    sizeof(out[*n].value)) == -1 ||
		    !state_attr_value_valid(out[*n].value)) {
			srv_json_err(err, errlen, "'%.*s': keys are names of "
			    "[A-Za-z0-9._-], values at most %d bytes without "
			    "control characters", (int)(amp - p > 64 ? 64 :
			    amp - p), p, STATE_ATTR_VALUE_MAX);
			return -1;
		}
		for (i = 0; i < *n; i++)
			if (strcmp(out[i].key, out[*n].key) == 0) {
				srv_json_err(err, errlen, "%s is given twice",
				    out[i].key);
				return -1;
			}
		(*n)++;
		p = *amp == '&' ? amp + 1 : amp;
	}
	return 0;
}
