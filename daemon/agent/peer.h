/* SPDX-License-Identifier: ISC */
/*
 * peer.h: the agent's peer table and sessions, and the pipes on them.
 *
 * A peer is created by a connect request or an introduction from the
 * server and holds what the server vouched for (identity key, addresses,
 * AES-NI flag). Its session goes hs (handshaking) -> chan + tp (up) and
 * ends when tp closes (CLOSE from the peer, idle timeout, protocol error,
 * disconnect, withdraw, shutdown). DATA and HS_RESP packets find their
 * session by our local index (the receiver index); HS_INIT finds its peer
 * by the initiator's static key, which must be an introduced one.
 *
 * Each session has one libevent timer, armed at tp_next_timeout() (or the
 * handshake retransmission). After any input, call peer_flush_all() and
 * udp_flush() at the end of the event so output leaves in batches.
 */
#ifndef P2P_AGENT_PEER_H
#define P2P_AGENT_PEER_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>

#include "agent.h"
#include "chan.h"
#include "hs.h"
#include "ipc.h"
#include "path.h"
#include "server.pb-c.h"
#include "tp.h"

enum peer_state {
	PEER_IDLE,		/* known, no session */
	PEER_INTRO_WAIT,	/* connect asked, waiting for Introduce */
	PEER_HS,		/* HS_INIT sent, waiting for HS_RESP */
	PEER_UP,		/* chan + tp */
};

struct pipe;
struct spray_sock;

struct peer_stream {
	TAILQ_ENTRY(peer_stream) entry;
	uint64_t		 sid;
	int			 kind;		/* TP_STREAM_* */
	int			 incoming;
	char			 name[TP_NAME_MAX + 1];
	uint64_t		 outstanding;	/* credit reserved in svc */
	struct pipe		*pipe;
};
TAILQ_HEAD(peer_streamq, peer_stream);

struct peer {
	TAILQ_ENTRY(peer)	 entry;
	TAILQ_ENTRY(peer)	 drive_entry;	/* in a->drive_q */
	int			 drive_queued;
	struct agent		*a;
	char			 id[AGENT_ID_MAX + 1];
	enum peer_state		 state;

	int			 introduced;
	int			 initiator;
	int			 aesni;
	uint8_t			 ed_pk[32];
	uint8_t			 x_pk[32];
	struct sockaddr_storage	 addrs[AGENT_MAX_ADDRS];
	size_t			 naddrs;
	uint8_t			 last_ts[HS_TAI64N_LEN];
	int			 have_ts;

	struct sockaddr_storage	 remote;	/* handshake source, when direct */
	int			 have_remote;
	uint32_t		 relay_id;	/* from Introduce: RELAY to it */
	uint8_t			 check_nonce[PATH_NONCE_LEN]; /* next check's */
	int			 check_nonce_fresh;
	struct sockaddr_storage	 pub;		/* its server-reflexive address */
	int			 have_pub;
	char			 nat_type[32];	/* as it reported it, or "" */
	int			 peer_tcp;	/* it reaches the server over TCP */
	struct path		 path;		/* route.c: relay / direct */
	int			 path_reported;
	struct spray_sock	**spray;	/* spray.c: birthday sockets */
	unsigned		 nspray;

	struct hs		 hs;
	uint32_t		 local_index;
	int			 hs_tries;
	uint64_t		 hs_next;	/* agent_now() of the next try */

	struct chan		 chan;
	struct tp		*tp;
	int			 confirmed;	/* responder: first DATA seen */
	int			 dead;		/* tp closed: tear down */
	char			 dead_reason[128];
	struct peer_streamq	 streams;
	struct event		*timer;
	uint64_t		 timer_at;
	uint64_t		 hs_started;
};

/* peer.c */
struct peer	*peer_find(struct agent *, const char *id);
void		 peer_input(struct agent *, uint8_t type, const uint8_t *,
		    size_t, const struct sockaddr *, socklen_t);
/* Server pushes. */
void		 peer_introduce(struct agent *, const P2p__Srv__Introduce *);
void		 peer_withdraw(struct agent *, const char *id,
		    const char *reason);
/* reg.c: the server refused our ConnectRequest for id. */
void		 peer_connect_failed(struct agent *, const char *id,
		    P2p__Ipc__Code, const char *msg);
/*
 * Make sure a session with id exists or is being made (asks the server
 * for an introduction if needed). -1 if the peer table is full.
 */
int		 peer_connect(struct agent *, const char *id);
/* The session is up (and, as responder, confirmed). */
int		 peer_is_up(const struct peer *);
void		 peer_disconnect(struct peer *, const char *reason);
void		 peer_close_all(struct agent *, const char *reason);
void		 peer_free_all(struct agent *);
const char	*peer_state_name(const struct peer *);
struct peer	*peer_by_index(struct agent *, uint32_t);
void		 peer_hs_timeout(struct peer *);

/*
 * peer.c: registered again (server restart, roaming, expiry): relay ids
 * changed, so ask for fresh introductions to every peer with a session.
 */
void		 peer_registered(struct agent *);
/* peer.c: a peer packet that came over the relay from relay id src. */
void		 peer_relay_input(struct agent *, uint32_t src, uint8_t type,
		    const uint8_t *, size_t);

/* route.c: the session's path (relay first, then direct). */
void		 route_init(struct peer *);
void		 route_start(struct peer *, uint64_t delay_us);
void		 route_update(struct peer *);
/* Hold output back: the relay's TCP leg is full (regtcp drains it). */
int		 route_blocked(const struct peer *);
void		 route_send(struct peer *, const uint8_t *, size_t);
void		 route_reply(struct peer *, const struct sockaddr *src,
		    const uint8_t *, size_t);
const char	*route_name(const struct peer *);
void		 route_remote(const struct peer *, char *, size_t);
void		 route_report(struct peer *, const char *why);
/* A PATH_* frame (handled: 1) or a transport packet (0). */
int		 route_frame(struct peer *, const uint8_t *, size_t,
		    const struct sockaddr *src);
void		 route_packet(struct peer *, const struct sockaddr *src);
void		 route_drive(struct peer *, uint64_t now);
uint64_t	 route_next(const struct peer *);

/* spray.c: the birthday method's extra sockets (hard side). */
int		 spray_open(struct peer *, unsigned n);
void		 spray_close(struct peer *, unsigned keep);
void		 spray_send(struct peer *, unsigned slot,
		    const struct sockaddr *, const uint8_t *, size_t);

/* session.c: chan + tp of an established session. */
int		 session_start(struct peer *, struct hs_result *, int initiator,
		    const struct sockaddr *);
/* The session became usable: events, waits, pending sends, pipes. */
void		 session_up(struct peer *);
/* Tear the session down (no CLOSE sent; see peer_disconnect). */
void		 session_end(struct peer *, const char *reason);
void		 session_data(struct peer *, const uint8_t *, size_t,
		    const struct sockaddr *);
void		 session_timeout(struct peer *);
/* Send output of every session with something to send; re-arm timers. */
void		 peer_flush_all(struct agent *);
void		 session_drive(struct peer *);
/* a->drive_ev: drive the peers that session_data() fed. */
void		 session_drive_queued(evutil_socket_t, short, void *);
/* Try queued sends (IPC_WAIT_SEND) of this peer, in order. */
void		 session_send_pending(struct peer *);
/* The application read from svc: grant its senders credit again. */
void		 session_svc_credit(struct agent *, struct svc *);
/* Fail every wait for this peer id. */
void		 session_fail_waits(struct agent *, const char *id,
		    P2p__Ipc__Code, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
struct peer_stream *session_stream_find(struct peer *, uint64_t sid);
struct peer_stream *session_stream_add(struct peer *, uint64_t sid, int kind,
		    int incoming, const char *name);
void		 session_stream_del(struct peer *, struct peer_stream *);
/* The outgoing message stream for a service, opened on first use. */
struct peer_stream *session_msg_stream(struct peer *, const char *service);
void		 session_stats(struct peer *, struct tp_stats *);

/* pipe.c */
void		 pipe_open_req(struct ipc_client *, uint32_t id,
		    const P2p__Ipc__PipeOpenReq *);
void		 pipe_write_req(struct ipc_client *, uint32_t id,
		    const P2p__Ipc__PipeWriteReq *);
void		 pipe_ack_req(struct ipc_client *, uint32_t id,
		    const P2p__Ipc__PipeAckReq *);
void		 pipe_close_req(struct ipc_client *, uint32_t id,
		    const P2p__Ipc__PipeCloseReq *);
/* Session events for pipes. */
void		 pipe_session_up(struct peer *);
void		 pipe_stream_open(struct peer *, struct peer_stream *);
void		 pipe_data(struct peer *, struct peer_stream *,
		    const uint8_t *, size_t, int fin);
void		 pipe_stream_done(struct peer *, struct peer_stream *);
void		 pipe_stream_stopped(struct peer *, struct peer_stream *,
		    uint64_t code);
void		 pipe_writable(struct peer *);
void		 pipe_session_dead(struct peer *, const char *reason);
void		 pipe_client_gone(struct agent *, struct ipc_client *);
void		 pipe_open_timeout(struct agent *, struct ipc_wait *);
void		 pipe_pump(struct ipc_client *);
void		 pipe_free_all(struct agent *);

#endif /* P2P_AGENT_PEER_H */
