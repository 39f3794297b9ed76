/* SPDX-License-Identifier: ISC */
/*
 * tp_output.c: building the next packet. Order inside a packet: ACK,
 * control frames (credit, stream control, echo), then data: the streams
 * and the datagram queue take turns (round robin by packet) at filling
 * it, so no channel, service or the unreliable traffic starves another;
 * within a stream, retransmissions go before new bytes.
 * Acks and control frames are not held back by the congestion window;
 * stream data is, except for probes after a PTO.
 *
 * Stream data and unreliable messages, retransmissions included, are
 * also paced (pacer.h, RFC 9002 §7.7): when the pacer has no credit,
 * tp_output() sends only what is not paced (acks, control frames) and
 * tp_next_timeout() says when the credit will be there.
 */
#include <string.h>

#include "tp_int.h"

/* Undo a frame that did not fit; returns 0 when it did not. */
static int
tp_fits(struct wr *w, size_t mark)
{
	if (!w->err)
		return 1;
	w->err = 0;
	w->off = mark;
	return 0;
}

static int
tp_chunk_add(struct tp_sent *s, int kind, uint64_t sid, uint64_t off,
    uint32_t len, int fin)
{
	struct tp_chunk *c;

	if (s->nchunks >= TP_PKT_CHUNKS)
		return -1;
	c = &s->ch[s->nchunks++];
	c->kind = (uint8_t)kind;
	c->sid = sid;
	c->off = off;
	c->len = len;
	c->fin = (uint8_t)fin;
	s->eliciting = 1;
	return 0;
}

static int
tp_msd_due(const struct tp *tp, const struct tp_istream *is)
{
	if (is->stopped || is->done)
		return 0;
	return is->msd_urgent ||
	    is->max - is->max_sent >= tp->cfg.initial_stream_credit / 2;
}

static int
tp_data_ready(const struct tp *tp, const struct tp_ostream *os)
{
	uint64_t end = os->base + os->len;

	if (os->reset)
		return 0;
	if (os->retx.n > 0)
		return 1;
	if (os->send_off < end && os->send_off < os->peer_max &&
	    tp->tx_data < tp->peer_max_data)
		return 1;
	return os->fin && !os->fin_sent && os->send_off == end;
}

/* Is stream data or an unreliable message waiting to go? */
static int
tp_data_waiting(const struct tp *tp)
{
	size_t i;

	if (tp->dgq_total > 0)
		return 1;
	for (i = 0; i < tp->n_os; i++)
		if (tp_data_ready(tp, tp->os[i]))
			return 1;
	return 0;
}

/* The classes with data to send now (bit c for class c). */
static unsigned
tp_classes_ready(const struct tp *tp)
{
	unsigned ready = 0;
	size_t i;
	int c;

	for (c = 0; c < TP_PRIOS; c++)
		if (tp_dg_ready(tp, c))
			ready |= 1u << c;
	for (i = 0; i < tp->n_os; i++)
		if (tp_data_ready(tp, tp->os[i]))
			ready |= 1u << tp_os_class(tp->os[i]);
	return ready;
}

/*
 * May data go in this packet? The window must have room, and the pacer
 * credit (probes after a PTO skip both). The pacer remembers a sender it
 * holds back, for tp_next_timeout(). 2: high-priority data only, which
 * may go TP_PRIO_HEADROOM packets past a full window, so that it does not
 * wait for the acks of a bulk transfer's window (nor of a window cut by a
 * loss).
 */
static int
tp_data_allowed(struct tp *tp, uint64_t now)
{
	uint64_t rate;

	/* Over TCP end to end (lossless), TCP's own queue does the pacing. */
	rate = tp->rtt_sampled && !tp->pace_off && !tp->lossless ?
	    cc_pacing_rate(&tp->cc, tp->srtt) : 0;
	pacer_update(&tp->pacer, now, rate);
	if (tp->probes)
		return 1;
	if (!cc_can_send(&tp->cc, tp->cfg.max_payload)) {
		pacer_idle(&tp->pacer);	/* the acks will wake us */
		if (tp->cc.bytes_in_flight + tp->cfg.max_payload <=
		    tp->cc.cwnd + TP_PRIO_HEADROOM * tp->cfg.max_payload &&
		    (tp_classes_ready(tp) & (1u << TP_PRIO_HIGH)))
			return 2;
		return 0;
	}
	if (pacer_can_send(&tp->pacer))
		return 1;
	if (!tp_data_waiting(tp))
		pacer_idle(&tp->pacer);
	return 0;
}

/*
 * Corked (tp_set_cork): is the data waiting too little for a packet, and
 * only new data, nothing that must go now?
 */
static int
tp_data_short(const struct tp *tp)
{
	const struct tp_ostream *os;
	uint64_t n = tp->dgq_bytes, end, limit, credit;
	size_t i;

	if (tp->probes)
		return 0;
	credit = tp->peer_max_data - tp->tx_data;
	for (i = 0; i < tp->n_os; i++) {
		os = tp->os[i];
		if (os->reset)
			continue;
		if (os->retx.n > 0 || (os->fin && !os->fin_sent))
			return 0;
		end = os->base + os->len;
		limit = end < os->peer_max ? end : os->peer_max;
		if (limit > os->send_off)
			n += limit - os->send_off < credit ?
			    limit - os->send_off : credit;
		if (n >= tp->cfg.max_payload)
			return 0;
	}
	/* Nothing waiting is nothing to hold (and no timer to set). */
	return n > 0 && n + TP_CORK_SLACK < tp->cfg.max_payload;
}

/* Hold short data while corked, for TP_CORK_US at most. */
static int
tp_corked(struct tp *tp, uint64_t now)
{
	if (!tp->cork || !tp_data_short(tp)) {
		tp->cork_at = 0;
		return 0;
	}
	if (tp->cork_at == 0)
		tp->cork_at = now;
	if (now < tp->cork_at + TP_CORK_US)
		return 1;
	tp->cork_at = 0;	/* the hold is over: what waits goes now */
	return 0;
}

static int
tp_has_work(const struct tp *tp, int data_ok)
{
	size_t i;

	if (tp->n_echo_req || tp->n_echo_resp || tp->ping_pending ||
	    tp->probes || tp->max_data_urgent || tp->max_msg_pending ||
	    tp->local_max_data - tp->max_data_sent >=
	    tp->cfg.initial_max_data / 2)
		return 1;
	for (i = 0; i < tp->n_is; i++) {
		const struct tp_istream *is = tp->is[i];
		if (tp_msd_due(tp, is) || is->done_pending || is->stop_pending)
			return 1;
	}
	if (data_ok && tp->dgq_total > 0)
		return 1;
	for (i = 0; i < tp->n_os; i++) {
		if (tp->os[i]->reset_pending)
			return 1;
		if (data_ok && tp_data_ready(tp, tp->os[i]))
			return 1;
	}
	return 0;
}

static void
tp_write_ack(struct tp *tp, uint64_t now, struct wr *w, struct tp_sent *s)
{
	struct frame_range rg[TP_ACK_RANGES];
	uint64_t delay;
	size_t n = 0, i, mark = w->off;

	for (i = tp->rx_pns.n; i > 0 && n < TP_ACK_RANGES; i--) {
		rg[n].lo = tp->rx_pns.v[i - 1].lo;
		rg[n].hi = tp->rx_pns.v[i - 1].hi - 1;
		n++;
	}
	if (n == 0)
		return;
	delay = now > tp->rx_largest_time ? now - tp->rx_largest_time : 0;
	/* Leave room for data: an ACK takes at most half a packet. */
	while (n > 1 && frame_ack_size(delay, rg, n) > wr_left(w) / 2)
		n--;
	frame_write_ack(w, delay, rg, n);
	if (!tp_fits(w, mark))
		return;
	tp->ack_needed = 0;
	tp->ack_immediate = 0;
	tp->ack_eliciting = 0;
	tp->ack_deadline = UINT64_MAX;
	if (s != NULL)
		s->ack_largest = rg[0].hi;
}

static void
tp_write_istream_ctl(struct tp *tp, struct wr *w, struct tp_sent *s,
    struct tp_istream *is)
{
	size_t mark;

	if (!is->stopped && !is->done &&
	    (is->msd_urgent || is->max > is->max_sent)) {
		mark = w->off;
		frame_write_max_stream_data(w, is->sid, is->max);
		if (tp_fits(w, mark) &&
		    tp_chunk_add(s, TP_CH_MSD, is->sid, 0, 0, 0) == 0) {
			is->max_sent = is->max;
			is->msd_urgent = 0;
		} else
			w->off = mark;
	}
	if (is->done_pending) {
		mark = w->off;
		frame_write_stream_done(w, is->sid);
		if (tp_fits(w, mark) &&
		    tp_chunk_add(s, TP_CH_DONE, is->sid, 0, 0, 0) == 0)
			is->done_pending = 0;
		else
			w->off = mark;
	}
	if (is->stop_pending) {
		mark = w->off;
		frame_write_stop_sending(w, is->sid, is->stop_code);
		if (tp_fits(w, mark) &&
		    tp_chunk_add(s, TP_CH_STOP, is->sid, 0, 0, 0) == 0)
			is->stop_pending = 0;
		else
			w->off = mark;
	}
}

static void
tp_write_ctl(struct tp *tp, struct wr *w, struct tp_sent *s)
{
	struct tp_ostream *os;
	size_t i, mark;

	while (tp->n_echo_resp > 0 && wr_left(w) >= 9) {
		frame_write_echo(w, 1, tp->echo_resp[--tp->n_echo_resp]);
		s->eliciting = 1;
	}
	while (tp->n_echo_req > 0 && wr_left(w) >= 9) {
		frame_write_echo(w, 0, tp->echo_req[--tp->n_echo_req]);
		s->eliciting = 1;
	}
	if (tp->max_msg_pending) {
		mark = w->off;
		frame_write_max_message(w, tp->cfg.max_message);
		if (tp_fits(w, mark) &&
		    tp_chunk_add(s, TP_CH_MAX_MSG, 0, 0, 0, 0) == 0)
			tp->max_msg_pending = 0;
		else
			w->off = mark;
	}
	if (tp->max_data_urgent || tp->local_max_data > tp->max_data_sent) {
		mark = w->off;
		frame_write_max_data(w, tp->local_max_data);
		if (tp_fits(w, mark) &&
		    tp_chunk_add(s, TP_CH_MAX_DATA, 0, 0, 0, 0) == 0) {
			tp->max_data_sent = tp->local_max_data;
			tp->max_data_urgent = 0;
		} else
			w->off = mark;
	}
	for (i = 0; i < tp->n_is; i++)
		tp_write_istream_ctl(tp, w, s, tp->is[i]);
	for (i = 0; i < tp->n_os; i++) {
		os = tp->os[i];
		if (!os->reset_pending)
			continue;
		mark = w->off;
		frame_write_reset_stream(w, os->sid, os->reset_code,
		    os->send_off);
		if (tp_fits(w, mark) &&
		    tp_chunk_add(s, TP_CH_RESET, os->sid, 0, 0, 0) == 0)
			os->reset_pending = 0;
		else
			w->off = mark;
	}
}

/* One STREAM frame of [off, off + n) at most; 0 when nothing fit. */
static uint64_t
tp_write_range(struct tp *tp, struct wr *w, struct tp_sent *s,
    struct tp_ostream *os, uint64_t off, uint64_t n)
{
	size_t left = wr_left(w), hdr;
	int fin;

	if (s->nchunks >= TP_PKT_CHUNKS)
		return 0;
	hdr = frame_stream_overhead(os->sid, off, left);
	if (left <= hdr)
		return 0;
	if (n > left - hdr)
		n = left - hdr;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	fin = os->fin && off + n == os->base + os->len;
	frame_write_stream(w, os->sid, off, n == 0 ? NULL :
	    os->buf + os->head + (off - os->base), (size_t)n, fin);
	(void)tp_chunk_add(s, TP_CH_STREAM, os->sid, off, (uint32_t)n, fin);
	if (fin)
		os->fin_sent = 1;
	return n;
}

static void
tp_write_blocked(struct tp *tp, struct wr *w, struct tp_ostream *os)
{
	size_t mark = w->off;

	if (os->send_off >= os->peer_max && os->blocked_at != os->peer_max) {
		frame_write_stream_data_blocked(w, os->sid, os->peer_max);
		if (tp_fits(w, mark))
			os->blocked_at = os->peer_max;
	}
	mark = w->off;
	if (tp->tx_data >= tp->peer_max_data &&
	    tp->data_blocked_at != tp->peer_max_data) {
		frame_write_data_blocked(w, tp->peer_max_data);
		if (tp_fits(w, mark))
			tp->data_blocked_at = tp->peer_max_data;
	}
}

static void
tp_write_stream(struct tp *tp, struct wr *w, struct tp_sent *s,
    struct tp_ostream *os)
{
	uint64_t end, limit, n;
	struct tp_iv iv;
	size_t mark;

	while (!os->reset && wr_left(w) > 0) {
		end = os->base + os->len;
		if (os->retx.n > 0) {
			iv = os->retx.v[0];
			if ((n = tp_write_range(tp, w, s, os, iv.lo,
			    iv.hi - iv.lo)) == 0)
				return;
			tp_rs_remove(&os->retx, iv.lo, iv.lo + n);
			tp->st.retransmits += n;
			continue;
		}
		if (os->send_off < end) {
			limit = end < os->peer_max ? end : os->peer_max;
			if (limit - os->send_off > tp->peer_max_data - tp->tx_data)
				limit = os->send_off +
				    (tp->peer_max_data - tp->tx_data);
			if (limit <= os->send_off) {
				tp_write_blocked(tp, w, os);
				return;
			}
			if ((n = tp_write_range(tp, w, s, os, os->send_off,
			    limit - os->send_off)) == 0)
				return;
			os->send_off += n;
			tp->tx_data += n;
			tp->st.tx_bytes += n;
			continue;
		}
		if (os->fin && !os->fin_sent && s->nchunks < TP_PKT_CHUNKS) {
			mark = w->off;
			frame_write_stream(w, os->sid, end, NULL, 0, 1);
			if (!tp_fits(w, mark))
				return;
			(void)tp_chunk_add(s, TP_CH_STREAM, os->sid, end, 0, 1);
			os->fin_sent = 1;
		}
		return;
	}
}

/*
 * Class c's slots fill the packet in turn from its cursor: slots
 * 0..n_os-1 are the streams (those of the class), slot n_os its datagram
 * queue. Returns the first slot that wrote, SIZE_MAX if none did.
 */
static size_t
tp_write_class(struct tp *tp, struct wr *w, struct tp_sent *s, int c)
{
	size_t k, n = tp->n_os + 1, i, first = SIZE_MAX, mark;

	if (tp->rr[c] >= n)
		tp->rr[c] = 0;
	for (k = 0; k < n && wr_left(w) > 0; k++) {
		i = (tp->rr[c] + k) % n;
		mark = w->off;
		if (i == tp->n_os)
			tp_dg_write(tp, w, s, c);
		else if (tp_os_class(tp->os[i]) == c)
			tp_write_stream(tp, w, s, tp->os[i]);
		if (first == SIZE_MAX && w->off > mark)
			first = i;
	}
	return first;
}

/*
 * The class chosen by weight (tp_prio_pick) opens the packet; within it
 * the turn passes to the slot after the one that opened its last packet,
 * so every slot of a class with data gets one packet in n, however many
 * are idle. The room it leaves goes to the other classes with data, the
 * most urgent first. A class held back to keep the path's queue short
 * (tp_prio_held) fills nothing, and when it is its turn nothing goes.
 */
static int
tp_write_data(struct tp *tp, struct wr *w, struct tp_sent *s, uint64_t now,
    int data_ok)
{
	size_t n = tp->n_os + 1, first;
	unsigned ready, held = 0;
	int c, open, wrote;

	if (!data_ok)
		return 0;
	ready = tp_classes_ready(tp);
	if (data_ok == 2)
		ready &= 1u << TP_PRIO_HIGH;
	for (c = 1; c < TP_PRIOS; c++)
		if ((ready & (1u << c)) && tp_prio_held(tp, c, now))
			held |= 1u << c;
	if ((open = tp_prio_pick(tp, ready)) == -1 ||
	    (held & (1u << open)))
		return 0;
	tp_prio_charge(tp, open);
	ready &= ~held;
	first = tp_write_class(tp, w, s, open);
	tp->rr[open] = first == SIZE_MAX ? (tp->rr[open] + 1) % n :
	    (first + 1) % n;
	wrote = first != SIZE_MAX;
	for (c = 0; c < TP_PRIOS && wr_left(w) > 0; c++)
		if (c != open && (ready & (1u << c)))
			wrote |= tp_write_class(tp, w, s, c) != SIZE_MAX;
	return wrote;
}

static size_t
tp_output_close(struct tp *tp, struct wr *w)
{
	size_t n;

	if (!tp->close_pending)
		return 0;
	n = strlen(tp->close_reason);
	if (n + 24 > wr_left(w))
		n = wr_left(w) > 24 ? wr_left(w) - 24 : 0;
	frame_write_close(w, tp->close_code, tp->close_reason, n);
	if (w->err)
		return 0;
	tp->close_pending = 0;
	tp->close_repeat++;
	return w->off;
}

size_t
tp_output(struct tp *tp, uint64_t now, uint64_t pn, uint8_t *out, size_t cap)
{
	struct tp_sent *s;
	struct wr w;
	size_t len;
	int ack_due, data_ok, paced = 0;

	if (tp->dead || (tp->any_sent && pn <= tp->largest_sent))
		return 0;
	wr_init(&w, out, cap < tp->cfg.max_payload ? cap : tp->cfg.max_payload);
	if (tp->closed) {
		if ((len = tp_output_close(tp, &w)) > 0) {
			tp->largest_sent = pn;
			tp->any_sent = 1;
			tp->st.tx_packets++;
		}
		return len;
	}
	tp_gc(tp);
	tp_prio_stamp(tp, now);
	ack_due = tp->ack_needed && (tp->ack_immediate ||
	    (tp->ack_eliciting > 0 && now >= tp->ack_deadline));
	data_ok = tp_data_allowed(tp, now) && !tp_corked(tp, now);
	if (!ack_due && !tp_has_work(tp, data_ok))
		return 0;
	if ((s = tp_sent_push(tp)) != NULL)
		s->pn = pn;
	if (tp->ack_needed)
		tp_write_ack(tp, now, &w, s);
	if (s != NULL) {
		tp_write_ctl(tp, &w, s);
		paced = tp_write_data(tp, &w, s, now, data_ok);
		if (paced)
			tp->cork_at = 0;
		if ((tp->ping_pending || tp->probes) && !s->eliciting &&
		    wr_left(&w) > 0) {
			frame_write_ping(&w);
			s->eliciting = 1;
		}
		tp->ping_pending = 0;
	}
	if (w.off == 0) {
		if (s != NULL)
			tp->sent_n--;
		return 0;
	}
	if (s != NULL && s->eliciting) {
		s->time = now;
		s->size = (uint32_t)w.off;
		cc_on_sent(&tp->cc, w.off, pn);
		/* Packets of acks and control frames only are not paced. */
		if (paced)
			pacer_on_sent(&tp->pacer, w.off);
		tp->last_tx_eliciting = now;
		if (tp->probes > 0)
			tp->probes--;
	} else if (s != NULL)
		tp->sent_n--;
	tp->largest_sent = pn;
	tp->any_sent = 1;
	tp->st.tx_packets++;
	return w.off;
}
