/* SPDX-License-Identifier: ISC */
/*
 * engine.h: the boundary between the agent's control side (the IPC socket,
 * commands, pipes, groups, events) and its engine (peers, sessions, routes,
 * the socket, the server link). See docs/ARCHITECTURE.md, "The agent".
 *
 * The control side turns client requests into the calls below; the engine
 * answers through the callback table the control side gives it
 * (engine_set_cb), the way core/tp.h's tp_cb works for the transport. The
 * engine knows nothing of IPC clients: a request carries an opaque owner
 * and the owner's request id, which come back with its answer; when an
 * owner goes away, engine_cancel() forgets its requests without answers.
 *
 * Requests end exactly once through cb->done (code 0: OK, otherwise a
 * P2p__Ipc__Code and a sentence), or cb->pong for a ping. That may happen
 * inside the call itself. Callbacks never free the owner or reenter the
 * call that caused them; the engine drives sessions touched by a call
 * once the callbacks of this pass of the event loop have run.
 */
#ifndef P2P_AGENT_ENGINE_H
#define P2P_AGENT_ENGINE_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "addr_fmt.h"
#include "agent.h"
#include "server.pb-c.h"
#include "svc.h"
#include "tp.h"

/* A pipe stream stopped or reset by us, or refused (both ends use it). */
#define ENGINE_STREAM_CLOSED	(TP_ERR_APP + 2)

struct engine_cb {
	/* A connect, send or ping request ended (code 0: OK). */
	void	(*done)(void *arg, void *owner, uint32_t req, int code,
		    const char *msg);
	/* A send that engine_send() queued left the queue (sent or failed). */
	void	(*dequeued)(void *arg, void *owner);
	/* The answer to ping req, rtt_us after it was sent. */
	void	(*pong)(void *arg, void *owner, uint32_t req, uint64_t rtt_us);
	/* Messages arrived in an inbox. */
	void	(*inbox)(void *arg, struct svc *);
	/* A session's state or path changed (the PeerState event). */
	void	(*peer_state)(void *arg, const char *peer, const char *state,
		    const char *path, const char *reason);
	/* The session with peer became usable, or ended. */
	void	(*session_up)(void *arg, const char *peer);
	void	(*session_dead)(void *arg, const char *peer,
		    const char *reason);
	/*
	 * The peer opened a pipe stream: the control side's handle for it,
	 * or NULL to refuse it (stopped with ENGINE_STREAM_CLOSED).
	 */
	void	*(*stream_open)(void *arg, const char *peer, uint64_t sid,
		    const char *name);
	/* Events of a pipe stream, by the handle given to or by the engine. */
	void	(*stream_data)(void *arg, void *user, const uint8_t *, size_t,
		    int fin);
	void	(*stream_done)(void *arg, void *user);
	void	(*stream_stopped)(void *arg, void *user, uint64_t code);
	/* The session with peer can take more (its pipes may write). */
	void	(*writable)(void *arg, const char *peer);
	/* The server link: registered (again), a reply to engine_srv_request,
	 * its timeout, a group event push (duplicates included). */
	void	(*registered)(void *arg);
	int	(*srv_reply)(void *arg, const P2p__Srv__ServerMsg *);
	void	(*srv_timeout)(void *arg, uint32_t id);
	void	(*group_event)(void *arg, uint32_t reg_id, uint32_t seq,
		    const P2p__Srv__GroupEvent *);
	/* How a matchmaking ticket ended (a push, duplicates included). */
	void	(*match_result)(void *arg, const P2p__Srv__MatchResult *);
	/* A NAT test run ended (its result: engine_nat). */
	void	(*nat_done)(void *arg);
};

/* One message to send. */
struct engine_msg {
	const char	*service;
	const uint8_t	*data;
	size_t		 len;
	unsigned	 mode;		/* TP_MODE_* */
	unsigned	 channel;	/* < TP_CHANNELS */
	unsigned	 prio;		/* TP_PRIO_* (0 is high: set it) */
	int		 sync;		/* done when acknowledged */
};

/* One line of `p2pctl peers`. */
struct engine_peer {
	const char	*id;
	const char	*state;		/* up, connecting, closed */
	const char	*path;		/* direct, relay, connecting */
	char		 remote[ADDR_STRLEN];
	const char	*path_detail;
	unsigned	 path_changes;
	int		 up;
	struct tp_stats	 ts;		/* zero unless the session is up */
	size_t		 max_message;
	size_t		 queued;	/* accepted, not yet acknowledged */
	/* Ages in microseconds, -1: never. */
	int64_t		 hs_age_us;	/* the current keys (handshake, rekey) */
	int64_t		 rx_age_us;	/* the last packet from the peer */
	int64_t		 rtt_age_us;	/* ts.latest_rtt_us */
	const char	*cipher;	/* Noise's name; "" until up */
};

struct engine_status {
	const char	*server_state;
	const char	*server_error;
	const char	*server_transport;
	const char	*server_node;	/* "": a single server */
	char		 server_addr[ADDR_STRLEN];
	char		 public_addr[ADDR_STRLEN];
	uint16_t	 local_port;
	struct agent_counters ctr;
};

struct engine_nat {
	const char	*type, *mapping, *filtering;
	const char	*mapped, *other, *detail;
	double		 tested_ago_s;	/* < 0: never */
	const char	*portmap_proto;	/* "" without a port mapping */
	char		 portmap_external[ADDR_STRLEN];
	uint32_t	 portmap_lifetime_s;
};

/* engine.c */
void	engine_set_cb(struct agent *, const struct engine_cb *, void *arg);
/* A client has more input waiting (+1) or not any more (-1): sessions
 * hold packets that new data would fill (tp_set_cork). */
void	engine_cork(struct agent *, int delta);
/*
 * Drive the sessions fed in this pass of the loop and send the datagrams
 * they queued, now rather than after the control side's callbacks: the
 * control side calls it before it writes to its clients, since a write
 * wakes a client, which would otherwise take a CPU before the network
 * leg of this pass has started.
 */
void	engine_flush(struct agent *);
/*
 * Make a session with peer; done when it is up (or failed). Without an
 * owner there is no answer: -1 if the peer table is full.
 */
int	engine_connect(struct agent *, const char *peer, void *owner,
	    uint32_t req, uint32_t timeout_ms);
/*
 * Send a message; done when it went into the session (or, with sync, when
 * the peer acknowledged it). 1 if it waits in the session's queue (the
 * session is not up, or its buffers are full): cb->dequeued follows.
 */
int	engine_send(struct agent *, const char *peer, const struct engine_msg *,
	    void *owner, uint32_t req);
/* -1 if no session is up with peer. */
int	engine_ping(struct agent *, const char *peer, void *owner,
	    uint32_t req, uint32_t timeout_ms);
/* Close the session (CLOSE to the peer): -1 if there is none. */
int	engine_disconnect(struct agent *, const char *peer, const char *reason);
/* The owner went away: forget its requests, answering none. */
void	engine_cancel(struct agent *, void *owner);
/* The control side took messages out of s: grant its senders credit. */
void	engine_inbox_read(struct agent *, struct svc *);
int	engine_peer_up(struct agent *, const char *peer);

/* Pipe streams (TP_STREAM_PIPE) of the session with peer: -1 (errno) if
 * it is not up or the stream is unknown. */
int	engine_stream_open(struct agent *, const char *peer, const char *name,
	    void *user, uint64_t *sid);
ssize_t	engine_stream_write(struct agent *, const char *peer, uint64_t sid,
	    const uint8_t *, size_t);
int	engine_stream_finish(struct agent *, const char *peer, uint64_t sid);
int	engine_stream_grant(struct agent *, const char *peer, uint64_t sid,
	    uint64_t bytes);
int	engine_stream_done(struct agent *, const char *peer, uint64_t sid);
/* Forget the stream; with abort, reset ours / stop theirs first. */
void	engine_stream_close(struct agent *, const char *peer, uint64_t sid,
	    int abort);

/* What status, peers and nat show. */
void	engine_status(struct agent *, struct engine_status *);
/* The cluster's live nodes as the server last told them. */
void	engine_server_nodes(struct agent *, void (*fn)(void *, const char *id,
	    const char *udp, const char *tcp), void *arg);
void	engine_peers(struct agent *,
	    void (*fn)(void *, const struct engine_peer *), void *arg);
size_t	engine_npeers(struct agent *);
void	engine_nat(struct agent *, struct engine_nat *);
void	engine_nat_refresh(struct agent *);

/* The server link, for group requests: 0 unless registered. */
int	engine_registered(struct agent *);
const char *engine_server_state(struct agent *);
uint32_t engine_srv_request(struct agent *, P2p__Srv__ServerMsg *);

#endif /* P2P_AGENT_ENGINE_H */
