/* SPDX-License-Identifier: ISC */
/*
 * ctl_log.c: `p2pctl log-level [LEVEL]`: the agent's log level now, and
 * set at once (error, warning, info, debug). It lasts until the next one or
 * a reload, which sets the configured level again (p2pd_reload.c). The
 * change is logged at the level that ends, so both ends of a debug
 * session show in the log.
 */
#include <string.h>

#include "ctl.h"
#include "log.h"

void
ctl_log_level(struct ipc_client *c, P2p__Ipc__Request *req)
{
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__LogLevelResp lr = P2P__IPC__LOG_LEVEL_RESP__INIT;
	const char *want = req->log_level->level;
	struct agent *a = c->a;
	int level;

	lr.previous = (char *)log_level_name(a->conf.verbosity);
	if (want[0] != '\0') {
		if ((level = log_level_parse(want)) == LOG_LEVEL_BAD) {
			ipc_reply(c, req->id, P2P__IPC__CODE__ERR_USAGE,
			    "log level '%s' is not error, warning, info or "
			    "debug", want);
			return;
		}
		if (level != a->conf.verbosity) {
			log_warnx("log level %s -> %s (client pid %ld)",
			    lr.previous, log_level_name(level), (long)c->pid);
			a->conf.verbosity = level;
			log_setverbose(level);
		}
	}
	lr.level = (char *)log_level_name(a->conf.verbosity);
	r.id = req->id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_LOG_LEVEL;
	r.log_level = &lr;
	(void)ipc_send_resp(c, &r);
}
