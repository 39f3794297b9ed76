/* SPDX-License-Identifier: ISC */
/*
 * msgflood: SOCK_A SOCK_B PEER_A PEER_B COUNT
 *
 * Sends COUNT numbered messages from A to B and COUNT from B to A at the
 * same time, pipelined, through libp2pclient only, and checks that every
 * message arrives exactly once, in order, with its payload intact (sizes
 * 1..4000 bytes, content derived from the sequence number). Prints the
 * rate and exits 0, or says what went wrong and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/benchclient.h"

#define SERVICE		"msgflood"
#define MAXLEN		4000
#define RECV_BATCH	1000
#define RECV_WAIT_MS	500
#define STALL_MS	30000

struct dir {
	const char		*name;		/* "A->B" */
	const char		*to;		/* receiving peer id */
	struct p2pclient	*tx, *rx;
	uint32_t		 sent, acked, got;
	int			 recv_out;	/* a recv is outstanding */
};

static uint32_t	count;

static size_t
msg_len(uint32_t seq)
{
	return 1 + (seq * 7919u) % MAXLEN;
}

/* The payload of message seq: its number first, then derived bytes. */
static void
msg_fill(uint32_t seq, uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 131u + i * 7u + (i >> 8));
	if (len >= 4) {
		p[0] = seq >> 24; p[1] = seq >> 16; p[2] = seq >> 8; p[3] = seq;
	}
}

static void
on_response(struct p2pclient *c, const struct p2pclient_response *r,
    void *arg)
{
	struct dir	*d = arg;

	if (r->code != 0)
		die("%s: request %u failed: %s", d->name, r->id, r->error);
	if (c == d->tx)
		d->acked++;
	else
		d->recv_out = 0;
}

static void
on_message(struct p2pclient *c, const char *from, const char *service,
    const uint8_t *data, size_t len, const char *group, void *arg)
{
	struct dir	*d = arg;
	uint8_t		 want[MAXLEN];
	uint32_t	 seq = d->got, had;

	if (d->got >= count)
		die("%s: message beyond the %u sent (from %s)", d->name, count,
		    from);
	if (len != msg_len(seq))
		die("%s: message %u has %zu bytes, expected %zu (lost, "
		    "duplicated or reordered)", d->name, seq, len,
		    msg_len(seq));
	msg_fill(seq, want, len);
	if (memcmp(data, want, len) != 0) {
		had = len >= 4 ? (uint32_t)data[0] << 24 | data[1] << 16 |
		    data[2] << 8 | data[3] : 0;
		die("%s: message %u payload differs (carries number %u)",
		    d->name, seq, had);
	}
	d->got++;
}

static struct p2pclient *
open_sock(const char *path, struct dir *d)
{
	struct p2pclient_callbacks	 cb;
	struct p2pclient		*c = bench_open(path);

	memset(&cb, 0, sizeof(cb));
	cb.size = sizeof(cb);
	cb.on_response = on_response;
	cb.on_message = on_message;
	if (p2pclient_set_callbacks(c, &cb, d) != 0)
		die("set_callbacks: %s", p2pclient_errmsg(c));
	return c;
}

/* Queue as many sends and recvs as the windows allow. */
static void
pump_dir(struct dir *d)
{
	static uint8_t	buf[MAXLEN];
	int64_t		id;
	uint32_t	n;

	while (d->sent < count && p2pclient_can_send(d->tx)) {
		msg_fill(d->sent, buf, msg_len(d->sent));
		id = p2pclient_send_async(d->tx, d->to, SERVICE, buf,
		    msg_len(d->sent), 0);
		if (id == P2PCLIENT_EAGAIN)
			break;
		if (id < 0)
			die("%s: send: %s", d->name, p2pclient_errmsg(d->tx));
		d->sent++;
	}
	if (!d->recv_out && d->got < count) {
		n = count - d->got < RECV_BATCH ? count - d->got : RECV_BATCH;
		if (p2pclient_recv_async(d->rx, SERVICE, n, RECV_WAIT_MS) < 0)
			die("%s: recv: %s", d->name, p2pclient_errmsg(d->rx));
		d->recv_out = 1;
	}
}

static void
run(struct dir *ab, struct dir *ba)
{
	struct p2pclient	*cs[4] = { ab->tx, ab->rx, ba->tx, ba->rx };
	struct pollfd		 pfd[4];
	uint64_t		 progress, last = 0;
	double			 stalled = bench_now();
	int			 i;

	while (ab->got < count || ba->got < count || ab->acked < count ||
	    ba->acked < count) {
		pump_dir(ab);
		pump_dir(ba);
		for (i = 0; i < 4; i++) {
			pfd[i].fd = p2pclient_fd(cs[i]);
			pfd[i].events = POLLIN |
			    (p2pclient_want_write(cs[i]) ? POLLOUT : 0);
			pfd[i].revents = 0;
		}
		if (poll(pfd, 4, 1000) == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (i = 0; i < 4; i++)
			if (pfd[i].revents)
				bench_io(cs[i], pfd[i].revents);
		progress = (uint64_t)ab->got + ba->got + ab->acked + ba->acked;
		if (progress != last) {
			last = progress;
			stalled = bench_now();
		} else if (bench_now() - stalled > STALL_MS / 1000.0)
			die("stalled: A->B sent %u acked %u received %u; "
			    "B->A sent %u acked %u received %u", ab->sent,
			    ab->acked, ab->got, ba->sent, ba->acked, ba->got);
	}
}

int
main(int argc, char *argv[])
{
	struct dir	ab, ba;
	double		t0, dt;

	if (argc != 6)
		die("usage: msgflood SOCK_A SOCK_B PEER_A PEER_B COUNT");
	count = number(argv[5], "COUNT");
	memset(&ab, 0, sizeof(ab));
	memset(&ba, 0, sizeof(ba));
	ab.name = "A->B";
	ab.to = argv[4];
	ba.name = "B->A";
	ba.to = argv[3];
	ab.tx = open_sock(argv[1], &ab);
	ab.rx = open_sock(argv[2], &ab);
	ba.tx = open_sock(argv[2], &ba);
	ba.rx = open_sock(argv[1], &ba);
	if (p2pclient_bind(ab.rx, SERVICE) != 0)
		die("bind on B: %s", p2pclient_errmsg(ab.rx));
	if (p2pclient_bind(ba.rx, SERVICE) != 0)
		die("bind on A: %s", p2pclient_errmsg(ba.rx));
	if (p2pclient_connect(ab.tx, ab.to, 30000) != 0)
		die("connect A->B: %s", p2pclient_errmsg(ab.tx));
	t0 = bench_now();
	run(&ab, &ba);
	dt = bench_now() - t0;
	printf("msgflood: %u+%u messages in %.2f s (%.0f msg/s)\n", count,
	    count, dt, 2.0 * count / (dt > 0 ? dt : 1e-9));
	p2pclient_close(ab.tx);
	p2pclient_close(ab.rx);
	p2pclient_close(ba.tx);
	p2pclient_close(ba.rx);
	return 0;
}
