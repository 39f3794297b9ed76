/* SPDX-License-Identifier: ISC */
/*
 * session.h: a session with a peer, from the connect request or the
 * handshake that made it to its end, and the engine's work on it.
 *
 * A session goes INTRO_WAIT (asked the server to introduce us) -> HS
 * (HS_INIT sent) -> UP (chan + tp), or is made UP at once by a peer's
 * HS_INIT. It owns everything of its own: the handshake (and a rekey
 * under way), the secure channel, the transport, the route (route.h), its
 * streams, and its requests (struct sess_op): the send queue (messages not
 * yet taken by the transport, in order, each with its mode, channel and
 * priority) and the waits (connect, sync send, ping) that end when the
 * session is up, a stream offset is acknowledged or an echo comes back.
 * Each request ends through the control side's callbacks (engine.h); the
 * session knows nothing of clients. When the session ends, its requests
 * fail with the reason and it is freed; the peer stays in the directory.
 *
 * Files: session.c (life cycle, input, driving, timer), session_hs.c
 * (handshakes and rekeys), session_tp.c (the transport's callbacks),
 * session_stream.c (streams, inbox credit), session_queue.c (requests).
 *
 * Driving follows tp.h: after input, a timeout or any stream call the
 * session is fed (session_feed: put on a->drive_q, whose event drives it
 * once the other callbacks of this pass of the loop have run), and a drive
 * loops tp_output() into sealed DATA packets and re-arms the one timer.
 * tp callbacks only record or forward; a session is torn down after tp
 * returns (s->dead), never from inside a callback.
 */
#ifndef P2P_AGENT_SESSION_H
#define P2P_AGENT_SESSION_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>

#include <event2/event.h>

#include "agent.h"
#include "chan.h"
#include "engine.h"
#include "hs.h"
#include "route.h"
#include "svc.h"
#include "tp.h"

enum sess_state {
	SESS_INTRO_WAIT,	/* connect asked, waiting for Introduce */
	SESS_HS,		/* HS_INIT sent, waiting for HS_RESP */
	SESS_UP,		/* chan + tp */
};

/* Indices of a session in the index table: its keys' and a rekey's. */
#define SESS_INDICES	8

/* A stream of the session's transport. */
struct sess_stream {
	TAILQ_ENTRY(sess_stream) entry;
	struct svc_link		 link;		/* in svc's links */
	struct session		*s;
	uint64_t		 sid;
	int			 kind;		/* TP_STREAM_*, or SESS_HELD */
	int			 incoming;
	char			 name[TP_NAME_MAX + 1];
	struct svc		*svc;		/* its inbox: linked there */
	uint64_t		 outstanding;	/* credit reserved in svc */
	void			*user;		/* a pipe's control-side handle */
};
TAILQ_HEAD(sess_streamq, sess_stream);

/* An unordered message's stream held open while its inbox is full. */
#define SESS_HELD	(-1)

enum sess_op_kind {
	SOP_SEND,		/* a message not yet taken by the transport */
	SOP_CONNECT,		/* until the session is up */
	SOP_SYNC,		/* until stream sid is acked up to end */
	SOP_PING,		/* until the echo of nonce */
};

struct sess_op {
	TAILQ_ENTRY(sess_op)	 entry;
	enum sess_op_kind	 kind;
	struct session		*s;
	void			*owner;		/* the control side's */
	uint32_t		 req;
	/* SOP_SEND */
	uint8_t			 mode;		/* TP_MODE_* */
	uint8_t			 channel;
	uint8_t			 prio;		/* TP_PRIO_* */
	uint8_t			 sync;
	char			 service[SVC_NAME_MAX + 1];
	uint8_t			*data;
	size_t			 len;
	size_t			 cap;		/* of data: kept for reuse */
	/* SOP_SYNC, SOP_PING */
	uint64_t		 sid;
	uint64_t		 end;
	uint64_t		 nonce;
	uint64_t		 started;	/* agent_now() */
	struct event		*timer;		/* SOP_CONNECT, SOP_PING */
};
TAILQ_HEAD(sess_opq, sess_op);

struct session {
	struct peer		*p;
	struct agent		*a;
	enum sess_state		 state;
	int			 initiator;
	int			 confirmed;	/* responder: first DATA seen */
	int			 dead;		/* tp closed: tear down */
	char			 dead_reason[128];

	struct hs		*hs;		/* a handshake or rekey under
						   way (session_hs_fresh) */
	uint32_t		 local_index;
	int			 hs_tries;
	uint64_t		 hs_next;	/* agent_now() of the next try */
	uint64_t		 hs_started;
	uint64_t		 last_rx;	/* agent_now() of the last DATA
						   that verified */
	/* A fresh introduction (after a registration) the server refused
	 * or did not answer: asked again at reintro_at (0: none due). */
	uint64_t		 reintro_at;
	unsigned		 reintro_tries;
	uint32_t		 idx[SESS_INDICES];	/* in the index table */

	struct chan		 chan;
	struct tp		*tp;
	struct route		 rt;
	struct sess_streamq	 streams;
	struct sess_opq		 sendq;		/* SOP_SEND, in order */
	struct sess_opq		 waits;		/* the other kinds */

	struct event		*timer;
	uint64_t		 timer_at;
	TAILQ_ENTRY(session)	 drive_entry;	/* in a->drive_q */
	int			 drive_queued;
	TAILQ_ENTRY(session)	 blocked_entry;	/* in a->blocked_q */
	int			 blocked;
};

/* Up and usable: chan + tp, and (responder) the initiator proved its keys. */
static inline int
session_is_up(const struct session *s)
{
	return s != NULL && s->state == SESS_UP &&
	    (s->initiator || s->confirmed) && !s->dead;
}

/*
 * Drive s once this pass of the loop has run its callbacks: what fed it
 * (input, a request, credit) leaves in one go. Inline, as the drive queue
 * is the bottom every session file feeds into.
 */
static inline void
session_feed(struct session *s)
{
	struct agent *a = s->a;

	if (s->drive_queued)
		return;
	s->drive_queued = 1;
	TAILQ_INSERT_TAIL(&a->drive_q, s, drive_entry);
	event_active(a->drive_ev, EV_WRITE, 0);
}

/* session.c */
/* The session of p, made (INTRO_WAIT) if it has none; NULL without memory. */
struct session	*session_get(struct peer *);
/* The handshake finished: chan + tp. -1 (the session is ended) if not. */
int		 session_start(struct session *, struct hs_result *,
		    int initiator, const struct sockaddr *src);
/* End it: its requests fail with reason, it is freed (p->s = NULL). */
void		 session_end(struct session *, const char *reason);
const char	*session_state_name(const struct session *);
/* A DATA packet for this session (src NULL: over the relay). */
void		 session_input(struct session *, const uint8_t *, size_t,
		    const struct sockaddr *);
void		 session_drive(struct session *);
/* a->drive_ev: drive what was fed. */
void		 session_drive_queued(evutil_socket_t, short, void *);
/* The TCP leg drained: drive the sessions it held back. */
void		 session_unblock(struct agent *);
void		 session_timer_in(struct session *, uint64_t us);
void		 session_stats(const struct session *, struct tp_stats *);

/* Our HS_INIT (of the session or of a rekey) waits for its answer. */
static inline int
session_hs_sent(const struct session *s)
{
	return s->hs != NULL && s->hs->state == HS_INIT_SENT;
}

/* session_hs.c */
/* Forget the handshake state (wiped): an idle session holds none. */
void		 session_hs_drop(struct session *);
/* Start the handshake as initiator (the peer was introduced). */
void		 session_hs_start(struct session *);
void		 session_hs_timeout(struct session *);
void		 session_hs_init_in(struct agent *, const uint8_t *, size_t,
		    const struct sockaddr *);
void		 session_hs_resp_in(struct agent *, const uint8_t *, size_t,
		    const struct sockaddr *);
/* A responder under load answered our HS_INIT: send it again with mac2. */
void		 session_hs_cookie_in(struct agent *, const uint8_t *, size_t,
		    const struct sockaddr *);
/* Replay HS_INITs that came before the peer's introduction. */
void		 session_hs_replay(struct agent *);
/* Start or retransmit a rekey when one is due (from the drive). */
void		 session_rekey(struct session *, uint64_t now);
/* A fresh local index, in the index table for this session. */
uint32_t	 session_index_new(struct session *);
void		 session_index_drop_all(struct session *);
/* The session that holds index idx (DATA, HS_RESP), or NULL. */
struct session	*session_by_index(struct agent *, uint32_t idx);

/* session_tp.c */
void		 session_tp_cb(struct session *, struct tp_cb *);

/* session_stream.c */
struct sess_stream *session_stream_find(struct session *, uint64_t sid);
struct sess_stream *session_stream_add(struct session *, uint64_t sid,
		    int kind, int incoming, const char *name);
void		 session_stream_del(struct session *, struct sess_stream *);
/* The outgoing message stream for a service, opened on first use. */
struct sess_stream *session_msg_stream(struct session *, const char *service);
/* An incoming message stream: reserve its initial credit in its inbox. */
int		 session_stream_inbox(struct session *, struct sess_stream *);
/* Top a stream's reservation up as far as its inbox has room. */
void		 session_grant(struct session *, struct sess_stream *);
/* The inbox has room again: grant its streams, release held ones. */
void		 session_inbox_read(struct agent *, struct svc *);

/* session_queue.c */
/* Send now, or queue (a copy) until the session can take it. */
void		 session_queue_send(struct session *, const struct engine_msg *,
		    void *owner, uint32_t req);
/* Has owner sends in the session's queue? */
int		 session_queued(const struct session *, void *owner);
/* Bytes accepted from applications and not yet acknowledged by the peer:
 * the send queue's, and tp's reliable and unreliable ones. */
size_t		 session_queued_bytes(const struct session *);
/* Move queued sends into the transport, in order per service. */
void		 session_send_pending(struct session *);
int		 session_wait(struct session *, enum sess_op_kind, void *owner,
		    uint32_t req, uint32_t timeout_ms, uint64_t nonce);
/* The session is up: connect waits end. */
void		 session_ops_up(struct session *);
void		 session_ops_acked(struct session *, uint64_t sid,
		    uint64_t off);
void		 session_ops_echo(struct session *, uint64_t nonce);
/* Every request fails: "peer: msg" (msg as it is when named). */
void		 session_ops_fail(struct session *, int code, int named,
		    const char *msg);
void		 session_ops_cancel(struct session *, void *owner);
void		 session_op_pool_free(struct agent *);

/* input.c: where received packets go (a->hooks.datagram, .relayed). */
void		 input_datagram(struct agent *, const uint8_t *, size_t,
		    struct sockaddr_storage *, unsigned slot);
void		 input_relayed(struct agent *, uint8_t type, const uint8_t *,
		    size_t);

/* pindex.c: receiver index -> session, O(1). */
int		 pindex_add(struct agent *, uint32_t idx, struct session *);
void		 pindex_del(struct agent *, uint32_t idx);
struct session	*pindex_get(struct agent *, uint32_t idx);
void		 pindex_free(struct agent *);

#endif /* P2P_AGENT_SESSION_H */
