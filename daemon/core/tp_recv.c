/* SPDX-License-Identifier: ISC */
/*
 * tp_recv.c: incoming streams. Bytes are reassembled in a buffer that
 * starts at the first undelivered offset and never reaches past the
 * credit granted, so a peer cannot make us hold more than we allowed.
 * Message streams deliver whole messages; pipes deliver bytes as they
 * become contiguous.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tp_int.h"

struct tp_istream *
tp_istream_find(struct tp *tp, uint64_t sid)
{
	size_t i;

	for (i = 0; i < tp->n_is; i++)
		if (tp->is[i]->sid == sid)
			return tp->is[i];
	return NULL;
}

void
tp_consumed(struct tp *tp, uint64_t bytes)
{
	tp->rx_consumed += bytes;
	tp->local_max_data = tp->cfg.initial_max_data + tp->rx_consumed;
}

static void
tp_is_uncount(struct tp *tp, struct tp_istream *is)
{
	if (is->counted) {
		is->counted = 0;
		tp->in_count--;
	}
}

/* Throw away what is buffered; the session credit comes back. */
static void
tp_is_discard(struct tp *tp, struct tp_istream *is)
{
	if (is->highest > is->base) {
		tp_consumed(tp, is->highest - is->base);
		is->base = is->highest;
	}
	tp_rs_free(&is->got);
	is->head = 0;
}

static struct tp_istream *
tp_is_create(struct tp *tp, uint64_t n)
{
	struct tp_istream *is, **nv;

	if ((nv = reallocarray(tp->is, tp->n_is + 1, sizeof(*nv))) == NULL)
		return NULL;
	tp->is = nv;
	if ((is = calloc(1, sizeof(*is))) == NULL)
		return NULL;
	is->sid = (n << 1) | (uint64_t)(tp->side ^ 1);
	is->fin_off = UINT64_MAX;
	is->max = tp->cfg.initial_stream_credit;
	is->max_sent = TP_PROTO_STREAM_CREDIT;
	is->counted = 1;
	tp->in_count++;
	tp->is[tp->n_is++] = is;
	return is;
}

/* The stream a frame names, opening it (and lower ones) when new. */
static struct tp_istream *
tp_is_get(struct tp *tp, uint64_t sid)
{
	struct tp_istream *is;
	uint64_t n = sid >> 1;

	if ((sid & 1) == (uint64_t)tp->side) {
		tp_fail(tp, TP_ERR_PROTOCOL, "peer wrote to our own stream");
		return NULL;
	}
	if ((is = tp_istream_find(tp, sid)) != NULL || n < tp->peer_next)
		return is;		/* NULL: finished long ago */
	if (n - tp->peer_next >= TP_MAX_STREAMS - tp->in_count) {
		tp_fail(tp, TP_ERR_PROTOCOL, "too many streams");
		return NULL;
	}
	while (tp->peer_next <= n) {
		if ((is = tp_is_create(tp, tp->peer_next)) == NULL) {
			tp_fail(tp, TP_ERR_PROTOCOL, "out of memory");
			return NULL;
		}
		tp->peer_next++;
	}
	return is;
}

/* Account a new highest offset against stream and session credit. */
static int
tp_is_account(struct tp *tp, struct tp_istream *is, uint64_t end, int fin)
{
	if (end > is->max) {
		tp_fail(tp, TP_ERR_FLOW, "stream credit exceeded");
		return -1;
	}
	if ((is->fin_seen && (end > is->fin_off ||
	    (fin && end != is->fin_off))) || (fin && end < is->highest)) {
		tp_fail(tp, TP_ERR_PROTOCOL, "stream final size changed");
		return -1;
	}
	if (fin) {
		is->fin_seen = 1;
		is->fin_off = end;
	}
	if (end > is->highest) {
		tp->rx_data += end - is->highest;
		is->highest = end;
		if (tp->rx_data > tp->local_max_data) {
			tp_fail(tp, TP_ERR_FLOW, "session credit exceeded");
			return -1;
		}
	}
	return 0;
}

static int
tp_is_reserve(struct tp_istream *is, uint64_t end)
{
	size_t need = (size_t)(end - is->base), used, ncap;
	uint8_t *nb;

	if (is->head + need <= is->cap)
		return 0;
	used = is->got.n ? (size_t)(is->got.v[is->got.n - 1].hi - is->base) : 0;
	/* Compact only when it moves no more than was consumed. */
	if (is->head > 0 && is->head >= used) {
		memmove(is->buf, is->buf + is->head, used);
		is->head = 0;
	}
	if (is->head + need <= is->cap)
		return 0;
	/* Grow geometrically, but never much past the credit. */
	ncap = is->cap ? is->cap * 2 : 4096;
	if (ncap > is->head + (is->max - is->base))
		ncap = is->head + (size_t)(is->max - is->base);
	if (ncap < is->head + need)
		ncap = is->head + need;
	if ((nb = realloc(is->buf, ncap)) == NULL)
		return -1;
	is->buf = nb;
	is->cap = ncap;
	return 0;
}

static void
tp_is_consume(struct tp *tp, struct tp_istream *is, uint64_t n,
    uint64_t credit_back)
{
	is->base += n;
	is->head += (size_t)n;
	tp_rs_remove_below(&is->got, is->base);
	if (is->got.n == 0)
		is->head = 0;
	tp_consumed(tp, n);
	tp->st.rx_bytes += n;
	/* Framing is ours to credit: the app grants only payload. */
	is->max += credit_back;
}

int
tp_name_valid(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '.' || p[i] == '_' || p[i] == '-'))
			return 0;
	return 1;
}

/* 1 when the header was consumed, 0 when incomplete, -1 when bad. */
static int
tp_is_header(struct tp *tp, struct tp_istream *is, const uint8_t *p,
    uint64_t avail)
{
	size_t nl, hl;
	int ext;

	if (avail < 2)
		return 0;
	nl = p[1];
	if (p[0] < TP_STREAM_MESSAGES || p[0] > TP_KIND_UNORDERED ||
	    nl == 0 || nl > TP_NAME_MAX) {
		tp_fail(tp, TP_ERR_PROTOCOL, "bad stream header");
		return -1;
	}
	/* Channel and unordered streams name their channel last. */
	ext = p[0] == TP_KIND_CHANNEL || p[0] == TP_KIND_UNORDERED;
	hl = 2 + nl + (ext ? 1 : 0);
	if (avail < hl)
		return 0;
	if (!tp_name_valid(p + 2, nl)) {
		tp_fail(tp, TP_ERR_PROTOCOL, "bad stream name");
		return -1;
	}
	memcpy(is->name, p + 2, nl);
	is->name[nl] = '\0';
	is->kind = p[0] == TP_STREAM_PIPE ? TP_STREAM_PIPE :
	    TP_STREAM_MESSAGES;
	is->channel = ext ? p[2 + nl] : 0;
	is->mode = p[0] == TP_KIND_UNORDERED ? TP_MODE_UNORDERED :
	    TP_MODE_RELIABLE;
	tp_is_consume(tp, is, hl, hl);
	/* An unordered message's stream is tp's own business. */
	if (is->mode == TP_MODE_RELIABLE && tp->cb.stream_open != NULL)
		tp->cb.stream_open(tp->cb.arg, is->sid, is->kind, is->name);
	return 1;
}

/* 1 when a message was delivered, 0 when incomplete, -1 when bad. */
static int
tp_is_message(struct tp *tp, struct tp_istream *is, const uint8_t *p,
    uint64_t avail)
{
	uint64_t mlen, end;
	size_t vl;
	struct rd r;

	if (avail == 0)
		return 0;
	vl = (size_t)1 << (p[0] >> 6);
	if (avail < vl)
		return 0;
	rd_init(&r, p, vl);
	mlen = rd_varint(&r);
	if (mlen > tp->cfg.max_message) {
		tp_fail(tp, TP_ERR_PROTOCOL, "message longer than max_message");
		return -1;
	}
	end = is->base + vl + mlen;
	if (end > is->fin_off) {
		tp_fail(tp, TP_ERR_PROTOCOL, "message cut by end of stream");
		return -1;
	}
	if (end > is->max) {
		/*
		 * Let a message that has begun complete (see tp.h), but
		 * only one at a time: the next waits until the application
		 * has granted this extension back.
		 */
		if (is->debt > 0)
			return 0;
		is->debt = end - is->max;
		is->max = end;
		is->msd_urgent = 1;
	}
	if (avail < vl + mlen)
		return 0;
	tp_deliver_msg(tp, is->name, is->channel, is->mode, is->sid, p + vl,
	    (size_t)mlen);
	tp_is_consume(tp, is, vl + mlen, vl);
	if (is->mode == TP_MODE_UNORDERED) {
		/* One message per stream: done, the slot comes back. */
		if (!is->hold)
			(void)tp_stream_done(tp, is->sid);
		return 0;
	}
	return 1;
}

void
tp_deliver_msg(struct tp *tp, const char *name, unsigned channel, int mode,
    uint64_t sid, const uint8_t *data, size_t len)
{
	struct tp_msg_info mi;

	if (tp->cb.message_ex != NULL) {
		mi.service = name;
		mi.channel = channel;
		mi.mode = mode;
		mi.sid = sid;
		tp->cb.message_ex(tp->cb.arg, &mi, data, len);
	} else if (mode == TP_MODE_RELIABLE && tp->cb.message != NULL)
		tp->cb.message(tp->cb.arg, sid, data, len);
}

static void
tp_is_pipe(struct tp *tp, struct tp_istream *is, const uint8_t *p,
    uint64_t avail)
{
	int fin = is->fin_seen && is->base + avail == is->fin_off;

	if (avail == 0 && !fin)
		return;
	if (fin)
		is->fin_done = 1;
	tp_is_consume(tp, is, avail, 0);
	if (tp->cb.pipe_data != NULL)
		tp->cb.pipe_data(tp->cb.arg, is->sid, p, (size_t)avail, fin);
}

static void
tp_deliver(struct tp *tp, struct tp_istream *is)
{
	const uint8_t *p;
	uint64_t avail;
	int rv;

	while (!tp->closed && !is->stopped && !is->done && !is->fin_done) {
		avail = (is->got.n > 0 && is->got.v[0].lo <= is->base) ?
		    is->got.v[0].hi - is->base : 0;
		p = is->buf != NULL ? is->buf + is->head : NULL;
		if (is->kind == 0)
			rv = tp_is_header(tp, is, p, avail);
		else if (is->kind == TP_STREAM_MESSAGES) {
			rv = tp_is_message(tp, is, p, avail);
			if (rv == 0 && is->fin_seen && is->base == is->fin_off)
				is->fin_done = 1;
		} else {
			tp_is_pipe(tp, is, p, avail);
			rv = 0;
		}
		if (rv <= 0)
			break;
	}
}

int
tp_on_stream_frame(struct tp *tp, const struct frame_stream *f)
{
	struct tp_istream *is;
	uint64_t end = f->offset + f->len, lo;

	if ((is = tp_is_get(tp, f->sid)) == NULL || is->reset_rcvd)
		return tp->closed ? -1 : 0;
	if (tp_is_account(tp, is, end, f->fin) == -1)
		return -1;
	if (is->stopped || is->done) {
		tp_is_discard(tp, is);
		return 0;
	}
	if (end > is->base) {
		lo = f->offset > is->base ? f->offset : is->base;
		if (tp_is_reserve(is, end) == -1) {
			tp_fail(tp, TP_ERR_PROTOCOL, "out of memory");
			return -1;
		}
		memcpy(is->buf + is->head + (lo - is->base),
		    f->data + (lo - f->offset), (size_t)(end - lo));
		if (tp_rs_add(&is->got, lo, end) == -1 ||
		    is->got.n > TP_STREAM_RANGES) {
			tp_fail(tp, TP_ERR_PROTOCOL, "stream too fragmented");
			return -1;
		}
	}
	tp_deliver(tp, is);
	return 0;
}

void
tp_on_reset_frame(struct tp *tp, uint64_t sid, uint64_t code,
    uint64_t final_size)
{
	struct tp_istream *is;

	if ((is = tp_is_get(tp, sid)) == NULL || is->reset_rcvd)
		return;
	if (final_size < is->highest) {
		tp_fail(tp, TP_ERR_PROTOCOL, "stream final size changed");
		return;
	}
	if (tp_is_account(tp, is, final_size, 1) == -1)
		return;
	is->reset_rcvd = 1;
	tp_is_uncount(tp, is);
	tp_is_discard(tp, is);
	if (!is->stopped && !is->done && tp->cb.stream_stopped != NULL)
		tp->cb.stream_stopped(tp->cb.arg, sid, code);
}

void
tp_on_stream_blocked(struct tp *tp, uint64_t sid)
{
	struct tp_istream *is;

	if ((is = tp_is_get(tp, sid)) != NULL && is->max > is->max_sent)
		is->msd_urgent = 1;
}

static struct tp_istream *
tp_is_api(struct tp *tp, uint64_t sid)
{
	struct tp_istream *is = tp_istream_find(tp, sid);

	if (is == NULL)
		errno = EINVAL;
	return is;
}

int
tp_stream_grant(struct tp *tp, uint64_t sid, uint64_t bytes)
{
	struct tp_istream *is;

	if ((is = tp_is_api(tp, sid)) == NULL)
		return -1;
	if (is->debt > 0) {
		uint64_t pay = bytes < is->debt ? bytes : is->debt;

		is->debt -= pay;
		bytes -= pay;
	}
	if (bytes > VARINT_MAX - is->max)
		bytes = VARINT_MAX - is->max;
	is->max += bytes;
	return 0;
}

uint64_t
tp_stream_debt(const struct tp *tp, uint64_t sid)
{
	const struct tp_istream *is = tp_istream_find((struct tp *)tp, sid);

	return is != NULL ? is->debt : 0;
}

int
tp_stream_done(struct tp *tp, uint64_t sid)
{
	struct tp_istream *is;

	if ((is = tp_is_api(tp, sid)) == NULL)
		return -1;
	if (is->done || is->stopped)
		return 0;
	is->done = is->done_pending = 1;
	tp_is_uncount(tp, is);
	tp_is_discard(tp, is);
	return 0;
}

int
tp_stream_hold(struct tp *tp, uint64_t sid)
{
	struct tp_istream *is;

	if ((is = tp_is_api(tp, sid)) == NULL)
		return -1;
	is->hold = 1;
	return 0;
}

int
tp_stream_stop(struct tp *tp, uint64_t sid, uint64_t code)
{
	struct tp_istream *is;

	if ((is = tp_is_api(tp, sid)) == NULL)
		return -1;
	if (is->done || is->stopped)
		return 0;
	is->stopped = 1;
	is->stop_code = code;
	is->stop_pending = !is->reset_rcvd;
	tp_is_discard(tp, is);
	return 0;
}

size_t
tp_recv_buffered(const struct tp *tp)
{
	const struct tp_istream *is;
	size_t i, n = 0;

	for (i = 0; i < tp->n_is; i++) {
		is = tp->is[i];
		if (is->got.n > 0)
			n += (size_t)(is->got.v[is->got.n - 1].hi - is->base);
	}
	return n;
}

static void
tp_is_free(struct tp_istream *is)
{
	tp_rs_free(&is->got);
	free(is->buf);
	free(is);
}

void
tp_gc(struct tp *tp)
{
	struct tp_istream *is;
	size_t i;

	for (i = 0; i < tp->n_is; ) {
		is = tp->is[i];
		if (is->reset_rcvd || (is->done && is->done_acked)) {
			tp_is_uncount(tp, is);
			tp_is_free(is);
			tp->is[i] = tp->is[--tp->n_is];
			continue;
		}
		if ((is->stopped || is->done) && is->buf != NULL) {
			free(is->buf);
			is->buf = NULL;
			is->cap = 0;
		}
		i++;
	}
	tp_os_gc(tp);
}

void
tp_streams_free(struct tp *tp)
{
	size_t i;

	for (i = 0; i < tp->n_is; i++)
		tp_is_free(tp->is[i]);
	free(tp->is);
	tp->is = NULL;
	tp->n_is = 0;
	tp_os_free_all(tp);
}
