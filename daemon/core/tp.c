/* SPDX-License-Identifier: ISC */
/*
 * tp.c: lifecycle, packet input, timers and close of a transport (see
 * tp.h; the other tp_*.c files hold streams, output and recovery).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tp_int.h"

void
tp_cfg_default(struct tp_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->max_payload = 1168;
	c->max_message = 16 * 1024 * 1024;
	c->send_buf_max = 16 * 1024 * 1024;
	c->stream_buf_max = 4 * 1024 * 1024;
	c->initial_max_data = 32 * 1024 * 1024;
	c->initial_stream_credit = 1024 * 1024;
	c->idle_timeout_us = 30000000;
	c->keepalive_us = 15000000;
	c->initiator = 1;
	c->dgram_tx_max = 16 * 1024 * 1024;
	c->dgram_tx_msgs = 4096;
	c->dgram_rx_max = c->max_message + 65536;
	c->dgram_rx_msgs = 32;
}

struct tp *
tp_new(const struct tp_cfg *cfg, const struct tp_cb *cb, uint64_t now)
{
	struct tp *tp;

	if ((tp = calloc(1, sizeof(*tp))) == NULL)
		return NULL;
	tp->cfg = *cfg;
	if (tp->cfg.max_payload < 64)
		tp->cfg.max_payload = 64;
	if (tp->cfg.max_message > VARINT_MAX / 2)
		tp->cfg.max_message = VARINT_MAX / 2;
	/* Never grant less than every peer assumes it has. */
	if (tp->cfg.initial_stream_credit < TP_PROTO_STREAM_CREDIT)
		tp->cfg.initial_stream_credit = TP_PROTO_STREAM_CREDIT;
	if (tp->cfg.initial_max_data < TP_PROTO_MAX_DATA)
		tp->cfg.initial_max_data = TP_PROTO_MAX_DATA;
	/* A whole message must fit in the session window (see tp.h). */
	if (tp->cfg.initial_max_data < tp->cfg.max_message + 65536)
		tp->cfg.initial_max_data = tp->cfg.max_message + 65536;
	/* Room for one whole unreliable message at least. */
	if (tp->cfg.dgram_tx_msgs == 0)
		tp->cfg.dgram_tx_msgs = 1;
	if (tp->cfg.dgram_rx_msgs == 0)
		tp->cfg.dgram_rx_msgs = 1;
	if (tp->cfg.dgram_tx_max < tp->cfg.max_message + 3 + TP_NAME_MAX)
		tp->cfg.dgram_tx_max = tp->cfg.max_message + 3 + TP_NAME_MAX;
	if (tp->cfg.dgram_rx_max < tp->cfg.max_message + 3 + TP_NAME_MAX)
		tp->cfg.dgram_rx_max = tp->cfg.max_message + 3 + TP_NAME_MAX;
	if (tp->cfg.idle_timeout_us == 0)
		tp->cfg.idle_timeout_us = 30000000;
	if (cb != NULL)
		tp->cb = *cb;
	tp->side = cfg->initiator ? 0 : 1;
	tp->last_rx = tp->last_tx_eliciting = now;
	tp->ack_deadline = UINT64_MAX;
	tp->srtt = TP_INITIAL_RTT_US;
	tp->rttvar = TP_INITIAL_RTT_US / 2;
	tp->min_rtt = UINT64_MAX;
	tp->peer_max_data = TP_PROTO_MAX_DATA;
	tp->peer_max_message = TP_PROTO_MAX_MESSAGE;
	tp->max_msg_pending = 1;
	tp->local_max_data = tp->cfg.initial_max_data;
	tp->max_data_sent = TP_PROTO_MAX_DATA;
	tp->max_data_urgent = tp->local_max_data > tp->max_data_sent;
	cc_init(&tp->cc, tp->cfg.max_payload, tp->cfg.congestion);
	pacer_init(&tp->pacer, tp->cfg.max_payload);
	return tp;
}

void
tp_free(struct tp *tp)
{
	if (tp == NULL)
		return;
	tp_streams_free(tp);
	tp_dg_free(tp);
	tp_rs_free(&tp->rx_pns);
	free(tp->sent);
	free(tp);
}

static void
tp_set_close(struct tp *tp, uint64_t code, const char *reason)
{
	size_t n = strlen(reason);

	if (n > TP_REASON_MAX)
		n = TP_REASON_MAX;
	memcpy(tp->close_reason, reason, n);
	tp->close_reason[n] = '\0';
	tp->close_code = code;
	tp->closed = 1;
}

void
tp_close(struct tp *tp, uint64_t code, const char *reason)
{
	if (tp->closed)
		return;
	tp_set_close(tp, code, reason != NULL ? reason : "");
	tp->close_pending = 1;
}

/* A protocol violation by the peer: tell it, then tell the application. */
void
tp_fail(struct tp *tp, uint64_t code, const char *reason)
{
	if (tp->closed)
		return;
	tp_set_close(tp, code, reason);
	tp->close_pending = 1;
	if (tp->cb.closed != NULL)
		tp->cb.closed(tp->cb.arg, 0, code, tp->close_reason);
}

/*
 * A message over what may be sent now: EMSGSIZE, or EAGAIN (and a
 * cb->writable later) while the peer's MAX_MESSAGE may still raise it.
 */
int
tp_too_large(struct tp *tp, size_t len)
{
	if (!tp->peer_max_known && len <= tp->cfg.max_message) {
		tp->want_writable = 1;
		errno = EAGAIN;
	} else
		errno = EMSGSIZE;
	return -1;
}

size_t
tp_max_send_message(const struct tp *tp)
{
	return tp->peer_max_message < tp->cfg.max_message ?
	    (size_t)tp->peer_max_message : tp->cfg.max_message;
}

unsigned
tp_ack_backlog(const struct tp *tp)
{
	return tp->ack_needed ? tp->ack_eliciting : 0;
}

uint64_t
tp_bytes_in_flight(const struct tp *tp)
{
	return tp->cc.bytes_in_flight;
}

int
tp_is_closed(const struct tp *tp)
{
	return tp->closed;
}

static void
tp_on_close_frame(struct tp *tp, const struct frame *f)
{
	char reason[TP_REASON_MAX + 1];
	size_t n = f->u.close.reason_len, i;

	if (n > TP_REASON_MAX)
		n = TP_REASON_MAX;
	/* The reason is logged by the caller: keep it printable. */
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)f->u.close.reason[i];
		reason[i] = (c >= 0x20 && c != 0x7f) ? (char)c : '?';
	}
	reason[n] = '\0';
	tp_set_close(tp, f->u.close.code, reason);
	tp->dead = 1;
	tp->close_pending = 0;
	if (tp->cb.closed != NULL)
		tp->cb.closed(tp->cb.arg, 1, f->u.close.code, reason);
}

static void
tp_echo_push(uint64_t *q, size_t *n, uint64_t nonce)
{
	if (*n < TP_ECHO_QUEUE)	/* a flood of requests is dropped */
		q[(*n)++] = nonce;
}

void
tp_echo(struct tp *tp, uint64_t nonce)
{
	if (!tp->closed)
		tp_echo_push(tp->echo_req, &tp->n_echo_req, nonce);
}

static void
tp_apply(struct tp *tp, uint64_t now, const struct frame *f)
{
	switch (f->type) {
	case FRAME_PADDING:
	case FRAME_PING:
		break;
	case FRAME_DATA_BLOCKED:
		/* Blocked at what we announced while we have more: say so. */
		if (f->u.max >= tp->max_data_sent &&
		    tp->local_max_data > f->u.max)
			tp->max_data_urgent = 1;
		break;
	case FRAME_ACK:
		(void)tp_on_ack(tp, now, &f->u.ack);
		break;
	case FRAME_STREAM:
		(void)tp_on_stream_frame(tp, &f->u.stream);
		break;
	case FRAME_RESET_STREAM:
		tp_on_reset_frame(tp, f->u.reset.sid, f->u.reset.code,
		    f->u.reset.final_size);
		break;
	case FRAME_STOP_SENDING:
		tp_on_stop_frame(tp, f->u.stop.sid, f->u.stop.code);
		break;
	case FRAME_STREAM_DONE:
		tp_on_done_frame(tp, f->u.sid);
		break;
	case FRAME_MAX_DATA:
		if (f->u.max > tp->peer_max_data)
			tp->peer_max_data = f->u.max;
		break;
	case FRAME_MAX_MESSAGE:
		/* Sends that waited for it go on (cb->writable, below). */
		tp->peer_max_message = f->u.max;
		tp->peer_max_known = 1;
		break;
	case FRAME_MAX_STREAM_DATA:
		tp_on_msd_frame(tp, f->u.msd.sid, f->u.msd.max);
		break;
	case FRAME_STREAM_DATA_BLOCKED:
		tp_on_stream_blocked(tp, f->u.msd.sid);
		break;
	case FRAME_CLOSE:
		tp_on_close_frame(tp, f);
		break;
	case FRAME_ECHO_REQ:
		tp_echo_push(tp->echo_resp, &tp->n_echo_resp, f->u.nonce);
		break;
	case FRAME_ECHO_RESP:
		if (tp->cb.echo != NULL)
			tp->cb.echo(tp->cb.arg, f->u.nonce);
		break;
	case FRAME_DATAGRAM:
		tp_on_dgram_frame(tp, &f->u.dgram);
		break;
	}
}

/* Syntax first, so that a malformed packet changes nothing. */
static int
tp_check(const uint8_t *pt, size_t len, int *eliciting)
{
	struct frame f;
	struct rd r;

	*eliciting = 0;
	rd_init(&r, pt, len);
	while (rd_left(&r) > 0) {
		if (frame_parse(&r, &f) == -1)
			return -1;
		if (frame_is_ack_eliciting(f.type))
			*eliciting = 1;
	}
	return 0;
}

static void
tp_record_pn(struct tp *tp, uint64_t now, uint64_t pn, int eliciting)
{
	int gap = tp->rx_any && pn != tp->rx_largest + 1;

	if (tp_rs_add(&tp->rx_pns, pn, pn + 1) == -1)
		return;
	/* Forget the oldest ranges; their packets count as duplicates. */
	while (tp->rx_pns.n > TP_RX_RANGES) {
		tp->rx_floor = tp->rx_pns.v[0].hi;
		tp_rs_remove_below(&tp->rx_pns, tp->rx_floor);
	}
	if (!tp->rx_any || pn > tp->rx_largest) {
		tp->rx_largest = pn;
		tp->rx_largest_time = now;
	}
	tp->rx_any = 1;
	tp->ack_needed = 1;
	if (!eliciting)
		return;
	tp->ack_eliciting++;
	if (tp->ack_eliciting >= 2 || gap)
		tp->ack_immediate = 1;
	else if (tp->ack_deadline == UINT64_MAX)
		tp->ack_deadline = now + TP_MAX_ACK_DELAY_US;
}

int
tp_input(struct tp *tp, uint64_t now, uint64_t pn, const uint8_t *pt,
    size_t len)
{
	struct frame f;
	struct rd r;
	int eliciting;

	if (tp_check(pt, len, &eliciting) == -1)
		return -1;
	if (tp->dead)
		return 0;
	if (pn < tp->rx_floor || tp_rs_contains(&tp->rx_pns, pn))
		return 0;
	tp->last_rx = now;
	tp->st.rx_packets++;
	if (tp->closed) {
		/* Closing: answer late packets with CLOSE, a few times. */
		if (tp->close_repeat < TP_CLOSE_REPEAT)
			tp->close_pending = 1;
		return 0;
	}
	tp_record_pn(tp, now, pn, eliciting);
	rd_init(&r, pt, len);
	while (rd_left(&r) > 0 && !tp->closed) {
		if (frame_parse(&r, &f) == -1)
			break;		/* cannot happen: checked above */
		tp_apply(tp, now, &f);
	}
	/*
	 * A reset stream frees buffer space without any ack; finished
	 * streams go first, so the application finds their slots free.
	 */
	tp_gc(tp);
	if (tp->want_writable && !tp->closed &&
	    tp->send_buffered < tp->cfg.send_buf_max) {
		tp->want_writable = 0;
		if (tp->cb.writable != NULL)
			tp->cb.writable(tp->cb.arg);
	}
	tp_gc(tp);
	return 0;
}

uint64_t
tp_next_timeout(const struct tp *tp)
{
	uint64_t t = UINT64_MAX, x;

	if (tp->dead)
		return UINT64_MAX;
	t = tp->last_rx + tp->cfg.idle_timeout_us;
	if (tp->closed)
		return t;
	if (tp->ack_needed && tp->ack_eliciting > 0 && tp->ack_deadline < t)
		t = tp->ack_deadline;
	/* The loss timer, when set, replaces the PTO (RFC 9002 §6.2.1). */
	x = tp->loss_time != 0 ? tp->loss_time : tp_pto_deadline(tp);
	if (x < t)
		t = x;
	if (tp->cfg.keepalive_us != 0) {
		x = tp->last_rx > tp->last_tx_eliciting ?
		    tp->last_rx : tp->last_tx_eliciting;
		x += tp->cfg.keepalive_us;
		if (x < t)
			t = x;
	}
	/* Data held back by the pacer goes when its credit is there. */
	if ((x = pacer_next(&tp->pacer)) < t)
		t = x;
	/* A short packet held by the cork goes when the hold is over. */
	if (tp->cork && tp->cork_at != 0 && tp->cork_at + TP_CORK_US < t)
		t = tp->cork_at + TP_CORK_US;
	return t;
}

void
tp_on_timeout(struct tp *tp, uint64_t now)
{
	uint64_t x;

	if (tp->dead)
		return;
	if (now >= tp->last_rx + tp->cfg.idle_timeout_us) {
		int was_closed = tp->closed;

		tp_set_close(tp, TP_ERR_IDLE, "idle timeout");
		tp->dead = 1;
		tp->close_pending = 0;
		if (!was_closed && tp->cb.closed != NULL)
			tp->cb.closed(tp->cb.arg, 0, TP_ERR_IDLE,
			    "idle timeout");
		return;
	}
	if (tp->closed)
		return;
	if (tp->loss_time != 0 && now >= tp->loss_time)
		tp_detect_lost(tp, now);
	else if (now >= tp_pto_deadline(tp))
		tp_on_pto(tp, now);
	x = tp->last_rx > tp->last_tx_eliciting ?
	    tp->last_rx : tp->last_tx_eliciting;
	if (tp->cfg.keepalive_us != 0 && now >= x + tp->cfg.keepalive_us)
		tp->ping_pending = 1;
	pacer_wake(&tp->pacer, now);
	tp_gc(tp);
	tp_sent_trim(tp);
}

void
tp_path_changed(struct tp *tp)
{
	uint64_t inflight = tp->cc.bytes_in_flight;

	tp->srtt = TP_INITIAL_RTT_US;
	tp->rttvar = TP_INITIAL_RTT_US / 2;
	tp->min_rtt = UINT64_MAX;
	tp->latest_rtt = 0;
	tp->rtt_sampled = 0;
	tp->pto_count = 0;
	cc_init(&tp->cc, tp->cfg.max_payload, tp->cfg.congestion);
	tp->cc.bytes_in_flight = inflight;	/* still owed acks or losses */
	tp_prio_path_changed(tp);
}

void
tp_path_moved(struct tp *tp, uint64_t now)
{
	tp_path_changed(tp);
	if (tp->closed || tp->dead)
		return;
	if (tp->cc.bytes_in_flight > 0)
		tp_on_pto(tp, now);
	if (tp->rx_pns.n > 0) {
		tp->ack_needed = 1;
		tp->ack_immediate = 1;
	}
}

void
tp_set_lossless(struct tp *tp, int on)
{
	tp->lossless = on != 0;
}

void
tp_set_cork(struct tp *tp, int on)
{
	tp->cork = on != 0;
	if (!tp->cork)
		tp->cork_at = 0;
}

void
tp_get_stats(const struct tp *tp, struct tp_stats *st)
{
	*st = tp->st;
	st->srtt_us = tp->srtt;
	st->rttvar_us = tp->rttvar;
	st->min_rtt_us = tp->min_rtt == UINT64_MAX ? 0 : tp->min_rtt;
	st->cwnd = tp->cc.cwnd;
	st->congestion = tp->cc.algo;
	st->bytes_in_flight = tp->cc.bytes_in_flight;
	st->latest_rtt_us = tp->rtt_sampled ? tp->latest_rtt : 0;
	st->rtt_at_us = tp->rtt_sampled ? tp->rtt_at : 0;
}

size_t
tp_send_buffered(const struct tp *tp)
{
	return tp->send_buffered;
}
