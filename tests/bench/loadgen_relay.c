/* SPDX-License-Identifier: ISC */
/*
 * loadgen_relay.c: loadgen --relay COUNT, the server's relay alone, without
 * agents (loadgen.c's top comment says what it sends and prints).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "loadgen.h"
#include "wire.h"

#define LG_RELAY_BATCH	64
#define LG_RELAY_CREDIT	48	/* bytes of a credit's peer packet */
#define LG_RELAY_END	40	/* bytes of the end marker's */

struct lg_relay {
	struct lg		*g;
	struct lg_peer		*rx;
	int			 fd;
	uint32_t		 window;
	uint64_t		 got, bytes;
	uint64_t		 t_end_us;
	_Atomic int		 done;
};

/* A RELAY packet from p to its introduced peer: a DATA packet of len bytes
 * (header type and version, filler, v in bytes 16..19). */
static ssize_t
relay_seal(struct lg_peer *p, size_t len, uint32_t v, uint8_t *out,
    size_t cap)
{
	uint8_t pt[WIRE_RELAY_ID_LEN + 1500], *in = pt + WIRE_RELAY_ID_LEN;

	if (len < 20 || len > 1500)
		return -1;
	pt[0] = p->relay_to >> 24;
	pt[1] = p->relay_to >> 16;
	pt[2] = p->relay_to >> 8;
	pt[3] = p->relay_to;
	memset(in, 0xa5, len);
	in[0] = WIRE_DATA;
	in[1] = WIRE_VERSION;
	memcpy(in + 16, &v, sizeof(v));
	if (p->relay_mac)
		return ctlchan_seal_mac(&p->ch, WIRE_RELAY_MAC, pt,
		    WIRE_RELAY_ID_LEN + len, out, cap);
	return ctlchan_seal(&p->ch, WIRE_RELAY, pt, WIRE_RELAY_ID_LEN + len,
	    out, cap);
}

/* A RELAY packet for p: its peer packet's length and value, or -1. */
static ssize_t
relay_open(struct lg_peer *p, const uint8_t *pkt, size_t len, uint32_t *v)
{
	uint8_t buf[2048], type = 0;
	const uint8_t *pt = buf;
	ssize_t n;

	if (wire_classify(pkt, len, &type, NULL) != WIRE_CLASS_P2P)
		return -1;
	if (type == WIRE_RELAY_MAC) {
		n = ctlchan_open_mac(&p->ch, WIRE_RELAY_MAC, pkt, len);
		pt = pkt + CHAN_HDR_LEN;
	} else if (type == WIRE_RELAY)
		n = ctlchan_open(&p->ch, WIRE_RELAY, pkt, len, buf,
		    sizeof(buf));
	else
		return -1;
	if (n < WIRE_RELAY_ID_LEN + 20)
		return -1;
	memcpy(v, pt + WIRE_RELAY_ID_LEN + 16, sizeof(*v));
	return n - WIRE_RELAY_ID_LEN;
}

static void *
relay_rx(void *arg)
{
	struct lg_relay *r = arg;
	struct pollfd pfd = { r->fd, POLLIN, 0 };
	uint8_t buf[2048], out[256];
	uint64_t credit = 0;
	uint32_t v;
	ssize_t n, m;

	while (poll(&pfd, 1, 10000) == 1) {	/* 10 s of silence: over */
		while ((n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			if ((m = relay_open(r->rx, buf, (size_t)n, &v)) < 0)
				continue;	/* a push on CTRL, or junk */
			if (m == LG_RELAY_END) {
				r->t_end_us = lg_now_us();
				r->done = 1;
				return NULL;
			}
			r->got++;
			r->bytes += (uint64_t)m;
		}
		if (r->got - credit >= r->window / 4) {
			credit = r->got;
			if ((m = relay_seal(r->rx, LG_RELAY_CREDIT,
			    (uint32_t)credit, out, sizeof(out))) > 0)
				lg_send_to(r->g, &r->g->socks[r->rx->sock],
				    r->rx->node, out, (size_t)m);
		}
	}
	r->t_end_us = lg_now_us();
	return NULL;
}

int
lg_relay_bench(struct lg *g, uint32_t count, size_t size, uint32_t window)
{
	static uint8_t pkts[LG_RELAY_BATCH][1600];
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__ConnectRequest cr = P2P__SRV__CONNECT_REQUEST__INIT;
	struct lg_peer *a = &g->peers[0], *b = &g->peers[1];
	struct lg_sock *ka = &g->socks[a->sock];
	struct mmsghdr mm[LG_RELAY_BATCH];
	struct iovec iov[LG_RELAY_BATCH];
	struct lg_relay r;
	struct pollfd pfd;
	pthread_t th;
	uint64_t sent = 0, acked = 0, lost = 0, t0, deadline, asked = 0;
	uint8_t buf[2048];
	char name[P2P_NAME_MAX + 1];
	uint32_t v;
	ssize_t n;
	int i, want, wait_ms;

	lg_peer_name(g, 1, name, sizeof(name));
	cr.peer_id = name;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_CONNECT;
	m.connect = &cr;
	deadline = lg_now_us() + 10000000ULL;
	while (a->relay_to == 0 || b->relay_to == 0) {
		if (lg_now_us() > deadline) {
			fprintf(stderr, "loadgen: --relay: no introduction "
			    "(does the server run with --policy open?)\n");
			return -1;
		}
		if (lg_now_us() - asked > 1000000ULL) {
			m.id = (uint32_t)(1000 + asked % 1000);
			lg_send_msg(g, ka, a, &m);
			asked = lg_now_us();
		}
		lg_pump(g, 10);
	}
	memset(&r, 0, sizeof(r));
	r.g = g;
	r.rx = b;
	r.fd = g->socks[b->sock].fd;
	r.window = window;
	if (pthread_create(&th, NULL, relay_rx, &r) != 0)
		return -1;
	t0 = lg_now_us();
	while (sent < count) {
		want = 0;
		while (want < LG_RELAY_BATCH && sent + (uint64_t)want < count &&
		    sent + (uint64_t)want < acked + lost + window) {
			if ((n = relay_seal(a, size, (uint32_t)(sent + want),
			    pkts[want], sizeof(pkts[want]))) < 0)
				return -1;
			iov[want].iov_base = pkts[want];
			iov[want].iov_len = (size_t)n;
			memset(&mm[want], 0, sizeof(mm[want]));
			mm[want].msg_hdr.msg_iov = &iov[want];
			mm[want].msg_hdr.msg_iovlen = 1;
			mm[want].msg_hdr.msg_name = &g->srv[a->node];
			mm[want].msg_hdr.msg_namelen = g->srvlen[a->node];
			want++;
		}
		if (want > 0) {
			if ((i = sendmmsg(ka->fd, mm, (unsigned)want, 0)) < 0) {
				if (errno == EINTR || errno == ENOBUFS)
					continue;
				perror("loadgen: sendmmsg");
				return -1;
			}
			sent += (uint64_t)i;
		}
		pfd.fd = ka->fd;
		pfd.events = POLLIN;
		wait_ms = sent < acked + lost + window ? 0 : 20;
		if (poll(&pfd, 1, wait_ms) == 0 && wait_ms > 0)
			lost = sent - acked;	/* no credit: count as lost */
		while ((n = recv(ka->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			if (relay_open(a, buf, (size_t)n, &v) ==
			    LG_RELAY_CREDIT && v > acked)
				acked = v;
	}
	for (i = 0; i < 300 && !r.done; i++) {	/* the end marker, 3 s */
		if ((n = relay_seal(a, LG_RELAY_END, 0, buf, sizeof(buf))) > 0)
			lg_send_to(g, ka, a->node, buf, (size_t)n);
		usleep(i == 0 ? 0 : 10000);
	}
	pthread_join(th, NULL);
	if (!r.done) {
		fprintf(stderr, "loadgen: --relay: the end marker did not "
		    "come through the relay\n");
		return -1;
	}
	printf("relay_mb_per_s=%.1f\nrelay_pps=%.0f\nrelay_lost=%llu\n",
	    (double)r.bytes / ((double)(r.t_end_us - t0)),
	    (double)r.got * 1e6 / (double)(r.t_end_us - t0),
	    (unsigned long long)(count - r.got));
	return 0;
}
