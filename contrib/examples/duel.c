/* SPDX-License-Identifier: ISC */
/*
 * duel.c: a small real-time two-player game over p2pd, the example
 * docs/GAMES.md points to. Each player moves a token on a 20x20 board;
 * 20 times a second the game sends its position to the opponent.
 *
 *   - the opponent is found by matchmaking (p2pclient_match, attributes
 *     game=duel and map=NAME, size 2): the server makes a match group of
 *     the two and introduces their agents to each other;
 *   - inputs (positions) go as unreliable-sequenced messages on channel 1
 *     at high priority: a late one is dropped, never delivered after a
 *     newer one;
 *   - chat goes reliably, in order, on channel 2;
 *   - the library is driven from one poll() loop (its fd, stdin and the
 *     tick), with callbacks: on_message_ex for both kinds of message,
 *     on_peer_state for the path (relay, then direct once hole punching
 *     succeeds: the game does not notice, its messages keep flowing).
 *
 * Commands (typed, one per line, or one per tick from --script FILE):
 *   w a s d    move up, left, down, right
 *   say TEXT   chat
 *   wait       nothing (script pacing)
 *   quit       leave
 * After the script, the game runs --linger ticks more, then prints a
 * summary line and exits 0.
 *
 * Output, one line each: "matched GROUP opponent PEER", "path PATH" on
 * each change, "opponent at X,Y (seq N)" when the opponent moves, "chat
 * PEER: TEXT", "summary sent=N got=N got_relay=N chats=N last_seq=N
 * paths=LIST" (got_relay: inputs that came while the path was the relay).
 *
 *	duel [-s SOCKET] [--map NAME] [--timeout S] [--script FILE]
 *	     [--linger TICKS]
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "p2pclient.h"

#define SERVICE		"duel"
#define CH_INPUT	1
#define CH_CHAT		2
#define TICK_MS		50
#define BOARD		20

struct game {
	struct p2pclient *c;
	char		 me[65], opp[65], group[65];
	int		 x, y, ox, oy;
	uint32_t	 seq, opp_seq;
	unsigned	 sent, got, chats;
	unsigned	 got_relay;	/* inputs that came while on the relay */
	char		 paths[128];	/* the opponent session's paths */
	int64_t		 recv_id;
	int		 quit;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
die(struct game *g, int rc, const char *what)
{
	fprintf(stderr, "duel: %s: %s\n", what, g->c != NULL ?
	    p2pclient_errmsg(g->c) : p2pclient_strerror(rc));
	exit(1);
}

/* A standing receive on the service: renewed each time it is answered. */
static void
arm_recv(struct game *g)
{
	g->recv_id = p2pclient_recv_async(g->c, SERVICE, 1024, UINT32_MAX);
	if (g->recv_id < 0)
		die(g, (int)g->recv_id, "recv");
}

static void
on_response(struct p2pclient *c, const struct p2pclient_response *r,
    void *arg)
{
	struct game *g = arg;

	(void)c;
	if (r->code != 0) {
		fprintf(stderr, "duel: request %u: %s\n", r->id, r->error);
		g->quit = 1;
	} else if ((int64_t)r->id == g->recv_id)
		arm_recv(g);
}

static void
on_message(struct p2pclient *c, const struct p2pclient_event *ev, void *arg)
{
	struct game *g = arg;
	char buf[300];
	unsigned seq;
	int x, y;

	(void)c;
	if (strcmp(ev->peer_id, g->opp) != 0 || ev->len >= sizeof(buf))
		return;
	memcpy(buf, ev->data, ev->len);
	buf[ev->len] = '\0';
	if (ev->channel == CH_INPUT &&
	    sscanf(buf, "IN %u %d %d", &seq, &x, &y) == 3) {
		g->got++;
		if (strcmp(g->paths, "relay") == 0)
			g->got_relay++;
		g->opp_seq = seq;
		if (x != g->ox || y != g->oy)
			printf("opponent at %d,%d (seq %u)\n", x, y, seq);
		g->ox = x;
		g->oy = y;
	} else if (ev->channel == CH_CHAT && strncmp(buf, "CHAT ", 5) == 0) {
		g->chats++;
		printf("chat %s: %s\n", ev->peer_id, buf + 5);
	}
	fflush(stdout);
}

static void
on_peer_state(struct p2pclient *c, const char *peer, const char *state,
    const char *path, const char *reason, void *arg)
{
	struct game *g = arg;
	size_t n = strlen(g->paths);
	const char *last;

	(void)c;
	(void)reason;
	if (strcmp(peer, g->opp) != 0 || strcmp(state, "up") != 0)
		return;
	last = strrchr(g->paths, ',');
	last = last != NULL ? last + 1 : g->paths;
	if (strcmp(last, path) == 0)
		return;
	snprintf(g->paths + n, sizeof(g->paths) - n, "%s%s", n ? "," : "",
	    path);
	printf("path %s\n", path);
	fflush(stdout);
}

static void
send_msg(struct game *g, int flags, const char *text)
{
	int64_t id;

	id = p2pclient_send_async(g->c, g->opp, SERVICE, text, strlen(text),
	    flags);
	if (id == P2PCLIENT_EAGAIN)
		return;		/* the window is full: skip this tick's input */
	if (id < 0)
		die(g, (int)id, "send");
}

static void
command(struct game *g, char *line)
{
	char msg[300];

	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "w") == 0 && g->y > 0)
		g->y--;
	else if (strcmp(line, "s") == 0 && g->y < BOARD - 1)
		g->y++;
	else if (strcmp(line, "a") == 0 && g->x > 0)
		g->x--;
	else if (strcmp(line, "d") == 0 && g->x < BOARD - 1)
		g->x++;
	else if (strncmp(line, "say ", 4) == 0) {
		snprintf(msg, sizeof(msg), "CHAT %.250s", line + 4);
		send_msg(g, P2PCLIENT_RELIABLE | P2PCLIENT_CHANNEL(CH_CHAT),
		    msg);
	} else if (strcmp(line, "quit") == 0)
		g->quit = 1;
}

static void
tick(struct game *g)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "IN %u %d %d", ++g->seq, g->x, g->y);
	send_msg(g, P2PCLIENT_SEQUENCED | P2PCLIENT_CHANNEL(CH_INPUT) |
	    P2PCLIENT_PRIO_HIGH, msg);
	g->sent++;
}

/* Matchmaking: the match group, and the opponent in it. */
static void
find_opponent(struct game *g, const char *map, uint32_t timeout_s)
{
	struct p2pclient_status *st;
	struct p2pclient_groups *gs;
	char attr[80];
	const char *attrs[2] = { "game=duel", attr };
	size_t i;
	int rc;

	if ((rc = p2pclient_status(g->c, &st)) != 0)
		die(g, rc, "status");
	snprintf(g->me, sizeof(g->me), "%s", st->peer_id);
	p2pclient_status_free(st);
	snprintf(attr, sizeof(attr), "map=%s", map);
	printf("looking for an opponent on %s\n", map);
	fflush(stdout);
	if ((rc = p2pclient_match(g->c, attrs, 2, 2, timeout_s, &gs)) != 0)
		die(g, rc, "match");
	snprintf(g->group, sizeof(g->group), "%s", gs->v[0]->name);
	for (i = 0; i < gs->v[0]->n; i++)
		if (strcmp(gs->v[0]->members[i]->peer_id, g->me) != 0)
			snprintf(g->opp, sizeof(g->opp), "%s",
			    gs->v[0]->members[i]->peer_id);
	p2pclient_groups_free(gs);
	if (g->opp[0] == '\0') {
		fprintf(stderr, "duel: the match group has no opponent\n");
		exit(1);
	}
	printf("matched %s opponent %s\n", g->group, g->opp);
	fflush(stdout);
}

static void
usage(void)
{
	fprintf(stderr, "usage: duel [-s SOCKET] [--map NAME] [--timeout S] "
	    "[--script FILE] [--linger TICKS]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "map", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "script", required_argument, NULL, 'f' },
		{ "linger", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	struct p2pclient_callbacks cb;
	struct game g;
	struct pollfd pfd[2];
	const char *sock = NULL, *map = "dunes";
	FILE *script = NULL;
	char line[512], err[256];
	uint64_t next;
	long timeout_s = 60, linger = 40;
	int ch, code, n, left = -1;

	while ((ch = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'm': map = optarg; break;
		case 't': timeout_s = strtol(optarg, NULL, 10); break;
		case 'l': linger = strtol(optarg, NULL, 10); break;
		case 'f':
			if ((script = fopen(optarg, "r")) == NULL) {
				fprintf(stderr, "duel: %s: %s\n", optarg,
				    strerror(errno));
				return 1;
			}
			break;
		default: usage();
		}
	}
	if (optind != argc || timeout_s < 1 || timeout_s > 3600 || linger < 0)
		usage();
	memset(&g, 0, sizeof(g));
	if ((g.c = p2pclient_open_ex(sock, &code, err, sizeof(err))) == NULL) {
		fprintf(stderr, "duel: %s\n", err);
		return code == P2PCLIENT_ENOTRUNNING ? 3 : 1;
	}
	/* Bound and subscribed first: nothing the opponent sends is lost. */
	if ((code = p2pclient_bind(g.c, SERVICE)) != 0)
		die(&g, code, "bind");
	if ((code = p2pclient_subscribe(g.c)) != 0)
		die(&g, code, "subscribe");
	find_opponent(&g, map, (uint32_t)timeout_s);
	memset(&cb, 0, sizeof(cb));
	cb.size = sizeof(cb);
	cb.on_response = on_response;
	cb.on_message_ex = on_message;
	cb.on_peer_state = on_peer_state;
	if (p2pclient_set_callbacks(g.c, &cb, &g) != 0)
		die(&g, P2PCLIENT_EINVAL, "callbacks");
	arm_recv(&g);
	/* Events queued while matching (the session coming up). */
	for (;;) {
		struct p2pclient_event *ev;

		if (p2pclient_next_event(g.c, 0, &ev) != 0)
			break;
		if (ev->type == P2PCLIENT_EV_PEER_STATE)
			on_peer_state(g.c, ev->peer_id, ev->state, ev->path,
			    ev->reason, &g);
		p2pclient_event_free(ev);
	}
	next = now_ms() + TICK_MS;
	while (!g.quit && left != 0) {
		pfd[0].fd = p2pclient_fd(g.c);
		pfd[0].events = POLLIN | (p2pclient_want_write(g.c) ? POLLOUT : 0);
		pfd[1].fd = script == NULL ? STDIN_FILENO : -1;
		pfd[1].events = POLLIN;
		n = (int)(next > now_ms() ? next - now_ms() : 0);
		if (poll(pfd, 2, n) == -1 && errno != EINTR)
			break;
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    (code = p2pclient_on_readable(g.c)) < 0)
			die(&g, code, "p2pd");
		if ((pfd[0].revents & POLLOUT) &&
		    (code = p2pclient_on_writable(g.c)) < 0)
			die(&g, code, "p2pd");
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			if (fgets(line, sizeof(line), stdin) == NULL)
				g.quit = 1;
			else
				command(&g, line);
		}
		if (now_ms() < next)
			continue;
		next += TICK_MS;
		if (script != NULL && left < 0) {
			if (fgets(line, sizeof(line), script) != NULL)
				command(&g, line);
			else
				left = (int)linger;
		} else if (left > 0)
			left--;
		tick(&g);
		if (p2pclient_want_write(g.c))
			(void)p2pclient_on_writable(g.c);
	}
	(void)p2pclient_flush(g.c, 2000);
	printf("summary sent=%u got=%u got_relay=%u chats=%u last_seq=%u "
	    "paths=%s\n", g.sent, g.got, g.got_relay, g.chats, g.opp_seq,
	    g.paths[0] ? g.paths : "-");
	if (script != NULL)
		fclose(script);
	p2pclient_close(g.c);
	return 0;
}
