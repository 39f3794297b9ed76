/* SPDX-License-Identifier: ISC */
/*
 * secret.h: read the server's token secret from a file (PROTOCOL.md §5).
 *
 * The file must be a regular file not readable (or writable) by group or
 * others: a secret anyone can read mints tokens for anyone. The content with
 * trailing whitespace removed is checked by token_secret_parse() (32 to 1024
 * bytes). key must hold SECRET_MAX bytes; *keylen gets the length used.
 * Errors name the file and the fix ("chmod 600 FILE").
 */
#ifndef P2P_SECRET_H
#define P2P_SECRET_H

#include <stddef.h>
#include <stdint.h>

#define SECRET_MAX	1024	/* = TOKEN_SECRET_MAX */

int	secret_load(const char *path, uint8_t *key, size_t *keylen, char *err,
	    size_t errlen) __attribute__((warn_unused_result));
/*
 * The same checks of the file, for a printable secret of any length (a
 * Redis password): trailing whitespace removed, 1 to outlen - 1 bytes, NUL
 * terminated.
 */
int	secret_load_text(const char *path, char *out, size_t outlen,
	    char *err, size_t errlen) __attribute__((warn_unused_result));

#endif /* P2P_SECRET_H */
