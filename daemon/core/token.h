/* SPDX-License-Identifier: ISC */
/*
 * token.h: registration tokens (docs/PROTOCOL.md §5).
 *
 *   token = "p2pt." || base64url_nopad(body || HMAC-SHA-256(secret, body))
 *   body  = version u8 | issued_at u64 | expires_at u64 | id_len u8 | peer_id
 *           | n_groups u8 | n_groups x (len u8 | group)
 *           [version 2: | n_keys u8 | n_keys x server key[32]]
 *           [version 3: | n_attrs u8 | n_attrs x (key_len u8 | key
 *                                      | value_len u8 | value)]
 *
 * Version 2 carries the server's public keys (PROTOCOL.md §2.1), so a device
 * that gets a token also learns whom to trust; version 1 is still accepted.
 * Version 3 adds the matchmaking attributes the backend vouches for
 * (PROTOCOL.md §7.1: they override what the device claims); a token is
 * minted as version 3 only when it carries attributes, so agents and
 * servers that know version 2 keep reading every other token.
 *
 * Tokens are MAC'd, not encrypted: anyone holding one can read it. The secret
 * is shared between the server and the backends that mint tokens; any key
 * length works (HMAC), the secret file rules are token_secret_parse()'s.
 *
 * token_verify() takes untrusted text and checks, in this order: size,
 * prefix, base64url, version (before the MAC: another version may MAC its
 * body differently, and its holder should hear which versions clash), MAC
 * (constant time), body layout (strict: valid names, nothing may trail the
 * groups or keys), expires_at > issued_at, validity window with TOKEN_SKEW_S
 * of clock skew. On failure err
 * receives a message fit for a log line or an error reply; on success out
 * holds the fields. The whole token is at most TOKEN_MAX_LEN characters, so
 * token_mint() refuses fields that would not fit (32 groups of 64 characters
 * do not).
 * Time is passed in (wall-clock Unix seconds): nothing here reads a clock.
 */
#ifndef P2P_TOKEN_H
#define P2P_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "match.h"

#define TOKEN_VERSION		2	/* minted; 1 to 3 are accepted */
#define TOKEN_VERSION_ATTRS	3	/* minted when attributes are given */
#define TOKEN_VERSION_MIN	1
#define TOKEN_VERSION_MAX	3
#define TOKEN_MAX_KEYS		2	/* server keys: current and next */
#define TOKEN_KEY_LEN		32
#define TOKEN_MAX_LEN		2048	/* characters, prefix included */
#define TOKEN_MAX_GROUPS	32
#define TOKEN_SKEW_S		60
#define TOKEN_PREFIX		"p2pt."
#define TOKEN_MAC_LEN		32
#define TOKEN_SECRET_MIN	32
#define TOKEN_SECRET_MAX	1024

struct token {
	uint8_t		version;
	uint64_t	issued_at;
	uint64_t	expires_at;
	char		peer_id[65];
	unsigned	ngroups;
	char		groups[TOKEN_MAX_GROUPS][65];
	unsigned	nkeys;		/* version 2 only */
	uint8_t		keys[TOKEN_MAX_KEYS][TOKEN_KEY_LEN];
	unsigned	nattrs;		/* version 3 only: sorted, checked */
	struct match_attr attrs[MATCH_ATTRS_MAX];
};

enum token_err {
	TOKEN_OK,
	TOKEN_MALFORMED,
	TOKEN_BAD_MAC,
	TOKEN_BAD_VERSION,
	TOKEN_EXPIRED,
	TOKEN_NOT_YET_VALID
};

/*
 * Mint a token from t (t->version is written as given, so tests can mint
 * other versions; use TOKEN_VERSION). Checks the names, the group count,
 * the key count (none in version 1) and expires_at > issued_at. Writes a
 * NUL-terminated string into out; returns its length (without the NUL) or
 * -1 (bad fields, or cap too small).
 */
int		token_mint(const struct token *t, const uint8_t *key,
		    size_t keylen, char *out, size_t cap)
		    __attribute__((warn_unused_result));

enum token_err	token_verify(const char *s, const uint8_t *key, size_t keylen,
		    uint64_t now_unix, struct token *out, char *err,
		    size_t errlen) __attribute__((warn_unused_result));

/*
 * What a holder can read of its own token without the secret: the body's
 * fields (the same checks as token_verify but the MAC and the clock).
 * The agent learns its peer id and the server keys from it.
 */
enum token_err	token_peek(const char *s, struct token *out, char *err,
		    size_t errlen) __attribute__((warn_unused_result));

/* A short name for an error code ("expired", "bad MAC", ...). */
const char	*token_err_str(enum token_err e);

/*
 * The secret from a secret file's bytes: trailing spaces, tabs, CR and LF
 * removed; the rest must be 32..1024 bytes. key must hold TOKEN_SECRET_MAX
 * bytes. 0, or -1 with a message in err.
 */
int		token_secret_parse(const uint8_t *file_bytes, size_t len,
		    uint8_t *key, size_t *keylen, char *err, size_t errlen)
		    __attribute__((warn_unused_result));

#endif /* P2P_TOKEN_H */
