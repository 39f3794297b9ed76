/* SPDX-License-Identifier: ISC */
/*
 * benchclient.h: what the programs that drive agents through libp2pclient
 * share (p2pbench, and msgflood and firstmsg of the integration tests):
 * die() and the clock of benchdata.h, a client opened or the program
 * dies naming the socket, and one poll() round of a non-blocking client.
 */
#ifndef BENCHCLIENT_H
#define BENCHCLIENT_H

#include <poll.h>

#include "p2pclient.h"
#include "benchdata.h"

/* A client of the agent behind the socket at path, or die naming it. */
static inline struct p2pclient *
bench_open(const char *path)
{
	struct p2pclient	*c;
	char			 err[256];

	if ((c = p2pclient_open(path, err, sizeof(err))) == NULL)
		die("%s: %s", path, err);
	return c;
}

/* Moves what poll() said c's socket is ready for, or dies with its error. */
static inline void
bench_io(struct p2pclient *c, short revents)
{
	int	rc = 0;

	if (revents & POLLOUT)
		rc = p2pclient_on_writable(c);
	if (rc == 0 && (revents & (POLLIN | POLLHUP | POLLERR)))
		rc = p2pclient_on_readable(c);
	if (rc != 0)
		die("%s", p2pclient_errmsg(c));
}

#endif /* BENCHCLIENT_H */
