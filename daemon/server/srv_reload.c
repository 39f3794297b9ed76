/* SPDX-License-Identifier: ISC */
/*
 * srv_reload.c: the configuration as a whole: defaults, the checks of the
 * options together, the secret files they name, SIGHUP and --check-config
 * (with the option table server.c hands it: s->opts).
 *
 * A reload reads the options again exactly as at start (the -c file, then
 * the command line over it, so flags keep their precedence), checks them and
 * loads the secret files. Any error leaves everything as it was and is
 * logged (FILE:LINE for the file), kept for /healthz and sent to systemd as
 * STATUS=. Otherwise each option that changed is applied, or, when it
 * cannot change while running, logged "restart needed" and kept.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "addr.h"
#include "cluster.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "srv_group.h"
#include "srv_http.h"

#define SRV_PREV_WINDOW_S	86400

/* The secrets a configuration names, loaded before anything is applied. */
struct srv_keys {
	uint8_t		secret[SECRET_MAX];
	size_t		secret_len;
	uint8_t		prev[SECRET_MAX];
	size_t		prev_len;		/* 0: no previous secret */
	uint8_t		admin[SECRET_MAX];
	size_t		admin_len;		/* 0: no HTTP API */
};

static void srv_reload_policy(struct srv *, enum srv_policy);
static void srv_reload_log_level(struct srv *, enum srv_policy);
static void srv_reload_match(struct srv *, enum srv_policy);

/*
 * The options a reload applies; the others need a restart. apply (may be
 * NULL) runs after the new values are in s->conf. The secret files' paths
 * are here too: their contents are compared on every reload anyway.
 */
static const struct srv_reload_key {
	const char	*name;
	void		(*apply)(struct srv *, enum srv_policy);
	const char	*note;
} srv_reload_keys[] = {
	{ "secret-file", NULL, NULL },
	{ "previous-secret-file", NULL, NULL },
	{ "previous-secret-window", NULL, NULL },
	{ "admin-key-file", NULL, NULL },
	{ "policy", srv_reload_policy, NULL },
	{ "relay-rate", NULL, "at once, for every registration" },
	{ "relay-quota", NULL, "at once, for every registration" },
	{ "keepalive", NULL, "told to agents as they register" },
	{ "max-token-ttl", NULL, "for the next registrations" },
	{ "drain-timeout", NULL, NULL },
	{ "match-lifetime", srv_reload_match, "for the next matches" },
	{ "expire", NULL, NULL },
	{ "verbose", srv_reload_log_level, NULL },
	{ "log-level", srv_reload_log_level, NULL },
	/* Only meaningful on the command line. */
	{ "foreground", NULL, NULL },
	{ "help", NULL, NULL },
	{ "version", NULL, NULL },
	{ "check-config", NULL, NULL },
	{ NULL, NULL, NULL }
};

void
srv_conf_defaults(struct srv_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->keepalive_s = 15;
	c->expire_s = 60;
	c->mesh_max = SRV_GROUP_MESH_MAX;
	c->join_timeout_s = SRV_GROUP_JOIN_US / 1000000;
	c->previous_secret_window_s = SRV_PREV_WINDOW_S;
	c->max_token_ttl = SRV_TTL_MAX;
	c->drain_timeout_s = 10;
	c->match_lifetime_s = SRV_MATCH_LIFETIME_S;
}

static void
srv_reload_match(struct srv *s, enum srv_policy p)
{
	(void)p;
	if (s->match != NULL)
		srv_match_set_lifetime(s->match,
		    (uint64_t)s->conf.match_lifetime_s);
}

static int
srv_conf_addr(const char *opt, const char *v, char *err, size_t errlen)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	char			msg[256];

	if (v == NULL || addr_parse(v, &ss, &len, 0, msg, sizeof(msg)) == 0)
		return 0;
	snprintf(err, errlen, "--%s: %s", opt, msg);
	return -1;
}

/* What conf_load cannot see alone: required options, names, addresses. */
int
srv_conf_check(const struct srv_conf *c, enum srv_policy *policy,
    int *verbosity, char *err, size_t errlen)
{
	int	level = 0;

	if (c->secret_file == NULL) {
		snprintf(err, errlen, "--secret-file is required (see "
		    "p2p-server -h)");
		return -1;
	}
	if (c->http != NULL && c->admin_key_file == NULL) {
		snprintf(err, errlen, "--http needs --admin-key-file");
		return -1;
	}
	if (c->policy == NULL || strcmp(c->policy, "groups") == 0)
		*policy = SRV_POLICY_GROUPS;
	else if (strcmp(c->policy, "open") == 0)
		*policy = SRV_POLICY_OPEN;
	else {
		snprintf(err, errlen, "--policy: '%s' is not open or groups",
		    c->policy);
		return -1;
	}
	if (c->log_level != NULL &&
	    (level = log_level_parse(c->log_level)) == LOG_LEVEL_BAD) {
		snprintf(err, errlen, "--log-level: '%s' is not error, "
		    "warning, info or debug", c->log_level);
		return -1;
	}
	*verbosity = level + c->verbose;
	if (srv_listen_check(c, err, errlen) == -1 ||
	    srv_conf_addr("http", c->http, err, errlen) == -1)
		return -1;
	return 0;
}

/*
 * A previous-secret file holding nothing but whitespace means "no previous
 * secret": the systemd unit hands over an empty line when the file is not
 * there.
 */
static int
srv_secret_blank(const char *path)
{
	char	buf[64];
	size_t	n, i;
	FILE	*fp;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	for (i = 0; i < n; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' &&
		    buf[i] != '\n')
			return 0;
	return n < sizeof(buf);
}

static int
srv_keys_read(const struct srv_conf *c, struct srv_keys *k, char *err,
    size_t errlen)
{
	memset(k, 0, sizeof(*k));
	if (secret_load(c->secret_file, k->secret, &k->secret_len, err,
	    errlen) == -1)
		return -1;
	if (c->previous_secret_file != NULL &&
	    !srv_secret_blank(c->previous_secret_file) &&
	    secret_load(c->previous_secret_file, k->prev, &k->prev_len, err,
	    errlen) == -1)
		return -1;
	if (c->http != NULL && secret_load(c->admin_key_file, k->admin,
	    &k->admin_len, err, errlen) == -1)
		return -1;
	return 0;
}

static int
srv_key_same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && sodium_memcmp(a, b, alen) == 0;
}

/*
 * Take the token secrets of k. A previous secret that is new (or changed)
 * starts its window now; one that stayed keeps its start, under the window
 * now configured.
 */
static void
srv_keys_take(struct srv *s, const struct srv_keys *k)
{
	uint64_t	now = srv_now_unix();

	memcpy(s->secret, k->secret, k->secret_len);
	s->secret_len = k->secret_len;
	if (k->prev_len == 0) {
		sodium_memzero(s->prev_secret, sizeof(s->prev_secret));
		s->prev_secret_len = 0;
		return;
	}
	if (!srv_key_same(s->prev_secret, s->prev_secret_len, k->prev,
	    k->prev_len)) {
		memcpy(s->prev_secret, k->prev, k->prev_len);
		s->prev_secret_len = k->prev_len;
		s->prev_loaded_unix = now;
	}
	s->prev_until_unix = s->prev_loaded_unix +
	    (uint64_t)s->conf.previous_secret_window_s;
	if (s->prev_until_unix <= now) {
		log_warnx("the previous token secret's window of %ld s has "
		    "already ended: tokens of that secret are refused",
		    s->conf.previous_secret_window_s);
		sodium_memzero(s->prev_secret, sizeof(s->prev_secret));
		s->prev_secret_len = 0;
	} else
		log_info("tokens of the previous secret (%s) are accepted "
		    "for %llu s more", s->conf.previous_secret_file,
		    (unsigned long long)(s->prev_until_unix - now));
}

/* At start: the secret files of s->conf (the admin key is srv_http's). */
int
srv_keys_load(struct srv *s, char *err, size_t errlen)
{
	struct srv_keys	k;
	int		rc;

	if ((rc = srv_keys_read(&s->conf, &k, err, errlen)) == 0)
		srv_keys_take(s, &k);
	sodium_memzero(&k, sizeof(k));
	return rc;
}

/* Policy ---------------------------------------------------------------- */

struct srv_intro_walk {
	char	others[STATE_MAX_INTROS][P2P_NAME_MAX + 1];
	size_t	n;
};

static void
srv_reload_intro(const char *other, void *arg)
{
	struct srv_intro_walk	*w = arg;

	if (w->n < STATE_MAX_INTROS)
		snprintf(w->others[w->n++], sizeof(w->others[0]), "%s", other);
}

/* Withdraw the introductions the policy no longer allows (each pair once). */
static void
srv_reload_policy(struct srv *s, enum srv_policy policy)
{
	struct srv_groups	*g = s->groups;
	struct srv_intro_walk	*w;
	struct state_peer	 me, other;
	struct srv_sess		*x;
	size_t			 i, j, n = 0;

	s->policy = policy;
	srv_group_set_open(g, policy == SRV_POLICY_OPEN);
	if (policy == SRV_POLICY_OPEN || (w = malloc(sizeof(*w))) == NULL)
		return;
	for (i = 0; i < SRV_BUCKETS; i++)
		for (x = s->sess[i]; x != NULL; x = x->next) {
			if (state_get_reg(s->state, x->reg_id, &me) !=
			    STATE_OK)
				continue;
			w->n = 0;
			(void)state_intro_each(s->state, me.peer_id,
			    srv_reload_intro, w);
			for (j = 0; j < w->n; j++) {
				if (strcmp(me.peer_id, w->others[j]) > 0 ||
				    state_get(s->state, w->others[j], &other) !=
				    STATE_OK ||
				    srv_group_may_talk(g, &me, &other))
					continue;
				if (srv_withdraw(s, me.peer_id, w->others[j],
				    "the server's policy no longer allows it")
				    == 0) {
					log_info("reload: withdrew the "
					    "introduction of %s and %s: they "
					    "share no group", me.peer_id,
					    w->others[j]);
					n++;
				}
			}
		}
	free(w);
	log_info("reload: policy groups: %zu introductions withdrawn", n);
}

static void
srv_reload_log_level(struct srv *s, enum srv_policy policy)
{
	enum srv_policy	p;
	char		err[256];
	int		v;

	if (srv_conf_check(&s->conf, &p, &v, err, sizeof(err)) == 0) {
		log_setverbose(v);
		log_info("reload: log level %s", log_level_name(v));
	}
}

/* Reload ---------------------------------------------------------------- */

static const struct srv_reload_key *
srv_reload_key(const char *name)
{
	const struct srv_reload_key	*k;

	for (k = srv_reload_keys; k->name != NULL; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

static void
srv_reload_refuse(struct srv *s, const char *why)
{
	s->reload.refused++;
	snprintf(s->reload.error, sizeof(s->reload.error), "%s", why);
	log_warnx("reload refused, the running configuration stays: %s", why);
	notify_status(s->notify, "reload refused: %s", why);
	notify_ready(s->notify);
}

static void
srv_reload_secrets(struct srv *s, const struct srv_keys *k)
{
	if (!srv_key_same(s->secret, s->secret_len, k->secret,
	    k->secret_len))
		log_info("reload: the token secret changed (%s): tokens of "
		    "the old one are refused unless it is the "
		    "previous-secret-file", s->conf.secret_file);
	if (k->prev_len == 0 && s->prev_secret_len != 0)
		log_info("reload: no previous token secret any more");
	srv_keys_take(s, k);
	if (s->conf.http != NULL && k->admin_len > 0 &&
	    srv_http_set_key(s, k->admin, k->admin_len) == 1)
		log_info("reload: the HTTP API's admin key changed (%s)",
		    s->conf.admin_key_file);
}

void
srv_reload(struct srv *s)
{
	const struct conf_opt		*o;
	const struct srv_reload_key	*k;
	void				(*todo[16])(struct srv *,
					    enum srv_policy);
	struct srv_conf			 nc, old;
	struct srv_keys			 keys;
	enum srv_policy			 policy;
	char				 err[512], was[256], now[256];
	int				 first, verbosity, changed = 0;
	size_t				 ntodo = 0, i;

	log_info("SIGHUP: reloading the configuration");
	notify_reloading(s->notify);
	srv_conf_defaults(&nc);
	if (conf_load(s->opts, &nc, s->argc, s->argv, &first, NULL, err,
	    sizeof(err)) == -1 || srv_conf_check(&nc, &policy, &verbosity,
	    err, sizeof(err)) == -1 || srv_keys_read(&nc, &keys, err,
	    sizeof(err)) == -1) {
		conf_free(s->opts, &nc);
		sodium_memzero(&keys, sizeof(keys));
		srv_reload_refuse(s, err);
		return;
	}
	for (o = s->opts; o->name != NULL; o++) {
		if (conf_same(o, &s->conf, &nc))
			continue;
		conf_format(o, &s->conf, was, sizeof(was));
		conf_format(o, &nc, now, sizeof(now));
		if ((k = srv_reload_key(o->name)) == NULL) {
			log_warnx("reload: %s changed (%s -> %s): restart "
			    "needed; it stays %s until then", o->name, was,
			    now, was);
			conf_swap(o, &s->conf, &nc);
			continue;
		}
		changed++;
		log_info("reload: %s: %s -> %s%s%s", o->name, was, now,
		    k->note != NULL ? ", " : "", k->note != NULL ? k->note :
		    "");
		for (i = 0; i < ntodo && todo[i] != k->apply; i++)
			;
		if (k->apply != NULL && i == ntodo &&
		    ntodo < sizeof(todo) / sizeof(todo[0]))
			todo[ntodo++] = k->apply;
	}
	old = s->conf;
	s->conf = nc;
	conf_free(s->opts, &old);
	srv_reload_secrets(s, &keys);
	sodium_memzero(&keys, sizeof(keys));
	for (i = 0; i < ntodo; i++)
		todo[i](s, policy);
	s->reload.reloads++;
	s->reload.error[0] = '\0';
	log_info("reload done: %d option%s changed", changed,
	    changed == 1 ? "" : "s");
	notify_status(s->notify, "reloaded: %d option%s changed", changed,
	    changed == 1 ? "" : "s");
	notify_ready(s->notify);
}

/* --check-config: what a start would refuse, without starting. */
int
srv_check_config(const struct conf_opt *opts, int argc, char **argv)
{
	struct srv_conf	c;
	struct srv_keys	k;
	enum srv_policy	p;
	char		err[512];
	int		first, v, rc = 1;

	srv_conf_defaults(&c);
	if (conf_load(opts, &c, argc, argv, &first, NULL, err,
	    sizeof(err)) == -1 ||
	    srv_conf_check(&c, &p, &v, err, sizeof(err)) == -1 ||
	    cluster_check_only(&c, srv_flag_given(argc, argv, "--cluster"),
	    err, sizeof(err)) == -1 ||
	    srv_keys_read(&c, &k, err, sizeof(err)) == -1)
		fprintf(stderr, "p2p-server: %s\n", err);
	else if (first < argc)
		fprintf(stderr, "p2p-server: unexpected argument '%s'\n",
		    argv[first]);
	else {
		printf("p2p-server: the configuration is valid\n");
		rc = 0;
	}
	sodium_memzero(&k, sizeof(k));
	conf_free(opts, &c);
	return rc;
}

/* Whether flag (--name or --name=...) is among the arguments. */
int
srv_flag_given(int argc, char **argv, const char *flag)
{
	size_t n = strlen(flag);
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strncmp(argv[i], flag, n) == 0 &&
		    (argv[i][n] == '\0' || argv[i][n] == '='))
			return 1;
	}
	return 0;
}
