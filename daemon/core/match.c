/* SPDX-License-Identifier: ISC */
/*
 * match.c: matchmaking tickets' attributes, sizes and pools (match.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "match.h"
#include "wire.h"

int
match_attr_set(struct match_attr *out, const char *key, const char *value,
    size_t vlen, char *err, size_t errlen)
{
	size_t i;

	if (key == NULL || !p2p_name_valid(key)) {
		snprintf(err, errlen, "attribute key '%.64s': 1 to 64 "
		    "characters of [A-Za-z0-9._-]", key ? key : "");
		return -1;
	}
	if (value == NULL || vlen == 0 || vlen > MATCH_VALUE_MAX) {
		snprintf(err, errlen, "attribute %s: a value of 1 to %d bytes "
		    "is required", key, MATCH_VALUE_MAX);
		return -1;
	}
	for (i = 0; i < vlen; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f) {
			snprintf(err, errlen, "attribute %s: the value holds "
			    "a control character", key);
			return -1;
		}
	memset(out, 0, sizeof(*out));
	memcpy(out->key, key, strlen(key));
	memcpy(out->value, value, vlen);
	return 0;
}

int
match_attr_parse(const char *kv, struct match_attr *out, char *err,
    size_t errlen)
{
	const char *eq;
	char key[P2P_NAME_MAX + 1];
	size_t klen;

	if (kv == NULL || (eq = strchr(kv, '=')) == NULL) {
		snprintf(err, errlen, "attribute '%.80s': expected KEY=VALUE",
		    kv ? kv : "");
		return -1;
	}
	klen = (size_t)(eq - kv);
	if (klen == 0 || klen > P2P_NAME_MAX ||
	    !p2p_name_valid_len(kv, klen)) {
		snprintf(err, errlen, "attribute '%.80s': the key must be 1 to "
		    "64 characters of [A-Za-z0-9._-]", kv);
		return -1;
	}
	memcpy(key, kv, klen);
	key[klen] = '\0';
	return match_attr_set(out, key, eq + 1, strlen(eq + 1), err, errlen);
}

static int
match_attr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct match_attr *)a)->key,
	    ((const struct match_attr *)b)->key);
}

int
match_attrs_check(struct match_attr *a, unsigned n, char *err, size_t errlen)
{
	struct match_attr tmp;
	unsigned i;

	if (n > MATCH_ATTRS_MAX) {
		snprintf(err, errlen, "too many attributes (%u; at most %d, "
		    "the token's included)", n, MATCH_ATTRS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (match_attr_set(&tmp, a[i].key, a[i].value,
		    strnlen(a[i].value, sizeof(a[i].value)), err, errlen) ==
		    -1)
			return -1;
	if (n > 1)
		qsort(a, n, sizeof(*a), match_attr_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(a[i - 1].key, a[i].key) == 0) {
			snprintf(err, errlen, "attribute %s is given twice",
			    a[i].key);
			return -1;
		}
	return 0;
}

int
match_attrs_vouch(struct match_attr *a, unsigned *n,
    const struct match_attr *v, unsigned nv, char *err, size_t errlen)
{
	struct match_attr all[2 * MATCH_ATTRS_MAX];
	unsigned i, j, k = 0;

	if (*n > MATCH_ATTRS_MAX || nv > MATCH_ATTRS_MAX) {
		snprintf(err, errlen, "too many attributes (at most %d)",
		    MATCH_ATTRS_MAX);
		return -1;
	}
	for (j = 0; j < nv; j++)
		all[k++] = v[j];
	for (i = 0; i < *n; i++) {
		for (j = 0; j < nv; j++)
			if (strcmp(a[i].key, v[j].key) == 0)
				break;
		if (j == nv)
			all[k++] = a[i];	/* not vouched for: kept */
	}
	if (k > MATCH_ATTRS_MAX) {
		snprintf(err, errlen, "too many attributes (%u; at most %d, "
		    "the token's included)", k, MATCH_ATTRS_MAX);
		return -1;
	}
	if (match_attrs_check(all, k, err, errlen) == -1)
		return -1;
	memcpy(a, all, k * sizeof(*a));
	*n = k;
	return 0;
}

int
match_attrs_equal(const struct match_attr *a, unsigned na,
    const struct match_attr *b, unsigned nb)
{
	unsigned i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i].key, b[i].key) != 0 ||
		    strcmp(a[i].value, b[i].value) != 0)
			return 0;
	return 1;
}

void
match_pool_id(const struct match_attr *a, unsigned n, unsigned size,
    char out[MATCH_POOL_HEX + 1])
{
	crypto_generichash_state st;
	uint8_t h[MATCH_POOL_HEX / 2], sz[4];
	unsigned i;

	sz[0] = (uint8_t)(size >> 24);
	sz[1] = (uint8_t)(size >> 16);
	sz[2] = (uint8_t)(size >> 8);
	sz[3] = (uint8_t)size;
	crypto_generichash_init(&st, (const uint8_t *)"p2pd-match-pool", 15,
	    sizeof(h));
	crypto_generichash_update(&st, sz, sizeof(sz));
	/* Keys and values end with their NUL: the encoding is unambiguous. */
	for (i = 0; i < n && i < MATCH_ATTRS_MAX; i++) {
		crypto_generichash_update(&st, (const uint8_t *)a[i].key,
		    strlen(a[i].key) + 1);
		crypto_generichash_update(&st, (const uint8_t *)a[i].value,
		    strlen(a[i].value) + 1);
	}
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, MATCH_POOL_HEX + 1, h, sizeof(h));
}

int
match_size_check(long long size, char *err, size_t errlen)
{
	if (size >= MATCH_SIZE_MIN && size <= MATCH_SIZE_MAX)
		return 0;
	snprintf(err, errlen, "size %lld: a match is %d to %d devices", size,
	    MATCH_SIZE_MIN, MATCH_SIZE_MAX);
	return -1;
}

int
match_timeout_check(long long timeout_s, char *err, size_t errlen)
{
	if (timeout_s >= 1 && timeout_s <= MATCH_TIMEOUT_MAX)
		return 0;
	snprintf(err, errlen, "timeout %lld: 1 to %d seconds", timeout_s,
	    MATCH_TIMEOUT_MAX);
	return -1;
}
