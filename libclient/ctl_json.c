/* SPDX-License-Identifier: ISC */
/*
 * ctl_json.c: JSON output helpers of p2pctl (json-c), one object per line.
 */
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>
#include <sodium.h>

#include "p2pctl.h"

void
ctl_json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

/* A string member; NULL is written as JSON null (unknown). */
void
ctl_json_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s != NULL ?
	    json_object_new_string(s) : NULL);
}

void
ctl_json_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* Milliseconds and such: three decimals, not 26.077000000000002. */
struct json_object *
ctl_json_double(double v)
{
	char	buf[64];

	snprintf(buf, sizeof(buf), "%.3f", v);
	return json_object_new_double_s(v, buf);
}

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. Neither json-c nor libsodium offers a validator.
 */
int
ctl_utf8_valid(const uint8_t *p, size_t len)
{
	size_t		i = 0, n, k;
	uint32_t	cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 1; cp = p[i] & 0x1f; min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 2; cp = p[i] & 0x0f; min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 3; cp = p[i] & 0x07; min = 0x10000;
		} else
			return 0;
		if (n > len - i - 1)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* "data" as a string, or base64 with "encoding":"base64" when not UTF-8. */
int
ctl_json_add_data(struct json_object *o, const uint8_t *data, size_t len)
{
	char	*b64;
	size_t	 blen;

	if (ctl_utf8_valid(data, len)) {
		json_object_object_add(o, "data",
		    json_object_new_string_len((const char *)data, (int)len));
		return 0;
	}
	blen = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	if ((b64 = malloc(blen)) == NULL)
		return -1;
	sodium_bin2base64(b64, blen, data, len, sodium_base64_VARIANT_ORIGINAL);
	json_object_object_add(o, "data", json_object_new_string(b64));
	json_object_object_add(o, "encoding", json_object_new_string("base64"));
	free(b64);
	return 0;
}
