/* SPDX-License-Identifier: ISC */
/*
 * fuzz_tp.c: one tp fed arbitrary payloads as tp_input, with tp_output,
 * timers and the stream API in between. The input is a sequence of
 * records: op u8 | len u8 | len bytes. Ops: input a payload, advance the
 * clock, output, open / send (in every delivery mode) / grant / stop /
 * done / close. Small datagram bounds make reassembly evict often.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Callbacks call back into the tp, as the agent does. */
static void
f_message(void *arg, uint64_t sid, const uint8_t *d, size_t len)
{
	(void)tp_stream_grant(*(struct tp **)arg, sid, len);
}

static void
f_message_ex(void *arg, const struct tp_msg_info *mi, const uint8_t *d,
    size_t len)
{
	(void)d;
	if (mi->mode == TP_MODE_RELIABLE)
		(void)tp_stream_grant(*(struct tp **)arg, mi->sid, len);
}

static void
f_pipe(void *arg, uint64_t sid, const uint8_t *d, size_t len, int fin)
{
	(void)tp_stream_grant(*(struct tp **)arg, sid, len);
	if (fin)
		(void)tp_stream_done(*(struct tp **)arg, sid);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_cfg cfg;
	struct tp_cb cb;
	struct tp *tp;
	uint8_t out[1500];
	uint64_t now = 1000000, pn_in = 0, pn_out = 0, sid = 0;
	size_t off = 0, len;
	int op;

	memset(&cb, 0, sizeof(cb));
	cb.message = f_message;
	cb.pipe_data = f_pipe;
	tp_cfg_default(&cfg);
	cfg.initiator = size > 0 ? data[0] & 1 : 1;
	if (size > 0 && (data[0] & 2)) {
		cb.message_ex = f_message_ex;
		cfg.max_message = 65536;
		cfg.dgram_rx_msgs = 3;
		cfg.dgram_tx_msgs = 4;
	}
	cb.arg = &tp;
	if ((tp = tp_new(&cfg, &cb, now)) == NULL)
		return 0;
	(void)tp_stream_open(tp, 1, "fz", &sid);
	while (off + 2 <= size) {
		op = data[off];
		len = data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		switch (op % 8) {
		case 0:
		case 1:
		case 2:
			pn_in += 1 + (op >> 6);
			(void)tp_input(tp, now, pn_in, data + off, len);
			break;
		case 3:
			now += (uint64_t)len * len * 100;
			if (tp_next_timeout(tp) <= now)
				tp_on_timeout(tp, now);
			break;
		case 4:
			if (op < 0x80)
				(void)tp_send_message(tp, sid, data + off, len,
				    NULL);
			else
				(void)tp_send_message_ex(tp, "fz", (op >> 3) & 3,
				    (op >> 5) & 3, data + off, len, NULL, NULL);
			break;
		case 5:
			(void)tp_stream_grant(tp, (uint64_t)len, 1000);
			(void)tp_stream_stop(tp, (uint64_t)op >> 3, len);
			break;
		case 6:
			tp_echo(tp, len);
			(void)tp_stream_reset(tp, sid, 1);
			break;
		case 7:
			if (len == 255)
				tp_close(tp, 1, "fuzz");
			break;
		}
		off += len;
		while (tp_output(tp, now, pn_out, out, sizeof(out)) > 0)
			pn_out++;
	}
	tp_free(tp);
	return 0;
}
