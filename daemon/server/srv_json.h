/* SPDX-License-Identifier: ISC */
/*
 * srv_json.h: decoding the HTTP API's request bodies (docs/HTTP.md), with
 * no HTTP around it, so that it can be fuzzed on its own.
 *
 * srv_json_parse() takes untrusted text: strict JSON, one object, nothing
 * after it but white space, no NUL byte, only the known fields. The request
 * decoders then check each field's type and value before copying it. Every
 * failure writes a message for a 400 reply into err and returns NULL / -1.
 */
#ifndef P2P_SRV_JSON_H
#define P2P_SRV_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "match.h"
#include "state.h"
#include "token.h"

#define SRV_JSON_TTL_MAX	(366 * 86400L)	/* token lifetime cap */

json_object	*srv_json_parse(const char *txt, size_t len,
		    const char *const *known, char *err, size_t errlen);

/* POST /v1/tokens: peer_id, ttl (default 3600), groups. */
struct srv_json_token {
	char		 peer_id[P2P_NAME_MAX + 1];
	int64_t		 ttl;
	char		 groups[TOKEN_MAX_GROUPS][P2P_NAME_MAX + 1];
	unsigned	 ngroups;
	struct match_attr attrs[MATCH_ATTRS_MAX];	/* vouched for */
	unsigned	 nattrs;
};
extern const char *const srv_json_token_fields[];
int	srv_json_token(json_object *, struct srv_json_token *, char *err,
	    size_t errlen);

/* POST /v1/groups: name, mesh (default true), attributes. */
struct srv_json_group {
	char		 name[P2P_NAME_MAX + 1];
	int		 mesh;
	struct state_attr attrs[STATE_GROUP_ATTRS];
	unsigned	 nattrs;
};
extern const char *const srv_json_group_fields[];
int	srv_json_group(json_object *, struct srv_json_group *, char *err,
	    size_t errlen);

/* POST /v1/match: peer_id, attributes, size, timeout (default 60). */
struct srv_json_match {
	char		 peer_id[P2P_NAME_MAX + 1];
	struct match_attr attrs[MATCH_ATTRS_MAX];
	unsigned	 nattrs;
	long long	 size;
	long long	 timeout_s;
	int		 wait;		/* default 1; false: answer at once */
};
extern const char *const srv_json_match_fields[];
int	srv_json_match(json_object *, struct srv_json_match *, char *err,
	    size_t errlen);
/*
 * Attributes of a group search (GET /v1/groups?KEY=VALUE&...): a query
 * string, at most STATE_GROUP_ATTRS pairs of a name and a value of
 * state_attr_value_valid, each key once. 0, or -1 with err.
 */
int	srv_json_query_attrs(const char *query, struct state_attr *out,
	    unsigned *n, char *err, size_t errlen);

#endif /* P2P_SRV_JSON_H */
