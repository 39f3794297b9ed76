/* SPDX-License-Identifier: ISC */
/*
 * p2pd.h: what p2pd.c (options, startup) shares with p2pd_reload.c (SIGHUP):
 * the option table, its defaults and the checks of the options together.
 */
#ifndef P2P_P2PD_H
#define P2P_P2PD_H

#include <stddef.h>

#include "conf.h"

struct agent;
struct agent_conf;

extern const struct conf_opt p2pd_opts[];

void	p2pd_defaults(struct agent_conf *);
/* Required options, values conf_load cannot judge alone, defaults that
 * depend on others; -1 with err ("--congestion must be ...") on an error. */
int	p2pd_check_conf(struct agent_conf *, char *err, size_t errlen);
/* SIGHUP: read the options again as at start, apply what can change. */
void	p2pd_reload(struct agent *);

#endif /* P2P_P2PD_H */
