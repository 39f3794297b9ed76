/* SPDX-License-Identifier: ISC */
/*
 * fuzz_token.c: token_verify() on arbitrary text, and the secret parser on
 * arbitrary file contents.
 */
#include <stdlib.h>
#include <string.h>

#include "token.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const uint8_t	 key[] = "0123456789abcdef0123456789abcdef";
	struct token		 t;
	uint8_t			 k[TOKEN_SECRET_MAX];
	size_t			 klen;
	char			*s, err[256];
	enum token_err		 e;

	if ((s = malloc(len + 1)) == NULL)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	e = token_verify(s, key, 32, 1700000000, &t, err, sizeof(err));
	if (e == TOKEN_OK && (t.ngroups > TOKEN_MAX_GROUPS ||
	    strlen(t.peer_id) == 0))
		abort();
	if (e != TOKEN_OK && strlen(err) == 0)
		abort();
	(void)token_verify(s, key, 32, 0, NULL, NULL, 0);
	free(s);
	(void)token_secret_parse(data, len, k, &klen, err, sizeof(err));
	return 0;
}
