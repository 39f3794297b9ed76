/* SPDX-License-Identifier: ISC */
/*
 * reg_token.c: the registration token, from --token or --token-file.
 *
 * The agent cannot verify a token (it has no secret) but reads its body
 * (PROTOCOL.md §5): the peer id, to know and show who it is, and, in a
 * version 2 token, the server keys to trust (PROTOCOL.md §2.1), beside
 * those given with --server-key. Without any key the agent refuses to
 * start unless --allow-unauthenticated-server says otherwise. A token
 * file that others can read is refused: the token is a credential (its
 * group may read it, as a unit's credentials are given).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent.h"
#include "buf.h"
#include "log.h"
#include "reg.h"
#include "reghs.h"
#include "token.h"
#include "wire.h"

/* The keys of --server-key (checked at start: reg_load_token). */
static unsigned
reg_conf_keys(struct agent *a, uint8_t keys[][32], unsigned max)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < a->conf.server_keys.n && n < max; i++)
		if (reghs_key_from_b64(a->conf.server_keys.v[i], keys[n]) == 0)
			n++;
	return n;
}

int
reg_keys(struct agent *a, uint8_t keys[][32], unsigned max)
{
	struct token t;
	char err[128];
	unsigned n, i, j;

	n = reg_conf_keys(a, keys, max);
	if (a->token == NULL || token_peek(a->token, &t, err,
	    sizeof(err)) != TOKEN_OK)
		return (int)n;
	for (i = 0; i < t.nkeys && n < max; i++) {
		for (j = 0; j < n; j++)
			if (memcmp(keys[j], t.keys[i], 32) == 0)
				break;
		if (j == n)
			memcpy(keys[n++], t.keys[i], 32);
	}
	return (int)n;
}

/* --server-key values, and a key to trust from somewhere. */
static int
reg_check_keys(struct agent *a, const struct token *t)
{
	uint8_t k[32];
	size_t i;

	for (i = 0; i < a->conf.server_keys.n; i++)
		if (reghs_key_from_b64(a->conf.server_keys.v[i], k) != 0) {
			log_warnx("--server-key: '%.60s' is not a server key "
			    "(44 characters of base64, as p2p-server key "
			    "prints it)", a->conf.server_keys.v[i]);
			return -1;
		}
	if (a->conf.server_keys.n > 0 || t->nkeys > 0)
		return 0;
	if (!a->conf.allow_unauth) {
		log_warnx("no server key to trust: the token (version %u) "
		    "carries none and no --server-key is given. Give "
		    "--server-key KEY (p2p-server key prints it), use a token "
		    "that carries it, or --allow-unauthenticated-server to "
		    "register with any server that answers", t->version);
		return -1;
	}
	log_warnx("WARNING: --allow-unauthenticated-server and no server key: "
	    "whoever answers at the server's address can read this agent's "
	    "token, introduce any peer as anyone, and read its sessions");
	return 0;
}

static char *
reg_token_read(const char *path)
{
	char buf[TOKEN_MAX_LEN + 64], *s;
	struct stat st;
	ssize_t n;
	size_t len;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("token file %s", path);
		return NULL;
	}
	/* As the server refuses its secrets: the token may have leaked. */
	if (fstat(fd, &st) == -1 || (st.st_mode & 007) != 0) {
		log_warnx("token file %s is accessible by others (mode %03o): "
		    "refusing it; chmod o-rwx it (and mint a new token if it "
		    "may have leaked)", path, (unsigned)(st.st_mode & 0777));
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		log_warn("token file %s", path);
		return NULL;
	}
	buf[n] = '\0';
	len = strlen(buf);
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	s = buf;
	while (isspace((unsigned char)*s))
		s++;
	if ((s = strdup(s)) == NULL)
		log_warn("%s", __func__);
	return s;
}

int
reg_load_token(struct agent *a)
{
	struct token t;
	char err[256], *tok;

	if (a->conf.token_file != NULL)
		tok = reg_token_read(a->conf.token_file);
	else
		tok = strdup(a->conf.token);
	if (tok == NULL)
		return -1;
	if (token_peek(tok, &t, err, sizeof(err)) != TOKEN_OK) {
		log_warnx("%s: not a p2pd token: %s", a->conf.token_file ?
		    a->conf.token_file : "--token", err);
		free(tok);
		return -1;
	}
	if (reg_check_keys(a, &t) == -1) {
		free(tok);
		return -1;
	}
	if (a->peer_id[0] != '\0' && strcmp(a->peer_id, t.peer_id) != 0)
		log_warnx("new token is for peer %s, was %s", t.peer_id,
		    a->peer_id);
	free(a->token);
	a->token = tok;
	snprintf(a->peer_id, sizeof(a->peer_id), "%s", t.peer_id);
	return 0;
}

void
reg_reload_token(struct agent *a)
{
	if (a->conf.token_file == NULL)
		return;
	if (reg_load_token(a) == -1) {
		log_warnx("keeping the previous token");
		return;
	}
	log_info("token re-read from %s", a->conf.token_file);
	if (a->reg != NULL && a->reg->state == REG_REJECTED) {
		a->reg->backoff = 1;
		reg_start(a->reg);
	}
}
