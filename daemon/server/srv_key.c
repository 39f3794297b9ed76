/* SPDX-License-Identifier: ISC */
/*
 * srv_key.c: `p2p-server key`, which prints the server's public key(s)
 * (making the key file first if it does not exist, as the server would on
 * its first start), and srv_key_collect(), the public keys that
 * `p2p-server token` puts in the tokens it mints (PROTOCOL.md §5).
 * Usage errors exit 2 naming the flag; a bad key file exits 1.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conf.h"
#include "srv_key.h"

int	srv_key_main(int, char **);

struct key_conf {
	struct srv_keyopts	 k;
	int			 help;
};

#define O(f)	offsetof(struct key_conf, f)
static const struct conf_opt key_opts[] = {
	{ "key-file", 0, CONF_STR, O(k.key_file), 0, 0, "FILE",
	    "the server's key file (made if missing)" },
	{ "state-dir", 0, CONF_STR, O(k.state_dir), 0, 0, "DIR",
	    "the server's state directory: its " SRV_IDENT_FILE },
	{ "next-key-file", 0, CONF_STR, O(k.next_key_file), 0, 0, "FILE",
	    "also print the next key (rotation)" },
	{ "help", 'h', CONF_BOOL, O(help), 0, 0, NULL, "this help" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL }
};
#undef O

/* One key file's public key; create: make the file if it is missing. */
static int
srv_key_file_pub(const char *path, int create, uint8_t pk[32], char *err,
    size_t errlen)
{
	uint8_t sk[32];
	int created;

	if (srv_ident_key_file(path, create, sk, &created, err, errlen) == -1)
		return -1;
	crypto_scalarmult_base(pk, sk);
	sodium_memzero(sk, sizeof(sk));
	if (created)
		fprintf(stderr, "created the server key %s\n", path);
	return 0;
}

int
srv_key_collect(const struct srv_keyopts *o, uint8_t pk[][32], unsigned max,
    unsigned *n, char *err, size_t errlen)
{
	char path[4096];
	const char *file = o->key_file;
	size_t i;

	*n = 0;
	if (file == NULL && o->state_dir != NULL) {
		snprintf(path, sizeof(path), "%s/%s", o->state_dir,
		    SRV_IDENT_FILE);
		file = path;
	}
	if (file != NULL) {
		if (srv_key_file_pub(file, 1, pk[*n], err, errlen) == -1)
			return -1;
		(*n)++;
	}
	if (o->next_key_file != NULL) {
		if (*n >= max) {
			snprintf(err, errlen, "at most %u server keys", max);
			return -1;
		}
		if (srv_key_file_pub(o->next_key_file, 0, pk[*n], err,
		    errlen) == -1)
			return -1;
		(*n)++;
	}
	for (i = 0; i < o->server_keys.n; i++) {
		if (*n >= max) {
			snprintf(err, errlen, "--server-key: at most %u server "
			    "keys in all", max);
			return -1;
		}
		if (reghs_key_from_b64(o->server_keys.v[i], pk[*n]) != 0) {
			snprintf(err, errlen, "--server-key: '%.60s' is not a "
			    "key (44 characters of base64, as p2p-server key "
			    "prints it)", o->server_keys.v[i]);
			return -1;
		}
		(*n)++;
	}
	return 0;
}

int
srv_key_main(int argc, char **argv)
{
	struct key_conf c;
	uint8_t pk[SRV_IDENT_KEYS][32];
	char err[512], b64[REGHS_KEY_B64_LEN + 1];
	unsigned i, n;
	int first, rc = 0;

	memset(&c, 0, sizeof(c));
	if (conf_load(key_opts, &c, argc, argv, &first, NULL, err,
	    sizeof(err)) == -1 || first < argc) {
		fprintf(stderr, "p2p-server key: %s\n", first < argc ?
		    "unexpected argument" : err);
		conf_free(key_opts, &c);
		return 2;
	}
	if (c.help) {
		conf_usage(stdout, "p2p-server key", "[--key-file FILE | "
		    "--state-dir DIR] [--next-key-file FILE]", key_opts);
		conf_free(key_opts, &c);
		return 0;
	}
	if (c.k.key_file == NULL && c.k.state_dir == NULL) {
		fprintf(stderr, "p2p-server key: give --key-file FILE or "
		    "--state-dir DIR (the server's)\n");
		conf_free(key_opts, &c);
		return 2;
	}
	if (sodium_init() == -1 ||
	    srv_key_collect(&c.k, pk, SRV_IDENT_KEYS, &n, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "p2p-server key: %s\n", err);
		rc = 1;
	} else
		for (i = 0; i < n; i++) {
			reghs_key_to_b64(pk[i], b64);
			printf("%s\n", b64);
		}
	conf_free(key_opts, &c);
	return rc;
}
