/* SPDX-License-Identifier: ISC */
/*
 * nat.c: the agent's NAT classification (RFC 5780), shown by `p2pctl nat`
 * and `p2pctl status`, and reported to the server (NatReport).
 *
 * The tests are core/natclass.c; this file gives them a socket and a
 * clock. Each run uses a fresh UDP socket on an ephemeral port, as RFC 5780
 * §4 asks: the agent's main socket has talked to the server's primary
 * address for a long time and, after one run, to its alternate address
 * too, which would open an address-dependent filter and make a restricted
 * NAT look like a full cone on the next run. The NAT's behaviour is a
 * property of the NAT, not of one port, so the fresh port measures it.
 *
 * A run starts as soon as the agent is registered (the server address is
 * the registration's), again every NAT_PERIOD_US, and on `p2pctl nat
 * --refresh`; the end of each run is told to the control side
 * (cb->nat_done), whose --refresh requests wait for it.
 * The NatReport goes again after every re-registration, because the
 * server keeps it with the registration.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <ifaddrs.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "agent.h"
#include "engine.h"
#include "log.h"
#include "natclass.h"
#include "portmap.h"

#define NAT_PERIOD_US		(600ULL * 1000000)	/* every 10 minutes */
#define NAT_POLL_US		1000000ULL	/* idle: check registration */
#define NAT_READ_MAX		16	/* datagrams per wakeup */
#define NAT_WORD_MAX		32

struct nat {
	struct agent		*a;
	struct natclass		 nc;
	int			 fd;		/* the current run's socket */
	struct event		*rev;
	struct event		*timer;
	int			 want;		/* run as soon as registered */
	uint64_t		 next_run;
	uint32_t		 reg_id;	/* registration last reported to */

	int			 have;		/* a finished run */
	uint64_t		 tested_at;
	char			 type[NAT_WORD_MAX];
	char			 mapping[NAT_WORD_MAX];
	char			 filtering[NAT_WORD_MAX];
	char			 mapped[ADDR_STRLEN];
	char			 other[ADDR_STRLEN];
	char			 detail[NATCLASS_DETAIL_MAX];
};

static void	nat_drive(struct nat *);

static void
nat_rand(void *arg, uint8_t *buf, size_t len)
{
	randombytes_buf(buf, len);
}

static void
nat_arm(struct nat *n, uint64_t at)
{
	uint64_t	now = agent_now();

	agent_timer_in(n->timer, at > now ? at - now : 0);
}

static void
nat_close(struct nat *n)
{
	if (n->rev != NULL)
		event_free(n->rev);
	n->rev = NULL;
	if (n->fd != -1)
		close(n->fd);
	n->fd = -1;
}

/* The socket's own addresses: every interface address with its port. */
static size_t
nat_locals(struct nat *n, struct sockaddr_storage *out, size_t max)
{
	struct sockaddr_storage	 me;
	socklen_t		 len = sizeof(me);
	struct ifaddrs		*ifa, *i;
	uint16_t		 port;
	size_t			 k = 0;

	if (getsockname(n->fd, (struct sockaddr *)&me, &len) == -1 ||
	    getifaddrs(&ifa) == -1)
		return 0;
	port = htons(addr_port((struct sockaddr *)&me));
	for (i = ifa; i != NULL && k < max; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family !=
		    me.ss_family)
			continue;
		memset(&out[k], 0, sizeof(out[k]));
		memcpy(&out[k], i->ifa_addr, addr_len(i->ifa_addr));
		if (out[k].ss_family == AF_INET)
			((struct sockaddr_in *)&out[k])->sin_port = port;
		else
			((struct sockaddr_in6 *)&out[k])->sin6_port = port;
		k++;
	}
	freeifaddrs(ifa);
	return k;
}

static void
nat_read(evutil_socket_t fd, short what, void *arg)
{
	struct nat		*n = arg;
	struct sockaddr_storage	 from;
	socklen_t		 flen;
	uint8_t			 buf[AGENT_UDP_MTU];
	ssize_t			 len;
	int			 i;

	for (i = 0; i < NAT_READ_MAX && n->fd != -1; i++) {
		flen = sizeof(from);
		len = recvfrom(n->fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &flen);
		if (len == -1)
			break;
		addr_normalize(&from);
		(void)natclass_input(&n->nc, buf, (size_t)len,
		    (struct sockaddr *)&from, agent_now());
	}
	nat_drive(n);
}

static void
nat_start(struct nat *n, const struct sockaddr_storage *srv)
{
	struct sockaddr_storage	locals[NATCLASS_LOCALS_MAX], any;
	char			a[ADDR_STRLEN];
	size_t			nl;

	memset(&any, 0, sizeof(any));
	any.ss_family = srv->ss_family;
	n->fd = socket(srv->ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (n->fd == -1 || bind(n->fd, (struct sockaddr *)&any,
	    addr_len((struct sockaddr *)&any)) == -1) {
		log_warn("nat: cannot open a test socket");
		nat_close(n);
		n->next_run = agent_now() + NAT_PERIOD_US;
		return;
	}
	n->rev = event_new(n->a->base, n->fd, EV_READ | EV_PERSIST, nat_read,
	    n);
	if (n->rev == NULL || event_add(n->rev, NULL) == -1) {
		log_warnx("nat: cannot watch the test socket");
		nat_close(n);
		n->next_run = agent_now() + NAT_PERIOD_US;
		return;
	}
	nl = nat_locals(n, locals, NATCLASS_LOCALS_MAX);
	log_debug("nat: testing against %s",
	    addr_fmt((const struct sockaddr *)srv, a, sizeof(a)));
	natclass_start(&n->nc, (const struct sockaddr *)srv, locals, nl,
	    nat_rand, n, agent_now());
	n->want = 0;
	nat_drive(n);
}

/*
 * The classification, the port mapping (natmap.c) and our reflexive
 * address on the other IP family (refl.c) to the server.
 */
void
nat_report_now(struct agent *a)
{
	struct portmap_info	info;
	struct sockaddr_storage	other;

	(void)reg_nat_report(a, nat_type(a), nat_mapping(a), nat_filtering(a),
	    natmap_get(a, &info) == 0 ? &info.external : NULL,
	    refl_get(a, &other) == 0 ? (struct sockaddr *)&other : NULL);
}

static void
nat_report(struct nat *n)
{
	if (n->have)
		nat_report_now(n->a);
}

static void
nat_finish(struct nat *n)
{
	const struct sockaddr	*sa;
	char			 was_type[NAT_WORD_MAX];

	snprintf(was_type, sizeof(was_type), "%s", n->have ? n->type : "");
	snprintf(n->type, sizeof(n->type), "%s", natclass_type(&n->nc));
	snprintf(n->mapping, sizeof(n->mapping), "%s",
	    natclass_mapping(&n->nc));
	snprintf(n->filtering, sizeof(n->filtering), "%s",
	    natclass_filtering(&n->nc));
	n->mapped[0] = n->other[0] = '\0';
	if ((sa = natclass_mapped(&n->nc)) != NULL)
		addr_fmt(sa, n->mapped, sizeof(n->mapped));
	if ((sa = natclass_other(&n->nc)) != NULL)
		addr_fmt(sa, n->other, sizeof(n->other));
	snprintf(n->detail, sizeof(n->detail), "%s",
	    natclass_detail(&n->nc));
	n->have = 1;
	n->tested_at = agent_now();
	n->next_run = n->tested_at + NAT_PERIOD_US;
	nat_close(n);
	log_info("nat: %s (mapping %s, filtering %s): %s", n->type,
	    n->mapping, n->filtering, n->detail);
	nat_report(n);
	/* Sessions on the relay may punch another way now (route.c). A
	 * new reflexive address comes with a re-registration, whose fresh
	 * introductions re-plan (route_update). */
	if (strcmp(was_type, n->type) != 0)
		n->a->hooks.replan(n->a, "our NAT was classified");
	n->a->cb->nat_done(n->a->cb_arg);
}

/* Send what is due; finish, or sleep until the next retransmission. */
static void
nat_drive(struct nat *n)
{
	struct natclass_out	o;
	uint64_t		now = agent_now();

	if (n->fd == -1)
		return;
	while (natclass_output(&n->nc, now, &o))
		if (sendto(n->fd, o.pkt, o.len, 0, (struct sockaddr *)&o.to,
		    addr_len((struct sockaddr *)&o.to)) == -1)
			log_debug("nat: sendto: %s", strerror(errno));
	if (natclass_done(&n->nc)) {
		nat_finish(n);
		nat_arm(n, agent_now() + NAT_POLL_US);
		return;
	}
	nat_arm(n, natclass_next_us(&n->nc));
}

static void
nat_tick(evutil_socket_t fd, short what, void *arg)
{
	struct nat		*n = arg;
	struct sockaddr_storage	 srv;
	uint32_t		 reg_id = 0;
	int			 up;

	if (n->fd != -1) {
		nat_drive(n);
		return;
	}
	up = reg_nat_server(n->a, &srv, &reg_id) == 0;
	if (up && reg_id != n->reg_id) {
		nat_report(n);	/* a new registration starts "unknown" */
		n->reg_id = reg_id;
	}
	if (up && (n->want || agent_now() >= n->next_run)) {
		nat_start(n, &srv);
		if (n->fd != -1)
			return;
	}
	nat_arm(n, agent_now() + NAT_POLL_US);
}

int
nat_init(struct agent *a)
{
	struct nat	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return -1;
	n->a = a;
	n->fd = -1;
	n->want = 1;
	if ((n->timer = evtimer_new(a->base, nat_tick, n)) == NULL) {
		free(n);
		return -1;
	}
	a->nat = n;
	nat_arm(n, agent_now());
	return 0;
}

void
nat_free(struct agent *a)
{
	struct nat	*n = a->nat;

	if (n == NULL)
		return;
	nat_close(n);
	event_free(n->timer);
	free(n);
	a->nat = NULL;
}

void
nat_refresh(struct agent *a)
{
	struct nat	*n = a->nat;

	if (n == NULL || n->fd != -1)
		return;		/* a run under way answers the waiters too */
	n->want = 1;
	nat_arm(n, agent_now());
}

/*
 * Registered (again): look at once instead of at the next poll, up to
 * NAT_POLL_US later. A session connected right after registration waits
 * for the classification to choose its punching method (route.c).
 */
void
nat_registered(struct agent *a)
{
	struct nat	*n = a->nat;

	if (n != NULL && n->fd == -1)
		nat_arm(n, agent_now());
}

const char *
nat_type(struct agent *a)
{
	return a->nat != NULL && a->nat->have ? a->nat->type :
	    NATCLASS_UNKNOWN;
}

const char *
nat_mapping(struct agent *a)
{
	return a->nat != NULL && a->nat->have ? a->nat->mapping :
	    NATCLASS_UNKNOWN;
}

const char *
nat_filtering(struct agent *a)
{
	return a->nat != NULL && a->nat->have ? a->nat->filtering :
	    NATCLASS_UNKNOWN;
}

const char *
nat_mapped(struct agent *a)
{
	return a->nat != NULL && a->nat->have ? a->nat->mapped : "";
}

const char *
nat_other(struct agent *a)
{
	return a->nat != NULL && a->nat->have ? a->nat->other : "";
}

const char *
nat_detail(struct agent *a)
{
	if (a->nat == NULL)
		return "not tested";
	if (a->nat->have)
		return a->nat->detail;
	return a->nat->fd != -1 ? "testing" :
	    "not tested yet: waiting for the registration";
}

double
nat_tested_ago(struct agent *a)
{
	if (a->nat == NULL || !a->nat->have)
		return -1;
	return (double)(agent_now() - a->nat->tested_at) / 1e6;
}
