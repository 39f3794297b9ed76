/* SPDX-License-Identifier: ISC */
/*
 * server.h: p2p-server's internals, shared by its files (not a library API).
 *
 * One struct srv holds everything: the libevent base, the UDP socket and the
 * TCP listener on the same port number, the shared state (state.h), the
 * node-local tables (pending registrations and sessions, by id) and the
 * counters. Every packet, from UDP or from a TCP connection, comes up from
 * the transport through s->hooks.packet (srv_packet(), srv_reg.c); every
 * reply leaves through srv_send(), which frames it for TCP when the packet
 * came over TCP. Calls go down; lower layers reach upper ones only through
 * struct srv_hooks (docs/ARCHITECTURE.md, "The server's layers"). Time is
 * read in one place (srv_clock.c) and handed down to core code as
 * parameters.
 */
#ifndef P2P_SERVER_H
#define P2P_SERVER_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "chan.h"
#include "ctlchan.h"
#include "conf.h"
#include "log.h"
#include "match.h"
#include "secret.h"
#include "server.pb-c.h"
#include "srv_ident.h"
#include "srv_match.h"
#include "srv_ratelim.h"
#include "srv_reg_hello.h"
#include "state.h"
#include "token.h"

/*
 * REG_INITs answered lately, by the agent's ephemeral key: a replay (or a
 * resend after a lost REG_ACCEPT) is answered from the registration and
 * never registers again. Kept as long as a cookie lives.
 */
#define SRV_RECENT_MAX		65536
#define SRV_RECENT_US		((2 * REGHS_BUCKET_S + 1) * 1000000ULL)
#define SRV_PUSH_MAX		32	/* unacknowledged pushes per session */
#define SRV_PUSH_TRIES		5
#define SRV_PUSH_RTO_US		250000ULL
#define SRV_PKT_MAX		2048	/* largest datagram read or sent */
#define SRV_MAX_PEERS		100000
#define SRV_TCP_CONNS_MAX	1024
#define SRV_TTL_MAX		31622400L	/* 366 days: tokens, pins */

enum srv_policy {
	SRV_POLICY_GROUPS,
	SRV_POLICY_OPEN
};

/* Options, filled by conf_load() from server.c's table. */
struct srv_conf {
	struct conf_list	 listen;	/* one or two: one per family */
	char			*secret_file;
	char			*state_dir;
	char			*key_file;	/* default STATE_DIR/server.key */
	char			*next_key_file;	/* rotation: the next key */
	char			*policy;
	long			 keepalive_s;
	long			 expire_s;
	long			 mesh_max;
	long			 join_timeout_s;
	char			*http;		/* HTTP API address, NULL: off */
	char			*admin_key_file;
	char			*advertise;	/* HOST:PORT given to devices */
	struct conf_list	 tcp_listen;	/* more TCP ports, one per family */
	struct conf_list	 alt_listen;	/* RFC 5780 ALT-IP:ALT-PORT, one
						   per --listen family */
	size_t			 relay_rate;	/* bytes/s per peer, 0: no cap */
	size_t			 relay_quota;	/* bytes per peer, 0: none */
	long			 max_token_ttl;	/* s; longer tokens refused */
	long			 drain_timeout_s;	/* SIGTERM on a cluster node */
	long			 match_lifetime_s;	/* of match groups */
	char			*cluster;	/* Redis URL (cluster.h) */
	char			*node_id;
	char			*cluster_key_file;
	char			*cluster_password_file;
	char			*previous_secret_file;	/* rotation, NULL: none */
	long			 previous_secret_window_s;
	char			*log_level;	/* error|warning|info|debug */
	int			 check_config;
	int			 http_public;
	int			 foreground;
	int			 verbose;
	int			 help;
	int			 version;
};

/* For logs now and for /metrics later. */
struct srv_counters {
	uint64_t	rx_packets;
	uint64_t	rx_bytes;
	uint64_t	tx_packets;
	uint64_t	stun_requests;
	uint64_t	stun_replies;
	uint64_t	stun_limited;		/* over a source's rate cap */
	uint64_t	dropped_malformed;	/* junk, bad STUN, bad packets */
	uint64_t	dropped_version;
	uint64_t	ctrl_auth_fail;		/* tag, replay */
	uint64_t	unknown_reg;
	uint64_t	hellos;
	uint64_t	hellos_held;		/* not answered: strangers' budget */
	uint64_t	reg_inits;		/* REG_INIT received */
	uint64_t	cookie_fail;		/* stale or forged cookie */
	uint64_t	init_auth_fail;		/* no such key, does not open */
	uint64_t	init_replayed;		/* answered from the registration */
	uint64_t	registrations;
	uint64_t	reg_refused;
	uint64_t	expired;
	uint64_t	introductions;
	uint64_t	push_retrans;
	uint64_t	push_lost;
	uint64_t	tcp_accepted;
	uint64_t	tcp_refused;
	uint64_t	tcp_accept_errors;
	uint64_t	relay_packets;		/* forwarded by the relay */
	uint64_t	relay_bytes;		/* inner packet bytes forwarded */
	uint64_t	relay_dropped_policy;	/* no introduction / unknown peer */
	uint64_t	relay_dropped_quota;	/* rate or byte quota */
	uint64_t	relay_auth_fail;	/* tag, replay, wrong connection */
	uint64_t	path_reports;
	uint64_t	tcp_out_dropped;	/* a connection's output was full */
	uint64_t	stun_alt_dropped;	/* not STUN, on an RFC 5780 socket */
	uint64_t	nat_reports;
	uint64_t	reintroductions;	/* after a NAT report */
	uint64_t	roam_challenges;	/* sent to new addresses */
	uint64_t	roam_limited;		/* not sent: over 3x */
	uint64_t	roam_moves;		/* validated and moved */
	uint64_t	node_dropped;		/* NODE packets refused */
	uint64_t	node_sent;		/* NODE packets sent */
	uint64_t	node_sent_aes;		/* of them AES-256-GCM */
	uint64_t	reg_previous_secret;	/* tokens of the previous secret */
};

/* Relay accounting of one registration (srv_relay.c). */
struct srv_relay_stats {
	uint64_t	tx_packets;	/* it sent into the relay */
	uint64_t	tx_bytes;
	uint64_t	rx_packets;	/* the relay delivered to it */
	uint64_t	rx_bytes;
	uint64_t	dropped;	/* its packets refused (policy, quota) */
};

/* The path of one of its sessions, as the agent reported it. */
struct srv_path {
	char		peer_id[P2P_NAME_MAX + 1];
	uint8_t		path;		/* SRV_PATH_* */
};
#define SRV_PATH_RELAY	1
#define SRV_PATH_DIRECT	2
#define SRV_PATHS_MAX	1024		/* as STATE_MAX_INTROS */

struct srv_tcp;
struct srv_quota;
struct state_redis_hooks;
struct srv_reg_op;
struct udpio_outq;
struct srv_http;
struct cluster;
struct srv_groups;

/* Reloads (srv_reload.c), for logs, /healthz and /metrics. */
struct srv_reload_info {
	uint64_t	reloads;	/* applied */
	uint64_t	refused;	/* left the old configuration */
	char		error[512];	/* why the last one was refused, or "" */
};

/* An answered REG_INIT (srv_recent.c). */
struct srv_recent {
	uint8_t			 e_pk[32];
	uint32_t		 reg_id;
	uint64_t		 created_us;
	struct srv_recent	*next;		/* hash chain */
	TAILQ_ENTRY(srv_recent)	 age;
	int			 busy;		/* its state write is under way */
};
TAILQ_HEAD(srv_recent_q, srv_recent);

struct srv_push {
	uint32_t		 seq;
	uint8_t			*pt;		/* packed ServerMsg */
	size_t			 len;
	int			 tries;
	uint64_t		 next_us;
	uint64_t		 rto_us;
};

/*
 * An IPv4 or IPv6 address as a registration keeps it (a sockaddr_storage
 * is 128 bytes; a node holds one srv_sess per registered peer).
 */
union srv_addr {
	struct sockaddr		 sa;
	struct sockaddr_in	 in;
	struct sockaddr_in6	 in6;
};

/* Node-local side of one registration. */
struct srv_sess {
	uint32_t		 reg_id;
	char			 peer_id[P2P_NAME_MAX + 1];
	struct ctlchan		 chan;
	union srv_addr		 addr;		/* validated source address */
	struct srv_tcp		*tcp;		/* NULL: UDP */
	/* A new source address, until it answers a challenge (srv_roam.c). */
	union srv_addr		 cand;
	int			 cand_set;
	uint8_t			 cand_nonce[16];
	uint64_t		 cand_rx, cand_tx;	/* bytes from it / to it */
	uint64_t		 cand_sent_us;		/* its last challenge */
	union srv_addr		 from;		/* of the packet being handled */
	uint8_t			*accept;	/* REG_ACCEPT, until it was used */
	size_t			 accept_len;
	uint32_t		 next_push_seq;
	struct srv_push		*push;		/* unacknowledged, NULL if none */
	unsigned		 npush, pushcap;
	struct event		*push_ev;
	struct srv		*srv;
	struct srv_sess		*next;
	/* Relay (srv_relay.c): a token bucket in bytes, and counters. */
	struct srv_relay_stats	 relay;
	uint64_t		 relay_tokens;
	uint64_t		 relay_refill_us;
	uint64_t		 touched_us;	/* last state_touch by the relay */
	uint64_t		 relay_used;	/* toward --relay-quota */
	/* Its quota's lease in a cluster (srv_quota_lease.c). */
	uint64_t		 q_lease, q_unrep, q_add, q_asked_us;
	uint8_t			 q_flags;	/* SRV_Q_* */
	int			 relay_mac;	/* it takes RELAY_MAC */
	uint64_t		 token_expires;	/* unix seconds */
	struct srv_path		*paths;		/* PathReport, unordered */
	size_t			 npaths, pathcap;
	/* NatReport (srv_ctrl.c): static words, "unknown" until reported. */
	const char		*nat_type;
	const char		*nat_mapping;
	const char		*nat_filtering;
	struct sockaddr_in	 portmap;	/* its router's mapping; port 0:
						   none */
	union srv_addr		 other;		/* NatReport.other_reflexive */
	uint32_t		 rtt_us;	/* its round trip, 0: unknown */
	/* Its token's attributes (matchmaking), or NULL. */
	struct match_attr	*attrs;
	unsigned		 nattrs;
};

#define SRV_BUCKETS	1024

/*
 * RFC 5780 sockets (srv_stun.c): bit 0 alternate port, bit 1 alternate IP,
 * bit 2 the family: 0 the first --listen's, 1 the second's (SRV_STUN_FAM2).
 */
#define SRV_STUN_SOCKS	4
#define SRV_STUN_FAM2	4
struct srv_stun_sock {
	struct srv		*srv;
	int			 idx;
	int			 fd;		/* [0], [4]: unused, the udp_fds */
	struct event		*ev;
	struct sockaddr_storage	 addr;		/* bound address */
};

/*
 * Scratch space of one pass through the loop: callbacks do not nest, so each
 * buffer has one user at a time. The receive batch serves srv_udp.c and
 * srv_stun.c (the spare byte tells a datagram of SRV_PKT_MAX from a longer
 * one); a relayed packet's plaintext and sealed copy, and a node packet's.
 */
#define SRV_RX_BATCH	32
struct srv_scratch {
	uint8_t			 rx[SRV_RX_BATCH][SRV_PKT_MAX + 1];
	uint8_t			 relay_pt[SRV_PKT_MAX];	/* srv_relay.c */
	uint8_t			 relay_out[SRV_PKT_MAX];
	uint8_t			 node_pt[SRV_PKT_MAX];	/* srv_node.c */
	uint8_t			 node_out[SRV_PKT_MAX];
};

/*
 * The calls that come back up. The lower layers (the transport: srv_udp.c,
 * srv_tcp.c; the cluster: cluster*.c) never call the files above them: what
 * they hand up goes through this table, which srv_wire.c fills before
 * anything starts (with srv_stun.c's, srv_reg.c's, srv_cluster.c's and
 * srv_nodes.c's functions). Calls go down, these come up.
 */
struct srv_hooks {
	/* A STUN datagram; sock: 0, or SRV_STUN_FAM2 for the other family. */
	void	(*stun)(struct srv *, int sock, const uint8_t *, size_t,
		    const struct sockaddr *from);
	/* Any other datagram, or a TCP frame (tcp not NULL). */
	void	(*packet)(struct srv *, const uint8_t *, size_t,
		    const struct sockaddr *from, struct srv_tcp *tcp);
	/* A TCP connection closed; reg_id: the registration on it, or 0. */
	void	(*tcp_closed)(struct srv *, struct srv_tcp *, uint32_t reg_id);
	/* cluster.c: what the state tells of other nodes' changes. */
	void	(*cluster_state)(struct srv *, struct state_redis_hooks *);
	/* cluster_node.c: the set of live nodes changed. */
	void	(*nodes_changed)(struct srv *);
};

/*
 * The second --listen, of the other IP family (srv_listen.c binds it,
 * srv_udp.c reads and sends, srv_tcp.c accepts): udp_fd -1 and NULL
 * listeners while the server listens on one family only.
 */
struct srv_fam2 {
	int			 udp_fd;
	struct event		*udp_ev;
	struct udpio_outq	*udp_outq;
	struct sockaddr_storage	 bound;
	struct evconnlistener	*listener;	/* TCP on bound's port */
	struct evconnlistener	*listener2;	/* the second --tcp-listen */
	struct sockaddr_storage	 tcp2_bound;
	/* The UDP address of each family ([0] IPv4, [1] IPv6) that agents
	 * registered over the other one are told (srv_listen_other). */
	struct sockaddr_storage	 told[2];
};

struct srv {
	struct event_base	*base;
	struct srv_conf		 conf;
	const struct conf_opt	*opts;		/* server.c's option table */
	struct srv_hooks	 hooks;		/* srv_wire.c */
	enum srv_policy		 policy;
	int			 udp_fd;
	struct evconnlistener	*listener;
	struct evconnlistener	*listener2;	/* --tcp-listen */
	struct event		*udp_ev;
	struct udpio_outq	*udp_outq;	/* replies leave in batches */
	struct event		*udp_flush_ev;	/* after this pass's callbacks */
	struct event		*tick_ev;
	struct notify		*notify;	/* systemd: ready, watchdog */
	unsigned		 ticks;		/* seconds, for periodic logs */
	uint64_t		 tick_prev_us;	/* when the last tick fired */
	uint64_t		 loop_lag_us;	/* how late it was */
	struct event		*sig_ev[3];		/* TERM, INT, HUP */
	struct state		*state;
	uint8_t			 secret[SECRET_MAX];
	size_t			 secret_len;
	struct srv_ident	 ident;		/* the server's key pair(s) */
	/* The previous token secret, accepted until prev_until_unix. */
	uint8_t			 prev_secret[SECRET_MAX];
	size_t			 prev_secret_len;	/* 0: none */
	uint64_t		 prev_loaded_unix;
	uint64_t		 prev_until_unix;
	int			 argc;		/* kept for reloads */
	char			**argv;
	struct srv_reload_info	 reload;
	struct sockaddr_storage	 bound;
	struct srv_quota	*quota[SRV_BUCKETS];	/* srv_quota.c */
	size_t			 nquota;
	int			 quota_local;	/* some counted here (lease) */
	struct srv_recent	*recent[SRV_BUCKETS];
	struct srv_recent_q	 recent_q;	/* oldest first */
	size_t			 nrecent;
	LIST_HEAD(, srv_reg_op)	 reg_ops;	/* the state is writing these */
	struct srv_sess		*sess[SRV_BUCKETS];
	size_t			 nsess;
	struct srv_tcp		*tcp_list;
	size_t			 ntcp;
	struct event		*tcp_resume_ev;	/* after an accept error */
	struct log_rl		 tcp_accept_rl;
	struct srv_counters	 cnt;
	struct srv_http		*http;		/* srv_http.c; NULL: off */
	struct srv_groups	*groups;	/* srv_signal.c: groups_start */
	struct event		*groups_ev;	/* their next deadline */
	int			 alt;		/* --alt-listen sockets are up:
						   bit 0 first family, bit 1
						   the second's */
	struct srv_ratelim	 stun_rl;	/* answers per source */
	struct srv_reg_hello	 hello;		/* which hellos get answers */
	struct cluster		*cluster;	/* --cluster; NULL: one node */
	struct srv_match	*match;		/* srv_match_srv.c */
	struct event		*match_ev;
	uint64_t		 match_expire_s;	/* last lifetime sweep */
	size_t			 http_match_waiting;	/* srv_http_match.c */
	int			 draining;	/* srv_drain.c */
	uint64_t		 drain_until_us;
	struct event		*drain_ev;
	struct srv_stun_sock	 stun[2 * SRV_STUN_SOCKS];
	struct srv_fam2		 fam2;
	struct sockaddr_storage	 tcp2_bound;	/* the first --tcp-listen */
	struct srv_scratch	 scratch;
};

/* srv_clock.c: monotonic microseconds; wall-clock seconds, milliseconds. */
uint64_t	srv_now_us(void);
uint64_t	srv_now_unix(void);
uint64_t	srv_now_unix_ms(void);
/* srv_portfile.c: STATE_DIR/name holding port (nothing without a dir). */
int		srv_write_port_file(struct srv *, const char *name,
		    uint16_t port, char *err, size_t errlen);

/* srv_wire.c: fill s->hooks (before anything starts). */
void	srv_wire(struct srv *);

/*
 * srv_reload.c: the options checked as a whole, the secret files they name,
 * SIGHUP (srv_reload) and --check-config.
 */
void	srv_conf_defaults(struct srv_conf *);
int	srv_conf_check(const struct srv_conf *, enum srv_policy *,
	    int *verbosity, char *err, size_t errlen);
int	srv_keys_load(struct srv *, char *err, size_t errlen);
void	srv_reload(struct srv *);
int	srv_check_config(const struct conf_opt *, int argc, char **argv);
/* Whether --flag (or --flag=...) is on the command line. */
int	srv_flag_given(int argc, char **argv, const char *flag);
/* srv_token.c: a token against the secret, or the previous one. */
enum token_err srv_token_verify(struct srv *, const char *tok, uint64_t now_unix,
	    struct token *, char *msg, size_t msglen);

/*
 * srv_listen.c: --listen, --tcp-listen and --alt-listen, each once or twice
 * (one IPv4, one IPv6); checked by srv_conf_check, bound by srv_listen_bind
 * (exits naming the option on failure). The first --listen is the primary
 * (udp_fd, bound); the second goes to fam2.
 */
int	srv_listen_check(const struct srv_conf *, char *err, size_t errlen);
void	srv_listen_bind(struct srv *);
/* Our UDP address on the other family than an agent's registration's, for
 * its STUN there (PROTOCOL.md §2.7): 0, or -1 on one family only. */
int	srv_listen_other(const struct srv *, int family,
	    struct sockaddr_storage *out);
/* Told to others: udp (advertise, IPv4, primary), udp6 ("": no IPv6). */
void	srv_listen_addrs(const struct srv *, char *, size_t, char *, size_t);
/* The --alt-listen of sa's family, into alt; 0, 1 (none) or -1 (err). */
int	srv_listen_alt(const struct srv_conf *, int family,
	    struct sockaddr_storage *alt, char *err, size_t errlen);

/* srv_udp.c */
/* A UDP socket bound to sa (IPV6_V6ONLY as told); -1 with errno. */
int	srv_udp_bind(const struct sockaddr *sa, socklen_t, int v6only,
	    struct sockaddr_storage *bound);
int	srv_udp_start(struct srv *);
void	srv_udp_stop(struct srv *);
/* Datagrams the kernel dropped at the UDP sockets (buffers full). */
uint64_t srv_udp_rx_dropped(struct srv *);
/* Send pkt to `to`, over tcp when tcp is not NULL. */
void	srv_send(struct srv *, const struct sockaddr *to, struct srv_tcp *tcp,
	    const uint8_t *pkt, size_t len);

/*
 * srv_stun.c: STUN answers; with --alt-listen, the three more RFC 5780
 * sockets (bind after srv_bind(): the primary address must be known).
 */
int	srv_stun_bind(struct srv *, char *err, size_t errlen);
int	srv_stun_start(struct srv *);
void	srv_stun_stop(struct srv *);
/* A STUN datagram that arrived on socket i (0, 4: the udp_fds). */
void	srv_stun_input(struct srv *, int i, const uint8_t *pkt, size_t len,
	    const struct sockaddr *from);

/* srv_tcp.c */
/* A listener into *slot on sa; bound (may be NULL) gets its address. */
int	srv_tcp_listen(struct srv *, struct evconnlistener **slot,
	    const struct sockaddr *, socklen_t, int v6only,
	    struct sockaddr_storage *bound);
void	srv_tcp_stop(struct srv *);
void	srv_tcp_set_reg(struct srv_tcp *, uint32_t reg_id);
uint32_t srv_tcp_get_reg(struct srv_tcp *);
/* Queue one framed packet (u16 length || packet); drops when over the cap. */
void	srv_tcp_write(struct srv_tcp *, const uint8_t *pkt, size_t len);

/* srv_reg.c: classification, REG_HELLO, REG_INIT (registration). */
void	srv_packet(struct srv *, const uint8_t *pkt, size_t len,
	    const struct sockaddr *from, struct srv_tcp *tcp);

/* srv_sess.c: the node-local sessions of registrations, by reg_id. */
struct srv_sess *srv_sess_find(struct srv *, uint32_t reg_id);
size_t	srv_bucket(uint32_t id);
/* A random id in use by no registration (0 is never an id). */
uint32_t srv_fresh_id(struct srv *);
/* A session on the channel keys of a finished handshake; NULL: no memory. */
struct srv_sess *srv_sess_new(struct srv *, uint32_t reg_id,
	    const char *peer_id, const struct reghs_keys *,
	    const struct sockaddr *from, struct srv_tcp *tcp);
void	srv_sess_drop(struct srv *, uint32_t reg_id);
/* The agent's round trip as it says it (Register, Keepalive; 0: none):
 * smoothed, at most SRV_RTT_MAX_US; it times punching (srv_signal.c). */
#define SRV_RTT_MAX_US	STATE_RTT_MAX_US
void	srv_sess_rtt(struct srv_sess *, uint32_t rtt_us);
/* UNKNOWN_REG for a packet of len bytes naming id: never larger than it. */
void	srv_unknown_reg(struct srv *, uint32_t id, size_t len,
	    const struct sockaddr *from, struct srv_tcp *tcp);
/* x replaces the registration old (same peer): it takes its relay usage. */
void	srv_sess_replace(struct srv *, struct srv_sess *x, uint32_t old);
/* Free every session (at shutdown). */
void	srv_sess_free_all(struct srv *);
void	srv_reg_tick(struct srv *, uint64_t now_us);
/* srv_reg.c: at shutdown, the registrations and sessions. */
void	srv_reg_free(struct srv *);
/* srv_reg.c: a TCP connection closed (its registration reg_id, or 0). */
void	srv_reg_tcp_closed(struct srv *, struct srv_tcp *, uint32_t reg_id);

/*
 * srv_roam.c: an authenticated packet of len bytes from `from` (UDP): the
 * session's address, or a candidate that gets a challenge (never more than
 * SRV_ROAM_AMP times what came from it); a PathResponse from it moves the
 * registration there.
 */
#define SRV_ROAM_AMP		3
#define SRV_ROAM_RTO_US		250000ULL
void	srv_roam_seen(struct srv *, struct srv_sess *, const struct sockaddr *,
	    size_t len);
void	srv_roam_response(struct srv *, struct srv_sess *,
	    const P2p__Srv__PathResponse *);

/* srv_recent.c: the REG_INITs answered lately (SRV_RECENT_US). */
struct srv_recent *srv_recent_find(struct srv *, const uint8_t e_pk[32]);
/* NULL: no memory (the REG_INIT is then not remembered). */
struct srv_recent *srv_recent_add(struct srv *, const uint8_t e_pk[32],
	    uint32_t reg_id, uint64_t now_us);
void	srv_recent_drop(struct srv *, const uint8_t e_pk[32]);
void	srv_recent_expire(struct srv *, uint64_t now_us);
void	srv_recent_free(struct srv *);

/* srv_ctrl.c: CTRL packets of established sessions. */
void	srv_ctrl_input(struct srv *, struct srv_sess *, const uint8_t *pkt,
	    size_t len, const struct sockaddr *from, struct srv_tcp *tcp);
/* srv_ctrl_out.c: seal msg on chan and send it; -1 if it did not fit. */
int	srv_ctrl_send(struct srv *, struct ctlchan *, const P2p__Srv__ServerMsg *,
	    const struct sockaddr *to, struct srv_tcp *tcp, size_t maxlen);
void	srv_ctrl_error(struct srv *, struct ctlchan *, uint32_t id,
	    P2p__Srv__ErrCode code, const char *msg, const struct sockaddr *to,
	    struct srv_tcp *tcp, size_t maxlen);

/* srv_relay.c: RELAY packets (PROTOCOL.md §2.6) and path reports. */
void	srv_relay_input(struct srv *, const uint8_t *pkt, size_t len,
	    const struct sockaddr *from, struct srv_tcp *tcp);
void	srv_path_report(struct srv *, struct srv_sess *,
	    const P2p__Srv__PathReport *);
/* Deliver the peer packet inner to y as sent by src: -1 if it failed. */
int	srv_relay_deliver(struct srv *, struct srv_sess *y, uint32_t src,
	    const uint8_t *inner, size_t len);
int	srv_relay_charge_for(struct srv *, struct srv_sess *, size_t,
	    uint64_t now);
int	srv_relay_inner_ok(const uint8_t *pkt, size_t len);

/* srv_drain.c: SIGTERM on a cluster node; 0 if a drain started. */
int	srv_drain_start(struct srv *);
void	srv_drain_stop(struct srv *);
/* srv_nodes.c: the live nodes told to agents (NodeList pushes). */
void	srv_nodes_push(struct srv *, struct srv_sess *);
void	srv_nodes_changed(struct srv *);

/* srv_node.c: node-to-node packets of a cluster (nodemsg.h). */
void	srv_node_input(struct srv *, const uint8_t *pkt, size_t len,
	    const struct sockaddr *from, struct srv_tcp *tcp);
void	srv_node_relay_out(struct srv *, struct srv_sess *x, uint32_t dst,
	    const uint8_t *pkt, size_t len, uint64_t now);
/* The path x reported for its session with peer_id, or NULL. */
const char *srv_path_get(const struct srv_sess *, const char *peer_id);

/*
 * srv_match_ctrl.c: matchmaking requests of agents and their pushes; a
 * GroupInfo with the group's attributes (for every reply showing groups).
 */
struct srv_ginfo {
	P2p__Srv__GroupInfo	 info;
	P2p__Srv__Attr		 attr[STATE_GROUP_ATTRS];
	P2p__Srv__Attr		*attrp[STATE_GROUP_ATTRS];
	char			 name[P2P_NAME_MAX + 1];
	struct state_group	 g;
};
void	srv_ginfo_fill(struct srv_ginfo *, const struct state_group *);
void	srv_h_match_request(struct srv *, struct srv_sess *,
	    const P2p__Srv__ServerMsg *);
void	srv_h_match_cancel(struct srv *, struct srv_sess *,
	    const P2p__Srv__ServerMsg *);
void	srv_h_group_search(struct srv *, struct srv_sess *,
	    const P2p__Srv__ServerMsg *);
void	srv_match_push(struct srv *, const struct state_ticket *,
	    enum srv_match_outcome);

/* srv_signal.c: connect, introduce, withdraw, push retransmission. */
void	srv_connect(struct srv *, struct srv_sess *, uint32_t id,
	    const P2p__Srv__ConnectRequest *);
int	srv_withdraw(struct srv *, const char *a, const char *b,
	    const char *reason);
void	srv_introduce_pair(struct srv *, const char *a, const char *b);
/* x's NAT type changed: tell its peers on the relay (a new Introduce). */
void	srv_reintroduce(struct srv *, struct srv_sess *x);
void	srv_reintroduce_remote(struct srv *, const char *peer_id);
void	srv_withdraw_push(struct srv *, const char *a, const char *b,
	    const char *reason);
/* srv_push.c: pushes to a session's agent, sent until acknowledged. */
int	srv_push(struct srv_sess *, P2p__Srv__ServerMsg *);
void	srv_push_ack(struct srv *, struct srv_sess *, uint32_t seq);
void	srv_push_clear(struct srv_sess *);

#endif /* P2P_SERVER_H */
