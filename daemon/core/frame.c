/* SPDX-License-Identifier: ISC */
/*
 * frame.c: transport frame codec (see frame.h).
 */
#include "frame.h"

static int
frame_parse_ack(struct rd *r, struct frame_ack *a)
{
	uint64_t count, first, gap, len, lo, i;

	a->largest = rd_varint(r);
	a->ack_delay_us = rd_varint(r);
	count = rd_varint(r);
	first = rd_varint(r);
	if (r->err || first > a->largest)
		return -1;
	lo = a->largest - first;
	a->ranges[0].hi = a->largest;
	a->ranges[0].lo = lo;
	a->nranges = 1;
	/* Each range takes at least two bytes: the loop ends with the input. */
	for (i = 0; i < count; i++) {
		gap = rd_varint(r);
		len = rd_varint(r);
		if (r->err)
			return -1;
		/* The next range's top is lo - gap - 2; it must be >= len. */
		if (lo < 2 || gap > lo - 2 || len > lo - 2 - gap)
			return -1;
		lo = lo - gap - 2;
		if (a->nranges < FRAME_ACK_MAX_RANGES) {
			a->ranges[a->nranges].hi = lo;
			a->ranges[a->nranges].lo = lo - len;
			a->nranges++;
		}
		lo -= len;
	}
	return 0;
}

static int
frame_parse_stream(struct rd *r, uint64_t type, struct frame_stream *s)
{
	s->sid = rd_varint(r);
	s->offset = (type & FRAME_STREAM_OFF) ? rd_varint(r) : 0;
	if (type & FRAME_STREAM_LEN)
		s->len = rd_varint(r);
	else
		s->len = rd_left(r);
	s->fin = (type & FRAME_STREAM_FIN) != 0;
	if (r->err || s->len > rd_left(r))
		return -1;
	if (s->offset + s->len > VARINT_MAX)
		return -1;
	s->data = rd_bytes(r, (size_t)s->len);
	return r->err ? -1 : 0;
}

static int
frame_parse_dgram(struct rd *r, struct frame_dgram *d)
{
	d->msg_id = rd_varint(r);
	d->total = rd_varint(r);
	d->offset = rd_varint(r);
	d->len = rd_varint(r);
	if (r->err || d->len > rd_left(r) || d->offset > d->total ||
	    d->len > d->total - d->offset)
		return -1;
	d->data = rd_bytes(r, (size_t)d->len);
	return r->err ? -1 : 0;
}

static int
frame_parse_close(struct rd *r, struct frame *f)
{
	uint64_t len;

	f->u.close.code = rd_varint(r);
	len = rd_varint(r);
	if (r->err || len > rd_left(r))
		return -1;
	f->u.close.reason_len = (size_t)len;
	f->u.close.reason = (const char *)rd_bytes(r, (size_t)len);
	return r->err ? -1 : 0;
}

int
frame_parse(struct rd *r, struct frame *f)
{
	uint64_t type;

	type = rd_varint(r);
	if (r->err)
		return -1;
	if (type >= FRAME_STREAM && type <= (FRAME_STREAM | 0x07)) {
		f->type = FRAME_STREAM;
		return frame_parse_stream(r, type, &f->u.stream);
	}
	f->type = (enum frame_type)type;
	switch (type) {
	case FRAME_PADDING:
	case FRAME_PING:
		break;
	case FRAME_ACK:
		return frame_parse_ack(r, &f->u.ack);
	case FRAME_RESET_STREAM:
		f->u.reset.sid = rd_varint(r);
		f->u.reset.code = rd_varint(r);
		f->u.reset.final_size = rd_varint(r);
		break;
	case FRAME_STOP_SENDING:
		f->u.stop.sid = rd_varint(r);
		f->u.stop.code = rd_varint(r);
		break;
	case FRAME_STREAM_DONE:
		f->u.sid = rd_varint(r);
		break;
	case FRAME_MAX_DATA:
	case FRAME_DATA_BLOCKED:
	case FRAME_MAX_MESSAGE:
		f->u.max = rd_varint(r);
		break;
	case FRAME_MAX_STREAM_DATA:
	case FRAME_STREAM_DATA_BLOCKED:
		f->u.msd.sid = rd_varint(r);
		f->u.msd.max = rd_varint(r);
		break;
	case FRAME_CLOSE:
		return frame_parse_close(r, f);
	case FRAME_ECHO_REQ:
	case FRAME_ECHO_RESP:
		f->u.nonce = rd_u64(r);
		break;
	case FRAME_DATAGRAM:
		return frame_parse_dgram(r, &f->u.dgram);
	default:
		return -1;
	}
	return r->err ? -1 : 0;
}

int
frame_is_ack_eliciting(enum frame_type t)
{
	return t != FRAME_PADDING && t != FRAME_ACK && t != FRAME_CLOSE;
}

void
frame_write_padding(struct wr *w, size_t n)
{
	uint8_t *q = wr_reserve(w, n);

	if (q != NULL && n > 0)
		memset(q, 0, n);
}

void
frame_write_ping(struct wr *w)
{
	wr_varint(w, FRAME_PING);
}

size_t
frame_ack_size(uint64_t ack_delay_us, const struct frame_range *rg, size_t n)
{
	size_t sz, i;

	sz = 1 + varint_len(rg[0].hi) + varint_len(ack_delay_us) +
	    varint_len(n - 1) + varint_len(rg[0].hi - rg[0].lo);
	for (i = 1; i < n; i++)
		sz += varint_len(rg[i - 1].lo - rg[i].hi - 2) +
		    varint_len(rg[i].hi - rg[i].lo);
	return sz;
}

void
frame_write_ack(struct wr *w, uint64_t ack_delay_us,
    const struct frame_range *rg, size_t n)
{
	size_t i;

	if (n == 0) {
		w->err = 1;
		return;
	}
	wr_varint(w, FRAME_ACK);
	wr_varint(w, rg[0].hi);
	wr_varint(w, ack_delay_us);
	wr_varint(w, n - 1);
	wr_varint(w, rg[0].hi - rg[0].lo);
	for (i = 1; i < n; i++) {
		if (rg[i].hi + 2 > rg[i - 1].lo || rg[i].lo > rg[i].hi) {
			w->err = 1;
			return;
		}
		wr_varint(w, rg[i - 1].lo - rg[i].hi - 2);
		wr_varint(w, rg[i].hi - rg[i].lo);
	}
}

size_t
frame_stream_overhead(uint64_t sid, uint64_t offset, size_t len)
{
	return 1 + varint_len(sid) + varint_len(offset) + varint_len(len);
}

void
frame_write_stream(struct wr *w, uint64_t sid, uint64_t offset,
    const uint8_t *data, size_t len, int fin)
{
	wr_varint(w, FRAME_STREAM | FRAME_STREAM_OFF | FRAME_STREAM_LEN |
	    (fin ? FRAME_STREAM_FIN : 0));
	wr_varint(w, sid);
	wr_varint(w, offset);
	wr_varint(w, len);
	wr_bytes(w, data, len);
}

void
frame_write_reset_stream(struct wr *w, uint64_t sid, uint64_t code,
    uint64_t final_size)
{
	wr_varint(w, FRAME_RESET_STREAM);
	wr_varint(w, sid);
	wr_varint(w, code);
	wr_varint(w, final_size);
}

void
frame_write_stop_sending(struct wr *w, uint64_t sid, uint64_t code)
{
	wr_varint(w, FRAME_STOP_SENDING);
	wr_varint(w, sid);
	wr_varint(w, code);
}

void
frame_write_stream_done(struct wr *w, uint64_t sid)
{
	wr_varint(w, FRAME_STREAM_DONE);
	wr_varint(w, sid);
}

void
frame_write_max_data(struct wr *w, uint64_t max)
{
	wr_varint(w, FRAME_MAX_DATA);
	wr_varint(w, max);
}

void
frame_write_max_message(struct wr *w, uint64_t max)
{
	wr_varint(w, FRAME_MAX_MESSAGE);
	wr_varint(w, max);
}

void
frame_write_max_stream_data(struct wr *w, uint64_t sid, uint64_t max)
{
	wr_varint(w, FRAME_MAX_STREAM_DATA);
	wr_varint(w, sid);
	wr_varint(w, max);
}

void
frame_write_data_blocked(struct wr *w, uint64_t limit)
{
	wr_varint(w, FRAME_DATA_BLOCKED);
	wr_varint(w, limit);
}

void
frame_write_stream_data_blocked(struct wr *w, uint64_t sid, uint64_t limit)
{
	wr_varint(w, FRAME_STREAM_DATA_BLOCKED);
	wr_varint(w, sid);
	wr_varint(w, limit);
}

void
frame_write_close(struct wr *w, uint64_t code, const char *reason,
    size_t reason_len)
{
	wr_varint(w, FRAME_CLOSE);
	wr_varint(w, code);
	wr_varint(w, reason_len);
	wr_bytes(w, reason, reason_len);
}

void
frame_write_echo(struct wr *w, int resp, uint64_t nonce)
{
	wr_varint(w, resp ? FRAME_ECHO_RESP : FRAME_ECHO_REQ);
	wr_u64(w, nonce);
}

size_t
frame_dgram_overhead(uint64_t msg_id, uint64_t total, uint64_t offset,
    size_t len)
{
	return 1 + varint_len(msg_id) + varint_len(total) +
	    varint_len(offset) + varint_len(len);
}

void
frame_write_dgram(struct wr *w, uint64_t msg_id, uint64_t total,
    uint64_t offset, const uint8_t *data, size_t len)
{
	wr_varint(w, FRAME_DATAGRAM);
	wr_varint(w, msg_id);
	wr_varint(w, total);
	wr_varint(w, offset);
	wr_varint(w, len);
	wr_bytes(w, data, len);
}

void
frame_write(struct wr *w, const struct frame *f)
{
	switch (f->type) {
	case FRAME_PADDING:
		frame_write_padding(w, 1);
		break;
	case FRAME_PING:
		frame_write_ping(w);
		break;
	case FRAME_ACK:
		frame_write_ack(w, f->u.ack.ack_delay_us, f->u.ack.ranges,
		    f->u.ack.nranges);
		break;
	case FRAME_RESET_STREAM:
		frame_write_reset_stream(w, f->u.reset.sid, f->u.reset.code,
		    f->u.reset.final_size);
		break;
	case FRAME_STOP_SENDING:
		frame_write_stop_sending(w, f->u.stop.sid, f->u.stop.code);
		break;
	case FRAME_STREAM_DONE:
		frame_write_stream_done(w, f->u.sid);
		break;
	case FRAME_STREAM:
		frame_write_stream(w, f->u.stream.sid, f->u.stream.offset,
		    f->u.stream.data, (size_t)f->u.stream.len, f->u.stream.fin);
		break;
	case FRAME_MAX_DATA:
		frame_write_max_data(w, f->u.max);
		break;
	case FRAME_MAX_MESSAGE:
		frame_write_max_message(w, f->u.max);
		break;
	case FRAME_DATA_BLOCKED:
		frame_write_data_blocked(w, f->u.max);
		break;
	case FRAME_MAX_STREAM_DATA:
		frame_write_max_stream_data(w, f->u.msd.sid, f->u.msd.max);
		break;
	case FRAME_STREAM_DATA_BLOCKED:
		frame_write_stream_data_blocked(w, f->u.msd.sid, f->u.msd.max);
		break;
	case FRAME_CLOSE:
		frame_write_close(w, f->u.close.code, f->u.close.reason,
		    f->u.close.reason_len);
		break;
	case FRAME_ECHO_REQ:
	case FRAME_ECHO_RESP:
		frame_write_echo(w, f->type == FRAME_ECHO_RESP, f->u.nonce);
		break;
	case FRAME_DATAGRAM:
		frame_write_dgram(w, f->u.dgram.msg_id, f->u.dgram.total,
		    f->u.dgram.offset, f->u.dgram.data,
		    (size_t)f->u.dgram.len);
		break;
	default:
		w->err = 1;
	}
}
