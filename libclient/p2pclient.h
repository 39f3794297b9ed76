/* SPDX-License-Identifier: ISC */
/*
 * p2pclient.h: libp2pclient, the application side of p2pd's IPC socket.
 *
 * The library never owns an event loop. The application watches
 * p2pclient_fd() for reading, and for writing while p2pclient_want_write()
 * is true, and calls p2pclient_on_readable() / p2pclient_on_writable().
 * Requests are queued with an id (the *_async calls); their responses and
 * the agent's events come back through the callbacks set with
 * p2pclient_set_callbacks(). Events without a callback are queued (capped)
 * for p2pclient_next_event().
 *
 * The blocking helpers (p2pclient_status, _connect, _send, _recv, ...) drive
 * the same state machine with poll() on the fd; they must not be called from
 * inside a callback.
 *
 * Every call returns 0 (or a count / id) on success or a negative
 * P2PCLIENT_E* code; p2pclient_errmsg() then says why, in the agent's words
 * where the agent refused ("peer bob is not registered"). Once the
 * connection is broken (P2PCLIENT_EIO, _EPROTO, _EVERSION, _ELAGGED) every
 * later call returns the same error; close the handle and open a new one.
 *
 * Pipelining: *_async calls do not wait. At most P2PCLIENT_WINDOW requests
 * are outstanding; beyond that they return P2PCLIENT_EAGAIN until answers
 * arrive. Failures of async requests go to on_response, or, without that
 * callback, are kept (the first one) and returned by p2pclient_wait() or
 * p2pclient_flush().
 *
 * Strings are NUL-terminated; names (peer ids, services, pipe names) are
 * 1-64 characters of [A-Za-z0-9._-]; a NULL or empty service means
 * "default". Not thread-safe: use one handle per thread.
 *
 * ABI (docs/ABI.md): every struct the library fills starts with `size`, the
 * sizeof of that struct in the library that filled it, and grows only at
 * its end; P2PCLIENT_HAS() says whether a field is there. The library
 * allocates all of them (arrays are arrays of pointers), so an application
 * built against an older header reads a newer library's structs safely.
 * The one struct the application fills, p2pclient_callbacks, also starts
 * with size (set it to sizeof(struct p2pclient_callbacks)).
 */
#ifndef P2PCLIENT_H
#define P2PCLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of this header. p2pclient_version() gives the library's at
 * run time. MAJOR changes with the soname (an incompatible change), MINOR
 * when functions, fields or callbacks are added, PATCH for fixes.
 */
#define P2PCLIENT_VERSION_MAJOR		1
#define P2PCLIENT_VERSION_MINOR		3
#define P2PCLIENT_VERSION_PATCH		0
#define P2PCLIENT_VERSION_STRING	"1.3.0"

/* "MAJOR.MINOR.PATCH" of the library in use. */
const char *p2pclient_version(void);

/*
 * 1 when the struct at ptr (of the given type, as filled by the library at
 * run time) has field, e.g. P2PCLIENT_HAS(struct p2pclient_peer, p, cipher).
 * Fields a library does not have read as absent, never as garbage.
 */
#define P2PCLIENT_HAS(type, ptr, field) \
	((ptr)->size >= offsetof(type, field) + sizeof(((type *)0)->field))

#define P2PCLIENT_DEFAULT_SOCKET "/run/p2pd/p2pd.sock"
#define P2PCLIENT_WINDOW	1024		/* outstanding requests */
/* The largest message this library sends or reassembles; the agent's own
 * limit (p2pd --max-message, 16 MiB by default) may be lower. */
#define P2PCLIENT_MAX_MSG	(256 * 1024 * 1024)
#define P2PCLIENT_MAX_EVENTS	4096		/* queued, undelivered events */

/* Error codes: -1..-10 mirror the agent's p2p.ipc.Code. */
enum p2pclient_error {
	P2PCLIENT_OK = 0,
	P2PCLIENT_EFAILED = -1,		/* the agent says why */
	P2PCLIENT_EUSAGE = -2,		/* the agent found it invalid */
	P2PCLIENT_ENOTFOUND = -3,	/* unknown peer, service, pipe */
	P2PCLIENT_ENOTREGISTERED = -4,	/* peer is not registered */
	P2PCLIENT_EPOLICY = -5,		/* the server's policy forbids */
	P2PCLIENT_ETIMEDOUT = -6,
	P2PCLIENT_EBUSY = -7,		/* service held by another */
	P2PCLIENT_ECLOSED = -8,		/* session or pipe closed */
	P2PCLIENT_ELAGGED = -9,		/* too slow reading events */
	P2PCLIENT_EVERSION = -10,	/* IPC version mismatch */
	P2PCLIENT_EEXISTS = -11,	/* the group exists, already a member */
	P2PCLIENT_ENOTRUNNING = -20,	/* nothing listens: no p2pd */
	P2PCLIENT_EIO = -21,		/* socket error, p2pd hung up */
	P2PCLIENT_EPROTO = -22,		/* malformed frame from p2pd */
	P2PCLIENT_ENOMEM = -23,
	P2PCLIENT_EINVAL = -24,		/* bad argument, e.g. a name */
	P2PCLIENT_EAGAIN = -25,		/* window full: pump, retry */
};

/* Flags of p2pclient_send*. */
#define P2PCLIENT_SYNC	0x01	/* answer once the peer's agent has it */
/*
 * Delivery mode and channel (PROTOCOL.md §3.4), or-ed into the flags:
 * reliable-ordered on channel 0 when neither is given. Ordered messages
 * keep their order per (service, channel); SYNC waits for nothing in the
 * unreliable modes.
 */
#define P2PCLIENT_RELIABLE	0x00	/* reliable, in order per channel */
#define P2PCLIENT_UNORDERED	0x02	/* reliable, as soon as complete */
#define P2PCLIENT_SEQUENCED	0x04	/* unreliable, late ones dropped */
#define P2PCLIENT_UNRELIABLE	0x06
#define P2PCLIENT_MODE(flags)	(((flags) >> 1) & 3)	/* 0..3 */
#define P2PCLIENT_CHANNEL(ch)	(((int)(ch) & 0xff) << 8)	/* 0..255 */
/*
 * Priority (since 1.1), or-ed into the flags: normal when not given. On
 * one session, packets go to the classes by weight (high 16, normal 4,
 * low 1: a class with data never gets less than that share), so a small
 * high-priority message overtakes a bulk transfer of normal or low
 * priority instead of waiting behind it (PROTOCOL.md §3.4). An ordered
 * message takes its (service, channel) along: what was queued before it
 * on that channel goes first. Agents older than 1.1 ignore it.
 */
#define P2PCLIENT_PRIO_NORMAL	0x00000
#define P2PCLIENT_PRIO_HIGH	0x10000
#define P2PCLIENT_PRIO_LOW	0x20000
#define P2PCLIENT_PRIORITY(flags)	(((flags) >> 16) & 3)	/* 0 normal,
							   1 high, 2 low */

struct p2pclient;

struct p2pclient_status {
	size_t		 size;		/* sizeof in the library (ABI) */
	char		*peer_id;
	/* registering | registered | unreachable | rejected */
	char		*server_state;
	char		*public_addr;	/* NULL when unknown */
	char		*server_error;	/* "" when none */
	char		*server_transport;	/* udp | tcp; NULL: not said */
	/* RFC 5780 classification (p2pctl nat); "unknown" until tested */
	char		*nat_type;	/* open | full-cone | restricted | ... */
	char		*nat_mapping;	/* endpoint-independent | ... */
	char		*nat_filtering;
	uint32_t	 local_port;
	uint64_t	 packets_in, packets_out, dropped, retransmitted;
	uint64_t	 bytes_in, bytes_out;
	/* since 1.3 */
	char		*version;	/* p2pd's; "" from an older agent */
	double		 uptime_s;	/* since p2pd started (0: not said) */
	/* since 1.3: the server (node) the agent registers with, HOST:PORT */
	char		*server_addr;
	char		*server_node;	/* its node id; NULL on a single node */
	/* since 1.3: the cluster's live nodes as last told (n may be 0) */
	struct p2pclient_server_node **server_nodes;
	size_t		 n_server_nodes;
};

/* A node of the server's cluster (p2pclient_status, since 1.3). */
struct p2pclient_server_node {
	size_t		 size;		/* sizeof in the library (ABI) */
	char		*id;
	char		*udp;		/* HOST:PORT */
	char		*tcp;
};

/* p2pclient_nat(): the agent's NAT classification (RFC 5780). */
struct p2pclient_nat {
	size_t		 size;
	char		*nat_type;
	char		*nat_mapping;
	char		*nat_filtering;
	char		*mapped_addr;	/* "" when unknown */
	char		*other_addr;	/* "": the server has no --alt-listen */
	char		*detail;
	double		 tested_ago_s;	/* < 0: never tested */
	/* since 1.2: the port mapping the router granted (PCP, NAT-PMP,
	 * UPnP IGD) */
	char		*portmap_protocol;	/* pcp | nat-pmp | upnp; "": none */
	char		*portmap_external;	/* ADDR:PORT; "": none */
	uint32_t	 portmap_lifetime_s;	/* as granted; 0: permanent */
};

struct p2pclient_peer {
	size_t		 size;
	char		*peer_id;
	char		*path;		/* direct | relay | connecting */
	char		*remote_addr;
	char		*state;		/* connecting | up | closing */
	double		 rtt_ms;
	uint64_t	 tx_bytes, rx_bytes;
	char		*path_detail;	/* why this path, or "" */
	unsigned	 path_changes;
	/* The session's transport; "" / 0 while connecting. */
	char		*congestion;	/* cubic | newreno */
	uint64_t	 cwnd_bytes;
	uint64_t	 lost_packets;
	uint64_t	 retransmitted_bytes;
	uint64_t	 max_message;	/* largest message it carries now */
	/* since 1.1 */
	double		 rttvar_ms;	/* RTT variation (RFC 6298) */
	double		 min_rtt_ms;	/* smallest RTT on this path */
	uint64_t	 tx_packets;	/* sent: lost_packets / tx_packets is
					   the loss rate */
	uint64_t	 queued_bytes;	/* taken from applications, not yet
					   acknowledged by the peer */
	uint64_t	 in_flight_bytes; /* sent, not yet acknowledged */
	double		 age_ms;	/* how old these figures are: 0 when
					   asked for, the time since the
					   agent's push when watched */
	/* since 1.3: how fresh the session is. Ages in seconds, < 0:
	 * never (or an older agent, which also leaves cipher ""). */
	double		 handshake_age_s; /* its keys (handshake, rekey) */
	double		 last_rx_age_s;	/* the last packet from the peer */
	char		*cipher;	/* ChaChaPoly | AESGCM */
	double		 latest_rtt_ms;	/* the last RTT sample (rtt_ms is
					   smoothed), 0: none */
	double		 rtt_age_s;	/* since that sample */
};

struct p2pclient_peers {
	size_t			 size;
	size_t			 n;
	struct p2pclient_peer	**v;		/* n pointers */
};

/* since 1.3: one sample of a metric (p2pclient_metrics). */
struct p2pclient_metric {
	size_t		 size;
	char		*name;		/* e.g. p2pd_sessions */
	char		*type;		/* counter | gauge; "" after the first
					   sample of its name */
	char		*help;		/* likewise */
	size_t		 nlabels;	/* label pairs */
	char		**labels;	/* name, value, name, value, ... */
	double		 value;
};

struct p2pclient_metrics {
	size_t			 size;
	size_t			 n;
	struct p2pclient_metric	**v;		/* n pointers */
};

enum p2pclient_event_type {
	P2PCLIENT_EV_MESSAGE = 1,
	P2PCLIENT_EV_PEER_STATE,
	P2PCLIENT_EV_PIPE_DATA,
	P2PCLIENT_EV_PIPE_CLOSED,
	P2PCLIENT_EV_GROUP,		/* membership event of a group */
};

/*
 * An event; which fields are set depends on type. Types may be added:
 * ignore the ones you do not know.
 */
struct p2pclient_event {
	size_t		 size;
	enum p2pclient_event_type type;
	char		*peer_id;	/* MESSAGE: sender; PEER_STATE */
	char		*service;	/* MESSAGE */
	char		*group;		/* MESSAGE: "" unless a group's */
	char		*state;		/* PEER_STATE: connecting|up|closed */
	char		*path;		/* PEER_STATE */
	char		*reason;	/* PEER_STATE, PIPE_CLOSED */
	uint32_t	 pipe_id;	/* PIPE_DATA, PIPE_CLOSED */
	int		 eof;		/* PIPE_DATA: the peer's side ended */
	int		 ok;		/* PIPE_CLOSED: all bytes consumed */
	uint8_t		*data;		/* MESSAGE (reassembled), PIPE_DATA */
	size_t		 len;
	uint32_t	 channel;	/* MESSAGE: as sent */
	uint32_t	 mode;		/* MESSAGE: P2PCLIENT_MODE() as sent */
	/* GROUP: member_join | member_leave | group_destroyed |
	 * join_complete; group and peer_id (joiner/leaver, "" if none)
	 * are set too, and for join_complete the members that did not
	 * acknowledge (missing_count may exceed nmissing: cut short). */
	char		*event;
	char		**missing;
	size_t		 nmissing;
	uint32_t	 missing_count;
	/* since 1.3: when the agent made it (PEER_STATE, GROUP), in
	 * microseconds since the Unix epoch; 0 when it did not say */
	uint64_t	 time_us;
};

/* The answer to one request, as handed to on_response. */
struct p2pclient_response {
	size_t		 size;
	uint32_t	 id;
	int		 code;		/* 0 or P2PCLIENT_E* */
	const char	*error;		/* "" when code is 0 */
	uint32_t	 delivered;	/* recv */
	double		 rtt_ms;	/* ping */
	uint32_t	 pipe_id;	/* pipe_open */
	/* since 1.2: match (the match group), group_search; valid during
	 * the call */
	const struct p2pclient_groups *groups;
};

/*
 * Set size to sizeof(struct p2pclient_callbacks) and the callbacks wanted,
 * e.g. struct p2pclient_callbacks cb = { sizeof(cb) }; cb.on_message = f.
 * Callbacks are added at the end (docs/ABI.md).
 */
struct p2pclient_callbacks {
	size_t	size;
	void	(*on_response)(struct p2pclient *,
		    const struct p2pclient_response *, void *arg);
	void	(*on_message)(struct p2pclient *, const char *from,
		    const char *service, const uint8_t *data, size_t len,
		    const char *group, void *arg);
	void	(*on_peer_state)(struct p2pclient *, const char *peer_id,
		    const char *state, const char *path, const char *reason,
		    void *arg);
	void	(*on_pipe_data)(struct p2pclient *, uint32_t pipe_id,
		    const uint8_t *data, size_t len, int eof, void *arg);
	void	(*on_pipe_closed)(struct p2pclient *, uint32_t pipe_id, int ok,
		    const char *reason, void *arg);
	void	(*on_group_event)(struct p2pclient *,
		    const struct p2pclient_event *, void *arg);
	/*
	 * since 1.1: a message with everything known about it (channel,
	 * mode, group, ...: a P2PCLIENT_EV_MESSAGE event, valid during the
	 * call). Preferred to on_message when both are set.
	 */
	void	(*on_message_ex)(struct p2pclient *,
		    const struct p2pclient_event *, void *arg);
	/*
	 * since 1.1: the figures of every session, each time the agent
	 * pushes them (p2pclient_watch_peers); valid during the call.
	 */
	void	(*on_peers)(struct p2pclient *, const struct p2pclient_peers *,
		    void *arg);
};

/*
 * Connect to p2pd at path (NULL: $P2PD_SOCKET, else the default). On
 * failure returns NULL with the reason in err; p2pclient_open_ex also
 * stores the code (P2PCLIENT_ENOTRUNNING when nothing listens there).
 */
struct p2pclient *p2pclient_open(const char *path, char *err, size_t errlen);
struct p2pclient *p2pclient_open_ex(const char *path, int *code, char *err,
	    size_t errlen);
void	p2pclient_close(struct p2pclient *);
const char *p2pclient_errmsg(struct p2pclient *);
const char *p2pclient_strerror(int code);

/* Event-loop integration. */
int	p2pclient_fd(struct p2pclient *);
int	p2pclient_want_write(struct p2pclient *);
int	p2pclient_on_readable(struct p2pclient *);
int	p2pclient_on_writable(struct p2pclient *);
/*
 * NULL clears them. P2PCLIENT_EINVAL when cb->size is not one this library
 * knows, or names callbacks newer than it (then nothing changes).
 */
int	p2pclient_set_callbacks(struct p2pclient *,
	    const struct p2pclient_callbacks *, void *arg);
/* 1 when a new request fits in the window and the output queue. */
int	p2pclient_can_send(struct p2pclient *);
/* Outstanding requests (sent or queued, not yet answered). */
size_t	p2pclient_pending(struct p2pclient *);

/* Asynchronous requests: return the request id (> 0) or P2PCLIENT_E*. */
int64_t	p2pclient_status_async(struct p2pclient *);
int64_t	p2pclient_peers_async(struct p2pclient *);
int64_t	p2pclient_connect_async(struct p2pclient *, const char *peer,
	    uint32_t timeout_ms);
int64_t	p2pclient_disconnect_async(struct p2pclient *, const char *peer);
/* Split into SendReq chunks of at most IPC_MAX_CHUNK bytes (more=true). */
int64_t	p2pclient_send_async(struct p2pclient *, const char *peer,
	    const char *service, const void *data, size_t len, int flags);
int64_t	p2pclient_bind_async(struct p2pclient *, const char *service);
int64_t	p2pclient_unbind_async(struct p2pclient *, const char *service);
/* Messages come as on_message (or queued events), then the response. */
int64_t	p2pclient_recv_async(struct p2pclient *, const char *service,
	    uint32_t count, uint32_t wait_ms);
int64_t	p2pclient_recv_cancel_async(struct p2pclient *, const char *service);
int64_t	p2pclient_subscribe_async(struct p2pclient *);
int64_t	p2pclient_ping_async(struct p2pclient *, const char *peer,
	    uint32_t timeout_ms);
int64_t	p2pclient_pipe_open_async(struct p2pclient *, const char *peer,
	    const char *name, uint32_t timeout_ms);
int64_t	p2pclient_pipe_write_async(struct p2pclient *, uint32_t pipe_id,
	    const void *data, size_t len, int eof);
int64_t	p2pclient_pipe_ack_async(struct p2pclient *, uint32_t pipe_id,
	    uint64_t bytes, int done);
int64_t	p2pclient_pipe_close_async(struct p2pclient *, uint32_t pipe_id);

/*
 * Pump the connection until request id is answered (wait) or until nothing
 * is outstanding (flush); timeout_ms < 0 waits forever. Both return the
 * first kept async failure (and forget it), else 0.
 */
int	p2pclient_wait(struct p2pclient *, uint32_t id, int timeout_ms);
int	p2pclient_flush(struct p2pclient *, int timeout_ms);
/* One round of poll + I/O: returns 0, P2PCLIENT_ETIMEDOUT or an error. */
int	p2pclient_poll(struct p2pclient *, int timeout_ms);

/* Blocking helpers. */
int	p2pclient_status(struct p2pclient *, struct p2pclient_status **);
void	p2pclient_status_free(struct p2pclient_status *);
int	p2pclient_peers(struct p2pclient *, struct p2pclient_peers **);
void	p2pclient_peers_free(struct p2pclient_peers *);
/*
 * since 1.1. Ask the agent to push every session's figures every
 * interval_ms (at least 50; 0 stops): they go to on_peers and are kept, so
 * that p2pclient_peer_stats() answers without a round trip. Returns 1 when
 * the agent will push, 0 when it cannot (an older agent: peer_stats then
 * asks each time), or an error.
 */
int	p2pclient_watch_peers(struct p2pclient *, uint32_t interval_ms);
/*
 * since 1.1. One peer's session figures (RTT, loss, queued bytes, ...) in
 * *out, freed with p2pclient_peer_free: while watched, the agent's latest
 * push (the connection is read first, without waiting; age_ms says how old
 * they are), else one peers request. P2PCLIENT_ENOTFOUND: no session with
 * that peer.
 */
int	p2pclient_peer_stats(struct p2pclient *, const char *peer,
	    struct p2pclient_peer **out);
void	p2pclient_peer_free(struct p2pclient_peer *);
/*
 * since 1.3. Every metric of the agent, as its --metrics endpoint serves
 * them (docs/METRICS.md): one entry per sample, freed with
 * p2pclient_metrics_free.
 */
int	p2pclient_metrics(struct p2pclient *, struct p2pclient_metrics **);
void	p2pclient_metrics_free(struct p2pclient_metrics *);
/*
 * since 1.3. Set the agent's log level at once (error, warning, info,
 * debug; NULL or "": leave it) and put the level in force after the call
 * in out (outlen bytes, 16 are enough; NULL: not wanted). It lasts until
 * the next change or a reload of the agent. P2PCLIENT_EUSAGE: not a level.
 */
int	p2pclient_log_level(struct p2pclient *, const char *level, char *out,
	    size_t outlen);
/* refresh: run the tests again and wait (the agent bounds it) for them. */
int	p2pclient_nat(struct p2pclient *, int refresh, struct p2pclient_nat **);
void	p2pclient_nat_free(struct p2pclient_nat *);
int	p2pclient_connect(struct p2pclient *, const char *peer, int timeout_ms);
int	p2pclient_disconnect(struct p2pclient *, const char *peer);
int	p2pclient_send(struct p2pclient *, const char *peer,
	    const char *service, const void *data, size_t len, int flags);
int	p2pclient_bind(struct p2pclient *, const char *service);
int	p2pclient_unbind(struct p2pclient *, const char *service);

/*
 * Take up to count messages from a bound service, oldest first, waiting up
 * to timeout_ms (< 0: forever). Each message goes to cb if given, else into
 * out[] (count pointers; free each with p2pclient_event_free). Returns the
 * number received (fewer than count on timeout, after a recv_cancel) or an
 * error.
 */
typedef void (*p2pclient_msg_cb)(const struct p2pclient_event *, void *arg);
int	p2pclient_recv(struct p2pclient *, const char *service, uint32_t count,
	    int timeout_ms, p2pclient_msg_cb cb, void *arg,
	    struct p2pclient_event **out);

int	p2pclient_subscribe(struct p2pclient *);
/*
 * Next queued event (any type without a callback) in *ev, to be freed with
 * p2pclient_event_free; ETIMEDOUT if none came.
 */
int	p2pclient_next_event(struct p2pclient *, int timeout_ms,
	    struct p2pclient_event **ev);
void	p2pclient_event_free(struct p2pclient_event *);

int	p2pclient_ping(struct p2pclient *, const char *peer, int timeout_ms,
	    double *rtt_ms);

/* Pipes; data arrives as PIPE_DATA events / on_pipe_data. */
int	p2pclient_pipe_open(struct p2pclient *, const char *peer,
	    const char *name, int timeout_ms, uint32_t *pipe_id);
int	p2pclient_pipe_write(struct p2pclient *, uint32_t pipe_id,
	    const void *data, size_t len, int eof);
int	p2pclient_pipe_ack(struct p2pclient *, uint32_t pipe_id, uint64_t bytes,
	    int done);
int	p2pclient_pipe_close(struct p2pclient *, uint32_t pipe_id);

/*
 * Server-managed groups. The server decides (its policy): the agent
 * forwards create/destroy/join/leave and answers with the server's verdict
 * (P2PCLIENT_EPOLICY, _ENOTFOUND, _EEXISTS, ... with its message).
 */
enum p2pclient_group_op {
	P2PCLIENT_GROUP_CREATE = 1,
	P2PCLIENT_GROUP_DESTROY,
	P2PCLIENT_GROUP_JOIN,
	P2PCLIENT_GROUP_LEAVE,
};

struct p2pclient_group_member {
	size_t		 size;
	char		*peer_id;
	int		 online;	/* this agent, or a session is up */
};

struct p2pclient_group {
	size_t				  size;
	char				 *name;
	int				  mesh;
	uint32_t			  member_count;	/* may exceed n */
	size_t				  n;
	struct p2pclient_group_member	**members;	/* in join order */
	/* since 1.2: a match group's (or a searched group's) attributes as
	 * "KEY=VALUE", sorted by key, and its end (unix s; 0: none) */
	size_t				  nattrs;
	char				**attrs;
	uint64_t			  expires_at;
};

struct p2pclient_groups {
	size_t			  size;
	size_t			  n;
	struct p2pclient_group	**v;
	int			  truncated;	/* the server left some out */
};

int64_t	p2pclient_group_async(struct p2pclient *, int op, const char *group);
int	p2pclient_group(struct p2pclient *, int op, const char *group);
/* This peer's groups (group NULL), or one group (ENOTFOUND if not in it). */
int	p2pclient_groups(struct p2pclient *, const char *group,
	    struct p2pclient_groups **);
void	p2pclient_groups_free(struct p2pclient_groups *);
/*
 * Send one message to every other member of group, each over its own
 * session (opened as needed), on service (NULL: default); the receivers'
 * recv shows the group. Stops at the first failure; *nsent (if given)
 * counts the members that got it.
 */
int	p2pclient_group_send(struct p2pclient *, const char *group,
	    const char *service, const void *data, size_t len, int flags,
	    size_t *nsent);
/* The same to one member (a building block for pipelined fan-out). */
int64_t	p2pclient_group_send_async(struct p2pclient *, const char *peer,
	    const char *group, const char *service, const void *data,
	    size_t len, int flags);

/*
 * since 1.2. Matchmaking (PROTOCOL.md §7.1): ask the server for a group
 * of size devices (2-32) whose attributes all equal these ("KEY=VALUE",
 * at most 8, keys names, values 1-64 bytes), waiting up to timeout_s
 * (1-3600; 0: 60). The answer is the match group, created by the server
 * with this peer a member: in the response's groups (on_response) or in
 * *out (the blocking call; free with p2pclient_groups_free).
 * P2PCLIENT_ETIMEDOUT: no match in time; _ECLOSED: the ticket was
 * cancelled; _EEXISTS: this device already waits for one; _EINVAL or
 * _EUSAGE: a bad attribute, size or timeout (the message names it). One
 * ticket per device; closing the handle cancels it.
 */
int64_t	p2pclient_match_async(struct p2pclient *, const char *const *attrs,
	    size_t nattrs, uint32_t size, uint32_t timeout_s);
int	p2pclient_match(struct p2pclient *, const char *const *attrs,
	    size_t nattrs, uint32_t size, uint32_t timeout_s,
	    struct p2pclient_groups **out);
/* Cancel the ticket this device waits with (whoever asked for it);
 * P2PCLIENT_ENOTFOUND when none. */
int64_t	p2pclient_match_cancel_async(struct p2pclient *);
int	p2pclient_match_cancel(struct p2pclient *);
/* The groups this peer may see having all these attributes (no members). */
int64_t	p2pclient_group_search_async(struct p2pclient *,
	    const char *const *attrs, size_t nattrs);
int	p2pclient_group_search(struct p2pclient *, const char *const *attrs,
	    size_t nattrs, struct p2pclient_groups **out);

#ifdef __cplusplus
}
#endif

#endif /* P2PCLIENT_H */
