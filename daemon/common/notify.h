/* SPDX-License-Identifier: ISC */
/*
 * notify.h: the daemons' side of systemd's service protocol, through
 * libsystemd's sd_notify (Type=notify units): READY=1 once serving,
 * RELOADING=1 and READY=1 around a reload, STOPPING=1, STATUS= lines, and
 * WATCHDOG=1 from a timer in the daemon's own event loop every half of
 * WatchdogSec= ($WATCHDOG_USEC), so a loop that stops turning stops
 * petting and systemd restarts the daemon. Outside systemd (no
 * $NOTIFY_SOCKET) and in a build without libsystemd every call does
 * nothing. A malformed $WATCHDOG_USEC is logged and the watchdog stays off.
 */
#ifndef P2P_NOTIFY_H
#define P2P_NOTIFY_H

#include <event2/event.h>

struct notify;

/* NULL only when out of memory. */
struct notify	*notify_new(struct event_base *);
void		 notify_free(struct notify *);
void		 notify_ready(struct notify *);
void		 notify_reloading(struct notify *);
void		 notify_stopping(struct notify *);
void		 notify_status(struct notify *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

#endif /* P2P_NOTIFY_H */
