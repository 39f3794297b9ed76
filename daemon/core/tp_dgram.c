/* SPDX-License-Identifier: ISC */
/*
 * tp_dgram.c: unreliable and unreliable-sequenced messages (PROTOCOL.md
 * §3.4). A message becomes a body `flags u8 || channel u8 || name_len u8
 * || name || payload`, cut into DATAGRAM frames that are never sent again.
 * Both ends hold bounded state only: the send queue drops its oldest
 * messages beyond dgram_tx_max / dgram_tx_msgs, reassembly drops its
 * oldest partial messages beyond dgram_rx_max / dgram_rx_msgs, and ids
 * already finished are remembered in a capped range set above a floor,
 * so a message is delivered at most once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tp_int.h"

#define TP_DG_SEQUENCED	0x01		/* body flags */
#define TP_DG_HDR	3		/* flags, channel, name_len */

/* --- sending ----------------------------------------------------------- */

/* Forget the message at the head of class c's ring. */
static void
tp_dgq_pop(struct tp *tp, int c)
{
	struct tp_dgq *q = &tp->dgq[c][tp->dgq_head[c]];

	if (q->buf != NULL) {
		tp->dgq_bytes -= q->len;
		free(q->buf);
		q->buf = NULL;
	}
	tp->dgq_head[c] = (tp->dgq_head[c] + 1) % tp->cfg.dgram_tx_msgs;
	tp->dgq_n[c]--;
	tp->dgq_total--;
}

/* Drop the oldest queued message of the least urgent class that has one. */
static void
tp_dgq_drop_oldest(struct tp *tp)
{
	int c;

	for (c = TP_PRIOS - 1; c >= 0; c--) {
		if (tp->dgq_n[c] == 0)
			continue;
		if (tp->dgq[c][tp->dgq_head[c]].buf != NULL)
			tp->st.dgram_tx_dropped++; /* sent partly or not at all */
		tp_dgq_pop(tp, c);
		return;
	}
}

/*
 * A sequenced message of (name, channel) goes in class prio: the unsent
 * ones of that pair in other classes would arrive after it, late.
 */
static void
tp_dgq_supersede(struct tp *tp, const uint8_t *hdr, size_t hl, int prio)
{
	struct tp_dgq *q;
	size_t i;
	int c;

	for (c = 0; c < TP_PRIOS; c++) {
		if (c == prio)
			continue;
		for (i = 0; i < tp->dgq_n[c]; i++) {
			q = &tp->dgq[c][(tp->dgq_head[c] + i) %
			    tp->cfg.dgram_tx_msgs];
			if (q->buf == NULL || q->off > 0 || q->len < hl ||
			    memcmp(q->buf, hdr, hl) != 0)
				continue;
			tp->st.dgram_tx_dropped++;
			tp->dgq_bytes -= q->len;
			free(q->buf);
			q->buf = NULL;
		}
	}
}

int
tp_dg_send(struct tp *tp, const char *name, unsigned channel, int mode,
    int prio, const uint8_t *data, size_t len)
{
	size_t nl = strlen(name), total = TP_DG_HDR + nl + len;
	struct tp_dgq *q;
	uint8_t *b;

	if (len > tp_max_send_message(tp))
		return tp_too_large(tp, len);	/* may wait for MAX_MESSAGE */
	if (total > tp->cfg.dgram_tx_max) {
		errno = EMSGSIZE;
		return -1;
	}
	if (tp->dgq[prio] == NULL && (tp->dgq[prio] =
	    calloc(tp->cfg.dgram_tx_msgs, sizeof(*tp->dgq[prio]))) == NULL)
		return -1;
	if ((b = malloc(total)) == NULL)
		return -1;
	b[0] = mode == TP_MODE_SEQUENCED ? TP_DG_SEQUENCED : 0;
	b[1] = (uint8_t)channel;
	b[2] = (uint8_t)nl;
	memcpy(b + TP_DG_HDR, name, nl);
	if (len > 0)
		memcpy(b + TP_DG_HDR + nl, data, len);
	if (mode == TP_MODE_SEQUENCED && tp->dgq_total > tp->dgq_n[prio])
		tp_dgq_supersede(tp, b, TP_DG_HDR + nl, prio);
	/* Late unreliable data is worth less than new: drop the oldest. */
	while (tp->dgq_total > 0 && (tp->dgq_n[prio] >= tp->cfg.dgram_tx_msgs ||
	    tp->dgq_total >= tp->cfg.dgram_tx_msgs ||
	    tp->dgq_bytes + total > tp->cfg.dgram_tx_max))
		tp_dgq_drop_oldest(tp);
	q = &tp->dgq[prio][(tp->dgq_head[prio] + tp->dgq_n[prio]) %
	    tp->cfg.dgram_tx_msgs];
	q->buf = b;
	q->len = total;
	q->off = 0;
	tp->dgq_n[prio]++;
	tp->dgq_total++;
	tp->dgq_bytes += total;
	tp->prio_fresh |= 1u << prio;
	return 0;
}

int
tp_dg_ready(const struct tp *tp, int prio)
{
	return tp->dgq_n[prio] > 0;
}

/* Fragments of class prio's queued messages, as many as fit. */
void
tp_dg_write(struct tp *tp, struct wr *w, struct tp_sent *s, int prio)
{
	struct tp_dgq *q;
	size_t left, hdr, n;

	while (tp->dgq_n[prio] > 0) {
		q = &tp->dgq[prio][tp->dgq_head[prio]];
		if (q->buf == NULL) {		/* superseded */
			tp_dgq_pop(tp, prio);
			continue;
		}
		if (q->off == 0)
			q->id = tp->dg_next_id;
		left = wr_left(w);
		hdr = frame_dgram_overhead(q->id, q->len, q->off, left);
		if (left <= hdr)
			return;
		n = q->len - q->off;
		if (n > left - hdr)
			n = left - hdr;
		/* A tiny tail fragment wastes a frame header: wait. */
		if (n < q->len - q->off && n < 64 && q->off > 0)
			return;
		if (q->off == 0)
			tp->dg_next_id++;	/* the id is taken now */
		frame_write_dgram(w, q->id, q->len, q->off, q->buf + q->off, n);
		s->eliciting = 1;	/* counted in flight, cut by loss */
		q->off += n;
		if (q->off == q->len) {
			tp->st.dgram_tx++;
			tp_dgq_pop(tp, prio);
		}
	}
}

/* --- receiving --------------------------------------------------------- */

static void
tp_dgp_drop(struct tp *tp, size_t i)
{
	struct tp_dgp *p = &tp->dgp[i];

	tp->dgp_bytes -= p->total;
	free(p->buf);
	tp_rs_free(&p->got);
	tp->dgp[i] = tp->dgp[--tp->dgp_n];
}

/* Remember that id is finished; forget the oldest ids beyond the cap. */
static void
tp_dg_finish(struct tp *tp, uint64_t id)
{
	size_t i;

	(void)tp_rs_add(&tp->dg_done, id, id + 1);
	while (tp->dg_done.n > TP_DG_DONE_RANGES) {
		tp->dg_floor = tp->dg_done.v[0].hi;
		tp_rs_remove_below(&tp->dg_done, tp->dg_floor);
	}
	/* Partial messages under the floor could never be told apart. */
	for (i = 0; i < tp->dgp_n; ) {
		if (tp->dgp[i].id < tp->dg_floor) {
			tp->st.dgram_rx_dropped++;
			tp_dgp_drop(tp, i);
		} else
			i++;
	}
}

static size_t
tp_dgp_oldest(const struct tp *tp)
{
	size_t i, o = 0;

	for (i = 1; i < tp->dgp_n; i++)
		if (tp->dgp[i].id < tp->dgp[o].id)
			o = i;
	return o;
}

/* A sequenced message is late when its slot has seen a newer one. */
static int
tp_dg_late(struct tp *tp, const char *name, unsigned channel, uint64_t id)
{
	struct tp_dgseq *k = NULL;
	size_t i, lru = 0;

	/* Most sessions never see a sequenced message: no slots until then. */
	if (tp->dg_seq == NULL && (tp->dg_seq = calloc(TP_DG_SEQ_KEYS,
	    sizeof(*tp->dg_seq))) == NULL)
		return 1;

	for (i = 0; i < tp->dg_nseq; i++) {
		if (tp->dg_seq[i].channel == channel &&
		    strcmp(tp->dg_seq[i].name, name) == 0) {
			k = &tp->dg_seq[i];
			break;
		}
		if (tp->dg_seq[i].used < tp->dg_seq[lru].used)
			lru = i;
	}
	if (k == NULL) {
		if (id < tp->dg_seq_floor)
			return 1;
		if (tp->dg_nseq < TP_DG_SEQ_KEYS)
			k = &tp->dg_seq[tp->dg_nseq++];
		else {
			/* Whatever the evicted slot saw stays a floor. */
			k = &tp->dg_seq[lru];
			if (k->last + 1 > tp->dg_seq_floor)
				tp->dg_seq_floor = k->last + 1;
			if (id < tp->dg_seq_floor)
				return 1;
		}
		memcpy(k->name, name, strlen(name) + 1);
		k->channel = channel;
	} else if (id <= k->last)
		return 1;
	k->last = id;
	k->used = ++tp->dg_tick;
	return 0;
}

static void
tp_dg_deliver(struct tp *tp, uint64_t id, const uint8_t *b, size_t total)
{
	char name[TP_NAME_MAX + 1];
	size_t nl;
	int mode;

	nl = total >= TP_DG_HDR ? b[2] : 0;
	if (nl == 0 || nl > TP_NAME_MAX || TP_DG_HDR + nl > total ||
	    (b[0] & ~TP_DG_SEQUENCED) != 0 ||
	    !tp_name_valid(b + TP_DG_HDR, nl)) {
		tp->st.dgram_rx_dropped++;	/* malformed body */
		return;
	}
	memcpy(name, b + TP_DG_HDR, nl);
	name[nl] = '\0';
	mode = (b[0] & TP_DG_SEQUENCED) ? TP_MODE_SEQUENCED :
	    TP_MODE_UNRELIABLE;
	if (mode == TP_MODE_SEQUENCED && tp_dg_late(tp, name, b[1], id)) {
		tp->st.dgram_rx_dropped++;
		return;
	}
	tp->st.dgram_rx++;
	tp_deliver_msg(tp, name, b[1], mode, UINT64_MAX, b + TP_DG_HDR + nl,
	    total - TP_DG_HDR - nl);
}

void
tp_on_dgram_frame(struct tp *tp, const struct frame_dgram *f)
{
	struct tp_dgp *p = NULL;
	size_t i;

	if (f->msg_id < tp->dg_floor || tp_rs_contains(&tp->dg_done, f->msg_id))
		return;
	if (f->total > tp->cfg.max_message + TP_DG_HDR + TP_NAME_MAX ||
	    f->total > tp->cfg.dgram_rx_max || f->total == 0) {
		tp->st.dgram_rx_dropped++;
		tp_dg_finish(tp, f->msg_id);
		return;
	}
	/* A whole message in one frame needs no buffer. */
	if (f->offset == 0 && f->len == f->total) {
		tp_dg_finish(tp, f->msg_id);
		tp_dg_deliver(tp, f->msg_id, f->data, (size_t)f->len);
		return;
	}
	for (i = 0; i < tp->dgp_n; i++)
		if (tp->dgp[i].id == f->msg_id) {
			p = &tp->dgp[i];
			break;
		}
	if (p != NULL && p->total != f->total) {
		tp->st.dgram_rx_dropped++;	/* the fragments disagree */
		tp_dgp_drop(tp, i);
		tp_dg_finish(tp, f->msg_id);
		return;
	}
	if (p == NULL) {
		if (tp->dgp == NULL && (tp->dgp = calloc(tp->cfg.dgram_rx_msgs,
		    sizeof(*tp->dgp))) == NULL)
			return;
		while (tp->dgp_n > 0 && (tp->dgp_n >= tp->cfg.dgram_rx_msgs ||
		    tp->dgp_bytes + f->total > tp->cfg.dgram_rx_max)) {
			uint64_t old;

			i = tp_dgp_oldest(tp);
			old = tp->dgp[i].id;
			tp->st.dgram_rx_dropped++;
			tp_dgp_drop(tp, i);
			tp_dg_finish(tp, old);
		}
		if (f->msg_id < tp->dg_floor)
			return;
		p = &tp->dgp[tp->dgp_n];
		memset(p, 0, sizeof(*p));
		if ((p->buf = malloc((size_t)f->total)) == NULL)
			return;
		p->id = f->msg_id;
		p->total = (size_t)f->total;
		tp->dgp_n++;
		tp->dgp_bytes += p->total;
	}
	if (f->len > 0) {
		memcpy(p->buf + f->offset, f->data, (size_t)f->len);
		if (tp_rs_add(&p->got, f->offset, f->offset + f->len) == -1 ||
		    p->got.n > TP_STREAM_RANGES) {
			/* Holes cost memory too: a shredded message goes. */
			tp->st.dgram_rx_dropped++;
			tp_dgp_drop(tp, (size_t)(p - tp->dgp));
			tp_dg_finish(tp, f->msg_id);
			return;
		}
	}
	if (p->got.n != 1 || p->got.v[0].lo != 0 || p->got.v[0].hi != p->total)
		return;
	/* Whole: deliver from a buffer the callback cannot free. */
	{
		uint8_t *b = p->buf;
		uint64_t id = p->id;
		size_t total = p->total;

		p->buf = NULL;
		tp->dgp_bytes -= total;
		p->total = 0;
		tp_dgp_drop(tp, (size_t)(p - tp->dgp));
		tp_dg_finish(tp, id);
		tp_dg_deliver(tp, id, b, total);
		free(b);
	}
}

void
tp_dg_free(struct tp *tp)
{
	int c;

	for (c = 0; c < TP_PRIOS; c++) {
		while (tp->dgq_n[c] > 0)
			tp_dgq_pop(tp, c);
		free(tp->dgq[c]);
		tp->dgq[c] = NULL;
	}
	while (tp->dgp_n > 0)
		tp_dgp_drop(tp, 0);
	free(tp->dgp);
	tp->dgp = NULL;
	tp_rs_free(&tp->dg_done);
	free(tp->dg_seq);
	tp->dg_seq = NULL;
}

size_t
tp_dgram_tx_buffered(const struct tp *tp)
{
	return tp->dgq_bytes;
}

size_t
tp_dgram_rx_buffered(const struct tp *tp)
{
	return tp->dgp_bytes;
}
