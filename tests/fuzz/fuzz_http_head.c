/* SPDX-License-Identifier: ISC */
/*
 * fuzz_http_head.c: srv_http_head_parse() on arbitrary bytes, as the HTTP
 * API's connection filter hands it a request head (srv_http_conn.c). What
 * it reports must lie inside the input: the path is a terminated string
 * from the request line, the Authorization value a slice of the head.
 */
#include <stdlib.h>
#include <string.h>

#include "srv_http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct srv_http_head h;
	char *p;

	/* an exact copy, so that reading past the end is caught */
	if ((p = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(p, data, len);
	if (srv_http_head_parse(p, len, &h) == 0) {
		if (strlen(h.path) == 0 || strlen(h.path) >= sizeof(h.path) ||
		    h.content_length < -1)
			abort();
		if (h.auth != NULL && (h.auth < p || h.auth + h.auth_len >
		    p + len))
			abort();
	}
	free(p);
	return 0;
}
