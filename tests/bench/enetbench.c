/* SPDX-License-Identifier: ISC */
/*
 * enetbench: the ENet contestant (Debian's libenet-dev), in one process over
 * loopback: a receiving host and a sending host, each on its own thread,
 * 1200-byte MTU, reliable packets on channel 0.
 *
 *   enetbench bulk SIZE COUNT	COUNT messages of SIZE bytes; the receiver
 *	checks order and length. ENet queues without limit, so the sender
 *	stops queueing while QUEUE_CAP commands wait to go out.
 *   enetbench rtt COUNT	ping-pong of a 64-byte reliable message.
 *
 * Built only by `make bench` (configure does not require ENet).
 * Prints "RESULT enet METRIC VALUE".
 */
#include <enet/enet.h>

#include <pthread.h>
#include <stdarg.h>

#include "benchdata.h"

#define MTU		1200
#define QUEUE_CAP	1024	/* queued outgoing commands (fragments) */

static size_t		size;
static uint32_t		count;
static int		rtt_mode;
static ENetAddress	srv_addr;
static _Atomic int	srv_ready, rx_done;
static double		t_end;

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
	while (!rx_done)
		if (enet_host_service(h, &ev, 1) < 0)
			die("enet_host_service (client)");
	bench_print_bulk("enet", size, count, t_end - t0);
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
	bench_print_rtt("enet", v, count);
	client_close(h, peer);
	free(v);
}

int
main(int argc, char *argv[])
{
	pthread_t	th;

	if (argc == 4 && strcmp(argv[1], "bulk") == 0) {
		size = number(argv[2], "SIZE");
		count = number(argv[3], "COUNT");
		if (size < 4 || size > 16 << 20)
			die("SIZE must be 4..16777216");
	} else if (argc == 3 && strcmp(argv[1], "rtt") == 0) {
		rtt_mode = 1;
		count = number(argv[2], "COUNT");
	} else
		die("usage: enetbench bulk SIZE COUNT | enetbench rtt COUNT");
	if (enet_initialize() != 0)
		die("enet_initialize");
	if (pthread_create(&th, NULL, server, NULL) != 0)
		die("pthread_create");
	if (rtt_mode)
		rtt();
	else
		bulk();
	pthread_join(th, NULL);
	enet_deinitialize();
	return 0;
}
