/* SPDX-License-Identifier: ISC */
/*
 * tp_recovery.c: the record of sent packets, acknowledgement processing,
 * loss detection, RTT estimation and probe timeouts (RFC 9002 §5-6).
 */
#include <stdlib.h>
#include <string.h>

#include "tp_int.h"

static struct tp_sent *
tp_sent_at(const struct tp *tp, size_t i)
{
	return &tp->sent[(tp->sent_head + i) % tp->sent_cap];
}

/* A new record at the tail, or NULL when the record is full. */
struct tp_sent *
tp_sent_push(struct tp *tp)
{
	struct tp_sent *nv, *s;
	size_t ncap, i;

	if (tp->sent_n == tp->sent_cap) {
		if (tp->sent_cap >= TP_MAX_SENT)
			return NULL;
		ncap = tp->sent_cap ? tp->sent_cap * 2 : TP_SENT_MIN;
		if ((nv = calloc(ncap, sizeof(*nv))) == NULL)
			return NULL;
		for (i = 0; i < tp->sent_n; i++)
			nv[i] = *tp_sent_at(tp, i);
		free(tp->sent);
		tp->sent = nv;
		tp->sent_cap = ncap;
		tp->sent_head = 0;
	}
	s = &tp->sent[(tp->sent_head + tp->sent_n) % tp->sent_cap];
	tp->sent_n++;
	memset(s, 0, sizeof(*s));
	s->ack_largest = UINT64_MAX;
	return s;
}

static void
tp_sent_pop(struct tp *tp)
{
	while (tp->sent_n > 0 && tp_sent_at(tp, 0)->done) {
		tp->sent_head = (tp->sent_head + 1) % tp->sent_cap;
		tp->sent_n--;
	}
}

/*
 * A record grown by a transfer is not kept by an idle session: it goes at
 * the session's next timeout with nothing in flight (tp_on_timeout), not
 * the moment it empties, which within a transfer happens whenever the
 * sender waits for its application, and growing it back took an
 * allocation per doubling each time.
 */
void
tp_sent_trim(struct tp *tp)
{
	if (tp->sent_n == 0 && tp->sent_cap > TP_SENT_KEEP) {
		free(tp->sent);
		tp->sent = NULL;
		tp->sent_cap = 0;
		tp->sent_head = 0;
	}
}

/* First record with pn >= x. */
static size_t
tp_sent_lower(const struct tp *tp, uint64_t x)
{
	size_t lo = 0, hi = tp->sent_n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (tp_sent_at(tp, mid)->pn < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
tp_chunk_acked(struct tp *tp, const struct tp_chunk *c)
{
	struct tp_ostream *os;
	struct tp_istream *is;

	switch (c->kind) {
	case TP_CH_STREAM:
		if ((os = tp_ostream_find(tp, c->sid)) != NULL && !os->reset)
			tp_ostream_acked(tp, os, c->off, c->len, c->fin);
		break;
	case TP_CH_RESET:
		if ((os = tp_ostream_find(tp, c->sid)) != NULL)
			os->reset_acked = 1;
		break;
	case TP_CH_DONE:
		if ((is = tp_istream_find(tp, c->sid)) != NULL)
			is->done_acked = 1;
		break;
	case TP_CH_STOP:
		if ((is = tp_istream_find(tp, c->sid)) != NULL)
			is->stop_acked = 1;
		break;
	}
}

static void
tp_chunk_lost(struct tp *tp, const struct tp_chunk *c)
{
	struct tp_ostream *os;
	struct tp_istream *is;

	switch (c->kind) {
	case TP_CH_STREAM:
		if ((os = tp_ostream_find(tp, c->sid)) != NULL && !os->reset)
			tp_ostream_lost(tp, os, c->off, c->len, c->fin);
		break;
	case TP_CH_RESET:
		if ((os = tp_ostream_find(tp, c->sid)) != NULL &&
		    !os->reset_acked)
			os->reset_pending = 1;
		break;
	case TP_CH_MSD:
		if ((is = tp_istream_find(tp, c->sid)) != NULL &&
		    !is->stopped && !is->done)
			is->msd_urgent = 1;
		break;
	case TP_CH_MAX_DATA:
		tp->max_data_urgent = 1;
		break;
	case TP_CH_MAX_MSG:
		tp->max_msg_pending = 1;
		break;
	case TP_CH_DONE:
		if ((is = tp_istream_find(tp, c->sid)) != NULL &&
		    !is->done_acked)
			is->done_pending = 1;
		break;
	case TP_CH_STOP:
		if ((is = tp_istream_find(tp, c->sid)) != NULL &&
		    !is->stop_acked && !is->reset_rcvd)
			is->stop_pending = 1;
		break;
	}
}

static void
tp_packet_acked(struct tp *tp, struct tp_sent *s, uint64_t now)
{
	size_t i;

	s->done = 1;
	if (s->eliciting) {
		cc_on_acked(&tp->cc, s->size, s->pn, s->time, now);
		tp_prio_on_acked(tp, s->size, now);
	}
	for (i = 0; i < s->nchunks; i++)
		tp_chunk_acked(tp, &s->ch[i]);
	/*
	 * The peer has our ACK up to ack_largest: older packets of its
	 * own are settled on its side, so stop tracking (and acking) them.
	 */
	if (s->ack_largest != UINT64_MAX && s->ack_largest >= tp->rx_floor) {
		tp->rx_floor = s->ack_largest + 1;
		tp_rs_remove_below(&tp->rx_pns, tp->rx_floor);
	}
}

static void
tp_rtt_sample(struct tp *tp, uint64_t latest, uint64_t ack_delay)
{
	uint64_t adj = latest, d;

	tp->latest_rtt = latest;
	if (!tp->rtt_sampled) {
		tp->rtt_sampled = 1;
		tp->min_rtt = tp->srtt = latest;
		tp->rttvar = latest / 2;
		return;
	}
	if (latest < tp->min_rtt)
		tp->min_rtt = latest;
	if (ack_delay > TP_MAX_ACK_DELAY_US)
		ack_delay = TP_MAX_ACK_DELAY_US;
	if (latest >= tp->min_rtt + ack_delay)
		adj = latest - ack_delay;
	d = tp->srtt > adj ? tp->srtt - adj : adj - tp->srtt;
	tp->rttvar = (3 * tp->rttvar + d) / 4;
	tp->srtt = (7 * tp->srtt + adj) / 8;
}

static void
tp_notify_acked(struct tp *tp)
{
	struct tp_ostream *os;
	size_t i;

	for (i = 0; i < tp->n_os && !tp->closed; i++) {
		os = tp->os[i];
		if (!os->notify_acked)
			continue;
		os->notify_acked = 0;
		if (tp->cb.acked != NULL)
			tp->cb.acked(tp->cb.arg, os->sid, os->base);
	}
	if (tp->want_writable && !tp->closed &&
	    tp->send_buffered < tp->cfg.send_buf_max) {
		tp->want_writable = 0;
		if (tp->cb.writable != NULL)
			tp->cb.writable(tp->cb.arg);
	}
}

int
tp_on_ack(struct tp *tp, uint64_t now, const struct frame_ack *a)
{
	struct tp_sent *s;
	uint64_t largest_time = 0;
	size_t r, i;
	int newly = 0, eliciting = 0, got_largest = 0;

	if (!tp->any_sent || a->largest > tp->largest_sent) {
		tp_fail(tp, TP_ERR_PROTOCOL, "ack of a packet never sent");
		return -1;
	}
	for (r = 0; r < a->nranges; r++) {
		for (i = tp_sent_lower(tp, a->ranges[r].lo); i < tp->sent_n;
		    i++) {
			s = tp_sent_at(tp, i);
			if (s->pn > a->ranges[r].hi)
				break;
			if (s->done)
				continue;
			if (s->pn == a->largest) {
				got_largest = 1;
				largest_time = s->time;
			}
			eliciting |= s->eliciting;
			newly = 1;
			tp_packet_acked(tp, s, now);
		}
	}
	if (!tp->any_acked || a->largest > tp->largest_acked)
		tp->largest_acked = a->largest;
	tp->any_acked = 1;
	if (got_largest && eliciting && now >= largest_time) {
		tp_rtt_sample(tp, now - largest_time, a->ack_delay_us);
		tp->rtt_at = now;
		cc_on_rtt(&tp->cc, now - largest_time, tp->srtt);
	}
	if (newly)
		tp->pto_count = 0;
	tp_detect_lost(tp, now);
	tp_notify_acked(tp);
	return 0;
}

void
tp_detect_lost(struct tp *tp, uint64_t now)
{
	struct tp_sent *s;
	uint64_t delay, lost_time = 0, first_lost = UINT64_MAX, t;
	size_t i, j;
	int lost = 0;

	tp->loss_time = 0;
	if (!tp->any_acked)
		return;
	delay = tp->latest_rtt > tp->srtt ? tp->latest_rtt : tp->srtt;
	delay = delay * 9 / 8;
	if (delay < 1000)
		delay = 1000;
	for (i = 0; i < tp->sent_n; i++) {
		s = tp_sent_at(tp, i);
		if (s->pn > tp->largest_acked)
			break;
		if (s->done)
			continue;
		/* Lossless: a late ack is TCP's queue, not a loss; only a
		 * gap (the relay dropped at a full buffer) is one. */
		if ((!tp->lossless && s->time + delay <= now) ||
		    tp->largest_acked >= s->pn + 3) {
			s->done = 1;
			lost = 1;
			if (s->eliciting && s->time < first_lost)
				first_lost = s->time;
			if (s->time > lost_time)
				lost_time = s->time;
			if (s->eliciting)
				cc_on_removed(&tp->cc, s->size);
			tp->st.lost++;
			for (j = 0; j < s->nchunks; j++)
				tp_chunk_lost(tp, &s->ch[j]);
			continue;
		}
		t = s->time + delay;
		if (!tp->lossless && (tp->loss_time == 0 || t < tp->loss_time))
			tp->loss_time = t;
	}
	if (lost) {
		cc_on_congestion(&tp->cc, lost_time, now);
		/*
		 * RFC 9002 §7.6, simplified: losses spanning three PTOs
		 * (a blackout, e.g. a partition) collapse the window.
		 */
		if (tp->rtt_sampled && first_lost != UINT64_MAX &&
		    lost_time - first_lost > 3 * tp_pto_base(tp))
			cc_on_persistent_congestion(&tp->cc);
	}
	tp_sent_pop(tp);
}

uint64_t
tp_pto_base(const struct tp *tp)
{
	uint64_t var = 4 * tp->rttvar > 1000 ? 4 * tp->rttvar : 1000;
	uint64_t pto = tp->srtt + var + TP_MAX_ACK_DELAY_US;

	return tp->lossless && pto < TP_LOSSLESS_PTO_US ? TP_LOSSLESS_PTO_US :
	    pto;
}

uint64_t
tp_pto_deadline(const struct tp *tp)
{
	uint64_t pto;

	if (tp->cc.bytes_in_flight == 0)
		return UINT64_MAX;
	pto = tp_pto_base(tp);
	/* Back off, but keep probing a partitioned path every few s. */
	if (pto < TP_PTO_MAX_US) {
		pto <<= tp->pto_count;
		if (pto > TP_PTO_MAX_US)
			pto = TP_PTO_MAX_US;
	}
	/*
	 * From the last PTO too, so that a probe that cannot go out (sent
	 * record full) does not make the timer fire at once again.
	 */
	return (tp->last_tx_eliciting > tp->pto_at ? tp->last_tx_eliciting :
	    tp->pto_at) + pto;
}

void
tp_on_pto(struct tp *tp, uint64_t now)
{
	tp->pto_at = now;
	if (tp->pto_count < 16)
		tp->pto_count++;
	tp->probes = 2;
}
