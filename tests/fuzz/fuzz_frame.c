/* SPDX-License-Identifier: ISC */
/*
 * fuzz_frame.c: frame_parse over arbitrary bytes, as tp_input sees a
 * decrypted DATA payload. Every frame that parses must write back and
 * parse again to the same type.
 */
#include <stdint.h>
#include <stdlib.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[4096];
	struct frame f, g;
	struct wr w;
	struct rd r, r2;

	rd_init(&r, data, size);
	while (rd_left(&r) > 0) {
		if (frame_parse(&r, &f) == -1)
			break;
		if (f.type == FRAME_PADDING)
			continue;
		wr_init(&w, out, sizeof(out));
		frame_write(&w, &f);
		if (w.err)
			continue;	/* a long STREAM frame: fine */
		rd_init(&r2, out, w.off);
		if (frame_parse(&r2, &g) == -1 || g.type != f.type)
			abort();
	}
	return 0;
}
