/* SPDX-License-Identifier: ISC */
/*
 * srv_health.c: GET /healthz from real checks, one table row each:
 *
 *   {"status": "ok" | "degraded",
 *    "checks": {"NAME": {"status": "ok" | "fail", "detail": "..."}, ...}}
 *
 * "degraded" when any check fails; 503 when a failing check is one the
 * server cannot serve without (its `ready` flag), else 200. A new check is a
 * function and a row (a cluster's Redis link, say).
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include <event2/listener.h>

#include "addr.h"
#include "server.h"
#include "srv_health.h"

#define SRV_LAG_MAX_US	500000ULL	/* the 1 s tick this late: degraded */

static int
srv_health_udp(struct srv *s, char *d, size_t dlen)
{
	char		a[ADDR_STRLEN];
	int		e = 0;
	socklen_t	len = sizeof(e);

	if (s->udp_fd == -1 || getsockopt(s->udp_fd, SOL_SOCKET, SO_ERROR, &e,
	    &len) == -1) {
		snprintf(d, dlen, "no UDP socket");
		return -1;
	}
	snprintf(d, dlen, "%s", addr_fmt((struct sockaddr *)&s->bound, a,
	    sizeof(a)));
	return 0;
}

static int
srv_health_tcp(struct srv *s, char *d, size_t dlen)
{
	snprintf(d, dlen, "%s", s->listener != NULL ? "listening" :
	    "no TCP listener");
	return s->listener != NULL ? 0 : -1;
}

/* The loop's own 1 s tick: how late the last one fired, and when. */
static int
srv_health_loop(struct srv *s, char *d, size_t dlen)
{
	uint64_t	since = srv_now_us() - s->tick_prev_us;

	snprintf(d, dlen, "tick %.1f ms late, last %.1f s ago",
	    s->loop_lag_us / 1000.0, since / 1e6);
	return s->loop_lag_us > SRV_LAG_MAX_US || since > 3000000ULL ? -1 : 0;
}

static int
srv_health_registrations(struct srv *s, char *d, size_t dlen)
{
	size_t	n = state_count(s->state);

	snprintf(d, dlen, "%zu of %d%s", n, SRV_MAX_PEERS, n >= SRV_MAX_PEERS ?
	    ": full, new peers are refused" : "");
	return n >= SRV_MAX_PEERS ? -1 : 0;
}

static int
srv_health_config(struct srv *s, char *d, size_t dlen)
{
	if (s->reload.error[0] != '\0') {
		snprintf(d, dlen, "the last reload was refused: %s",
		    s->reload.error);
		return -1;
	}
	snprintf(d, dlen, "%llu reloads", (unsigned long long)s->reload.reloads);
	return 0;
}

static int
srv_health_secret(struct srv *s, char *d, size_t dlen)
{
	uint64_t	now = srv_now_unix();

	if (s->prev_secret_len > 0 && s->prev_until_unix > now)
		snprintf(d, dlen, "the previous secret is accepted for %llu "
		    "s more", (unsigned long long)(s->prev_until_unix - now));
	else
		snprintf(d, dlen, "current secret only");
	return 0;
}

/* The shared state: on a cluster, Redis (docs/CLUSTER.md). */
static int
srv_health_state(struct srv *s, char *d, size_t dlen)
{
	if (state_health(s->state, d, dlen) == -1)
		return -1;
	snprintf(d, dlen, "%s", s->cluster != NULL ? "redis: in sync" :
	    "in memory");
	return 0;
}

static const struct srv_health_check {
	const char	*name;
	int		 ready;		/* failing: 503, not ready */
	int		(*check)(struct srv *, char *detail, size_t);
} srv_health_checks[] = {
	{ "udp", 1, srv_health_udp },
	{ "tcp", 1, srv_health_tcp },
	{ "registrations", 1, srv_health_registrations },
	{ "event_loop", 0, srv_health_loop },
	{ "config", 0, srv_health_config },
	{ "token_secret", 0, srv_health_secret },
	{ "state", 1, srv_health_state },
};

json_object *
srv_health(struct srv *s, int *http_code)
{
	json_object	*o, *checks, *c;
	char		 detail[640];
	size_t		 i;
	int		 bad = 0, unready = 0, fail;

	checks = json_object_new_object();
	for (i = 0; i < sizeof(srv_health_checks) /
	    sizeof(srv_health_checks[0]); i++) {
		detail[0] = '\0';
		fail = srv_health_checks[i].check(s, detail, sizeof(detail));
		bad |= fail != 0;
		unready |= fail != 0 && srv_health_checks[i].ready;
		c = json_object_new_object();
		json_object_object_add(c, "status",
		    json_object_new_string(fail ? "fail" : "ok"));
		json_object_object_add(c, "detail",
		    json_object_new_string(detail));
		json_object_object_add(checks, srv_health_checks[i].name, c);
	}
	o = json_object_new_object();
	json_object_object_add(o, "status",
	    json_object_new_string(bad ? "degraded" : "ok"));
	json_object_object_add(o, "checks", checks);
	*http_code = unready ? 503 : 200;
	return o;
}
