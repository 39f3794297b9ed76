/* SPDX-License-Identifier: ISC */
/*
 * p2pd_reload.c: SIGHUP. The options are read again exactly as at start
 * (the -c file, then the command line over it, so flags keep their
 * precedence) and checked together. An error leaves everything as it was
 * and is logged (FILE:LINE for the file) and sent to systemd as STATUS=.
 * Otherwise each option that changed is applied, or, when it cannot change
 * while the agent runs, logged "restart needed" and kept. The token file is
 * read again on every reload, as before reloads re-read the options.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "conf.h"
#include "log.h"
#include "notify.h"
#include "p2pd.h"

/* The options a reload applies; every other one needs a restart. */
static const char *const p2pd_reload_live[] = {
	"log-level", "verbose", "token-file",
	/* Only meaningful on the command line. */
	"foreground", "help", "version", "check-config",
	NULL
};

static int
p2pd_reload_is_live(const char *name)
{
	size_t	i;

	for (i = 0; p2pd_reload_live[i] != NULL; i++)
		if (strcmp(p2pd_reload_live[i], name) == 0)
			return 1;
	return 0;
}

static void
p2pd_reload_refuse(struct agent *a, const char *why)
{
	log_warnx("reload refused, the running configuration stays: %s", why);
	notify_status(a->notify, "reload refused: %s", why);
	notify_ready(a->notify);
}

void
p2pd_reload(struct agent *a)
{
	const struct conf_opt	*o;
	struct agent_conf	 nc;
	char			 err[512], was[256], now[256];
	int			 first, changed = 0;

	log_info("SIGHUP: reloading the configuration");
	notify_reloading(a->notify);
	p2pd_defaults(&nc);
	if (conf_load(p2pd_opts, &nc, a->conf.argc, a->conf.argv, &first,
	    NULL, err, sizeof(err)) == -1 ||
	    p2pd_check_conf(&nc, err, sizeof(err)) == -1) {
		conf_free(p2pd_opts, &nc);
		p2pd_reload_refuse(a, err);
		return;
	}
	/* First, so that what follows is logged at the new level. */
	if (a->conf.verbosity != nc.verbosity) {
		a->conf.verbosity = nc.verbosity;
		log_setverbose(a->conf.verbosity);
		log_info("reload: log level %s",
		    log_level_name(a->conf.verbosity));
	}
	for (o = p2pd_opts; o->name != NULL; o++) {
		if (conf_same(o, &a->conf, &nc))
			continue;
		conf_format(o, &a->conf, was, sizeof(was));
		conf_format(o, &nc, now, sizeof(now));
		if (!p2pd_reload_is_live(o->name)) {
			log_warnx("reload: %s changed (%s -> %s): restart "
			    "needed; it stays %s until then", o->name, was,
			    now, was);
			continue;
		}
		log_info("reload: %s: %s -> %s", o->name, was, now);
		conf_swap(o, &a->conf, &nc);
		changed++;
	}
	conf_free(p2pd_opts, &nc);
	reg_reload_token(a);
	log_info("reload done: %d option%s changed", changed,
	    changed == 1 ? "" : "s");
	notify_status(a->notify, "reloaded: %d option%s changed", changed,
	    changed == 1 ? "" : "s");
	notify_ready(a->notify);
}
