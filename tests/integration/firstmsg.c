/* SPDX-License-Identifier: ISC */
/*
 * firstmsg: SOCK_A SOCK_B PEER_B
 *
 * How soon a new session carries data: A connects to PEER_B (B's agent is
 * the one behind SOCK_B), sends one message at once, and B, already
 * waiting on the service, reads it. Then A pings B, which measures the
 * round trip of the path the session has at that moment (the relay, just
 * after connect), and asks its agent which path that was. Everything goes
 * through libp2pclient, so no process start is counted. Prints
 *   connect_ms C first_ms F rtt_ms R path P
 * where F is from connect's return to B holding the message, and exits 0;
 * or says what failed and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/benchclient.h"

#define SERVICE	"firstmsg"

/* The clock in milliseconds. */
static double
now_ms(void)
{
	return bench_now() * 1e3;
}

int
main(int argc, char **argv)
{
	struct p2pclient *a, *b;
	struct p2pclient_peers *ps;
	struct p2pclient_event *ev;
	char path[32] = "?";
	double t0, t1, t2, rtt;
	size_t i;
	int rc;

	if (argc != 4)
		die("usage: firstmsg SOCK_A SOCK_B PEER_B");
	a = bench_open(argv[1]);
	b = bench_open(argv[2]);
	if ((rc = p2pclient_bind(b, SERVICE)) != 0)
		die("bind: %s", p2pclient_errmsg(b));
	t0 = now_ms();
	if ((rc = p2pclient_connect(a, argv[3], 10000)) != 0)
		die("connect: %s", p2pclient_errmsg(a));
	t1 = now_ms();
	if ((rc = p2pclient_send(a, argv[3], SERVICE, "first", 5, 0)) != 0)
		die("send: %s", p2pclient_errmsg(a));
	if (p2pclient_recv(b, SERVICE, 1, 5000, NULL, NULL, &ev) != 1)
		die("the first message did not arrive within 5 s");
	t2 = now_ms();
	if (ev->len != 5 || memcmp(ev->data, "first", 5) != 0)
		die("the first message arrived damaged");
	p2pclient_event_free(ev);
	if (p2pclient_ping(a, argv[3], 5000, &rtt) != 0)
		die("ping: %s", p2pclient_errmsg(a));
	if (p2pclient_peers(a, &ps) == 0) {
		for (i = 0; i < ps->n; i++)
			if (strcmp(ps->v[i]->peer_id, argv[3]) == 0)
				snprintf(path, sizeof(path), "%s", ps->v[i]->path);
		p2pclient_peers_free(ps);
	}
	printf("connect_ms %.1f first_ms %.2f rtt_ms %.2f path %s\n", t1 - t0,
	    t2 - t1, rtt, path);
	p2pclient_close(a);
	p2pclient_close(b);
	return 0;
}
