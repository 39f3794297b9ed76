/* SPDX-License-Identifier: ISC */
/*
 * frame.h: the transport frames carried inside DATA packets (PROTOCOL.md
 * §3.1), encoded as in RFC 9000 §19.
 *
 * frame_parse() reads one frame from an untrusted reader and returns 0, or
 * -1 when the frame is malformed: unknown type, truncated, a varint that
 * does not fit, an ACK range that would go below packet number 0, a STREAM
 * frame whose end passes 2^62, a CLOSE reason longer than what is left.
 * Parsed frames point into the reader's buffer (STREAM data, CLOSE reason):
 * they are valid as long as that buffer is.
 *
 * A DATAGRAM frame must lie inside its message: offset + len <= total.
 *
 * ACK frames are decoded into absolute, descending, disjoint ranges of
 * packet numbers. At most FRAME_ACK_MAX_RANGES ranges are kept; further
 * ranges are still read and checked but dropped (acknowledging less than
 * the peer said is always safe). Parsing costs O(bytes), never O(values).
 *
 * frame_write_*() append one frame to a writer; on overflow the writer's
 * err is set (check w->err, or size frames first with frame_stream_overhead
 * and frame_ack_size).
 */
#ifndef P2P_FRAME_H
#define P2P_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum frame_type {
	FRAME_PADDING = 0x00,
	FRAME_PING = 0x01,
	FRAME_ACK = 0x02,
	FRAME_RESET_STREAM = 0x05,
	FRAME_STOP_SENDING = 0x06,
	FRAME_STREAM_DONE = 0x07,
	FRAME_STREAM = 0x08,		/* 0x08..0x0f; flags below */
	FRAME_MAX_DATA = 0x10,
	FRAME_MAX_STREAM_DATA = 0x11,
	FRAME_MAX_MESSAGE = 0x12,	/* the largest message the sender takes */
	FRAME_DATA_BLOCKED = 0x14,
	FRAME_STREAM_DATA_BLOCKED = 0x15,
	FRAME_CLOSE = 0x1c,
	FRAME_ECHO_REQ = 0x1e,
	FRAME_ECHO_RESP = 0x1f,
	FRAME_DATAGRAM = 0x20		/* one fragment of an unreliable message */
};

#define FRAME_STREAM_FIN	0x01
#define FRAME_STREAM_LEN	0x02
#define FRAME_STREAM_OFF	0x04

#define FRAME_ACK_MAX_RANGES	64

/* Inclusive range of packet numbers. */
struct frame_range {
	uint64_t	 lo;
	uint64_t	 hi;
};

struct frame_ack {
	uint64_t		 largest;
	uint64_t		 ack_delay_us;
	size_t			 nranges;	/* >= 1; ranges[0].hi == largest */
	struct frame_range	 ranges[FRAME_ACK_MAX_RANGES];
};

struct frame_stream {
	uint64_t	 sid;
	uint64_t	 offset;
	uint64_t	 len;
	int		 fin;
	const uint8_t	*data;
};

/* Bytes [offset, offset + len) of datagram msg_id, total bytes long. */
struct frame_dgram {
	uint64_t	 msg_id;
	uint64_t	 total;
	uint64_t	 offset;
	uint64_t	 len;
	const uint8_t	*data;
};

struct frame {
	enum frame_type	 type;	/* STREAM frames all have type FRAME_STREAM */
	union {
		struct frame_ack	 ack;
		struct frame_stream	 stream;
		struct frame_dgram	 dgram;
		struct {
			uint64_t	 sid;
			uint64_t	 code;
			uint64_t	 final_size;
		} reset;			/* RESET_STREAM */
		struct {
			uint64_t	 sid;
			uint64_t	 code;
		} stop;				/* STOP_SENDING */
		uint64_t		 sid;	/* STREAM_DONE */
		uint64_t		 max;	/* MAX_DATA, DATA_BLOCKED,
					   MAX_MESSAGE */
		struct {
			uint64_t	 sid;
			uint64_t	 max;
		} msd;		/* MAX_STREAM_DATA, STREAM_DATA_BLOCKED */
		struct {
			uint64_t	 code;
			size_t		 reason_len;
			const char	*reason;	/* not NUL-terminated */
		} close;
		uint64_t		 nonce;	/* ECHO_REQ, ECHO_RESP */
	} u;
};

int	frame_parse(struct rd *, struct frame *)
	    __attribute__((warn_unused_result));

/* Does this frame make the packet ack-eliciting (RFC 9002 §2)? */
int	frame_is_ack_eliciting(enum frame_type);

/* Writes any parsed frame back (round trips; used by tests). */
void	frame_write(struct wr *, const struct frame *);

void	frame_write_padding(struct wr *, size_t n);
void	frame_write_ping(struct wr *);
/* ranges: descending, disjoint, non-adjacent, at least one. */
void	frame_write_ack(struct wr *, uint64_t ack_delay_us,
	    const struct frame_range *ranges, size_t nranges);
size_t	frame_ack_size(uint64_t ack_delay_us,
	    const struct frame_range *ranges, size_t nranges);
/* Always writes the offset and length fields (the frame need not be last). */
void	frame_write_stream(struct wr *, uint64_t sid, uint64_t offset,
	    const uint8_t *data, size_t len, int fin);
/* Bytes of a STREAM frame's header (type, sid, offset, length). */
size_t	frame_stream_overhead(uint64_t sid, uint64_t offset, size_t len);
void	frame_write_reset_stream(struct wr *, uint64_t sid, uint64_t code,
	    uint64_t final_size);
void	frame_write_stop_sending(struct wr *, uint64_t sid, uint64_t code);
void	frame_write_stream_done(struct wr *, uint64_t sid);
void	frame_write_max_data(struct wr *, uint64_t max);
void	frame_write_max_message(struct wr *, uint64_t max);
void	frame_write_max_stream_data(struct wr *, uint64_t sid, uint64_t max);
void	frame_write_data_blocked(struct wr *, uint64_t limit);
void	frame_write_stream_data_blocked(struct wr *, uint64_t sid,
	    uint64_t limit);
void	frame_write_close(struct wr *, uint64_t code, const char *reason,
	    size_t reason_len);
void	frame_write_echo(struct wr *, int resp, uint64_t nonce);
/* A DATAGRAM frame; frame_dgram_overhead sizes its header. */
void	frame_write_dgram(struct wr *, uint64_t msg_id, uint64_t total,
	    uint64_t offset, const uint8_t *data, size_t len);
size_t	frame_dgram_overhead(uint64_t msg_id, uint64_t total,
	    uint64_t offset, size_t len);

#endif /* P2P_FRAME_H */
