/* SPDX-License-Identifier: ISC */
/*
 * token.c: registration tokens, minted and verified (docs/PROTOCOL.md §5).
 * See token.h for the format and the order of the checks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "token.h"
#include "wire.h"

#define TOKEN_PREFIX_LEN	(sizeof(TOKEN_PREFIX) - 1)
/* version, issued_at, expires_at, id_len, peer_id, n_groups, groups, keys,
 * attributes */
#define TOKEN_BODY_MAX	(1 + 8 + 8 + 1 + P2P_NAME_MAX + 1 + \
			    TOKEN_MAX_GROUPS * (1 + P2P_NAME_MAX) + 1 + \
			    TOKEN_MAX_KEYS * TOKEN_KEY_LEN + 1 + \
			    MATCH_ATTRS_MAX * (2 + P2P_NAME_MAX + MATCH_VALUE_MAX))
#define TOKEN_BODY_MIN	(1 + 8 + 8 + 1 + 1 + 1)
#define TOKEN_BIN_MAX	(TOKEN_BODY_MAX + TOKEN_MAC_LEN)
#define TOKEN_B64	sodium_base64_VARIANT_URLSAFE_NO_PADDING

static void
token_mac(const uint8_t *key, size_t keylen, const uint8_t *body, size_t len,
    uint8_t mac[TOKEN_MAC_LEN])
{
	crypto_auth_hmacsha256_state	st;

	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

const char *
token_err_str(enum token_err e)
{
	switch (e) {
	case TOKEN_OK:
		return "ok";
	case TOKEN_MALFORMED:
		return "malformed";
	case TOKEN_BAD_MAC:
		return "bad MAC";
	case TOKEN_BAD_VERSION:
		return "unsupported version";
	case TOKEN_EXPIRED:
		return "expired";
	case TOKEN_NOT_YET_VALID:
		return "not yet valid";
	}
	return "unknown error";
}

static void
token_put_name(struct wr *w, const char *s)
{
	size_t	len = strlen(s);

	wr_u8(w, (uint8_t)len);
	wr_bytes(w, s, len);
}

int
token_mint(const struct token *t, const uint8_t *key, size_t keylen,
    char *out, size_t cap)
{
	uint8_t		bin[TOKEN_BIN_MAX];
	struct wr	w;
	size_t		b64len;
	unsigned	i;

	if (t == NULL || key == NULL || out == NULL ||
	    !p2p_name_valid(t->peer_id) || t->ngroups > TOKEN_MAX_GROUPS ||
	    t->expires_at <= t->issued_at || t->nkeys > TOKEN_MAX_KEYS ||
	    (t->version < 2 && t->nkeys > 0) || t->nattrs > MATCH_ATTRS_MAX ||
	    (t->version < TOKEN_VERSION_ATTRS && t->nattrs > 0))
		return -1;
	for (i = 0; i < t->nattrs; i++)
		if (!p2p_name_valid(t->attrs[i].key) ||
		    strlen(t->attrs[i].value) == 0)
			return -1;
	for (i = 0; i < t->ngroups; i++)
		if (!p2p_name_valid(t->groups[i]))
			return -1;

	wr_init(&w, bin, sizeof(bin));
	wr_u8(&w, t->version);
	wr_u64(&w, t->issued_at);
	wr_u64(&w, t->expires_at);
	token_put_name(&w, t->peer_id);
	wr_u8(&w, (uint8_t)t->ngroups);
	for (i = 0; i < t->ngroups; i++)
		token_put_name(&w, t->groups[i]);
	if (t->version >= 2) {
		wr_u8(&w, (uint8_t)t->nkeys);
		for (i = 0; i < t->nkeys; i++)
			wr_bytes(&w, t->keys[i], TOKEN_KEY_LEN);
	}
	if (t->version >= TOKEN_VERSION_ATTRS) {
		wr_u8(&w, (uint8_t)t->nattrs);
		for (i = 0; i < t->nattrs; i++) {
			token_put_name(&w, t->attrs[i].key);
			token_put_name(&w, t->attrs[i].value);
		}
	}
	if (w.err || wr_left(&w) < TOKEN_MAC_LEN)
		return -1;
	token_mac(key, keylen, bin, w.off, bin + w.off);
	w.off += TOKEN_MAC_LEN;

	/* Encoded length including its NUL; the whole token is capped. */
	b64len = sodium_base64_ENCODED_LEN(w.off, TOKEN_B64);
	if (TOKEN_PREFIX_LEN + b64len - 1 > TOKEN_MAX_LEN ||
	    TOKEN_PREFIX_LEN + b64len > cap)
		return -1;
	memcpy(out, TOKEN_PREFIX, TOKEN_PREFIX_LEN);
	sodium_bin2base64(out + TOKEN_PREFIX_LEN, b64len, bin, w.off,
	    TOKEN_B64);
	return (int)(TOKEN_PREFIX_LEN + b64len - 1);
}

/* A length-prefixed name into dst (65 bytes); -1 if absent or invalid. */
static int
token_get_name(struct rd *r, char dst[P2P_NAME_MAX + 1])
{
	const uint8_t	*p;
	uint8_t		 len;

	len = rd_u8(r);
	if ((p = rd_bytes(r, len)) == NULL ||
	    !p2p_name_valid_len((const char *)p, len))
		return -1;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return 0;
}

/* Version 3's attributes: each valid (match.h), no key twice. */
static int
token_get_attrs(struct rd *r, struct token *t, char *err, size_t errlen)
{
	char		 key[P2P_NAME_MAX + 1], why[160];
	const uint8_t	*p;
	uint8_t		 len;
	unsigned	 i;

	t->nattrs = rd_u8(r);
	if (r->err || t->nattrs > MATCH_ATTRS_MAX) {
		snprintf(err, errlen, "token has more than %d attributes",
		    MATCH_ATTRS_MAX);
		return -1;
	}
	for (i = 0; i < t->nattrs; i++) {
		if (token_get_name(r, key) == -1) {
			snprintf(err, errlen, "token attribute %u has an "
			    "invalid key", i + 1);
			return -1;
		}
		len = rd_u8(r);
		if ((p = rd_bytes(r, len)) == NULL ||
		    match_attr_set(&t->attrs[i], key, (const char *)p, len,
		    why, sizeof(why)) == -1) {
			snprintf(err, errlen, "token %s", p == NULL ?
			    "attribute value cut short" : why);
			return -1;
		}
	}
	if (match_attrs_check(t->attrs, t->nattrs, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "token %s", why);
		return -1;
	}
	return 0;
}

static enum token_err
token_body_parse(const uint8_t *body, size_t len, struct token *t,
    char *err, size_t errlen)
{
	struct rd	r;
	unsigned	i;

	memset(t, 0, sizeof(*t));
	rd_init(&r, body, len);
	t->version = rd_u8(&r);
	t->issued_at = rd_u64(&r);
	t->expires_at = rd_u64(&r);
	if (token_get_name(&r, t->peer_id) == -1) {
		snprintf(err, errlen, "token has an invalid peer id");
		return TOKEN_MALFORMED;
	}
	t->ngroups = rd_u8(&r);
	if (r.err || t->ngroups > TOKEN_MAX_GROUPS) {
		snprintf(err, errlen, "token has more than %d groups",
		    TOKEN_MAX_GROUPS);
		return TOKEN_MALFORMED;
	}
	for (i = 0; i < t->ngroups; i++) {
		if (token_get_name(&r, t->groups[i]) == -1) {
			snprintf(err, errlen, "token group %u is invalid", i + 1);
			return TOKEN_MALFORMED;
		}
	}
	if (t->version >= 2) {
		t->nkeys = rd_u8(&r);
		if (r.err || t->nkeys > TOKEN_MAX_KEYS) {
			snprintf(err, errlen, "token has more than %d server "
			    "keys", TOKEN_MAX_KEYS);
			return TOKEN_MALFORMED;
		}
		for (i = 0; i < t->nkeys; i++)
			if (rd_copy(&r, t->keys[i], TOKEN_KEY_LEN) != 0) {
				snprintf(err, errlen, "token server key %u is "
				    "cut short", i + 1);
				return TOKEN_MALFORMED;
			}
	}
	if (t->version >= TOKEN_VERSION_ATTRS &&
	    token_get_attrs(&r, t, err, errlen) == -1)
		return TOKEN_MALFORMED;
	if (r.err || rd_left(&r) != 0) {
		snprintf(err, errlen, "token body has %zu trailing bytes",
		    rd_left(&r));
		return TOKEN_MALFORMED;
	}
	if (t->expires_at <= t->issued_at) {
		snprintf(err, errlen, "token expires_at (%" PRIu64 ") is not "
		    "after its issued_at (%" PRIu64 ")", t->expires_at,
		    t->issued_at);
		return TOKEN_MALFORMED;
	}
	return TOKEN_OK;
}

static enum token_err
token_check_time(const struct token *t, uint64_t now, char *err,
    size_t errlen)
{
	if (t->issued_at > now && t->issued_at - now > TOKEN_SKEW_S) {
		snprintf(err, errlen, "token is not valid yet: issued %" PRIu64
		    " s in the future (%d s of clock skew allowed)",
		    t->issued_at - now, TOKEN_SKEW_S);
		return TOKEN_NOT_YET_VALID;
	}
	if (now >= TOKEN_SKEW_S && t->expires_at <= now - TOKEN_SKEW_S) {
		snprintf(err, errlen, "token expired %" PRIu64 " s ago",
		    now - t->expires_at);
		return TOKEN_EXPIRED;
	}
	return TOKEN_OK;
}

/* Decodes s into bin; returns the decoded length or -1 with err set. */
static int
token_decode(const char *s, uint8_t *bin, size_t cap, char *err,
    size_t errlen)
{
	const char	*end;
	size_t		 slen, b64len, binlen;

	if (s == NULL) {
		snprintf(err, errlen, "no token");
		return -1;
	}
	slen = strnlen(s, TOKEN_MAX_LEN + 1);
	if (slen > TOKEN_MAX_LEN) {
		snprintf(err, errlen, "token is longer than %d characters",
		    TOKEN_MAX_LEN);
		return -1;
	}
	if (slen < TOKEN_PREFIX_LEN ||
	    memcmp(s, TOKEN_PREFIX, TOKEN_PREFIX_LEN) != 0) {
		snprintf(err, errlen, "token does not start with \"%s\"",
		    TOKEN_PREFIX);
		return -1;
	}
	b64len = slen - TOKEN_PREFIX_LEN;
	if (sodium_base642bin(bin, cap, s + TOKEN_PREFIX_LEN, b64len, NULL,
	    &binlen, &end, TOKEN_B64) != 0 ||
	    end != s + TOKEN_PREFIX_LEN + b64len) {
		snprintf(err, errlen, "token is not valid base64url");
		return -1;
	}
	if (binlen == 0) {
		snprintf(err, errlen, "token is empty");
		return -1;
	}
	return (int)binlen;
}

/*
 * Decode s into bin and check its size and version: the body's length
 * (without the MAC) in *len. who names the reader in the version error.
 */
static enum token_err
token_open(const char *s, uint8_t *bin, size_t cap, size_t *len,
    const char *who, char *err, size_t errlen)
{
	int n;

	if ((n = token_decode(s, bin, cap, err, errlen)) == -1)
		return TOKEN_MALFORMED;
	if ((size_t)n < TOKEN_BODY_MIN + TOKEN_MAC_LEN) {
		snprintf(err, errlen, "token is too short (%d bytes)", n);
		return TOKEN_MALFORMED;
	}
	/*
	 * The version first: another version may lay out (and MAC) its body
	 * differently, and its holder deserves to hear which versions clash.
	 */
	if (bin[0] < TOKEN_VERSION_MIN || bin[0] > TOKEN_VERSION_MAX) {
		snprintf(err, errlen, "token version %u is not supported "
		    "(this %s understands versions %d to %d)", bin[0], who,
		    TOKEN_VERSION_MIN, TOKEN_VERSION_MAX);
		return TOKEN_BAD_VERSION;
	}
	*len = (size_t)n - TOKEN_MAC_LEN;
	return TOKEN_OK;
}

enum token_err
token_verify(const char *s, const uint8_t *key, size_t keylen,
    uint64_t now_unix, struct token *out, char *err, size_t errlen)
{
	/* The decoder may write a little past the largest valid body. */
	uint8_t		bin[TOKEN_MAX_LEN], mac[TOKEN_MAC_LEN];
	struct token	t;
	enum token_err	e;
	char		dummy[1];
	size_t		len;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if ((e = token_open(s, bin, sizeof(bin), &len, "server", err,
	    errlen)) != TOKEN_OK)
		return e;
	if (key == NULL) {
		snprintf(err, errlen, "no token secret");
		return TOKEN_BAD_MAC;
	}
	token_mac(key, keylen, bin, len, mac);
	if (sodium_memcmp(mac, bin + len, TOKEN_MAC_LEN) != 0) {
		snprintf(err, errlen, "token MAC does not verify (forged, "
		    "or minted with another secret)");
		return TOKEN_BAD_MAC;
	}
	if ((e = token_body_parse(bin, len, &t, err, errlen)) != TOKEN_OK)
		return e;
	if ((e = token_check_time(&t, now_unix, err, errlen)) != TOKEN_OK)
		return e;
	if (out != NULL)
		*out = t;
	return TOKEN_OK;
}

enum token_err
token_peek(const char *s, struct token *out, char *err, size_t errlen)
{
	uint8_t		bin[TOKEN_MAX_LEN];
	enum token_err	e;
	char		dummy[1];
	size_t		len;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if ((e = token_open(s, bin, sizeof(bin), &len, "agent", err,
	    errlen)) != TOKEN_OK)
		return e;
	return token_body_parse(bin, len, out, err, errlen);
}

int
token_secret_parse(const uint8_t *file_bytes, size_t len, uint8_t *key,
    size_t *keylen, char *err, size_t errlen)
{
	char	dummy[1];

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (file_bytes == NULL)
		len = 0;
	while (len > 0 && (file_bytes[len - 1] == ' ' ||
	    file_bytes[len - 1] == '\t' || file_bytes[len - 1] == '\r' ||
	    file_bytes[len - 1] == '\n'))
		len--;
	if (len < TOKEN_SECRET_MIN || len > TOKEN_SECRET_MAX) {
		snprintf(err, errlen, "secret is %zu bytes (without trailing "
		    "whitespace); it must be %d to %d bytes", len,
		    TOKEN_SECRET_MIN, TOKEN_SECRET_MAX);
		return -1;
	}
	memcpy(key, file_bytes, len);
	*keylen = len;
	return 0;
}
