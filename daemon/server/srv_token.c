/* SPDX-License-Identifier: ISC */
/*
 * srv_token.c: `p2p-server token`: mint one registration token offline
 * (PROTOCOL.md §5), version 2, carrying the server's public keys from its
 * key file (--key-file, or --state-dir's) or --server-key, so the device
 * knows which server to trust. Usage errors exit 2 naming the flag; a bad
 * secret or key file exits 1.
 *
 * And the server's side: srv_token_verify() checks a device's token against
 * the current secret and, during a rotation, the previous one.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "conf.h"
#include "log.h"
#include "secret.h"
#include "server.h"
#include "srv_key.h"
#include "token.h"
#include "wire.h"

int	srv_token_main(int, char **);

struct tok_conf {
	char			*secret_file;
	char			*peer;
	long			 ttl;
	struct conf_list	 groups;
	struct conf_list	 attrs;
	struct srv_keyopts	 keys;
	int			 help;
};

#define O(f)	offsetof(struct tok_conf, f)
static const struct conf_opt tok_opts[] = {
	{ "secret-file", 0, CONF_STR, O(secret_file), 0, 0, "FILE",
	    "the server's token secret" },
	{ "peer", 0, CONF_STR, O(peer), 0, 0, "ID", "peer id of the holder" },
	{ "ttl", 0, CONF_INT, O(ttl), 1, 10L * 366 * 86400, "S",
	    "lifetime in seconds (default 86400)" },
	{ "group", 0, CONF_LIST, O(groups), 0, 0, "NAME",
	    "a group the holder belongs to (repeatable, at most 32)" },
	{ "attr", 0, CONF_LIST, O(attrs), 0, 0, "KEY=VALUE",
	    "a matchmaking attribute vouched for: it overrides the "
	    "holder's claim (repeatable, at most 8)" },
	{ "key-file", 0, CONF_STR, O(keys.key_file), 0, 0, "FILE",
	    "put the public key of this server key file in the token" },
	{ "state-dir", 0, CONF_STR, O(keys.state_dir), 0, 0, "DIR",
	    "the same for the server key in DIR (made if missing)" },
	{ "next-key-file", 0, CONF_STR, O(keys.next_key_file), 0, 0, "FILE",
	    "rotation: the next key too" },
	{ "server-key", 0, CONF_LIST,
	    O(keys.server_keys), 0, 0, "KEY",
	    "a server public key to put in the token (repeatable)" },
	{ "help", 'h', CONF_BOOL, O(help), 0, 0, NULL, "this help" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL }
};
#undef O

static int
tok_usage_error(struct tok_conf *c, const char *msg)
{
	fprintf(stderr, "p2p-server token: %s\n", msg);
	conf_free(tok_opts, c);
	return 2;
}

static int
tok_fill(struct tok_conf *c, struct token *t, char *err, size_t errlen)
{
	size_t i;

	if (c->secret_file == NULL) {
		snprintf(err, errlen, "--secret-file is required");
		return -1;
	}
	if (c->peer == NULL || !p2p_name_valid(c->peer)) {
		snprintf(err, errlen, "--peer: '%s' is not a peer id (1-64 "
		    "characters of A-Z a-z 0-9 . _ -)", c->peer ? c->peer : "");
		return -1;
	}
	if (c->groups.n > TOKEN_MAX_GROUPS) {
		snprintf(err, errlen, "--group: at most %d groups",
		    TOKEN_MAX_GROUPS);
		return -1;
	}
	memset(t, 0, sizeof(*t));
	t->version = TOKEN_VERSION;
	t->issued_at = (uint64_t)time(NULL);
	t->expires_at = t->issued_at + (uint64_t)c->ttl;
	snprintf(t->peer_id, sizeof(t->peer_id), "%s", c->peer);
	for (i = 0; i < c->groups.n; i++) {
		if (!p2p_name_valid(c->groups.v[i])) {
			snprintf(err, errlen, "--group: '%.80s' is not a group "
			    "name (1-64 characters of A-Z a-z 0-9 . _ -)",
			    c->groups.v[i]);
			return -1;
		}
		snprintf(t->groups[i], sizeof(t->groups[i]), "%s",
		    c->groups.v[i]);
	}
	t->ngroups = (unsigned)c->groups.n;
	if (c->attrs.n > MATCH_ATTRS_MAX) {
		snprintf(err, errlen, "--attr: at most %d attributes",
		    MATCH_ATTRS_MAX);
		return -1;
	}
	for (i = 0; i < c->attrs.n; i++)
		if (match_attr_parse(c->attrs.v[i], &t->attrs[i], err + 8,
		    errlen - 8) == -1) {
			memcpy(err, "--attr: ", 8);
			return -1;
		}
	t->nattrs = (unsigned)c->attrs.n;
	if (match_attrs_check(t->attrs, t->nattrs, err + 8, errlen - 8) == -1) {
		memcpy(err, "--attr: ", 8);
		return -1;
	}
	if (t->nattrs > 0)
		t->version = TOKEN_VERSION_ATTRS;
	return 0;
}

int
srv_token_main(int argc, char **argv)
{
	struct tok_conf c;
	struct token t;
	uint8_t key[SECRET_MAX];
	char err[512], out[TOKEN_MAX_LEN + 1];
	size_t keylen;
	int first, rc;

	memset(&c, 0, sizeof(c));
	c.ttl = 86400;
	if (conf_load(tok_opts, &c, argc, argv, &first, NULL, err,
	    sizeof(err)) == -1)
		return tok_usage_error(&c, err);
	if (c.help) {
		conf_usage(stdout, "p2p-server token", "--secret-file FILE "
		    "--peer ID [--ttl S] [--group NAME]... [--attr KEY=VALUE]... "
		    "[--state-dir DIR]",
		    tok_opts);
		conf_free(tok_opts, &c);
		return 0;
	}
	if (first < argc)
		return tok_usage_error(&c, "unexpected argument");
	if (tok_fill(&c, &t, err, sizeof(err)) == -1)
		return tok_usage_error(&c, err);
	if (sodium_init() == -1 ||
	    secret_load(c.secret_file, key, &keylen, err, sizeof(err)) == -1) {
		fprintf(stderr, "p2p-server token: %s\n", err);
		conf_free(tok_opts, &c);
		return 1;
	}
	if (srv_key_collect(&c.keys, t.keys, TOKEN_MAX_KEYS, &t.nkeys, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "p2p-server token: %s\n", err);
		sodium_memzero(key, sizeof(key));
		conf_free(tok_opts, &c);
		return err[0] == '-' ? 2 : 1;
	}
	if (t.nkeys == 0)
		fprintf(stderr, "p2p-server token: warning: the token carries "
		    "no server key (give --state-dir, --key-file or "
		    "--server-key): its agent needs --server-key, or runs "
		    "unauthenticated\n");
	rc = token_mint(&t, key, keylen, out, sizeof(out));
	sodium_memzero(key, sizeof(key));
	conf_free(tok_opts, &c);
	if (rc < 0) {
		fprintf(stderr, "p2p-server token: cannot mint (token longer "
		    "than %d characters?)\n", TOKEN_MAX_LEN);
		return 1;
	}
	printf("%s\n", out);
	return 0;
}

enum token_err
srv_token_verify(struct srv *s, const char *tok, uint64_t now_unix,
    struct token *t, char *msg, size_t msglen)
{
	enum token_err	e;
	char		pmsg[256];

	e = token_verify(tok, s->secret, s->secret_len, now_unix, t, msg,
	    msglen);
	if (e != TOKEN_BAD_MAC || s->prev_secret_len == 0)
		return e;
	if (now_unix >= s->prev_until_unix) {
		log_info("the previous token secret's window ended: tokens "
		    "of that secret are refused from now on");
		sodium_memzero(s->prev_secret, sizeof(s->prev_secret));
		s->prev_secret_len = 0;
		return e;
	}
	if (token_verify(tok, s->prev_secret, s->prev_secret_len, now_unix, t,
	    pmsg, sizeof(pmsg)) == TOKEN_BAD_MAC)
		return e;	/* the first answer says why */
	e = token_verify(tok, s->prev_secret, s->prev_secret_len, now_unix, t,
	    msg, msglen);
	if (e == TOKEN_OK) {
		s->cnt.reg_previous_secret++;
		log_debug("peer %s: token of the previous secret", t->peer_id);
	}
	return e;
}
