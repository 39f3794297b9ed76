/* SPDX-License-Identifier: ISC */
/*
 * test_token.c: registration tokens (docs/PROTOCOL.md §5): round trip,
 * forgery, versions, validity window, names, sizes, secret files, and a
 * fixed vector computed outside this code.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "token.h"

#define NOW	1700000000ULL

static const uint8_t	key[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN	32

static struct token
sample(void)
{
	struct token	t;

	memset(&t, 0, sizeof(t));
	t.version = TOKEN_VERSION;
	t.issued_at = NOW;
	t.expires_at = NOW + 3600;
	strcpy(t.peer_id, "alice");
	t.ngroups = 2;
	strcpy(t.groups[0], "team");
	strcpy(t.groups[1], "ops");
	return t;
}

static void
mint(const struct token *t, char *out, size_t cap)
{
	int	n = token_mint(t, key, KEYLEN, out, cap);

	cr_assert_gt(n, 0, "mint failed");
	cr_assert_eq((size_t)n, strlen(out));
}

/* Encode raw bytes as a token string, as a backend in another language would. */
static void
encode(const uint8_t *bin, size_t len, char *out, size_t cap)
{
	cr_assert_lt(5 + sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING), cap);
	memcpy(out, "p2pt.", 5);
	sodium_bin2base64(out + 5, cap - 5, bin, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* body || HMAC(key, body), encoded. */
static void
encode_mac(uint8_t *bin, size_t blen, char *out, size_t cap)
{
	crypto_auth_hmacsha256_state	st;

	crypto_auth_hmacsha256_init(&st, key, KEYLEN);
	crypto_auth_hmacsha256_update(&st, bin, blen);
	crypto_auth_hmacsha256_final(&st, bin + blen);
	encode(bin, blen + 32, out, cap);
}

Test(token, round_trip)
{
	struct token	t = sample(), got;
	char		s[TOKEN_MAX_LEN + 1], err[256];

	mint(&t, s, sizeof(s));
	cr_assert_eq(strncmp(s, "p2pt.", 5), 0);
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, &got, err,
	    sizeof(err)), TOKEN_OK, "%s", err);
	cr_assert_eq(got.version, TOKEN_VERSION);
	cr_assert_eq(got.issued_at, NOW);
	cr_assert_eq(got.expires_at, NOW + 3600);
	cr_assert_str_eq(got.peer_id, "alice");
	cr_assert_eq(got.ngroups, 2);
	cr_assert_str_eq(got.groups[0], "team");
	cr_assert_str_eq(got.groups[1], "ops");

	t.ngroups = 0;
	mint(&t, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, &got, err,
	    sizeof(err)), TOKEN_OK, "%s", err);
	cr_assert_eq(got.ngroups, 0);
}

/*
 * Computed independently of this code with OpenSSL and coreutils:
 *   BODY=01000000006553f100000000006553ff1005616c69636502047465616d036f7073
 *   echo -n $BODY | xxd -r -p > body.bin
 *   openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef -binary \
 *       body.bin > mac.bin
 *   echo "p2pt.$(cat body.bin mac.bin | basenc --base64url | tr -d '=\n')"
 * (version 1, issued 1700000000, expires 1700003600, "alice", "team", "ops")
 */
Test(token, fixed_vector)
{
	static const char	*want = "p2pt.AQAAAABlU_EAAAAAAGVT_xAFYWxpY2UCBH"
	    "RlYW0Db3BzDWaPNU73HuKRbGF18iPcZZeLR5av4zcb2SqeG5ytYY8";
	struct token		 t = sample(), got;
	char			 s[TOKEN_MAX_LEN + 1];

	t.version = 1;
	mint(&t, s, sizeof(s));
	cr_assert_str_eq(s, want);
	cr_assert_eq(token_verify(want, key, KEYLEN, NOW + 10, &got, NULL, 0),
	    TOKEN_OK);
	cr_assert_str_eq(got.peer_id, "alice");
	cr_assert_eq(got.nkeys, 0);
}

/*
 * Version 2 with two server keys (32 x 0x11, 32 x 0x22), computed as
 * above with
 *   BODY=02000000006553f100000000006553ff1005616c69636502047465616d036f7073
 *        02 1111...11 (32 bytes) 2222...22 (32 bytes)
 */
Test(token, fixed_vector_v2_keys)
{
	static const char	*want = "p2pt.AgAAAABlU_EAAAAAAGVT_xAFYWxpY2UCB"
	    "HRlYW0Db3BzAhERERERERERERERERERERERERERERERERERERERERERIiIiIiIiI"
	    "iIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiKY818r_lDMZr60XAktjcNfFvLMjBb0n"
	    "l5CKRjL1b60rw";
	struct token		 t = sample(), got, peek;
	char			 s[TOKEN_MAX_LEN + 1], err[256];

	t.nkeys = 2;
	memset(t.keys[0], 0x11, 32);
	memset(t.keys[1], 0x22, 32);
	mint(&t, s, sizeof(s));
	cr_assert_str_eq(s, want);
	cr_assert_eq(token_verify(want, key, KEYLEN, NOW + 10, &got, err,
	    sizeof(err)), TOKEN_OK, "%s", err);
	cr_assert_eq(got.version, 2);
	cr_assert_eq(got.nkeys, 2);
	cr_assert_eq(got.keys[0][31], 0x11);
	cr_assert_eq(got.keys[1][0], 0x22);
	/* The holder reads the same without the secret. */
	cr_assert_eq(token_peek(want, &peek, err, sizeof(err)), TOKEN_OK,
	    "%s", err);
	cr_assert_str_eq(peek.peer_id, "alice");
	cr_assert_eq(peek.nkeys, 2);
	cr_assert(memcmp(peek.keys, got.keys, sizeof(got.keys)) == 0);
	/* Version 1 has no room for keys. */
	t.version = 1;
	cr_assert_eq(token_mint(&t, key, KEYLEN, s, sizeof(s)), -1);
	t.version = 2;
	t.nkeys = TOKEN_MAX_KEYS + 1;
	cr_assert_eq(token_mint(&t, key, KEYLEN, s, sizeof(s)), -1);
}

/* A key cut short, too many keys, or bytes after them: malformed. */
Test(token, v2_keys_malformed)
{
	uint8_t		bin[512];
	size_t		blen;
	char		s[TOKEN_MAX_LEN + 1], err[256];
	struct token	t = sample(), peek;

	t.nkeys = 1;
	memset(t.keys[0], 0x33, 32);
	mint(&t, s, sizeof(s));
	cr_assert_eq(sodium_base642bin(bin, sizeof(bin), s + 5, strlen(s + 5),
	    NULL, &blen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	blen -= 32;				/* the body */
	encode_mac(bin, blen - 1, s, sizeof(s));	/* key cut short */
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
	cr_assert(strstr(err, "cut short") != NULL, "%s", err);
	cr_assert_eq(token_peek(s, &peek, err, sizeof(err)), TOKEN_MALFORMED);
	bin[blen - 33] = 3;			/* n_keys 3 */
	encode_mac(bin, blen, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
	cr_assert(strstr(err, "server keys") != NULL, "%s", err);
	bin[blen - 33] = 1;
	bin[blen] = 0;				/* a trailing byte */
	encode_mac(bin, blen + 1, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
	cr_assert(strstr(err, "trailing") != NULL, "%s", err);
}

/* expires_at <= issued_at is refused even with a valid MAC (§5). */
Test(token, expiry_not_after_issue_is_malformed)
{
	struct token	t = sample();
	uint8_t		bin[512];
	size_t		blen;
	char		s[TOKEN_MAX_LEN + 1], err[256];

	mint(&t, s, sizeof(s));
	cr_assert_eq(sodium_base642bin(bin, sizeof(bin), s + 5, strlen(s + 5),
	    NULL, &blen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	memcpy(bin + 9, bin + 1, 8);		/* expires_at = issued_at */
	encode_mac(bin, blen - 32, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
	cr_assert(strstr(err, "not after") != NULL, "%s", err);
	bin[15] -= 1;				/* 256 s before */
	encode_mac(bin, blen - 32, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
}

Test(token, any_flipped_bit_is_rejected)
{
	struct token	t = sample();
	char		s[TOKEN_MAX_LEN + 1], err[256];
	size_t		i, len;
	int		b;
	enum token_err	e;

	mint(&t, s, sizeof(s));
	len = strlen(s);
	for (i = 0; i < len; i++) {
		for (b = 0; b < 7; b++) {
			s[i] ^= (char)(1 << b);
			e = token_verify(s, key, KEYLEN, NOW, NULL, err,
			    sizeof(err));
			cr_assert_neq(e, TOKEN_OK, "char %zu bit %d", i, b);
			cr_assert_neq(err[0], '\0', "no message");
			s[i] ^= (char)(1 << b);
		}
	}
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, NULL, 0),
	    TOKEN_OK);
}

Test(token, forged_mac_and_wrong_key)
{
	struct token	t = sample();
	uint8_t		other[KEYLEN];
	char		s[TOKEN_MAX_LEN + 1], err[256];
	uint8_t		bin[512];
	size_t		blen;

	mint(&t, s, sizeof(s));
	memcpy(other, key, KEYLEN);
	other[0] ^= 1;
	cr_assert_eq(token_verify(s, other, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_BAD_MAC);
	cr_assert(strstr(err, "MAC") != NULL, "%s", err);
	/* a shorter key is a different key */
	cr_assert_eq(token_verify(s, key, KEYLEN - 1, NOW, NULL, err,
	    sizeof(err)), TOKEN_BAD_MAC);

	/* change the peer id but keep the old MAC */
	cr_assert_eq(sodium_base642bin(bin, sizeof(bin), s + 5, strlen(s + 5),
	    NULL, &blen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	bin[19] = 'A';	/* "alice" -> "Alice" */
	encode(bin, blen, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_BAD_MAC);
}

Test(token, other_version_names_both)
{
	struct token	t = sample();
	uint8_t		bin[512];
	size_t		blen;
	char		s[TOKEN_MAX_LEN + 1], err[256];

	mint(&t, s, sizeof(s));
	cr_assert_eq(sodium_base642bin(bin, sizeof(bin), s + 5, strlen(s + 5),
	    NULL, &blen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	bin[0] = 4;	/* a version 4 body, correctly MAC'd */
	encode_mac(bin, blen - 32, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_BAD_VERSION);
	cr_assert_str_eq(err, "token version 4 is not supported "
	    "(this server understands versions 1 to 3)");
	bin[0] = 0;
	encode_mac(bin, blen - 32, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_BAD_VERSION);

	/* token_mint writes what it is given: the same through the minter */
	t.version = 4;
	mint(&t, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_BAD_VERSION);
}

Test(token, validity_window_with_skew)
{
	struct token	t = sample();
	char		s[TOKEN_MAX_LEN + 1], err[256];

	t.issued_at = NOW;
	t.expires_at = NOW + 100;
	mint(&t, s, sizeof(s));
	/* issued_at <= now + 60 */
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW - 60, NULL, err,
	    sizeof(err)), TOKEN_OK, "%s", err);
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW - 61, NULL, err,
	    sizeof(err)), TOKEN_NOT_YET_VALID);
	cr_assert(strstr(err, "61 s in the future") != NULL, "%s", err);
	/* expires_at > now - 60 */
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW + 159, NULL, err,
	    sizeof(err)), TOKEN_OK, "%s", err);
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW + 160, NULL, err,
	    sizeof(err)), TOKEN_EXPIRED);
	cr_assert_str_eq(err, "token expired 60 s ago");
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW + 220, NULL, err,
	    sizeof(err)), TOKEN_EXPIRED);
	cr_assert_str_eq(err, "token expired 120 s ago");

	/* no overflow near the ends of the range */
	t.issued_at = 0;
	t.expires_at = UINT64_MAX;
	mint(&t, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, 0, NULL, NULL, 0), TOKEN_OK);
	cr_assert_eq(token_verify(s, key, KEYLEN, UINT64_MAX, NULL, NULL, 0),
	    TOKEN_OK);
}

Test(token, mint_validates_fields)
{
	struct token	t = sample();
	char		s[TOKEN_MAX_LEN + 1];
	unsigned	i;

	strcpy(t.peer_id, "bad id");
	cr_assert_eq(token_mint(&t, key, KEYLEN, s, sizeof(s)), -1);
	t.peer_id[0] = '\0';
	cr_assert_eq(token_mint(&t, key, KEYLEN, s, sizeof(s)), -1);
	memset(t.peer_id, 'a', 64);
	t.peer_id[64] = '\0';
	cr_assert_gt(token_mint(&t, key, KEYLEN, s, sizeof(s)), 0);

	t = sample();
	strcpy(t.groups[1], "no/slash");
	cr_assert_eq(token_mint(&t, key, KEYLEN, s, sizeof(s)), -1);
	t = sample();
	t.ngroups = TOKEN_MAX_GROUPS + 1;
	for (i = 0; i < t.ngroups && i < TOKEN_MAX_GROUPS; i++)
		snprintf(t.groups[i], sizeof(t.groups[i]), "g%u", i);
	cr_assert_eq(token_mint(&t, key, KEYLEN, s, sizeof(s)), -1);
	t.ngroups = TOKEN_MAX_GROUPS;
	cr_assert_gt(token_mint(&t, key, KEYLEN, s, sizeof(s)), 0);

	t = sample();
	t.expires_at = t.issued_at;
	cr_assert_eq(token_mint(&t, key, KEYLEN, s, sizeof(s)), -1);

	/* out too small by one for the NUL */
	t = sample();
	mint(&t, s, sizeof(s));
	cr_assert_eq(token_mint(&t, key, KEYLEN, s, strlen(s)), -1);
	cr_assert_eq(token_mint(&t, key, KEYLEN, s, strlen(s) + 1),
	    (int)strlen(s));
}

Test(token, oversized_is_refused)
{
	struct token	t = sample();
	char		s[4096], err[256];
	unsigned	i;

	/* 32 groups of 64 characters do not fit in 2048 characters */
	t.ngroups = TOKEN_MAX_GROUPS;
	for (i = 0; i < TOKEN_MAX_GROUPS; i++) {
		memset(t.groups[i], 'a' + (i % 26), 64);
		t.groups[i][64] = '\0';
	}
	cr_assert_eq(token_mint(&t, key, KEYLEN, s, sizeof(s)), -1);

	memset(s, 'A', sizeof(s));
	memcpy(s, "p2pt.", 5);
	s[TOKEN_MAX_LEN + 1] = '\0';
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
	cr_assert(strstr(err, "longer than 2048") != NULL, "%s", err);
}

Test(token, too_many_groups_in_a_macd_body)
{
	uint8_t	bin[1024];
	char	s[TOKEN_MAX_LEN + 1], err[256];
	size_t	off = 0, i;

	bin[off++] = 1;
	memset(bin + off, 0, 16);
	bin[off + 7] = 1;		/* issued_at 1 */
	bin[off + 15] = 0xff;		/* expires_at far ahead */
	bin[off + 8] = 0x7f;
	off += 16;
	bin[off++] = 1;
	bin[off++] = 'x';
	bin[off++] = 33;
	for (i = 0; i < 33; i++) {
		bin[off++] = 1;
		bin[off++] = 'g';
	}
	encode_mac(bin, off, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
	cr_assert(strstr(err, "more than 32 groups") != NULL, "%s", err);

	/* the same with 32 is fine */
	bin[off - 67] = 32;
	encode_mac(bin, off - 2, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_OK, "%s", err);
	/* a trailing byte, MAC'd */
	bin[off - 2] = 0;
	encode_mac(bin, off - 1, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
	/* an invalid group name, MAC'd */
	bin[off - 3] = '/';
	encode_mac(bin, off - 2, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
	/* an empty peer id, MAC'd */
	bin[17] = 0;
	bin[18] = 1;
	bin[19] = 1;
	bin[20] = 'g';
	encode_mac(bin, 21, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
	cr_assert_str_eq(err, "token has an invalid peer id");
}

Test(token, garbage)
{
	static const char	*bad[] = { "", "p2pt", "p2pt.", "P2PT.AAAA",
	    "p2pt.!!!!", "p2pt.AAAA=", "p2pt.AA AA", "p2pt.AAAA+/",
	    "xxxx.AQAAAABlU_EAAAAAAGVT_xAFYWxpY2UCBHRlYW0Db3BzDWaPNU73HuKRbGF",
	    "p2pt.A" };
	char			 err[256];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(token_verify(bad[i], key, KEYLEN, NOW, NULL, err,
		    sizeof(err)), TOKEN_MALFORMED, "%s", bad[i]);
		cr_assert_neq(err[0], '\0');
	}
	cr_assert_eq(token_verify(NULL, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
}

Test(token, truncated_at_every_length)
{
	struct token	t = sample();
	char		s[TOKEN_MAX_LEN + 1], cut[TOKEN_MAX_LEN + 1];
	size_t		len, k;

	mint(&t, s, sizeof(s));
	len = strlen(s);
	for (k = 0; k < len; k++) {
		memcpy(cut, s, k);
		cut[k] = '\0';
		cr_assert_neq(token_verify(cut, key, KEYLEN, NOW, NULL, NULL,
		    0), TOKEN_OK, "length %zu", k);
	}
}

Test(token, secret_file_bytes)
{
	uint8_t	k[TOKEN_SECRET_MAX], file[TOKEN_SECRET_MAX + 8];
	size_t	klen = 0;
	char	err[256];

	memcpy(file, "0123456789abcdef0123456789abcdef \t\r\n\n", 37);
	cr_assert_eq(token_secret_parse(file, 37, k, &klen, err, sizeof(err)),
	    0, "%s", err);
	cr_assert_eq(klen, 32);
	cr_assert(memcmp(k, file, 32) == 0);
	/* 31 bytes after stripping */
	cr_assert_eq(token_secret_parse(file, 31, k, &klen, err, sizeof(err)),
	    -1);
	cr_assert(strstr(err, "31 bytes") != NULL, "%s", err);
	memcpy(file, "  leading spaces are part of it!!", 33);
	cr_assert_eq(token_secret_parse(file, 33, k, &klen, err, sizeof(err)),
	    0);
	cr_assert_eq(klen, 33);
	memset(file, 'z', sizeof(file));
	cr_assert_eq(token_secret_parse(file, TOKEN_SECRET_MAX, k, &klen, err,
	    sizeof(err)), 0);
	cr_assert_eq(token_secret_parse(file, TOKEN_SECRET_MAX + 1, k, &klen,
	    err, sizeof(err)), -1);
	cr_assert_eq(token_secret_parse(NULL, 0, k, &klen, err, sizeof(err)),
	    -1);
	/* only whitespace */
	memset(file, '\n', 64);
	cr_assert_eq(token_secret_parse(file, 64, k, &klen, err, sizeof(err)),
	    -1);
}

/* Version 3: the attributes a backend vouches for (PROTOCOL.md §7.1). */
static struct token
sample_v3(void)
{
	struct token	t = sample();

	t.version = TOKEN_VERSION_ATTRS;
	t.nattrs = 2;
	strcpy(t.attrs[0].key, "region");
	strcpy(t.attrs[0].value, "eu");
	strcpy(t.attrs[1].key, "skill");
	strcpy(t.attrs[1].value, "gold 3");
	return t;
}

Test(token, v3_attributes_round_trip)
{
	struct token	t = sample_v3(), got;
	char		s[TOKEN_MAX_LEN + 1], err[256];

	mint(&t, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, &got, err,
	    sizeof(err)), TOKEN_OK, "%s", err);
	cr_assert_eq(got.version, 3);
	cr_assert_eq(got.nattrs, 2);
	cr_assert_str_eq(got.attrs[0].key, "region");
	cr_assert_str_eq(got.attrs[1].value, "gold 3");
	cr_assert_eq(got.ngroups, 2);
	/* version 2 carries none: the minter refuses to drop them */
	t.version = 2;
	cr_assert_eq(token_mint(&t, key, KEYLEN, s, sizeof(s)), -1);
}

Test(token, v3_malformed_attributes_in_a_macd_body)
{
	struct token	t = sample_v3();
	uint8_t		bin[1024];
	size_t		blen, at;
	char		s[TOKEN_MAX_LEN + 1], err[256];

	t.nattrs = 1;
	mint(&t, s, sizeof(s));
	cr_assert_eq(sodium_base642bin(bin, sizeof(bin), s + 5, strlen(s + 5),
	    NULL, &blen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	blen -= 32;
	/* body ends: n_attrs=1, 6 "region", 2 "eu" */
	at = blen - (1 + 1 + 6 + 1 + 2);
	cr_assert_eq(bin[at], 1);
	bin[blen - 1] = '\n';		/* a control character in the value */
	encode_mac(bin, blen, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
	cr_assert(strstr(err, "attribute region") != NULL, "%s", err);
	bin[blen - 1] = 'u';
	bin[at] = 9;			/* more than 8 */
	encode_mac(bin, blen, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
	cr_assert(strstr(err, "more than 8 attributes") != NULL, "%s", err);
	bin[at] = 2;			/* a second one, cut short */
	encode_mac(bin, blen, s, sizeof(s));
	cr_assert_eq(token_verify(s, key, KEYLEN, NOW, NULL, err,
	    sizeof(err)), TOKEN_MALFORMED);
}
