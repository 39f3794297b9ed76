/* SPDX-License-Identifier: ISC */
/*
 * tp.h: the reliable transport of one session (PROTOCOL.md §3).
 *
 * A tp works on the plaintext of DATA packets; it does no crypto, reads no
 * clock and opens no socket. The caller (the agent's session) decrypts an
 * incoming DATA packet and hands the frames to tp_input() with the packet's
 * counter as packet number; it asks tp_output() for the next packet to seal
 * with chan's next tx counter, and calls tp_on_timeout() at
 * tp_next_timeout(). Time is monotonic microseconds.
 *
 * Driving rule: after tp_input(), tp_on_timeout() or any tp_stream_* /
 * tp_send_* / tp_echo / tp_close call, call tp_output() until it returns 0,
 * then re-arm the timer from tp_next_timeout(). tp_output() returns 0 when
 * the congestion window, flow credit or ack delay say "not now".
 *
 * Callbacks are called from inside tp_input() and tp_on_timeout() only;
 * the data they are given is valid for the duration of the call.
 * They may call tp_stream_* / tp_send_* / tp_close, but must not tp_free()
 * (check tp_is_closed() after the call returns instead; call tp_output()
 * once more first so that a CLOSE frame goes out).
 *
 * Streams (PROTOCOL.md §3.2) are unidirectional. Outgoing ones are opened
 * with tp_stream_open(); incoming ones are announced by cb->stream_open
 * once their header has arrived. At most TP_MAX_STREAMS streams are open
 * per direction; a peer that opens more commits a protocol error.
 *
 * Flow control. Both sides start from protocol-wide initial credits
 * (TP_PROTO_STREAM_CREDIT per stream, TP_PROTO_MAX_DATA per session); a
 * receiver configured with more announces it at once with MAX_STREAM_DATA /
 * MAX_DATA. Session credit is replenished automatically as tp delivers
 * bytes to the application (so tp never buffers more than initial_max_data
 * of undelivered data per session). Stream credit is replenished by the
 * application with tp_stream_grant(), in payload bytes it consumed (for a
 * message stream: the message bytes; tp credits the stream header and the
 * length prefixes itself). So that a message larger than the stream's
 * credit cannot deadlock, tp raises a message stream's credit to the end of
 * the message being reassembled once its length is known (checked against
 * max_message first); the application's next grants pay that extension
 * back before they raise the credit, and until they have, no further
 * extension is made (at most one message beyond the granted credit). A peer that sends past its credit, or a
 * message longer than max_message, commits a protocol error: the session
 * is closed with TP_ERR_FLOW / TP_ERR_PROTOCOL and cb->closed.
 *
 * Memory is bounded by configuration, never by numbers a peer sends: the
 * send buffer by send_buf_max, and each stream's share of it by
 * stream_buf_max so that a stream stalled by the peer's credit leaves room
 * to the others (a message larger than stream_buf_max is taken whenever
 * its stream and the session have room, so the bound is send_buf_max +
 * max_message), reassembly by the credit
 * granted, the ACK ranges and the sent-packet record by fixed caps.
 */
#ifndef P2P_TP_H
#define P2P_TP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TP_STREAM_MESSAGES	1
#define TP_STREAM_PIPE		2

/*
 * Delivery modes, chosen per message (PROTOCOL.md §3.4). Ordered
 * messages travel on one stream per (service, channel), so a loss on one
 * channel never holds back another; an unordered message gets a short
 * stream of its own; sequenced and unreliable messages are DATAGRAM
 * fragments, never sent again.
 */
#define TP_MODE_RELIABLE	0	/* reliable, in order per channel */
#define TP_MODE_UNORDERED	1	/* reliable, delivered when complete */
#define TP_MODE_SEQUENCED	2	/* unreliable, late ones dropped */
#define TP_MODE_UNRELIABLE	3	/* unreliable */
#define TP_CHANNELS		256	/* channels 0..255 per service */

/*
 * Priority classes, chosen per message (tp_send_message_prio). Packets go
 * to the classes that have data by weight (TP_PRIO_WEIGHTS: high 16,
 * normal 4, low 1), so a class never gets less than its share and a
 * small high-priority message overtakes a bulk transfer; within a class
 * the streams and the unreliable queue take turns as before. While a
 * class has sent within TP_PRIO_HOLD_US, the less urgent classes keep
 * the path's queue short: they send only while the bytes in flight stay
 * under 5/4 of the delivery rate times the minimum RTT (tp_prio.c), and
 * high-priority data may go TP_PRIO_HEADROOM packets past a full window.
 */
#define TP_PRIO_HIGH		0
#define TP_PRIO_NORMAL		1
#define TP_PRIO_LOW		2
#define TP_PRIOS		3
#define TP_PRIO_HOLD_US		1000000
#define TP_PRIO_HEADROOM	2	/* packets of high past the window */
/* Unordered messages in flight at once (streams per direction). */
#define TP_MAX_UNORDERED	(TP_MAX_STREAMS / 2)

#define TP_NAME_MAX		64	/* service / pipe names: 1..64 chars */
#define TP_MAX_STREAMS		256	/* open streams per direction */
#define TP_MAX_ACK_DELAY_US	25000	/* both sides ack within this */

/* Initial credits every implementation assumes (PROTOCOL.md §3.2). */
#define TP_PROTO_STREAM_CREDIT	65536ULL
#define TP_PROTO_MAX_DATA	1048576ULL
/*
 * Each side announces its max_message (MAX_MESSAGE) in its first packets.
 * Until the peer's arrives, a sender assumes this much: a larger message
 * (up to its own max_message) waits (EAGAIN, then cb->writable when the
 * announcement comes). A max_message below it is safe only if both ends
 * agree out of band: a peer may send up to this before it hears.
 */
#define TP_PROTO_MAX_MESSAGE	16777216ULL

/* CLOSE codes; applications' own codes start at TP_ERR_APP. */
#define TP_ERR_NONE		0	/* normal close */
#define TP_ERR_PROTOCOL		1	/* malformed or impossible frames */
#define TP_ERR_FLOW		3	/* credit exceeded */
#define TP_ERR_IDLE		0x100	/* local only: idle timeout */
#define TP_ERR_APP		0x1000

struct tp;

struct tp_cfg {
	size_t	 max_payload;	/* plaintext bytes per packet (1168) */
	size_t	 max_message;	/* incoming message cap (16 MiB); also the
				   largest sent, with the peer's own cap */
	size_t	 send_buf_max;	/* unacked + unsent stream bytes (16 MiB) */
	size_t	 stream_buf_max; /* the same, per stream (4 MiB): a stream
				   stalled by credit leaves room to others */
	uint64_t initial_max_data;	/* session credit (32 MiB; raised
					   to max_message + 64 KiB at least) */
	uint64_t initial_stream_credit;	/* per new incoming stream (1 MiB) */
	uint64_t idle_timeout_us;	/* 30 s */
	uint64_t keepalive_us;		/* 15 s */
	int	 initiator;		/* stream id side bit: 0 if initiator */
	size_t	 dgram_tx_max;	/* queued unreliable bytes (16 MiB); the
				   oldest are dropped beyond it */
	size_t	 dgram_tx_msgs;	/* queued unreliable messages (4096) */
	size_t	 dgram_rx_max;	/* reassembly bytes (max_message + 64 KiB) */
	size_t	 dgram_rx_msgs;	/* partial messages held (32) */
	int	 congestion;	/* CC_NEWRENO, CC_CUBIC (cc.h); 0: default */
};

/* What message_ex is told about a message. */
struct tp_msg_info {
	const char	*service;
	unsigned	 channel;
	int		 mode;		/* TP_MODE_* */
	uint64_t	 sid;		/* reliable modes: the stream (grant
					   on an ordered one, hold an unordered
					   one); UINT64_MAX for datagrams */
};

void	tp_cfg_default(struct tp_cfg *);

struct tp_cb {
	void	*arg;
	void	(*stream_open)(void *arg, uint64_t sid, int kind,
		    const char *name);
	void	(*message)(void *arg, uint64_t sid, const uint8_t *data,
		    size_t len);
	void	(*pipe_data)(void *arg, uint64_t sid, const uint8_t *data,
		    size_t len, int fin);
	void	(*acked)(void *arg, uint64_t sid, uint64_t offset);
	void	(*writable)(void *arg);
	void	(*stream_done)(void *arg, uint64_t sid);
	void	(*stream_stopped)(void *arg, uint64_t sid, uint64_t code);
	void	(*echo)(void *arg, uint64_t nonce);
	void	(*closed)(void *arg, int remote, uint64_t code,
		    const char *reason);
	/*
	 * When set, every message goes here instead of to message(). Only
	 * TP_MODE_RELIABLE messages need tp_stream_grant(); tp credits
	 * unordered streams itself and retires each once its message is
	 * delivered, unless the callback calls tp_stream_hold(sid): then
	 * the stream stays open (and the peer, whose unordered messages in
	 * flight are capped, waits) until tp_stream_done(sid).
	 */
	void	(*message_ex)(void *arg, const struct tp_msg_info *,
		    const uint8_t *data, size_t len);
};

struct tp_stats {
	uint64_t srtt_us;
	uint64_t rttvar_us;
	uint64_t min_rtt_us;
	uint64_t cwnd;
	uint64_t bytes_in_flight;
	uint64_t tx_bytes;	/* new stream bytes sent */
	uint64_t rx_bytes;	/* stream bytes delivered in order */
	uint64_t tx_packets;
	uint64_t rx_packets;
	uint64_t retransmits;	/* stream bytes sent again */
	uint64_t lost;		/* packets declared lost */
	uint64_t dgram_tx;	/* unreliable messages sent whole */
	uint64_t dgram_tx_dropped; /* dropped from a full send queue */
	uint64_t dgram_rx;	/* unreliable messages delivered */
	uint64_t dgram_rx_dropped; /* incomplete, late or malformed */
	int	 congestion;	/* CC_CUBIC, CC_NEWRENO */
	uint64_t latest_rtt_us;	/* the last RTT sample (0: none yet) */
	uint64_t rtt_at_us;	/* when it was taken (the now_us given) */
};

/* The callbacks are copied; cb may be NULL members (ignored). */
struct tp	*tp_new(const struct tp_cfg *, const struct tp_cb *,
		    uint64_t now_us);
void		 tp_free(struct tp *);

/*
 * pn: the packet's DATA counter; pt: its decrypted frames. 0, or -1 when
 * the payload is malformed (then nothing of it was applied). Duplicates
 * and packets far older than what was acknowledged are ignored.
 */
int		 tp_input(struct tp *, uint64_t now_us, uint64_t pn,
		    const uint8_t *pt, size_t len)
		    __attribute__((warn_unused_result));
/* pn: strictly increasing; not consumed when 0 is returned. */
size_t		 tp_output(struct tp *, uint64_t now_us, uint64_t pn,
		    uint8_t *out, size_t cap);
uint64_t	 tp_next_timeout(const struct tp *);
void		 tp_on_timeout(struct tp *, uint64_t now_us);

/* -1 with errno EINVAL (kind, name), EMFILE (too many streams), EPIPE. */
int		 tp_stream_open(struct tp *, int kind, const char *name,
		    uint64_t *sid) __attribute__((warn_unused_result));
/* -1: EAGAIN (buffer full; cb->writable later), EMSGSIZE, EINVAL, EPIPE. */
int		 tp_send_message(struct tp *, uint64_t sid, const uint8_t *data,
		    size_t len, uint64_t *end_offset)
		    __attribute__((warn_unused_result));
/* Pipe bytes: takes what fits; -1 EAGAIN when nothing fits. */
ssize_t		 tp_stream_write(struct tp *, uint64_t sid, const uint8_t *data,
		    size_t len) __attribute__((warn_unused_result));
int		 tp_stream_finish(struct tp *, uint64_t sid);
/*
 * A message to service on channel (< TP_CHANNELS) in mode TP_MODE_*.
 * Reliable modes: -1 EAGAIN as tp_send_message (also when
 * TP_MAX_UNORDERED unordered messages are in flight), and *sid /
 * *end_offset (may be NULL) name where it went, for cb->acked.
 * Unreliable modes always queue (dropping the oldest queued ones beyond
 * dgram_tx_max / dgram_tx_msgs); EMSGSIZE above max_message or
 * dgram_tx_max.
 */
int		 tp_send_message_ex(struct tp *, const char *service,
		    unsigned channel, int mode, const uint8_t *data,
		    size_t len, uint64_t *sid, uint64_t *end_offset)
		    __attribute__((warn_unused_result));
/*
 * The same in priority class prio (TP_PRIO_*; EINVAL beyond). An ordered
 * message lifts its (service, channel) stream to its class until the
 * message is sent: what was queued before it on that channel goes first.
 * A sequenced message drops the unsent sequenced messages of its
 * (service, channel) queued in other classes (they would arrive late).
 */
int		 tp_send_message_prio(struct tp *, const char *service,
		    unsigned channel, int mode, int prio, const uint8_t *data,
		    size_t len, uint64_t *sid, uint64_t *end_offset)
		    __attribute__((warn_unused_result));
/*
 * The offset just past the last byte written to an outgoing stream (header
 * included), UINT64_MAX for an unknown stream. Once finished, "the peer
 * has every byte" is cb->acked(sid, off) with off == this value.
 */
uint64_t	 tp_stream_end(const struct tp *, uint64_t sid);
int		 tp_stream_grant(struct tp *, uint64_t sid, uint64_t bytes);
/* What the stream's last message took beyond its credit, and grants pay
 * back before they raise the credit (see above); 0 for an unknown sid. */
uint64_t	 tp_stream_debt(const struct tp *, uint64_t sid);
int		 tp_stream_done(struct tp *, uint64_t sid);
int		 tp_stream_stop(struct tp *, uint64_t sid, uint64_t code);
/* From cb->message_ex of an unordered message: keep its stream open. */
int		 tp_stream_hold(struct tp *, uint64_t sid);
int		 tp_stream_reset(struct tp *, uint64_t sid, uint64_t code);
void		 tp_echo(struct tp *, uint64_t nonce);
void		 tp_close(struct tp *, uint64_t code, const char *reason);
int		 tp_is_closed(const struct tp *);

/*
 * The session moved to another path (relay <-> direct): forget the RTT
 * estimate and restart congestion control; data in flight stays tracked.
 */
void		 tp_path_changed(struct tp *);
/*
 * The way to the peer changed while the session was on it (the relay node
 * of either side, after a move to another cluster node): as
 * tp_path_changed, and what the old way lost is not waited for under its
 * backed-off probe timeout. With data in flight, probes go out now; with
 * anything received, our acknowledgements go again (the last ones may have
 * gone the old way).
 */
void		 tp_path_moved(struct tp *, uint64_t now);

/*
 * The path is lossless and in order (the relay with both agents on TCP):
 * no packet is declared lost by the time threshold, however late its ack
 * (TCP's queues), so nothing is resent inside TCP; a gap in the acks (the
 * relay dropped at a full connection buffer) still is a loss, and the probe
 * timeout is at least TP_LOSSLESS_PTO_US.
 */
#define TP_LOSSLESS_PTO_US	1000000
void		 tp_set_lossless(struct tp *, int);

/*
 * The caller knows that more data is about to be queued (its input has
 * more waiting): while corked, new data that would not fill a packet is
 * held, so that it goes out with what follows instead of in a short
 * packet of its own. Retransmissions, a FIN and probes are never held,
 * and nothing is held longer than TP_CORK_US (tp_next_timeout() says
 * when): a corked session that gets nothing more still sends.
 */
#define TP_CORK_US		200
void		 tp_set_cork(struct tp *, int);

void		 tp_get_stats(const struct tp *, struct tp_stats *);
/* Ack-eliciting packets received since the last ACK went out. */
unsigned	 tp_ack_backlog(const struct tp *);
/* What tp_get_stats() says in bytes_in_flight, without the copy. */
uint64_t	 tp_bytes_in_flight(const struct tp *);
/* The largest message that may be sent now: ours and the peer's cap. */
size_t		 tp_max_send_message(const struct tp *);
size_t		 tp_send_buffered(const struct tp *);
/* Bytes held for reassembly / undelivered, over all incoming streams. */
size_t		 tp_recv_buffered(const struct tp *);
/* Unreliable bytes queued to send / held for reassembly. */
size_t		 tp_dgram_tx_buffered(const struct tp *);
size_t		 tp_dgram_rx_buffered(const struct tp *);

#endif /* P2P_TP_H */
