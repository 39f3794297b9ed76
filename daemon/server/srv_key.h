/* SPDX-License-Identifier: ISC */
/*
 * srv_key.h: where the `key` and `token` subcommands of p2p-server find
 * the server's public keys: its key file (--key-file, or server.key in
 * --state-dir, made if missing), the next key (--next-key-file) and keys
 * given as text (--server-key, repeatable).
 */
#ifndef P2P_SRV_KEY_H
#define P2P_SRV_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "srv_ident.h"

struct srv_keyopts {
	char			*key_file;
	char			*state_dir;
	char			*next_key_file;
	struct conf_list	 server_keys;	/* base64 public keys */
};

/* Up to max public keys into pk, *n of them; -1 with err naming the flag. */
int	srv_key_collect(const struct srv_keyopts *, uint8_t pk[][32],
	    unsigned max, unsigned *n, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

#endif /* P2P_SRV_KEY_H */
