/* SPDX-License-Identifier: ISC */
/*
 * srv_ident.h: the server's identity (PROTOCOL.md §2.1): its long-term
 * X25519 key pair, which agents pin and the registration handshake
 * (reghs.h) proves; during a rotation the next key beside it; and the
 * secrets of the stateless cookie of the handshake's first exchange.
 *
 * The key file holds the private key in base64 (44 characters and a
 * newline, as wg(8) keeps keys), mode 0600: a file that group or others
 * can read is refused. srv_ident_key_file() creates one when asked (on a
 * server's first start, and by `p2p-server key`). The nodes of a cluster
 * share one identity by naming the same key file; nothing here depends
 * on struct srv, so any part of the server can hold a struct srv_ident.
 *
 * Cookies: a secret per REGHS_BUCKET_S seconds of the caller's clock,
 * derived from a random master made at load; a cookie made in the current
 * or the previous bucket verifies.
 */
#ifndef P2P_SRV_IDENT_H
#define P2P_SRV_IDENT_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "reghs.h"

#define SRV_IDENT_KEYS		2	/* current, next */
#define SRV_IDENT_FILE		"server.key"	/* in the state directory */

struct srv_ident {
	uint8_t		sk[SRV_IDENT_KEYS][REGHS_KEY_LEN];
	uint8_t		pk[SRV_IDENT_KEYS][REGHS_KEY_LEN];
	unsigned	nkeys;
	int		ephemeral;	/* no key file: this run only */
	uint8_t		cookie_master[32];
	uint64_t	bucket;		/* of secret[0] */
	uint8_t		secret[2][32];	/* that bucket's, the one before */
	int		have_secret;
};

/*
 * Read (or, with create, make) the private key in path; *created says
 * which. -1 with err naming the file and the problem.
 */
int	srv_ident_key_file(const char *path, int create, uint8_t sk[32],
	    int *created, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/*
 * The identity from key_file (created if missing) and next_file (must
 * exist), either may be NULL: without key_file the key lives only as long
 * as the process (ephemeral is set: agents that pinned it fail after a
 * restart).
 */
int	srv_ident_load(struct srv_ident *, const char *key_file,
	    const char *next_file, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/* The private key whose id a REG_INIT names (and its public key), or NULL. */
const uint8_t *srv_ident_sk(const struct srv_ident *,
	    const uint8_t id[REGHS_KEY_ID_LEN], const uint8_t **pk);
void	srv_ident_cookie(struct srv_ident *, uint64_t now_us,
	    const struct sockaddr *from, const uint8_t e_pk[REGHS_KEY_LEN],
	    uint8_t out[REGHS_COOKIE_LEN]);
/* 1 if cookie was made for (from, e_pk) in this bucket or the previous. */
int	srv_ident_cookie_ok(struct srv_ident *, uint64_t now_us,
	    const struct sockaddr *from, const uint8_t e_pk[REGHS_KEY_LEN],
	    const uint8_t cookie[REGHS_COOKIE_LEN]);
void	srv_ident_wipe(struct srv_ident *);

#endif /* P2P_SRV_IDENT_H */
