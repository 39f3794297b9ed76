/* SPDX-License-Identifier: ISC */
/*
 * test_frame.c: the transport frame codec (PROTOCOL.md §3.1).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "frame.h"

static const uint8_t payload[] = "some stream bytes";

static size_t
sample_frames(struct frame *f)
{
	size_t n = 0;

	memset(f, 0, 16 * sizeof(*f));
	f[n++].type = FRAME_PADDING;
	f[n++].type = FRAME_PING;
	f[n].type = FRAME_ACK;
	f[n].u.ack.ack_delay_us = 1234;
	f[n].u.ack.nranges = 3;
	f[n].u.ack.ranges[0] = (struct frame_range){ 90, 100 };
	f[n].u.ack.ranges[1] = (struct frame_range){ 50, 60 };
	f[n].u.ack.ranges[2] = (struct frame_range){ 0, 0 };
	f[n++].u.ack.largest = 100;
	f[n].type = FRAME_RESET_STREAM;
	f[n].u.reset.sid = 5;
	f[n].u.reset.code = 77;
	f[n++].u.reset.final_size = 1ULL << 40;
	f[n].type = FRAME_STOP_SENDING;
	f[n].u.stop.sid = 4;
	f[n++].u.stop.code = 9;
	f[n].type = FRAME_STREAM_DONE;
	f[n++].u.sid = 8;
	f[n].type = FRAME_STREAM;
	f[n].u.stream.sid = 3;
	f[n].u.stream.offset = 100000;
	f[n].u.stream.len = sizeof(payload);
	f[n].u.stream.data = payload;
	f[n++].u.stream.fin = 1;
	f[n].type = FRAME_MAX_DATA;
	f[n++].u.max = VARINT_MAX;
	f[n].type = FRAME_MAX_MESSAGE;
	f[n++].u.max = 64 << 20;
	f[n].type = FRAME_MAX_STREAM_DATA;
	f[n].u.msd.sid = 2;
	f[n++].u.msd.max = 65536;
	f[n].type = FRAME_DATA_BLOCKED;
	f[n++].u.max = 1 << 20;
	f[n].type = FRAME_STREAM_DATA_BLOCKED;
	f[n].u.msd.sid = 6;
	f[n++].u.msd.max = 300;
	f[n].type = FRAME_CLOSE;
	f[n].u.close.code = 1;
	f[n].u.close.reason = "bye now";
	f[n++].u.close.reason_len = 7;
	f[n].type = FRAME_ECHO_REQ;
	f[n++].u.nonce = 0x0102030405060708ULL;
	f[n].type = FRAME_ECHO_RESP;
	f[n++].u.nonce = UINT64_MAX;
	return n;
}

static void
expect_same(const struct frame *a, const struct frame *b)
{
	size_t i;

	cr_assert_eq(a->type, b->type);
	switch (a->type) {
	case FRAME_ACK:
		cr_expect_eq(a->u.ack.largest, b->u.ack.largest);
		cr_expect_eq(a->u.ack.ack_delay_us, b->u.ack.ack_delay_us);
		cr_assert_eq(a->u.ack.nranges, b->u.ack.nranges);
		for (i = 0; i < a->u.ack.nranges; i++) {
			cr_expect_eq(a->u.ack.ranges[i].lo, b->u.ack.ranges[i].lo);
			cr_expect_eq(a->u.ack.ranges[i].hi, b->u.ack.ranges[i].hi);
		}
		break;
	case FRAME_STREAM:
		cr_expect_eq(a->u.stream.sid, b->u.stream.sid);
		cr_expect_eq(a->u.stream.offset, b->u.stream.offset);
		cr_assert_eq(a->u.stream.len, b->u.stream.len);
		cr_expect_eq(a->u.stream.fin, b->u.stream.fin);
		cr_expect_arr_eq(a->u.stream.data, b->u.stream.data,
		    a->u.stream.len);
		break;
	case FRAME_CLOSE:
		cr_expect_eq(a->u.close.code, b->u.close.code);
		cr_assert_eq(a->u.close.reason_len, b->u.close.reason_len);
		cr_expect_arr_eq(a->u.close.reason, b->u.close.reason,
		    a->u.close.reason_len);
		break;
	default:
		/* The remaining members are plain integers. */
		cr_expect_arr_eq(&a->u, &b->u, sizeof(a->u.reset));
	}
}

Test(frame, every_frame_round_trips)
{
	struct frame in[16], out;
	uint8_t buf[512];
	struct wr w;
	struct rd r;
	size_t n, i;

	n = sample_frames(in);
	for (i = 0; i < n; i++) {
		memset(&out, 0, sizeof(out));
		wr_init(&w, buf, sizeof(buf));
		frame_write(&w, &in[i]);
		cr_assert(!w.err, "frame %zu", i);
		rd_init(&r, buf, w.off);
		cr_assert_eq(frame_parse(&r, &out), 0, "frame %zu", i);
		cr_expect_eq(rd_left(&r), 0, "frame %zu left bytes", i);
		if (in[i].type != FRAME_PADDING)
			expect_same(&in[i], &out);
	}
}

Test(frame, all_frames_in_one_packet)
{
	struct frame in[16], out;
	uint8_t buf[1024];
	struct wr w;
	struct rd r;
	size_t n, i;

	n = sample_frames(in);
	wr_init(&w, buf, sizeof(buf));
	for (i = 0; i < n; i++)
		frame_write(&w, &in[i]);
	cr_assert(!w.err);
	rd_init(&r, buf, w.off);
	for (i = 0; i < n; i++) {
		cr_assert_eq(frame_parse(&r, &out), 0);
		cr_expect_eq(out.type, in[i].type);
	}
	cr_expect_eq(rd_left(&r), 0);
}

Test(frame, truncated_at_every_length_fails)
{
	struct frame in[16], out;
	uint8_t buf[512];
	struct wr w;
	struct rd r;
	size_t n, i, len;

	n = sample_frames(in);
	for (i = 0; i < n; i++) {
		wr_init(&w, buf, sizeof(buf));
		frame_write(&w, &in[i]);
		for (len = 0; len < w.off; len++) {
			rd_init(&r, buf, len);
			cr_expect_eq(frame_parse(&r, &out), -1,
			    "frame %zu cut to %zu of %zu", i, len, w.off);
		}
	}
}

Test(frame, writer_refuses_small_buffers)
{
	uint8_t buf[8];
	struct wr w;

	wr_init(&w, buf, sizeof(buf));
	frame_write_stream(&w, 1, 2, payload, sizeof(payload), 0);
	cr_expect(w.err);
	wr_init(&w, buf, sizeof(buf));
	frame_write_max_data(&w, VARINT_MAX + 1);
	cr_expect(w.err, "values over 2^62 cannot be encoded");
}

Test(frame, unknown_types_rejected)
{
	static const uint8_t types[][2] = { { 0x03 }, { 0x04 }, { 0x13 },
	    { 0x1d }, { 0x20 }, { 0x3f }, { 0x40, 0x30 } };
	struct frame f;
	struct rd r;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		rd_init(&r, types[i], types[i][0] & 0x40 ? 2 : 1);
		cr_expect_eq(frame_parse(&r, &f), -1, "type %zu", i);
	}
}

Test(frame, over_long_varints_rejected)
{
	/* An 8-byte varint announced, 3 bytes present. */
	static const uint8_t maxd[] = { 0x10, 0xc0, 0x01, 0x02 };
	/* STREAM whose offset + length pass 2^62. */
	static const uint8_t strm[] = { 0x0e, 0x01,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'x' };
	/* STREAM announcing more bytes than present. */
	static const uint8_t shrt[] = { 0x0a, 0x01, 0x05, 'a', 'b' };
	/* CLOSE reason longer than the packet. */
	static const uint8_t cls[] = { 0x1c, 0x00, 0x80, 0x00, 0x10, 0x00 };
	struct frame f;
	struct rd r;

	rd_init(&r, maxd, sizeof(maxd));
	cr_expect_eq(frame_parse(&r, &f), -1);
	rd_init(&r, strm, sizeof(strm));
	cr_expect_eq(frame_parse(&r, &f), -1);
	rd_init(&r, shrt, sizeof(shrt));
	cr_expect_eq(frame_parse(&r, &f), -1);
	rd_init(&r, cls, sizeof(cls));
	cr_expect_eq(frame_parse(&r, &f), -1);
}

Test(frame, stream_without_length_takes_the_rest)
{
	static const uint8_t p[] = { 0x09, 0x04, 'a', 'b', 'c' };
	struct frame f;
	struct rd r;

	rd_init(&r, p, sizeof(p));
	cr_assert_eq(frame_parse(&r, &f), 0);
	cr_expect_eq(f.u.stream.sid, 4);
	cr_expect_eq(f.u.stream.offset, 0);
	cr_expect_eq(f.u.stream.len, 3);
	cr_expect(f.u.stream.fin);
	cr_expect_eq(rd_left(&r), 0);
}

Test(frame, huge_ack_ranges_rejected)
{
	/* first range larger than largest */
	static const uint8_t a1[] = { 0x02, 0x05, 0x00, 0x00, 0x06 };
	/* gap that goes below packet 0 */
	static const uint8_t a2[] = { 0x02, 0x05, 0x00, 0x01, 0x01, 0x05, 0x00 };
	/* 2^62-1 ranges announced, two present: ends with the input */
	static const uint8_t a3[] = { 0x02, 0x40, 0x64, 0x00,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00,
	    0x00, 0x01, 0x00, 0x01 };
	/* largest 2^62-1, first range covers all of it: valid */
	static const uint8_t a4[] = { 0x02,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct frame f;
	struct rd r;

	rd_init(&r, a1, sizeof(a1));
	cr_expect_eq(frame_parse(&r, &f), -1);
	rd_init(&r, a2, sizeof(a2));
	cr_expect_eq(frame_parse(&r, &f), -1);
	rd_init(&r, a3, sizeof(a3));
	cr_expect_eq(frame_parse(&r, &f), -1);
	rd_init(&r, a4, sizeof(a4));
	cr_assert_eq(frame_parse(&r, &f), 0);
	cr_expect_eq(f.u.ack.ranges[0].lo, 0);
	cr_expect_eq(f.u.ack.ranges[0].hi, VARINT_MAX);
}

Test(frame, ack_ranges_capped_but_checked)
{
	struct frame_range rg[100];
	struct frame f;
	uint8_t buf[1024];
	struct wr w;
	struct rd r;
	size_t i;

	for (i = 0; i < 100; i++) {
		rg[i].hi = 10000 - i * 10;
		rg[i].lo = rg[i].hi - 3;
	}
	wr_init(&w, buf, sizeof(buf));
	frame_write_ack(&w, 5, rg, 100);
	cr_assert(!w.err);
	cr_expect_eq(w.off, frame_ack_size(5, rg, 100));
	rd_init(&r, buf, w.off);
	cr_assert_eq(frame_parse(&r, &f), 0);
	cr_expect_eq(rd_left(&r), 0, "all ranges consumed");
	cr_expect_eq(f.u.ack.nranges, FRAME_ACK_MAX_RANGES);
	for (i = 0; i < FRAME_ACK_MAX_RANGES; i++) {
		cr_expect_eq(f.u.ack.ranges[i].hi, rg[i].hi);
		cr_expect_eq(f.u.ack.ranges[i].lo, rg[i].lo);
	}
	/* Overlapping ranges cannot be written. */
	rg[1].hi = rg[0].lo;
	wr_init(&w, buf, sizeof(buf));
	frame_write_ack(&w, 5, rg, 2);
	cr_expect(w.err);
}

Test(frame, ack_eliciting_types)
{
	cr_expect(!frame_is_ack_eliciting(FRAME_ACK));
	cr_expect(!frame_is_ack_eliciting(FRAME_PADDING));
	cr_expect(!frame_is_ack_eliciting(FRAME_CLOSE));
	cr_expect(frame_is_ack_eliciting(FRAME_PING));
	cr_expect(frame_is_ack_eliciting(FRAME_STREAM));
	cr_expect(frame_is_ack_eliciting(FRAME_MAX_DATA));
}
