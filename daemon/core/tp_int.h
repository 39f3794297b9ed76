/* SPDX-License-Identifier: ISC */
/*
 * tp_int.h: the state of one transport, shared by tp*.c only.
 *
 * tp.c          lifecycle, input dispatch, timers, close, stats
 * tp_send.c     outgoing streams: the send API, send buffers, acks/losses
 * tp_recv.c     incoming streams: reassembly, delivery, credit, gc
 * tp_output.c   building packets: acks, control frames, stream data
 * tp_recovery.c sent-packet record, ack processing, loss, RTT, PTO
 * tp_range.c    sorted interval sets (received packets, stream ranges)
 * tp_dgram.c    unreliable messages: send queue, fragments, reassembly
 *
 * Streams are freed only by tp_gc() (at the end of tp_input/tp_output),
 * never by an API call, so a callback that calls the API cannot pull a
 * stream out from under the code that called it.
 */
#ifndef P2P_TP_INT_H
#define P2P_TP_INT_H

#include "cc.h"
#include "frame.h"
#include "pacer.h"
#include "tp.h"

/* Half-open intervals [lo, hi), ascending, disjoint, non-adjacent. */
struct tp_iv {
	uint64_t	 lo;
	uint64_t	 hi;
};

struct tp_rs {
	struct tp_iv	*v;
	size_t		 n;
	size_t		 cap;
};

#define TP_RX_RANGES		64	/* received packet ranges kept */
#define TP_ACK_RANGES		32	/* ranges sent in one ACK */
#define TP_STREAM_RANGES	2048	/* reassembly holes per stream */
#define TP_PKT_CHUNKS		16	/* records per sent packet */
#define TP_MAX_SENT		16384	/* sent packets tracked */
#define TP_SENT_MIN		2	/* the record's first size */
#define TP_SENT_KEEP		64	/* larger records go when empty at a timeout */
#define TP_ECHO_QUEUE		8
#define TP_PTO_MAX_US		2000000	/* cap on the backed-off PTO */
#define TP_INITIAL_RTT_US	333000	/* RFC 9002 §6.2.2 */
#define TP_CLOSE_REPEAT		3	/* CLOSE re-sent to late packets */
#define TP_CORK_SLACK		32	/* bytes of frame headers: "full enough" */
#define TP_REASON_MAX		200
#define TP_DG_DONE_RANGES	64	/* finished datagram id ranges kept */
#define TP_DG_SEQ_KEYS		64	/* (service, channel) sequence slots */

/* Wire kinds of stream headers beyond TP_STREAM_MESSAGES / _PIPE. */
#define TP_KIND_CHANNEL		3	/* ordered messages on a channel */
#define TP_KIND_UNORDERED	4	/* one unordered message */

/* What a sent packet carried, to act on its ack or loss. */
enum tp_chunk_kind {
	TP_CH_STREAM, TP_CH_MSD, TP_CH_MAX_DATA, TP_CH_DONE, TP_CH_STOP,
	TP_CH_RESET, TP_CH_MAX_MSG
};

struct tp_chunk {
	uint64_t	 sid;
	uint64_t	 off;
	uint32_t	 len;
	uint8_t		 kind;
	uint8_t		 fin;
};

struct tp_sent {
	uint64_t	 pn;
	uint64_t	 time;
	uint64_t	 ack_largest;	/* ACK carried, or UINT64_MAX */
	uint32_t	 size;
	uint8_t		 eliciting;
	uint8_t		 done;		/* acked or declared lost */
	uint8_t		 nchunks;
	struct tp_chunk	 ch[TP_PKT_CHUNKS];
};

/* An outgoing stream: bytes [base, base + len) are kept until acked. */
struct tp_ostream {
	uint64_t	 sid;
	int		 kind;
	uint8_t		*buf;
	size_t		 head;		/* buf[head] is offset base */
	size_t		 len;
	size_t		 cap;
	uint64_t	 base;		/* everything below is acked */
	uint64_t	 send_off;	/* next new byte; highest sent */
	uint64_t	 peer_max;	/* peer's credit for this stream */
	uint64_t	 blocked_at;	/* limit STREAM_DATA_BLOCKED told */
	struct tp_rs	 acked;		/* acked ranges above base */
	struct tp_rs	 retx;		/* ranges to send again */
	uint64_t	 reset_code;
	char		 name[TP_NAME_MAX + 1];
	unsigned	 channel;
	int		 mode;		/* TP_MODE_RELIABLE or _UNORDERED */
	int		 prio;		/* class of its last message */
	uint64_t	 prio_end[TP_PRIOS]; /* end of the last message of
					   each class: up to there the
					   stream is in that class */
	unsigned	 fin:1, fin_sent:1, fin_acked:1, done_rcvd:1,
			 reset:1, reset_pending:1, reset_acked:1,
			 notify_acked:1;
};

/* An incoming stream: bytes from base (delivered up to there) held. */
struct tp_istream {
	uint64_t	 sid;
	int		 kind;		/* 0 until the header arrived */
	uint8_t		*buf;
	size_t		 head;		/* buf[head] is offset base */
	size_t		 cap;
	uint64_t	 base;
	uint64_t	 highest;	/* highest offset received */
	uint64_t	 fin_off;	/* UINT64_MAX until known */
	uint64_t	 max;		/* credit granted */
	uint64_t	 max_sent;	/* credit announced */
	uint64_t	 debt;		/* extension the app has not granted */
	struct tp_rs	 got;		/* received ranges at or above base */
	uint64_t	 stop_code;
	char		 name[TP_NAME_MAX + 1];
	unsigned	 channel;
	int		 mode;		/* TP_MODE_RELIABLE or _UNORDERED */
	unsigned	 msd_urgent:1, fin_seen:1, stopped:1, stop_pending:1,
			 stop_acked:1, done:1, done_pending:1, done_acked:1,
			 reset_rcvd:1, counted:1, fin_done:1, hold:1;
};

/*
 * An unreliable message queued to send: body bytes [off, len) unsent. Its
 * id is drawn when its first fragment goes (ids follow the wire order);
 * buf NULL: dropped while queued (a newer sequenced one replaced it).
 */
struct tp_dgq {
	uint64_t	 id;
	uint8_t		*buf;
	size_t		 len;
	size_t		 off;
};

/* An unreliable message being reassembled. */
struct tp_dgp {
	uint64_t	 id;
	uint8_t		*buf;
	size_t		 total;
	size_t		 have;
	struct tp_rs	 got;
};

/* The newest sequenced message delivered for a (service, channel). */
struct tp_dgseq {
	char		 name[TP_NAME_MAX + 1];
	unsigned	 channel;
	uint64_t	 last;
	uint64_t	 used;		/* for LRU eviction */
};

struct tp {
	struct tp_cfg	 cfg;
	struct tp_cb	 cb;
	int		 side;		/* our stream id bit */

	/* lifecycle */
	int		 closed;	/* closing or gone: no new work */
	int		 dead;		/* nothing more to send */
	int		 close_pending;
	int		 close_repeat;
	uint64_t	 close_code;
	char		 close_reason[TP_REASON_MAX + 1];
	uint64_t	 last_rx;
	uint64_t	 last_tx_eliciting;

	/* receiving packets / sending acks */
	struct tp_rs	 rx_pns;
	uint64_t	 rx_floor;	/* pns below are ignored */
	uint64_t	 rx_largest;
	uint64_t	 rx_largest_time;
	int		 rx_any;
	int		 ack_needed;	/* pns arrived since the last ACK */
	int		 ack_immediate;
	unsigned	 ack_eliciting;	/* eliciting pns since the last ACK */
	uint64_t	 ack_deadline;

	/* sent packets, oldest first (a ring) */
	struct tp_sent	*sent;
	size_t		 sent_head;
	size_t		 sent_n;
	size_t		 sent_cap;
	uint64_t	 next_pn;	/* lowest acceptable next pn */
	uint64_t	 largest_sent;
	int		 any_sent;
	uint64_t	 largest_acked;
	int		 any_acked;
	uint64_t	 loss_time;	/* 0 = none */
	unsigned	 pto_count;
	uint64_t	 pto_at;	/* when the last PTO fired */
	int		 probes;
	int		 ping_pending;

	/* RTT (RFC 9002 §5) */
	uint64_t	 srtt;
	uint64_t	 rttvar;
	uint64_t	 min_rtt;
	uint64_t	 latest_rtt;
	uint64_t	 rtt_at;		/* now of the latest sample */
	int		 rtt_sampled;
	int		 lossless;	/* tp_set_lossless(): TCP end to end */

	struct cc	 cc;
	struct pacer	 pacer;		/* spreads cwnd over the RTT */
	int		 pace_off;	/* tests: the unpaced baseline */
	int		 cork;		/* tp_set_cork(): more data is coming */
	uint64_t	 cork_at;	/* holding a short packet since; 0 = not */

	/* streams */
	struct tp_ostream **os;
	size_t		 n_os;
	size_t		 rr[TP_PRIOS];	/* round-robin cursor of each class */
	uint64_t	 next_local;	/* next outgoing stream number */
	struct tp_istream **is;
	size_t		 n_is;
	size_t		 in_count;	/* incoming streams still counted */
	uint64_t	 peer_next;	/* next incoming stream number */

	/* session flow control */
	size_t		 send_buffered;
	int		 want_writable;
	uint64_t	 tx_data;	/* sum of send_off */
	uint64_t	 peer_max_data;
	uint64_t	 peer_max_message;	/* MAX_MESSAGE, else the default */
	int		 max_msg_pending;	/* ours to announce (again) */
	int		 peer_max_known;	/* its MAX_MESSAGE arrived */
	uint64_t	 data_blocked_at;
	uint64_t	 rx_data;	/* sum of highest */
	uint64_t	 rx_consumed;	/* bytes freed from reassembly */
	uint64_t	 local_max_data;
	uint64_t	 max_data_sent;
	int		 max_data_urgent;

	/* echo */
	uint64_t	 echo_req[TP_ECHO_QUEUE];
	size_t		 n_echo_req;
	uint64_t	 echo_resp[TP_ECHO_QUEUE];
	size_t		 n_echo_resp;

	/* priorities (tp_prio.c) */
	uint64_t	 prio_pass[TP_PRIOS];	/* stride scheduling */
	uint64_t	 prio_vt;		/* pass of the last chosen */
	uint64_t	 prio_seen[TP_PRIOS];	/* last time it sent */
	unsigned	 prio_fresh;		/* classes queued since */
	uint64_t	 dr_start;		/* delivery rate sample */
	uint64_t	 dr_bytes;
	uint64_t	 dr_max;		/* bytes/s, windowed max */
	uint64_t	 dr_max_at;

	/* unreliable messages: a ring of cfg.dgram_tx_msgs per class */
	struct tp_dgq	*dgq[TP_PRIOS];
	size_t		 dgq_head[TP_PRIOS];
	size_t		 dgq_n[TP_PRIOS];
	size_t		 dgq_total;	/* messages in all classes */
	size_t		 dgq_bytes;
	uint64_t	 dg_next_id;
	struct tp_dgp	*dgp;		/* cfg.dgram_rx_msgs slots */
	size_t		 dgp_n;
	size_t		 dgp_bytes;
	struct tp_rs	 dg_done;	/* ids delivered or given up */
	uint64_t	 dg_floor;	/* ids below are ignored */
	struct tp_dgseq	*dg_seq;	/* TP_DG_SEQ_KEYS, made on first use */
	size_t		 dg_nseq;
	uint64_t	 dg_seq_floor;	/* last of evicted slots */
	uint64_t	 dg_tick;
	size_t		 n_unordered;	/* our unordered streams open */

	struct tp_stats	 st;
};

/* tp_range.c */
int	tp_rs_add(struct tp_rs *, uint64_t lo, uint64_t hi);
void	tp_rs_remove(struct tp_rs *, uint64_t lo, uint64_t hi);
void	tp_rs_remove_below(struct tp_rs *, uint64_t x);
int	tp_rs_contains(const struct tp_rs *, uint64_t x);
void	tp_rs_free(struct tp_rs *);

/* tp.c */
void	tp_fail(struct tp *, uint64_t code, const char *reason);

/* tp_recv.c */
int	tp_name_valid(const uint8_t *, size_t);
void	tp_deliver_msg(struct tp *, const char *name, unsigned channel,
	    int mode, uint64_t sid, const uint8_t *data, size_t len);

/* tp_dgram.c */
int	tp_dg_send(struct tp *, const char *name, unsigned channel, int mode,
	    int prio, const uint8_t *data, size_t len);
int	tp_dg_ready(const struct tp *, int prio);
void	tp_dg_write(struct tp *, struct wr *, struct tp_sent *, int prio);
void	tp_on_dgram_frame(struct tp *, const struct frame_dgram *);
void	tp_dg_free(struct tp *);

/* tp_send.c, tp_recv.c */
struct tp_ostream *tp_ostream_find(struct tp *, uint64_t sid);
struct tp_istream *tp_istream_find(struct tp *, uint64_t sid);
int	tp_on_stream_frame(struct tp *, const struct frame_stream *);
void	tp_on_reset_frame(struct tp *, uint64_t sid, uint64_t code,
	    uint64_t final_size);
void	tp_on_stop_frame(struct tp *, uint64_t sid, uint64_t code);
void	tp_on_done_frame(struct tp *, uint64_t sid);
void	tp_on_msd_frame(struct tp *, uint64_t sid, uint64_t max);
void	tp_on_stream_blocked(struct tp *, uint64_t sid);
void	tp_ostream_acked(struct tp *, struct tp_ostream *, uint64_t off,
	    uint64_t len, int fin);
void	tp_ostream_lost(struct tp *, struct tp_ostream *, uint64_t off,
	    uint64_t len, int fin);
void	tp_consumed(struct tp *, uint64_t bytes);
void	tp_gc(struct tp *);
int	tp_too_large(struct tp *, size_t len);
void	tp_streams_free(struct tp *);
void	tp_os_gc(struct tp *);
void	tp_os_free_all(struct tp *);

/* tp_prio.c */
int	tp_os_class(const struct tp_ostream *);
void	tp_prio_mark(struct tp *, struct tp_ostream *, int prio);
void	tp_prio_stamp(struct tp *, uint64_t now);
int	tp_prio_held(const struct tp *, int prio, uint64_t now);
int	tp_prio_pick(struct tp *, unsigned ready);
void	tp_prio_charge(struct tp *, int prio);
void	tp_prio_on_acked(struct tp *, uint64_t bytes, uint64_t now);
void	tp_prio_path_changed(struct tp *);

/* tp_recovery.c */
struct tp_sent *tp_sent_push(struct tp *);
/* Free a grown record of sent packets once it is empty (tp_recovery.c). */
void	tp_sent_trim(struct tp *);
int	tp_on_ack(struct tp *, uint64_t now, const struct frame_ack *);
void	tp_detect_lost(struct tp *, uint64_t now);
uint64_t tp_pto_base(const struct tp *);
uint64_t tp_pto_deadline(const struct tp *);
void	tp_on_pto(struct tp *, uint64_t now);

#endif /* P2P_TP_INT_H */
