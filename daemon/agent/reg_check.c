/* SPDX-License-Identifier: ISC */
/*
 * reg_check.c: what an unauthenticated error from the server may do
 * (PROTOCOL.md §2.1). UNKNOWN_REG and VERSION_ERROR travel in the clear,
 * so anyone who knows our address (every introduced peer does) can send
 * them from the server's: they only make us check. A check sends
 * keepalives, REG_CHECK_TRIES of them REG_CHECK_US apart; any
 * authenticated packet from the server in that time ends it (the server
 * knows us), and only their all going unanswered makes us register again.
 * One check at a time, so a flood of such packets costs a few keepalives.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "agent.h"
#include "log.h"
#include "reg.h"

static void
reg_check_probe(struct reg *r)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Keepalive k = P2P__SRV__KEEPALIVE__INIT;

	m.id = reg_next_id(r);
	m.body_case = P2P__SRV__SERVER_MSG__BODY_KEEPALIVE;
	m.keepalive = &k;
	(void)reg_send_msg(r, &m);
	r->check_tries++;
	reg_timer_in(r->check_ev, REG_CHECK_US);
}

void
reg_check(struct reg *r, const char *why)
{
	if (r->phase != PH_UP || r->checking)
		return;
	log_debug("checking the registration: %s (unauthenticated)", why);
	snprintf(r->check_why, sizeof(r->check_why), "%s", why);
	r->checking = 1;
	r->check_tries = 0;
	r->check_rx = r->auth_rx;
	reg_check_probe(r);
}

void
reg_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reg *r = arg;
	char why[sizeof(r->check_why) + 64];

	if (!r->checking || r->phase != PH_UP) {
		reg_check_stop(r);
		return;
	}
	if (r->auth_rx != r->check_rx) {
		log_debug("the server answered: ignoring '%s'", r->check_why);
		reg_check_stop(r);
		return;
	}
	if (r->check_tries < REG_CHECK_TRIES) {
		reg_check_probe(r);
		return;
	}
	snprintf(why, sizeof(why), "%s, and %u keepalives went unanswered",
	    r->check_why, r->check_tries);
	reg_check_stop(r);
	reg_reregister(r, why);
}

void
reg_check_stop(struct reg *r)
{
	r->checking = 0;
	r->check_tries = 0;
	if (r->check_ev != NULL)
		evtimer_del(r->check_ev);
}
