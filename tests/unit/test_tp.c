/* SPDX-License-Identifier: ISC */
/*
 * test_tp.c: the transport of one session, driven packet by packet:
 * delivery, duplicates, malformed input, credit violations, ack timing,
 * loss detection, PTO, RTT, the congestion window, back-pressure, echo,
 * stream stop/reset/done. The simulated network tests are in tests/sim.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc.h"
#include "frame.h"
#include "tp.h"
#include "tp_int.h"

#define T0 1000000ULL

struct end {
	struct tp	*tp;
	uint64_t	 pn;
	int		 opened, messages, fins, acked_calls, writable;
	int		 done, stopped, echoes, closed, close_remote;
	uint64_t	 close_code, last_acked, stop_code, echo_nonce;
	uint64_t	 sid;
	char		 name[80];
	uint8_t		 last[256];
	size_t		 last_len;
	size_t		 pipe_bytes;
};

static void
c_open(void *a, uint64_t sid, int kind, const char *name)
{
	struct end *e = a;

	e->opened++;
	e->sid = sid;
	snprintf(e->name, sizeof(e->name), "%d:%s", kind, name);
}

static void
c_msg(void *a, uint64_t sid, const uint8_t *d, size_t len)
{
	struct end *e = a;

	e->messages++;
	e->last_len = len;
	memcpy(e->last, d, len < sizeof(e->last) ? len : sizeof(e->last));
}

static void
c_pipe(void *a, uint64_t sid, const uint8_t *d, size_t len, int fin)
{
	struct end *e = a;

	e->pipe_bytes += len;
	e->fins += fin;
	cr_assert_eq(tp_stream_grant(e->tp, sid, len), 0);
}

static void
c_acked(void *a, uint64_t sid, uint64_t off)
{
	struct end *e = a;

	e->acked_calls++;
	e->last_acked = off;
}

static void
c_writable(void *a)
{
	((struct end *)a)->writable++;
}

static void
c_done(void *a, uint64_t sid)
{
	((struct end *)a)->done++;
}

static void
c_stopped(void *a, uint64_t sid, uint64_t code)
{
	struct end *e = a;

	e->stopped++;
	e->stop_code = code;
}

static void
c_echo(void *a, uint64_t nonce)
{
	struct end *e = a;

	e->echoes++;
	e->echo_nonce = nonce;
}

static void
c_closed(void *a, int remote, uint64_t code, const char *reason)
{
	struct end *e = a;

	e->closed++;
	e->close_remote = remote;
	e->close_code = code;
}

static struct end A, B;

/* An end with the default configuration, or with one of its caps set. */
static void
mk_cfg(struct end *e, int initiator, size_t send_buf_max, size_t max_message)
{
	struct tp_cfg cfg;
	struct tp_cb cb = { e, c_open, c_msg, c_pipe, c_acked, c_writable,
	    c_done, c_stopped, c_echo, c_closed, NULL };

	memset(e, 0, sizeof(*e));
	tp_cfg_default(&cfg);
	cfg.initiator = initiator;
	if (send_buf_max)
		cfg.send_buf_max = send_buf_max;
	if (max_message)
		cfg.max_message = max_message;
	cr_assert_not_null(e->tp = tp_new(&cfg, &cb, T0));
}

static void
mk(struct end *e, int initiator, size_t send_buf_max)
{
	mk_cfg(e, initiator, send_buf_max, 0);
}

static void
setup(void)
{
	mk(&A, 1, 0);
	mk(&B, 0, 0);
}

static void
teardown(void)
{
	tp_free(A.tp);
	tp_free(B.tp);
}

/* Moves every packet from -> to at time now; returns how many. */
static int
shuttle(struct end *from, struct end *to, uint64_t now)
{
	uint8_t buf[1500];
	size_t n;
	int k = 0;

	while ((n = tp_output(from->tp, now, from->pn, buf, sizeof(buf))) > 0) {
		from->pn++;
		cr_assert_eq(tp_input(to->tp, now, from->pn - 1, buf, n), 0);
		k++;
	}
	return k;
}

/* Runs both ways, timers included, until quiet or until t_end. */
static uint64_t
converse(uint64_t now, uint64_t t_end)
{
	uint64_t t;

	while (now < t_end) {
		int k = shuttle(&A, &B, now) + shuttle(&B, &A, now);
		if (k > 0)
			continue;
		t = tp_next_timeout(A.tp);
		if (tp_next_timeout(B.tp) < t)
			t = tp_next_timeout(B.tp);
		if (t > t_end)
			break;
		now = t > now ? t : now + 1;
		tp_on_timeout(A.tp, now);
		tp_on_timeout(B.tp, now);
	}
	return now;
}

TestSuite(tp, .init = setup, .fini = teardown);

Test(tp, message_delivered_and_acked)
{
	uint64_t sid, end;

	cr_assert_eq(tp_stream_open(A.tp, TP_STREAM_MESSAGES, "chat", &sid), 0);
	cr_assert_eq(tp_send_message(A.tp, sid, (const uint8_t *)"hello", 5,
	    &end), 0);
	cr_expect_eq(end, 2 + 4 + 1 + 5, "header + prefix + bytes");
	converse(T0, T0 + 1000000);
	cr_expect_eq(B.opened, 1);
	cr_expect_str_eq(B.name, "1:chat");
	cr_expect_eq(B.messages, 1);
	cr_expect_eq(B.last_len, 5);
	cr_expect_arr_eq(B.last, "hello", 5);
	cr_expect_eq(A.last_acked, end, "acked up to the message end");
	cr_expect_eq(tp_send_buffered(A.tp), 0);
}

Test(tp, stream_ids_carry_the_side)
{
	uint64_t a1, a2, b1;

	cr_assert_eq(tp_stream_open(A.tp, 1, "x", &a1), 0);
	cr_assert_eq(tp_stream_open(A.tp, 2, "y", &a2), 0);
	cr_assert_eq(tp_stream_open(B.tp, 1, "x", &b1), 0);
	cr_expect_eq(a1, 0);
	cr_expect_eq(a2, 2);
	cr_expect_eq(b1, 1);
	errno = 0;
	cr_expect_eq(tp_stream_open(A.tp, 3, "x", &a1), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect_eq(tp_stream_open(A.tp, 1, "bad name", &a1), -1);
	cr_expect_eq(tp_stream_open(A.tp, 1, "", &a1), -1);
}

Test(tp, duplicate_packet_delivers_once)
{
	uint8_t buf[1500];
	uint64_t sid;
	size_t n;

	cr_assert_eq(tp_stream_open(A.tp, 1, "s", &sid), 0);
	cr_assert_eq(tp_send_message(A.tp, sid, (const uint8_t *)"x", 1,
	    NULL), 0);
	n = tp_output(A.tp, T0, 0, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(tp_input(B.tp, T0, 0, buf, n), 0);
	cr_assert_eq(tp_input(B.tp, T0, 0, buf, n), 0);
	cr_expect_eq(B.messages, 1);
}

Test(tp, malformed_payload_changes_nothing)
{
	uint8_t buf[1500];
	struct wr w;
	struct tp_stats st;

	/* A valid stream frame, then an unknown frame type. */
	wr_init(&w, buf, sizeof(buf));
	frame_write_stream(&w, 0, 0, (const uint8_t *)"\x01\x01s\x01z", 5, 0);
	wr_varint(&w, 0x3a);
	cr_expect_eq(tp_input(B.tp, T0, 0, buf, w.off), -1);
	cr_expect_eq(B.opened, 0);
	cr_expect_eq(B.messages, 0);
	tp_get_stats(B.tp, &st);
	cr_expect_eq(st.rx_packets, 0);
	/* Truncated: every prefix of the good frame. */
	wr_init(&w, buf, sizeof(buf));
	frame_write_stream(&w, 0, 0, (const uint8_t *)"\x01\x01s\x01z", 5, 0);
	for (size_t i = 1; i < w.off; i++)
		cr_expect_eq(tp_input(B.tp, T0, 1, buf, i), -1);
	cr_expect_eq(tp_input(B.tp, T0, 1, buf, w.off), 0);
	cr_expect_eq(B.messages, 1);
	cr_expect_eq(B.closed, 0);
}

static void
expect_closed(struct end *e, uint64_t code)
{
	uint8_t buf[1500];
	struct frame f;
	struct rd r;
	size_t n;

	cr_expect_eq(e->closed, 1);
	cr_expect_eq(e->close_remote, 0);
	cr_expect_eq(e->close_code, code);
	cr_expect(tp_is_closed(e->tp));
	n = tp_output(e->tp, T0, 100, buf, sizeof(buf));
	cr_assert_gt(n, 0, "a CLOSE goes out");
	rd_init(&r, buf, n);
	cr_assert_eq(frame_parse(&r, &f), 0);
	cr_expect_eq(f.type, FRAME_CLOSE);
	cr_expect_eq(f.u.close.code, code);
}

static int
inject(struct end *e, uint64_t pn, void (*fn)(struct wr *))
{
	uint8_t buf[1500];
	struct wr w;

	wr_init(&w, buf, sizeof(buf));
	fn(&w);
	return tp_input(e->tp, T0, pn, buf, w.off);
}

static void
f_past_credit(struct wr *w)
{
	frame_write_stream(w, 0, 10 * 1024 * 1024, (const uint8_t *)"x", 1, 0);
}

static void
f_huge_offset(struct wr *w)
{
	frame_write_stream(w, 0, VARINT_MAX - 1, (const uint8_t *)"x", 1, 0);
}

static void
f_own_stream(struct wr *w)
{
	/* B is the responder: odd ids are its own. */
	frame_write_stream(w, 1, 0, (const uint8_t *)"x", 1, 0);
}

static void
f_many_streams(struct wr *w)
{
	frame_write_stream(w, 2 * 100000, 0, (const uint8_t *)"x", 1, 0);
}

static void
f_bad_ack(struct wr *w)
{
	struct frame_range r = { 0, 50 };

	frame_write_ack(w, 0, &r, 1);
}

static void
f_bad_header(struct wr *w)
{
	frame_write_stream(w, 0, 0, (const uint8_t *)"\x07\x01s", 3, 0);
}

static void
f_big_message(struct wr *w)
{
	/* header, then a length prefix of 1 GiB (> 16 MiB max) */
	frame_write_stream(w, 0, 0,
	    (const uint8_t *)"\x01\x01s\xc0\x00\x00\x00\x40\x00\x00\x00", 11, 0);
}

Test(tp, credit_exceeded_closes)
{
	cr_expect_eq(inject(&B, 0, f_past_credit), 0);
	expect_closed(&B, TP_ERR_FLOW);
	cr_expect_eq(tp_recv_buffered(B.tp), 0, "nothing was buffered");
}

Test(tp, huge_offset_is_no_allocation)
{
	cr_expect_eq(inject(&B, 0, f_huge_offset), 0);
	expect_closed(&B, TP_ERR_FLOW);
}

Test(tp, protocol_errors_close)
{
	cr_expect_eq(inject(&B, 0, f_own_stream), 0);
	expect_closed(&B, TP_ERR_PROTOCOL);
	teardown();
	setup();
	cr_expect_eq(inject(&B, 0, f_many_streams), 0);
	expect_closed(&B, TP_ERR_PROTOCOL);
	teardown();
	setup();
	cr_expect_eq(inject(&B, 0, f_bad_ack), 0);
	expect_closed(&B, TP_ERR_PROTOCOL);
	teardown();
	setup();
	cr_expect_eq(inject(&B, 0, f_bad_header), 0);
	expect_closed(&B, TP_ERR_PROTOCOL);
	teardown();
	setup();
	cr_expect_eq(inject(&B, 0, f_big_message), 0);
	expect_closed(&B, TP_ERR_PROTOCOL);
}

Test(tp, ack_delayed_then_immediate)
{
	uint8_t buf[1500];
	struct frame f;
	struct rd r;
	size_t n;

	tp_echo(A.tp, 1);
	n = tp_output(A.tp, T0, 0, buf, sizeof(buf));
	cr_assert_eq(tp_input(B.tp, T0, 0, buf, n), 0);
	/* the echo response goes at once and carries the ACK */
	n = tp_output(B.tp, T0, 0, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	rd_init(&r, buf, n);
	cr_assert_eq(frame_parse(&r, &f), 0);
	cr_expect_eq(f.type, FRAME_ACK, "the ACK rides on the response");

	/* A lone PING is acknowledged only after the ack delay. */
	tp_close(A.tp, 0, "");		/* (A is not needed below) */
	{
		static const uint8_t ping[] = { FRAME_PING };
		cr_assert_eq(tp_input(B.tp, T0, 1, ping, 1), 0);
		cr_expect_eq(tp_output(B.tp, T0, 1, buf, sizeof(buf)), 0);
		cr_expect_leq(tp_next_timeout(B.tp), T0 + 25000);
		cr_expect_gt(tp_output(B.tp, T0 + 25000, 1, buf, sizeof(buf)),
		    0);
		/* Two eliciting packets: acknowledged at once. */
		cr_assert_eq(tp_input(B.tp, T0 + 30000, 2, ping, 1), 0);
		cr_assert_eq(tp_input(B.tp, T0 + 30000, 3, ping, 1), 0);
		cr_expect_gt(tp_output(B.tp, T0 + 30000, 2, buf, sizeof(buf)),
		    0);
	}
}

Test(tp, echo_round_trip)
{
	tp_echo(A.tp, 0xabcdef);
	converse(T0, T0 + 100000);
	cr_expect_eq(A.echoes, 1);
	cr_expect_eq(A.echo_nonce, 0xabcdef);
}

/* Packet 0 dropped, later ones acked: 0 is declared lost and resent. */
Test(tp, lost_packet_is_resent_in_a_new_packet)
{
	uint8_t buf[1500], big[6000];
	uint64_t sid;
	struct tp_stats st;
	size_t n;
	int i;

	memset(big, 'q', sizeof(big));
	cr_assert_eq(tp_stream_open(A.tp, 1, "s", &sid), 0);
	cr_assert_eq(tp_send_message(A.tp, sid, big, sizeof(big), NULL), 0);
	for (i = 0; (n = tp_output(A.tp, T0, A.pn, buf, sizeof(buf))) > 0;
	    i++) {
		if (i != 0)
			cr_assert_eq(tp_input(B.tp, T0 + 10000, A.pn, buf, n),
			    0);
		A.pn++;
	}
	cr_assert_geq(i, 5);
	cr_expect_eq(B.messages, 0, "a hole blocks the message");
	shuttle(&B, &A, T0 + 20000);	/* acks 1..n: 0 is lost */
	tp_get_stats(A.tp, &st);
	cr_expect_eq(st.lost, 1);
	shuttle(&A, &B, T0 + 20000);
	cr_expect_eq(B.messages, 1, "message complete after the resend");
	cr_expect_eq(B.last_len, sizeof(big));
	tp_get_stats(A.tp, &st);
	cr_expect_gt(st.retransmits, 0);
	cr_expect(st.srtt_us >= 10000 && st.srtt_us <= 20000,
	    "srtt %llu", (unsigned long long)st.srtt_us);
}

Test(tp, pto_probes_after_silence)
{
	uint8_t buf[1500];
	uint64_t sid, t;
	size_t n;

	cr_assert_eq(tp_stream_open(A.tp, 1, "s", &sid), 0);
	cr_assert_eq(tp_send_message(A.tp, sid, (const uint8_t *)"x", 1,
	    NULL), 0);
	cr_assert_gt(tp_output(A.tp, T0, 0, buf, sizeof(buf)), 0);
	cr_expect_eq(tp_output(A.tp, T0, 1, buf, sizeof(buf)), 0);
	t = tp_next_timeout(A.tp);
	cr_expect(t > T0 && t < T0 + 2000000, "PTO at %llu",
	    (unsigned long long)(t - T0));
	tp_on_timeout(A.tp, t);
	n = tp_output(A.tp, t, 1, buf, sizeof(buf));
	cr_expect_gt(n, 0, "a probe is sent");
	cr_assert_eq(tp_input(B.tp, t, 1, buf, n), 0);
	/* The next PTO is later (backed off). */
	cr_expect_gt(tp_next_timeout(A.tp) - t, t - T0);
}

Test(tp, initial_window_is_ten_packets)
{
	static uint8_t big[100000];
	uint8_t buf[1500];
	uint64_t sid;
	struct tp_stats st;
	int k = 0;

	cr_assert_eq(tp_stream_open(A.tp, 2, "p", &sid), 0);
	cr_assert_eq(tp_stream_write(A.tp, sid, big, sizeof(big)),
	    (ssize_t)sizeof(big));
	while (tp_output(A.tp, T0, A.pn, buf, sizeof(buf)) > 0)
		A.pn++, k++;
	cr_expect_eq(k, 10);
	tp_get_stats(A.tp, &st);
	cr_expect_leq(st.bytes_in_flight, st.cwnd);
	cr_expect_eq(st.cwnd, 10 * 1168);
}

Test(tp, window_grows_past_64k)
{
	static uint8_t big[4 << 20];
	uint64_t sid, now = T0;
	struct tp_stats st;
	int i;

	cr_assert_eq(tp_stream_open(A.tp, 2, "p", &sid), 0);
	for (i = 0; i < 400; i++) {
		if (tp_stream_write(A.tp, sid, big, sizeof(big)) < 0)
			cr_assert_eq(errno, EAGAIN);
		now = converse(now, now + 10000) + 10000;
	}
	tp_get_stats(A.tp, &st);
	cr_expect_gt(st.cwnd, 1 << 20, "cwnd %llu",
	    (unsigned long long)st.cwnd);
	cr_expect_eq(st.lost, 0);
}

Test(tp, send_buffer_refuses_then_writable)
{
	uint8_t m[4000];
	uint64_t sid;
	int i, rc = 0;

	teardown();
	mk(&A, 1, 10000);
	mk(&B, 0, 0);
	cr_assert_eq(tp_stream_open(A.tp, 1, "s", &sid), 0);
	for (i = 0; i < 5 && rc == 0; i++)
		rc = tp_send_message(A.tp, sid, m, sizeof(m), NULL);
	cr_expect_eq(rc, -1);
	cr_expect_eq(errno, EAGAIN);
	cr_expect_leq(tp_send_buffered(A.tp), 10000);
	converse(T0, T0 + 1000000);
	cr_expect_eq(A.writable, 1);
	cr_expect_eq(tp_send_buffered(A.tp), 0);
	errno = 0;
	cr_expect_eq(tp_send_message(A.tp, sid, m, 17 * 1024 * 1024, NULL), -1);
	cr_expect_eq(errno, EMSGSIZE);
}

Test(tp, message_credit_holds_the_sender)
{
	static uint8_t m[30000];
	uint64_t sid, now;
	struct tp_stats st;
	int i;

	cr_assert_eq(tp_stream_open(A.tp, 1, "s", &sid), 0);
	for (i = 0; i < 100; i++)
		if (tp_send_message(A.tp, sid, m, sizeof(m), NULL) != 0)
			break;
	now = converse(T0, T0 + 5000000);
	/* 1 MiB of credit and no grants: about 35 messages, not 100. */
	cr_expect(B.messages >= 30 && B.messages <= 36, "%d", B.messages);
	cr_expect_leq(tp_recv_buffered(B.tp), 1 << 20);
	cr_expect_eq(B.closed + A.closed, 0);
	/* Stalled by credit, yet every packet was acknowledged. */
	tp_get_stats(A.tp, &st);
	cr_expect_eq(st.bytes_in_flight, 0);
	cr_expect_eq(st.lost, 0);
	/* Granting what was consumed lets the rest through. */
	for (i = 0; i < B.messages; i++)
		cr_assert_eq(tp_stream_grant(B.tp, B.sid, sizeof(m)), 0);
	converse(now, now + 5000000);
	cr_expect_gt(B.messages, 60);
}

/* A maximum-size message passes although it exceeds the stream credit. */
Test(tp, max_message_passes, .timeout = 60)
{
	size_t len = 16 * 1024 * 1024;
	uint8_t *m = malloc(len);
	uint64_t sid;

	cr_assert_not_null(m);
	memset(m, 0x5a, len);
	m[len - 1] = 0xa5;
	cr_assert_eq(tp_stream_open(A.tp, 1, "big", &sid), 0);
	cr_assert_eq(tp_send_message(A.tp, sid, m, len, NULL), 0, "it is "
	    "taken although larger than send_buf_max");
	errno = 0;
	cr_expect_eq(tp_send_message(A.tp, sid, m, 1, NULL), -1);
	cr_expect_eq(errno, EAGAIN, "but nothing more until it drains");
	free(m);
	converse(T0, T0 + 60000000);
	cr_expect_eq(B.messages, 1);
	cr_expect_eq(B.last_len, len);
	cr_expect_eq(B.last[0], 0x5a);
	cr_expect_eq(B.closed, 0);
	cr_expect_eq(tp_send_buffered(A.tp), 0);
}

Test(tp, pipe_fin_once_and_done)
{
	uint64_t sid;

	cr_assert_eq(tp_stream_open(A.tp, 2, "pp", &sid), 0);
	cr_assert_eq(tp_stream_write(A.tp, sid, (const uint8_t *)"abc", 3), 3);
	cr_assert_eq(tp_stream_finish(A.tp, sid), 0);
	cr_expect_eq(tp_stream_end(A.tp, sid), 2 + 2 + 3);
	converse(T0, T0 + 1000000);
	cr_expect_eq(B.pipe_bytes, 3);
	cr_expect_eq(B.fins, 1);
	cr_assert_eq(tp_stream_done(B.tp, B.sid), 0);
	converse(T0 + 1000000, T0 + 2000000);
	cr_expect_eq(A.done, 1);
	cr_expect_eq(A.last_acked, 2 + 2 + 3);
}

Test(tp, stop_sending_resets_the_stream)
{
	uint64_t sid;

	cr_assert_eq(tp_stream_open(A.tp, 2, "pp", &sid), 0);
	cr_assert_eq(tp_stream_write(A.tp, sid, (const uint8_t *)"abc", 3), 3);
	converse(T0, T0 + 1000000);
	cr_assert_eq(tp_stream_stop(B.tp, B.sid, 42), 0);
	converse(T0 + 1000000, T0 + 2000000);
	cr_expect_eq(A.stopped, 1);
	cr_expect_eq(A.stop_code, 42);
	errno = 0;
	cr_expect_eq(tp_stream_write(A.tp, sid, (const uint8_t *)"d", 1), -1);
	cr_expect_eq(tp_send_buffered(A.tp), 0);
}

Test(tp, reset_reaches_receiver)
{
	uint64_t sid;

	cr_assert_eq(tp_stream_open(A.tp, 2, "pp", &sid), 0);
	cr_assert_eq(tp_stream_write(A.tp, sid, (const uint8_t *)"abc", 3), 3);
	converse(T0, T0 + 1000000);
	cr_assert_eq(tp_stream_reset(A.tp, sid, 7), 0);
	converse(T0 + 1000000, T0 + 2000000);
	cr_expect_eq(B.stopped, 1);
	cr_expect_eq(B.stop_code, 7);
}

Test(tp, close_and_idle)
{
	tp_close(A.tp, 5, "going away");
	cr_expect(tp_is_closed(A.tp));
	converse(T0, T0 + 1000000);
	cr_expect_eq(A.closed, 0, "no callback for a local close");
	cr_expect_eq(B.closed, 1);
	cr_expect_eq(B.close_remote, 1);
	cr_expect_eq(B.close_code, 5);
}

Test(tp, idle_timeout_closes)
{
	uint64_t t;

	/* Nobody answers A: keepalives go out, then the idle close. */
	t = tp_next_timeout(A.tp);
	while (!A.closed && t < T0 + 60000000) {
		uint8_t buf[1500];
		tp_on_timeout(A.tp, t);
		while (tp_output(A.tp, t, A.pn, buf, sizeof(buf)) > 0)
			A.pn++;
		t = tp_next_timeout(A.tp);
	}
	cr_expect_eq(A.closed, 1);
	cr_expect_eq(A.close_code, TP_ERR_IDLE);
	cr_expect_geq(A.pn, 1, "a keepalive was sent");
	cr_expect_eq(tp_next_timeout(A.tp), UINT64_MAX);
}

Test(tp, path_change_resets_rtt_and_window)
{
	static uint8_t big[1 << 20];
	struct tp_stats st;
	uint64_t sid, now = T0;
	int i;

	cr_assert_eq(tp_stream_open(A.tp, 2, "p", &sid), 0);
	for (i = 0; i < 20; i++) {
		if (tp_stream_write(A.tp, sid, big, sizeof(big)) < 0)
			cr_assert_eq(errno, EAGAIN);
		now = converse(now, now + 10000) + 10000;
	}
	tp_get_stats(A.tp, &st);
	cr_assert_gt(st.cwnd, 10 * 1168);
	tp_path_changed(A.tp);
	tp_get_stats(A.tp, &st);
	cr_expect_eq(st.cwnd, 10 * 1168);
	cr_expect_eq(st.srtt_us, 333000);
	cr_expect_eq(st.min_rtt_us, 0);
	cr_assert_gt(tp_stream_write(A.tp, sid, big, 5000), 0);
	converse(now, now + 100000);
	tp_get_stats(A.tp, &st);
	cr_expect_lt(st.srtt_us, 333000, "new samples from the new path");
}

/*
 * A's way to B died (the relay node was killed) while data was in flight:
 * its probes backed off. Once the session moved (A or B registered on
 * another node), tp_path_moved sends a probe at once, not after the
 * backed-off timeout, and B, whose acks went the old way, acks again.
 */
Test(tp, path_moved_probes_and_acks_at_once)
{
	uint8_t buf[1500];
	uint64_t sid, t, now;
	size_t n;
	int k;

	cr_assert_eq(tp_stream_open(A.tp, 1, "s", &sid), 0);
	cr_assert_eq(tp_send_message(A.tp, sid, (const uint8_t *)"a", 1,
	    NULL), 0);
	now = converse(T0, T0 + 1000000);
	cr_assert_eq(B.messages, 1);
	/* The old way eats everything for 3 s: the PTO backs off. */
	cr_assert_eq(tp_send_message(A.tp, sid, (const uint8_t *)"b", 1,
	    NULL), 0);
	while (tp_output(A.tp, now, A.pn, buf, sizeof(buf)) > 0)
		A.pn++;
	for (t = tp_next_timeout(A.tp); t < now + 3000000;
	    t = tp_next_timeout(A.tp)) {
		tp_on_timeout(A.tp, t);
		while (tp_output(A.tp, t, A.pn, buf, sizeof(buf)) > 0)
			A.pn++;
	}
	now += 3000000;
	cr_assert_gt(tp_next_timeout(A.tp), now + 300000,
	    "backed off: the next probe %llu us away",
	    (unsigned long long)(tp_next_timeout(A.tp) - now));
	cr_expect_eq(tp_output(A.tp, now, A.pn, buf, sizeof(buf)), 0);
	/* The move: a probe now, on the new way, and B acks again. */
	tp_path_moved(A.tp, now);
	for (k = 0; (n = tp_output(A.tp, now, A.pn, buf, sizeof(buf))) > 0;
	    k++) {
		cr_assert_eq(tp_input(B.tp, now, A.pn, buf, n), 0);
		A.pn++;
	}
	cr_expect_geq(k, 1, "a probe went out at once");
	tp_path_moved(B.tp, now);
	cr_expect_gt(shuttle(&B, &A, now), 0, "B's acks go again at once");
	/* The acked probes show the message lost: it goes again at once. */
	converse(now, now + 50000);
	cr_expect_eq(B.messages, 2, "the lost message arrived within 50 ms "
	    "of the move");
	cr_expect_eq(tp_send_buffered(A.tp), 0);
}

/* The interval sets behind ack ranges, reassembly and retransmission. */
Test(tp_range, add_merge_remove)
{
	struct tp_rs s = { 0 };

	cr_assert_eq(tp_rs_add(&s, 10, 20), 0);
	cr_assert_eq(tp_rs_add(&s, 30, 40), 0);
	cr_assert_eq(tp_rs_add(&s, 0, 5), 0);
	cr_assert_eq(s.n, 3);
	cr_expect_eq(s.v[0].lo, 0);
	cr_expect_eq(s.v[2].hi, 40);
	cr_assert_eq(tp_rs_add(&s, 20, 30), 0);	/* touching: merges */
	cr_assert_eq(s.n, 2);
	cr_expect_eq(s.v[1].lo, 10);
	cr_expect_eq(s.v[1].hi, 40);
	cr_assert_eq(tp_rs_add(&s, 3, 50), 0);	/* covers all */
	cr_assert_eq(s.n, 1);
	cr_expect_eq(s.v[0].lo, 0);
	cr_expect_eq(s.v[0].hi, 50);
	tp_rs_remove(&s, 10, 20);			/* split */
	cr_assert_eq(s.n, 2);
	cr_expect_eq(s.v[0].hi, 10);
	cr_expect_eq(s.v[1].lo, 20);
	cr_expect(tp_rs_contains(&s, 9));
	cr_expect(!tp_rs_contains(&s, 10));
	cr_expect(!tp_rs_contains(&s, 19));
	cr_expect(tp_rs_contains(&s, 20));
	cr_expect(!tp_rs_contains(&s, 50));
	tp_rs_remove(&s, 5, 25);			/* trims both */
	cr_expect_eq(s.v[0].hi, 5);
	cr_expect_eq(s.v[1].lo, 25);
	tp_rs_remove_below(&s, 30);
	cr_assert_eq(s.n, 1);
	cr_expect_eq(s.v[0].lo, 30);
	tp_rs_remove(&s, 0, 100);
	cr_expect_eq(s.n, 0);
	tp_rs_free(&s);
}

Test(tp_range, many_holes_stay_sorted)
{
	struct tp_rs s = { 0 };
	uint64_t x = 12345, i;
	size_t k;

	for (i = 0; i < 2000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t lo = (x >> 33) % 100000;
		cr_assert_eq(tp_rs_add(&s, lo, lo + 1 + (x >> 60)), 0);
		if (i % 3 == 0)
			tp_rs_remove(&s, lo / 2, lo / 2 + 7);
	}
	for (k = 0; k < s.n; k++) {
		cr_assert_lt(s.v[k].lo, s.v[k].hi);
		if (k > 0)
			cr_assert_gt(s.v[k].lo, s.v[k - 1].hi,
			    "sorted, disjoint, not touching");
	}
	tp_rs_free(&s);
}

/* The pacer alone (RFC 9002 §7.7): credit, burst, granularity, time. */
Test(pacer, burst_then_rate)
{
	struct pacer p;
	int i;

	pacer_init(&p, 1000);
	pacer_update(&p, T0, 0);
	for (i = 0; i < 100; i++) {
		cr_assert(pacer_can_send(&p), "no rate: nothing is paced");
		pacer_on_sent(&p, 1000);
	}
	cr_expect_eq(pacer_next(&p), UINT64_MAX);

	/* 1000 bytes per ms: a burst of 10 packets, then one a ms. */
	pacer_update(&p, T0 + 1, 1000000);
	for (i = 0; i < 10; i++) {
		cr_assert(pacer_can_send(&p), "packet %d of the burst", i);
		pacer_on_sent(&p, 1000);
	}
	cr_expect(!pacer_can_send(&p), "the 11th packet waits");
	cr_expect_eq(pacer_next(&p), T0 + 1 + 1000);
	pacer_update(&p, T0 + 500, 1000000);
	cr_expect(!pacer_can_send(&p));
	pacer_update(&p, T0 + 1001, 1000000);
	cr_expect(pacer_can_send(&p));
	pacer_on_sent(&p, 1000);
	cr_expect(!pacer_can_send(&p));

	/* A timer 30 ms late: the whole wait counts, beyond the burst. */
	pacer_wake(&p, T0 + 31001);
	pacer_update(&p, T0 + 31001, 1000000);
	for (i = 0; i < 30; i++) {
		cr_assert(pacer_can_send(&p), "late packet %d", i);
		pacer_on_sent(&p, 1000);
	}
	cr_expect(!pacer_can_send(&p));

	/* Idle time saves one burst only. */
	pacer_idle(&p);
	pacer_update(&p, T0 + 2000000, 1000000);
	for (i = 0; i < 10; i++) {
		cr_assert(pacer_can_send(&p));
		pacer_on_sent(&p, 1000);
	}
	cr_expect(!pacer_can_send(&p), "idle credit is capped");
}

Test(pacer, fast_rates_wait_a_granule)
{
	struct pacer p;
	uint64_t now = T0;

	int i;

	/* 100 MB/s: a packet each 12 us would be a timer per packet. */
	pacer_init(&p, 1200);
	pacer_update(&p, now, 100000000);
	for (i = 0; i < 1000 && pacer_can_send(&p); i++)
		pacer_on_sent(&p, 1200);
	cr_expect_lt(i, 1000);
	cr_expect_geq(pacer_next(&p), now + PACER_GRANULARITY_US - 2);
	now = pacer_next(&p);
	pacer_wake(&p, now);
	pacer_update(&p, now, 100000000);
	cr_expect(pacer_can_send(&p));
	cr_expect_eq(pacer_next(&p), UINT64_MAX, "the wait is over");

	/* From 1 Gbit/s up, timers cannot keep up: nothing is paced. */
	pacer_update(&p, now, PACER_RATE_UNPACED);
	for (i = 0; i < 1000; i++) {
		cr_assert(pacer_can_send(&p));
		pacer_on_sent(&p, 1200);
	}
}

/*
 * The transport paces data once it has an RTT: a window the acks opened
 * is not sent at once, tp_next_timeout() says when the rest may go, and
 * acks still go out unpaced meanwhile.
 */
Test(tp, data_is_paced_acks_are_not)
{
	static uint8_t big[1 << 20];
	uint8_t buf[1500], m[3000];
	uint64_t sid, bsid, now = T0, t, next, rate, t1, paced;
	struct tp_stats st, st2;
	size_t n;
	int k = 0, i;

	cr_assert_eq(tp_stream_open(A.tp, TP_STREAM_PIPE, "p", &sid), 0);
	cr_assert_eq(tp_stream_write(A.tp, sid, big, sizeof(big)),
	    (ssize_t)sizeof(big));
	/* The first flight: 10 packets, no RTT yet, so unpaced. */
	cr_expect_eq(shuttle(&A, &B, now), 10);
	/* 20 ms later B's ack arrives: srtt 20 ms, a larger window. */
	now += 20000;
	tp_on_timeout(B.tp, now);
	(void)shuttle(&B, &A, now);
	tp_get_stats(A.tp, &st);
	cr_assert_eq(st.srtt_us, 20000);
	cr_assert_eq(st.bytes_in_flight, 0);
	cr_assert_geq(st.cwnd, 14 * 1168);
	rate = cc_pacing_rate(&A.tp->cc, st.srtt_us);
	/* 2 x cwnd / 20 ms: a burst of 10, then one every ~600 us. */
	while (tp_output(A.tp, now, A.pn, buf, sizeof(buf)) > 0)
		A.pn++, k++;
	cr_expect_eq(k, 10, "sent %d packets at once", k);
	next = tp_next_timeout(A.tp);
	cr_expect_gt(next, now);
	cr_expect_leq(next, now + 2 * 1168 * 1000000ULL / rate,
	    "next send in %llu us", (unsigned long long)(next - now));

	/* B's data arrives meanwhile: A acks it at once, with no data. */
	cr_assert_eq(tp_stream_open(B.tp, TP_STREAM_MESSAGES, "m", &bsid), 0);
	memset(m, 'x', sizeof(m));
	cr_assert_eq(tp_send_message(B.tp, bsid, m, sizeof(m), NULL), 0);
	(void)shuttle(&B, &A, now);
	tp_get_stats(A.tp, &st);
	n = tp_output(A.tp, now, A.pn, buf, sizeof(buf));
	cr_expect_gt(n, 0, "the ack is not paced");
	A.pn++;
	tp_get_stats(A.tp, &st2);
	cr_expect_eq(st2.tx_bytes, st.tx_bytes, "no stream data with it");

	/* When the timer fires, data goes again, at the rate, to cwnd. */
	t1 = now;
	paced = 0;
	for (i = 0; i < 100 && cc_can_send(&A.tp->cc, 1168); i++) {
		t = tp_next_timeout(A.tp);
		cr_assert_lt(t, now + 2000);
		now = t;
		tp_on_timeout(A.tp, now);
		cr_expect_gt(tp_output(A.tp, now, A.pn, buf, sizeof(buf)), 0);
		A.pn++, paced++;
		while (tp_output(A.tp, now, A.pn, buf, sizeof(buf)) > 0)
			A.pn++, paced++;
	}
	tp_get_stats(A.tp, &st2);
	cr_expect_geq(paced, 3);
	cr_expect_geq(now - t1, (paced - 1) * 1168 * 1000000ULL / rate,
	    "%llu packets in %llu us", (unsigned long long)paced,
	    (unsigned long long)(now - t1));
	cr_expect_leq(st2.bytes_in_flight, st2.cwnd);
}

/*
 * A lossless path (the relay with both agents on TCP): a probe timeout
 * waits at least TP_LOSSLESS_PTO_US however small the RTT, so TCP's queues
 * do not make the transport resend; a gap in the acks is still a loss.
 */
Test(tp, lossless_path_waits_for_tcp_but_sees_gaps)
{
	uint8_t buf[1500], big[6000];
	struct tp_stats st;
	uint64_t sid, t;
	size_t n;
	int i;

	uint64_t now;

	/* An RTT sample of 2 ms first. */
	cr_assert_eq(tp_stream_open(A.tp, 1, "s", &sid), 0);
	cr_assert_eq(tp_send_message(A.tp, sid, (const uint8_t *)"x", 1,
	    NULL), 0);
	n = tp_output(A.tp, T0, A.pn, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(tp_input(B.tp, T0 + 1000, A.pn++, buf, n), 0);
	tp_on_timeout(B.tp, T0 + 1000 + TP_MAX_ACK_DELAY_US);
	shuttle(&B, &A, T0 + 2000 + TP_MAX_ACK_DELAY_US);
	now = T0 + 100000;
	cr_assert_eq(tp_send_message(A.tp, sid, (const uint8_t *)"y", 1,
	    NULL), 0);
	cr_assert_gt(tp_output(A.tp, now, A.pn++, buf, sizeof(buf)), 0);
	t = tp_next_timeout(A.tp);
	cr_assert_lt(t - now, TP_LOSSLESS_PTO_US / 4,
	    "a normal path probes soon (%llu us)", (unsigned long long)(t - now));
	tp_set_lossless(A.tp, 1);
	t = tp_next_timeout(A.tp);
	cr_assert_geq(t - now, TP_LOSSLESS_PTO_US, "PTO %llu us",
	    (unsigned long long)(t - now));
	tp_on_timeout(A.tp, now + TP_LOSSLESS_PTO_US / 2);
	cr_expect_eq(tp_output(A.tp, now + TP_LOSSLESS_PTO_US / 2, A.pn, buf,
	    sizeof(buf)), 0, "nothing resent before the lossless PTO");

	/* A gap: the first of several packets never arrives (the relay
	 * dropped it at a full buffer). */
	memset(big, 'q', sizeof(big));
	cr_assert_eq(tp_send_message(A.tp, sid, big, sizeof(big), NULL), 0);
	now += 600000;
	for (i = 0; (n = tp_output(A.tp, now, A.pn, buf, sizeof(buf))) > 0;
	    i++) {
		if (i != 0)
			cr_assert_eq(tp_input(B.tp, now, A.pn, buf, n), 0);
		A.pn++;
	}
	cr_assert_geq(i, 5);
	shuttle(&B, &A, now + 10000);
	tp_get_stats(A.tp, &st);
	/* "y" and the first of the burst never reached B: two gaps. */
	cr_expect_eq(st.lost, 2, "the dropped packets are losses (%llu)",
	    (unsigned long long)st.lost);
}

/*
 * Corked (more data is about to be queued), the sender holds what would
 * not fill a packet, for TP_CORK_US at most; full packets and a FIN go at
 * once, and uncorking sends what was held.
 */
Test(tp, cork_holds_short_packets_only)
{
	uint8_t buf[1500], m[100];
	struct tp_stats st;
	uint64_t sid, pid, now = T0, tx0;
	size_t n, max = A.tp->cfg.max_payload;
	int i;

	memset(m, 'c', sizeof(m));
	cr_assert_eq(tp_stream_open(A.tp, TP_STREAM_MESSAGES, "m", &sid), 0);
	(void)shuttle(&A, &B, now);	/* the opening control frames */
	tp_get_stats(A.tp, &st);
	tx0 = st.tx_packets;
	tp_set_cork(A.tp, 1);
	cr_assert_eq(tp_send_message(A.tp, sid, m, sizeof(m), NULL), 0);
	cr_expect_eq(tp_output(A.tp, now, A.pn, buf, sizeof(buf)), 0,
	    "a short packet is held while corked");
	cr_expect_leq(tp_next_timeout(A.tp), now + TP_CORK_US,
	    "the hold has a deadline");

	/* 15 messages in all: one full packet goes, the rest waits. */
	for (i = 0; i < 14; i++)
		cr_assert_eq(tp_send_message(A.tp, sid, m, sizeof(m), NULL), 0);
	now += 10;
	n = tp_output(A.tp, now, A.pn, buf, sizeof(buf));
	cr_expect_geq(n, max - 32, "a full packet goes (%zu bytes)", n);
	cr_assert_eq(tp_input(B.tp, now, A.pn++, buf, n), 0);
	cr_expect_eq(tp_output(A.tp, now, A.pn, buf, sizeof(buf)), 0,
	    "the short rest is held");
	cr_expect_lt(B.messages, 15);

	/* The hold runs out: the rest goes although still corked. */
	now = tp_next_timeout(A.tp);
	cr_expect_leq(now, T0 + 10 + TP_CORK_US);
	tp_on_timeout(A.tp, now);
	n = tp_output(A.tp, now, A.pn, buf, sizeof(buf));
	cr_expect_gt(n, 0, "the held data goes at the deadline");
	cr_expect_lt(n, max - 32);
	cr_assert_eq(tp_input(B.tp, now, A.pn++, buf, n), 0);
	cr_expect_eq(B.messages, 15, "all 15 messages arrived");

	/* Uncorking sends at once. */
	cr_assert_eq(tp_send_message(A.tp, sid, m, sizeof(m), NULL), 0);
	cr_expect_eq(tp_output(A.tp, now, A.pn, buf, sizeof(buf)), 0);
	tp_set_cork(A.tp, 0);
	n = tp_output(A.tp, now, A.pn, buf, sizeof(buf));
	cr_assert_gt(n, 0, "uncorked: sent");
	cr_assert_eq(tp_input(B.tp, now, A.pn++, buf, n), 0);
	cr_expect_eq(B.messages, 16);

	/* A FIN is never held. */
	tp_set_cork(A.tp, 1);
	cr_assert_eq(tp_stream_open(A.tp, TP_STREAM_PIPE, "p", &pid), 0);
	cr_assert_eq(tp_stream_write(A.tp, pid, m, 10), 10);
	cr_expect_eq(tp_output(A.tp, now, A.pn, buf, sizeof(buf)), 0);
	cr_assert_eq(tp_stream_finish(A.tp, pid), 0);
	n = tp_output(A.tp, now, A.pn, buf, sizeof(buf));
	cr_expect_gt(n, 0, "the FIN goes at once");
	cr_assert_eq(tp_input(B.tp, now, A.pn++, buf, n), 0);
	cr_expect_eq(B.pipe_bytes, 10);
	cr_expect_eq(B.fins, 1);
	tp_get_stats(A.tp, &st);
	cr_expect_eq(st.tx_packets, tx0 + 4, "4 packets for 17 writes, not %llu",
	    (unsigned long long)(st.tx_packets - tx0));
}

/*
 * MAX_MESSAGE: each side announces its cap, resent when its
 * packet is lost, and the peer sends nothing larger; until it hears, a
 * sender assumes TP_PROTO_MAX_MESSAGE.
 */
Test(tp, max_message_is_announced_and_kept)
{
	static uint8_t big[20 << 20];
	uint8_t buf[1500];
	uint64_t sid, bsid;
	size_t n;

	tp_free(A.tp);
	tp_free(B.tp);
	mk_cfg(&A, 1, 0, 32 << 20);
	mk_cfg(&B, 0, 0, 32 << 20);
	cr_assert_eq(tp_stream_open(A.tp, TP_STREAM_MESSAGES, "m", &sid), 0);
	cr_expect_eq(tp_max_send_message(A.tp), TP_PROTO_MAX_MESSAGE,
	    "the default until the peer says");
	cr_expect_eq(tp_send_message(A.tp, sid, big, sizeof(big), NULL), -1);
	cr_expect_eq(errno, EAGAIN, "20 MiB waits for B's announcement");
	cr_expect_eq(tp_send_message(A.tp, sid, big, (64 << 20) / 2 + 1,
	    NULL), -1);
	cr_expect_eq(errno, EMSGSIZE, "over A's own cap: never");

	/* A's first packet (with its MAX_MESSAGE) is lost: resent. */
	n = tp_output(A.tp, T0, A.pn++, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	(void)converse(T0, T0 + 5000000);
	cr_expect_eq(tp_max_send_message(B.tp), 32 << 20,
	    "B heard A's 32 MiB after the loss");
	cr_expect_eq(tp_max_send_message(A.tp), 32 << 20);
	cr_expect_geq(A.writable, 1, "A was told it may send again");
	cr_assert_eq(tp_send_message(A.tp, sid, big, sizeof(big), NULL), 0,
	    "20 MiB goes once both take 32 MiB");
	(void)converse(T0 + 5000000, T0 + 60000000);
	cr_expect_eq(B.messages, 1);
	cr_expect_eq(B.last_len, sizeof(big));
	cr_expect_eq(B.closed, 0);

	/* A peer with a smaller cap: B never sends it more. */
	tp_free(A.tp);
	tp_free(B.tp);
	mk_cfg(&A, 1, 0, 1 << 20);
	mk_cfg(&B, 0, 0, TP_PROTO_MAX_MESSAGE);
	cr_assert_eq(tp_stream_open(A.tp, TP_STREAM_MESSAGES, "m", &sid), 0);
	(void)converse(T0, T0 + 1000000);
	cr_assert_eq(tp_stream_open(B.tp, TP_STREAM_MESSAGES, "n", &bsid), 0);
	cr_expect_eq(tp_max_send_message(B.tp), 1 << 20);
	cr_expect_eq(tp_send_message(B.tp, bsid, big, 2 << 20, NULL), -1,
	    "over the peer's cap: refused, the session lives");
	cr_expect_eq(errno, EMSGSIZE);
	cr_assert_eq(tp_send_message(B.tp, bsid, big, 1 << 20, NULL), 0);
	(void)converse(T0 + 1000000, T0 + 30000000);
	cr_expect_eq(A.messages, 1);
	cr_expect_eq(A.closed, 0);
}

/* Corked with nothing to send: no hold, and no timer in the past. */
Test(tp, cork_with_nothing_waiting_sets_no_timer)
{
	uint8_t buf[1500], m[100];
	uint64_t sid, now = T0;

	memset(m, 'i', sizeof(m));
	cr_assert_eq(tp_stream_open(A.tp, TP_STREAM_MESSAGES, "m", &sid), 0);
	now = converse(now, now + 1000000);
	tp_set_cork(A.tp, 1);
	cr_expect_eq(tp_output(A.tp, now, A.pn, buf, sizeof(buf)), 0);
	cr_expect_gt(tp_next_timeout(A.tp), now + TP_CORK_US,
	    "an idle corked session waits for its normal timers");
	now += 300;
	cr_expect_eq(tp_output(A.tp, now, A.pn, buf, sizeof(buf)), 0);
	cr_expect_gt(tp_next_timeout(A.tp), now, "no deadline in the past");
	/* A held short packet goes at its deadline, then no timer is left. */
	cr_assert_eq(tp_send_message(A.tp, sid, m, sizeof(m), NULL), 0);
	cr_expect_eq(tp_output(A.tp, now, A.pn, buf, sizeof(buf)), 0);
	now += TP_CORK_US;
	cr_expect_gt(tp_output(A.tp, now, A.pn++, buf, sizeof(buf)), 0);
	cr_expect_eq(tp_output(A.tp, now, A.pn, buf, sizeof(buf)), 0);
	cr_expect_gt(tp_next_timeout(A.tp), now + TP_CORK_US);
}
