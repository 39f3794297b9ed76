/* SPDX-License-Identifier: ISC */
/*
 * srv_http_reply.c: what every HTTP handler shares, below them all: JSON
 * replies and errors, request bodies (read and checked), the admin key
 * check and the counters.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <sodium.h>

#include "server.h"
#include "srv_http.h"
#include "srv_json.h"

const struct srv_http_stats *
srv_http_stats(struct srv *s)
{
	return &s->http->st;
}

void
srv_http_json(struct evhttp_request *req, int code, json_object *obj)
{
	struct evbuffer *b = evhttp_request_get_output_buffer(req);
	const char *txt;

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	if (obj != NULL) {
		txt = json_object_to_json_string_ext(obj,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		evbuffer_add_printf(b, "%s\n", txt);
		json_object_put(obj);
	}
	evhttp_send_reply(req, code, NULL, NULL);
}

void
srv_http_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
	json_object *o;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(msg));
	srv_http_json(req, code, o);
}

json_object *
srv_http_body(struct evhttp_request *req, const char *const *known)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	json_object *o;
	char *txt, err[256];

	if (len > SRV_HTTP_BODY_MAX) {
		srv_http_error(req, 413, "the body is over %d bytes",
		    SRV_HTTP_BODY_MAX);
		return NULL;
	}
	if ((txt = malloc(len + 1)) == NULL) {
		srv_http_error(req, 503, "out of memory");
		return NULL;
	}
	if (evbuffer_copyout(in, txt, len) != (ev_ssize_t)len) {
		free(txt);
		srv_http_error(req, 500, "cannot read the body");
		return NULL;
	}
	txt[len] = '\0';
	o = srv_json_parse(txt, len, known, err, sizeof(err));
	free(txt);
	if (o == NULL)
		srv_http_error(req, 400, "%s", err);
	return o;
}

int
srv_http_key_ok(struct srv_http *h, const char *v, size_t len)
{
	uint8_t got[crypto_generichash_BYTES];

	if (v == NULL || len < 7 || strncasecmp(v, "Bearer ", 7) != 0)
		return 0;
	for (v += 7, len -= 7; len > 0 && *v == ' '; v++, len--)
		;
	crypto_generichash(got, sizeof(got), (const uint8_t *)v, len, NULL, 0);
	return sodium_memcmp(got, h->key_hash, sizeof(got)) == 0;
}
