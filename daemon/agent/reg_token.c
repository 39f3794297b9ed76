/* SPDX-License-Identifier: ISC */
/*
 * reg_token.c: the registration token, from --token or --token-file.
 *
 * The agent cannot verify a token (it has no secret) but reads the peer id
 * from its body (PROTOCOL.md §5) to know and show who it is. A token file
 * must not be readable by others: the token is a credential.
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
#include "token.h"
#include "wire.h"

/* The peer id inside a token's body, without checking the MAC. */
static int
reg_token_peer_id(const char *tok, char *id, size_t idlen)
{
	uint8_t bin[TOKEN_MAX_LEN];
	const uint8_t *p;
	size_t binlen, n;
	struct rd rd;

	if (strncmp(tok, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0)
		return -1;
	tok += strlen(TOKEN_PREFIX);
	if (sodium_base642bin(bin, sizeof(bin), tok, strlen(tok), NULL,
	    &binlen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return -1;
	rd_init(&rd, bin, binlen);
	(void)rd_u8(&rd);	/* version */
	(void)rd_u64(&rd);	/* issued_at */
	(void)rd_u64(&rd);	/* expires_at */
	n = rd_u8(&rd);
	if ((p = rd_bytes(&rd, n)) == NULL || n >= idlen ||
	    !p2p_name_valid_len((const char *)p, n))
		return -1;
	memcpy(id, p, n);
	id[n] = '\0';
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
	if (fstat(fd, &st) == 0 && (st.st_mode & 007) != 0)
		log_warnx("token file %s is readable by others: chmod o-rwx "
		    "it", path);
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
	char id[AGENT_ID_MAX + 1], *tok;

	if (a->conf.token_file != NULL)
		tok = reg_token_read(a->conf.token_file);
	else
		tok = strdup(a->conf.token);
	if (tok == NULL)
		return -1;
	if (strlen(tok) > TOKEN_MAX_LEN ||
	    reg_token_peer_id(tok, id, sizeof(id)) == -1) {
		log_warnx("%s: not a p2pd token (p2pt.…)", a->conf.token_file ?
		    a->conf.token_file : "--token");
		free(tok);
		return -1;
	}
	if (a->peer_id[0] != '\0' && strcmp(a->peer_id, id) != 0)
		log_warnx("new token is for peer %s, was %s", id, a->peer_id);
	free(a->token);
	a->token = tok;
	snprintf(a->peer_id, sizeof(a->peer_id), "%s", id);
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
