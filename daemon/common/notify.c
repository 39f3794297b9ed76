/* SPDX-License-Identifier: ISC */
/*
 * notify.c: sd_notify readiness, reload, stop and watchdog. See notify.h.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "notify.h"

struct notify {
	struct event	*wd_ev;		/* WATCHDOG=1 every half interval */
	int		 failed;	/* a send failed: logged once */
};

#ifdef HAVE_LIBSYSTEMD
static void
notify_send(struct notify *n, const char *msg)
{
	int	r;

	if ((r = sd_notify(0, msg)) >= 0 || n->failed)
		return;
	n->failed = 1;
	log_warnx("sd_notify to $NOTIFY_SOCKET (%s): %s",
	    getenv("NOTIFY_SOCKET"), strerror(-r));
}

static void
notify_watchdog(evutil_socket_t fd, short what, void *arg)
{
	notify_send(arg, "WATCHDOG=1");
}

static int
notify_watchdog_start(struct notify *n, struct event_base *base)
{
	struct timeval	tv;
	uint64_t	usec;
	int		r;

	if ((r = sd_watchdog_enabled(0, &usec)) < 0) {
		log_warnx("$WATCHDOG_USEC '%s': %s: the watchdog stays off",
		    getenv("WATCHDOG_USEC") != NULL ?
		    getenv("WATCHDOG_USEC") : "", strerror(-r));
		return 0;
	}
	if (r == 0)
		return 0;
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	if ((n->wd_ev = event_new(base, -1, EV_PERSIST, notify_watchdog,
	    n)) == NULL || event_add(n->wd_ev, &tv) == -1)
		return -1;
	log_info("systemd watchdog: WATCHDOG=1 every %llu ms",
	    (unsigned long long)(usec / 1000));
	return 0;
}
#else
static void
notify_send(struct notify *n, const char *msg)
{
}

static int
notify_watchdog_start(struct notify *n, struct event_base *base)
{
	return 0;
}
#endif

struct notify *
notify_new(struct event_base *base)
{
	struct notify	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	if (notify_watchdog_start(n, base) == -1) {
		notify_free(n);
		return NULL;
	}
	return n;
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	if (n->wd_ev != NULL)
		event_free(n->wd_ev);
	free(n);
}

void
notify_ready(struct notify *n)
{
	notify_send(n, n->wd_ev != NULL ? "READY=1\nWATCHDOG=1" : "READY=1");
}

/* MONOTONIC_USEC lets Type=notify-reload (systemd 253) match the reply. */
void
notify_reloading(struct notify *n)
{
	struct timespec	ts;
	char		msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	notify_send(n, msg);
}

void
notify_stopping(struct notify *n)
{
	notify_send(n, "STOPPING=1");
}

void
notify_status(struct notify *n, const char *fmt, ...)
{
	va_list	ap;
	char	msg[256];

	memcpy(msg, "STATUS=", 7);
	va_start(ap, fmt);
	vsnprintf(msg + 7, sizeof(msg) - 7, fmt, ap);
	va_end(ap);
	notify_send(n, msg);
}
