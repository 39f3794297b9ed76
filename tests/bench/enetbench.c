/* SPDX-License-Identifier: ISC */
/*
 * enetbench: the ENet contestant (Debian's libenet-dev) over loopback: a
 * receiving host and a sending host, 1200-byte MTU, reliable packets on
 * channel 0. By default the two hosts are threads of one process; with -2
 * they are two processes (as p2pd's two agents are), the receiver forked
 * off and telling the sender its port and, at the end, the time the last
 * message arrived through a pipe (CLOCK_MONOTONIC is the same for both).
 *
 *   enetbench [-2] bulk SIZE COUNT	COUNT messages of SIZE bytes; the
 *	receiver checks order and length. ENet queues without limit, so the
 *	sender stops queueing while QUEUE_CAP commands wait to go out.
 *   enetbench [-2] rtt COUNT	ping-pong of a 64-byte reliable message.
 *
 * Built only by `make bench` (configure does not require ENet).
 * Prints "RESULT enet METRIC VALUE" ("enet2p" with -2).
 */
#include <enet/enet.h>

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <unistd.h>

#include "benchdata.h"

#define MTU		1200
#define QUEUE_CAP	1024	/* queued outgoing commands (fragments) */

static size_t		size;
static uint32_t		count;
static int		rtt_mode;
static ENetAddress	srv_addr;
static _Atomic int	srv_ready, rx_done;
static double		t_end;
static int		two_procs;	/* -2: the receiver is a process */
static int		res_fd = -1;	/* its pipe: port, then t_end */
static const char	*who = "enet";

/* Two processes: what the receiver tells the sender (whole or nothing). */
static void
tell(const void *p, size_t n)
{
	if (res_fd != -1 && write(res_fd, p, n) != (ssize_t)n)
		die("pipe to the sender: %s", strerror(errno));
}

/* The sender: take what the receiver told, if it has (-1: not yet). */
static int
heard(void *p, size_t n)
{
	ssize_t r = read(res_fd, p, n);

	if (r == (ssize_t)n)
		return 0;
	if (r == -1 && errno == EAGAIN)
		return -1;
	die("pipe from the receiver: %s", r == 0 ? "closed" :
	    strerror(errno));
}

/* The receiving host: checks every message, echoes in rtt mode. */
static void *
server(void *arg)
{
	ENetAddress	 any;
	ENetHost	*h;
	ENetEvent	 ev;
	ENetPacket	*p;
	uint32_t	 got = 0;
	int		 disconnected = 0;

	(void)arg;
	memset(&any, 0, sizeof(any));
	if (enet_address_set_host_ip(&any, "127.0.0.1") != 0)
		die("enet_address_set_host_ip");
	any.port = 0;
	if ((h = enet_host_create(&any, 1, 1, 0, 0)) == NULL)
		die("enet_host_create (server)");
	h->mtu = MTU;
	srv_addr = h->address;
	srv_ready = 1;
	tell(&srv_addr.port, sizeof(srv_addr.port));
	while (!disconnected) {
		if (enet_host_service(h, &ev, 100) < 0)
			die("enet_host_service (server)");
		switch (ev.type) {
		case ENET_EVENT_TYPE_RECEIVE:
			p = ev.packet;
			if (rtt_mode) {
				if (enet_peer_send(ev.peer, 0, enet_packet_create(
				    p->data, p->dataLength,
				    ENET_PACKET_FLAG_RELIABLE)) != 0)
					die("echo");
				enet_host_flush(h);
			} else {
				if (p->dataLength != size ||
				    bench_seq(p->data, p->dataLength) != got)
					die("message %u: %zu bytes carrying "
					    "number %u", got, p->dataLength,
					    bench_seq(p->data, p->dataLength));
				if (++got == count) {
					t_end = bench_now();
					rx_done = 1;
					tell(&t_end, sizeof(t_end));
				}
			}
			enet_packet_destroy(p);
			break;
		case ENET_EVENT_TYPE_DISCONNECT:
			disconnected = 1;
			break;
		default:
			break;
		}
	}
	enet_host_destroy(h);
	return NULL;
}

static ENetPeer *
client_connect(ENetHost **hp)
{
	ENetHost	*h;
	ENetPeer	*peer;
	ENetEvent	 ev;

	while (!srv_ready)
		;
	if ((h = enet_host_create(NULL, 1, 1, 0, 0)) == NULL)
		die("enet_host_create (client)");
	h->mtu = MTU;
	if ((peer = enet_host_connect(h, &srv_addr, 1, 0)) == NULL)
		die("enet_host_connect");
	if (enet_host_service(h, &ev, 5000) <= 0 ||
	    ev.type != ENET_EVENT_TYPE_CONNECT)
		die("no connection to the ENet server");
	*hp = h;
	return peer;
}

static void
client_close(ENetHost *h, ENetPeer *peer)
{
	ENetEvent	ev;

	enet_peer_disconnect(peer, 0);
	while (enet_host_service(h, &ev, 1000) > 0)
		if (ev.type == ENET_EVENT_TYPE_DISCONNECT)
			break;
		else if (ev.type == ENET_EVENT_TYPE_RECEIVE)
			enet_packet_destroy(ev.packet);
	enet_host_destroy(h);
}

static void
bulk(void)
{
	ENetHost	*h;
	ENetPeer	*peer;
	ENetEvent	 ev;
	uint8_t		*msg;
	uint32_t	 seq;
	double		 t0;

	if ((msg = malloc(size)) == NULL)
		die("out of memory");
	peer = client_connect(&h);
	t0 = bench_now();
	for (seq = 0; seq < count; seq++) {
		while (enet_list_size(&peer->outgoingCommands) >= QUEUE_CAP)
			if (enet_host_service(h, &ev, 1) < 0)
				die("enet_host_service (client)");
		bench_fill(seq, msg, size);
		if (enet_peer_send(peer, 0, enet_packet_create(msg, size,
		    ENET_PACKET_FLAG_RELIABLE)) != 0)
			die("enet_peer_send");
		enet_host_service(h, &ev, 0);
	}
	while (!rx_done) {
		if (enet_host_service(h, &ev, 1) < 0)
			die("enet_host_service (client)");
		if (two_procs && heard(&t_end, sizeof(t_end)) == 0)
			rx_done = 1;
	}
	bench_print_bulk(who, size, count, t_end - t0);
	client_close(h, peer);
	free(msg);
}

static void
rtt(void)
{
	ENetHost	*h;
	ENetPeer	*peer;
	ENetEvent	 ev;
	uint8_t		 msg[BENCH_RTT_LEN];
	double		*v, t0;
	uint32_t	 i;

	if ((v = calloc(count, sizeof(*v))) == NULL)
		die("out of memory");
	peer = client_connect(&h);
	for (i = 0; i < count; i++) {
		bench_fill(i, msg, sizeof(msg));
		t0 = bench_now();
		if (enet_peer_send(peer, 0, enet_packet_create(msg,
		    sizeof(msg), ENET_PACKET_FLAG_RELIABLE)) != 0)
			die("enet_peer_send");
		enet_host_flush(h);
		for (;;) {
			if (enet_host_service(h, &ev, 1000) <= 0)
				die("ping-pong %u: no answer", i);
			if (ev.type == ENET_EVENT_TYPE_RECEIVE)
				break;
		}
		v[i] = bench_now() - t0;
		if (bench_seq(ev.packet->data, ev.packet->dataLength) != i)
			die("ping-pong %u: wrong answer", i);
		enet_packet_destroy(ev.packet);
	}
	bench_print_rtt(who, v, count);
	client_close(h, peer);
	free(v);
}

/* -2: the receiver in a child process; back in the parent, the sender. */
static pid_t
fork_receiver(void)
{
	int	p[2];
	pid_t	pid;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		die("pipe/fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		res_fd = p[1];
		server(NULL);
		_exit(0);
	}
	close(p[1]);
	res_fd = p[0];
	/* The port first (blocking), then t_end polled while serving. */
	while (heard(&srv_addr.port, sizeof(srv_addr.port)) == -1)
		;
	if (enet_address_set_host_ip(&srv_addr, "127.0.0.1") != 0)
		die("enet_address_set_host_ip");
	if (fcntl(res_fd, F_SETFL, O_NONBLOCK) == -1)
		die("fcntl: %s", strerror(errno));
	srv_ready = 1;
	return pid;
}

int
main(int argc, char *argv[])
{
	pthread_t	th;
	pid_t		pid = -1;
	int		st;

	if (argc > 1 && strcmp(argv[1], "-2") == 0) {
		two_procs = 1;
		who = "enet2p";
		argc--;
		argv++;
	}
	if (argc == 4 && strcmp(argv[1], "bulk") == 0) {
		size = number(argv[2], "SIZE");
		count = number(argv[3], "COUNT");
		if (size < 4 || size > 16 << 20)
			die("SIZE must be 4..16777216");
	} else if (argc == 3 && strcmp(argv[1], "rtt") == 0) {
		rtt_mode = 1;
		count = number(argv[2], "COUNT");
	} else
		die("usage: enetbench [-2] bulk SIZE COUNT | "
		    "enetbench [-2] rtt COUNT");
	if (enet_initialize() != 0)
		die("enet_initialize");
	if (two_procs)
		pid = fork_receiver();
	else if (pthread_create(&th, NULL, server, NULL) != 0)
		die("pthread_create");
	if (rtt_mode)
		rtt();
	else
		bulk();
	if (two_procs) {
		if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			die("the receiving process failed");
	} else
		pthread_join(th, NULL);
	enet_deinitialize();
	return 0;
}
