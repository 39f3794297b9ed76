/* SPDX-License-Identifier: ISC */
/*
 * agent.h: the root of p2pd, struct agent, and the engine's own entry
 * points below the peers (the UDP socket, the server link, NAT tests).
 *
 * The agent has two sides (docs/ARCHITECTURE.md, "The agent"):
 *  - the engine: peers and their sessions (peer*.c, session*.c, pindex.c),
 *    routes (route.c, spray.c), the socket (udp.c, input.c) and the server
 *    link (reg*.c, regtcp.c, nat.c); engine.h is what it offers above;
 *  - the control side: the IPC socket and its clients (ipc*.c), one file per
 *    command group (ctl_*.c), pipes, groups, events; ctl.h.
 * Calls go down (control -> engine.h, engine -> core), and what happens
 * below comes back up through callback tables: struct engine_cb (engine
 * to control, set by the control side) and struct agent_hooks (inside the
 * engine: from the socket and the server link to the peer layer, set by
 * p2pd.c). Everything runs on the one libevent loop; nothing here is
 * thread-safe, and no file keeps state of its own outside struct agent.
 *
 * Time: agent_now() is the monotonic clock in microseconds that is handed
 * to the core (tp, chan, hs); agent_wall() the wall clock in seconds
 * (clock.c).
 */
#ifndef P2P_AGENT_H
#define P2P_AGENT_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "conf.h"
#include "hs.h"
#include "ipc.pb-c.h"	/* P2p__Ipc__Code: the result codes of requests */
#include "server.pb-c.h"
#include "svc.h"

#define AGENT_ID_MAX		64
#define AGENT_MAX_MSG		(16U * 1024 * 1024)	/* --max-message default */
#define AGENT_MAX_MSG_LIMIT	(256U * 1024 * 1024)	/* its largest value */
#define AGENT_MAX_PEERS		1024
#define AGENT_MAX_CLIENTS	256
#define AGENT_CLIENT_OUTCAP	(8U * 1024 * 1024)	/* queued IPC output */
#define AGENT_MAX_ADDRS		16
#define AGENT_UDP_BATCH		64
#define AGENT_UDP_MTU		1500
#define AGENT_SPRAY_MAX		2048	/* birthday sockets open at once */

struct agent_conf {
	struct conf_list server;	/* HOST:PORT, repeatable */
	char		*server_transport;	/* auto | udp | tcp */
	struct conf_list server_tcp;	/* HOST:PORT: once, or per server */
	char		*token_file;
	char		*token;
	struct conf_list server_keys;	/* --server-key, base64 */
	int		 allow_unauth;	/* --allow-unauthenticated-server */
	char		*socket_path;
	char		*state_dir;
	long		 port;
	int		 foreground;
	int		 help;
	int		 version;
	int		 check_config;	/* --check-config: validate, exit */
	int		 verbose;
	size_t		 inbox_size;
	size_t		 max_message;	/* --max-message */
	size_t		 inbox_total;
	long		 max_services;
	long		 keepalive_s;
	long		 idle_timeout_s;
	int		 no_direct;	/* relay only: never punch */
	int		 no_portmap;	/* ask the router for no mapping */
	long		 birthday_sockets;	/* symmetric side (256) */
	long		 birthday_probes;	/* cone side (1024; 0: off) */
	long		 birthday_rate;		/* packets per second (100) */
	char		*congestion;	/* --congestion: newreno | cubic */
	int		 cc_algo;	/* its CC_* (cc.h), for tp_cfg */
	char		*log_level;	/* error | warning | info | debug */
	char		*metrics;	/* --metrics ADDR:PORT */
	int		 metrics_public;	/* ... may be non-loopback */
	int		 verbosity;	/* log.h's, from log_level and -v */
	int		 argc;		/* the command line, for reloads */
	char		**argv;
};

/* The agent's counters; stats.c names them (status, metrics). */
struct agent_counters {
	uint64_t	 packets_in;
	uint64_t	 packets_out;
	uint64_t	 dropped;
	uint64_t	 retransmitted;
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	/* dropped, by reason (AGENT_DROP); the rest is the server link's */
	uint64_t	 drop_malformed;
	uint64_t	 drop_unknown_session;
	uint64_t	 drop_decrypt;
	uint64_t	 drop_handshake;
	uint64_t	 drop_no_room;
	uint64_t	 drop_no_path;
	uint64_t	 drop_guard;		/* guard.c: floods, forged probes */
	uint64_t	 drop_probe;		/* guard_send.c: our own checks */
	uint64_t	 drop_server;		/* the rest (stats_collect) */
	uint64_t	 handshakes;		/* sessions keyed */
	uint64_t	 rekeys;
	uint64_t	 retransmitted_bytes;
	uint64_t	 relay_bytes_in;	/* peer packets over the relay */
	uint64_t	 relay_bytes_out;
	uint64_t	 lost_bytes;		/* reliable, unacked at a
						   session's end */
};

/* Count a dropped datagram or message and its reason (drop_<why>). */
#define AGENT_DROP(a, why)	do {					\
	(a)->ctr.dropped++;						\
	(a)->ctr.drop_##why++;						\
} while (0)

enum reg_state {
	REG_REGISTERING,
	REG_REGISTERED,
	REG_UNREACHABLE,
	REG_REJECTED,
};

struct agent;
struct reg;
struct nat;
struct natmap;
struct lowttl;
struct refl;
struct udp;
struct peer;
struct peer_tab;
struct pindex;
struct session;
struct sess_op;
struct engine_cb;
struct ctl;
struct agent_guard;

/*
 * Inside the engine, what the socket and the server link report to the
 * layers above them (p2pd.c fills it with input.c's, reg_ctrl.c's,
 * peer_conn.c's and session.c's functions): calls go down, these come up.
 */
struct agent_hooks {
	/* A datagram from the agent's socket (slot 0) or a spray socket. */
	void	(*datagram)(struct agent *, const uint8_t *, size_t,
		    struct sockaddr_storage *, unsigned slot);
	/* reg.c: a RELAY packet from the server, still sealed. */
	void	(*relay_in)(struct reg *, const uint8_t *, size_t);
	/* reg_ctrl.c: the peer packet a RELAY packet carried. */
	void	(*relayed)(struct agent *, uint8_t type, const uint8_t *,
		    size_t);
	/* regtcp.c: a packet over the TCP leg; the leg ended; it drained. */
	void	(*tcp_input)(struct reg *, const uint8_t *, size_t);
	void	(*tcp_lost)(struct reg *, const char *why);
	void	(*tcp_drained)(struct agent *);
	/* reg*.c: the server's answers and pushes about peers. */
	void	(*introduce)(struct agent *, const P2p__Srv__Introduce *);
	void	(*withdraw)(struct agent *, const char *peer,
		    const char *reason);
	void	(*connect_failed)(struct agent *, const char *peer, int code,
		    const char *msg);
	void	(*registered)(struct agent *);
	/* nat.c, natmap.c: what decides the punching changed (route.c). */
	void	(*replan)(struct agent *, const char *what);
	/* refl.c: our reflexive address on the other family is new (to the
	 * server, then a re-plan). */
	void	(*refl_changed)(struct agent *);
};

/*
 * Scratch buffers, one per use, so that no use overwrites another that is
 * still running below it (a session's input runs inside a RELAY packet's).
 */
struct agent_buf {
	uint8_t		 pt[AGENT_UDP_MTU];		/* drive: plaintext */
	uint8_t		 pkt[AGENT_UDP_MTU];		/* drive: sealed */
	uint8_t		 rx[AGENT_UDP_MTU];		/* DATA, opened */
	uint8_t		 ctrl[AGENT_UDP_MTU];		/* CTRL, opened */
	uint8_t		 relay_in[AGENT_UDP_MTU];	/* RELAY, opened */
	uint8_t		 relay_pt[AGENT_UDP_MTU];	/* RELAY, built */
	uint8_t		 relay_out[AGENT_UDP_MTU];	/* ... sealed */
	uint8_t		 dgram[AGENT_UDP_MTU + 1];	/* spray read */
};

/* HS_INIT that raced ahead of the server's Introduce (session_hs.c). */
#define AGENT_HS_STASH		4
struct agent_hs_stash {
	uint8_t			 pkt[HS_INIT_MAX];
	size_t			 len;
	struct sockaddr_storage	 src;
	uint64_t		 at;
};

struct agent {
	struct agent_conf	 conf;
	struct event_base	*base;
	struct event		*sig_term, *sig_int, *sig_hup;
	int			 stopping;

	uint8_t			 id_pk[32];	/* Ed25519 */
	uint8_t			 id_sk[64];
	struct hs_identity	 hsid;		/* X25519 forms for Noise */
	char			 peer_id[AGENT_ID_MAX + 1];	/* from the token */
	char			*token;		/* current token text */

	struct agent_hooks	 hooks;
	const struct engine_cb	*cb;		/* to the control side */
	void			*cb_arg;

	/* udp.c: the socket; sends wait in udp's queue for its flush. */
	int			 udp_fd;
	uint16_t		 udp_port;
	struct udp		*udp;
	unsigned		 rx_slot;	/* spray socket of the datagram
						   being handled; 0: udp_fd */
	unsigned		 nspray;	/* spray sockets open */
	unsigned		 nspray_closed;	/* ... and closed, ever */

	struct reg		*reg;
	struct nat		*nat;		/* nat.c: RFC 5780 tests */
	struct natmap		*natmap;	/* natmap.c: port mapping */
	struct lowttl		*lowttl;	/* lowttl.c: its measurement */
	struct refl		*refl;		/* refl.c: the other family */
	unsigned		 low_ttl;	/* opens our NAT only; 0: none */
	uint64_t		 lowttl_sent;	/* datagrams sent with it */

	/* The peer directory (peer.c), the sessions (session*.c). */
	struct peer_tab		*peers;
	struct pindex		*pindex;	/* receiver index -> session */
	TAILQ_HEAD(, session)	 drive_q;	/* fed, to drive this pass */
	struct event		*drive_ev;	/* drives drive_q */
	TAILQ_HEAD(, session)	 blocked_q;	/* waiting for the TCP leg */
	struct notify		*notify;	/* systemd: ready, watchdog */
	struct agent_hs_stash	 hs_stash[AGENT_HS_STASH];
	struct agent_guard	*guard;		/* guard.c: under attack */
	size_t			 hs_stash_next;
	unsigned		 corked;	/* clients with input waiting */
	TAILQ_HEAD(, sess_op)	 op_free;	/* spare requests, reused */
	size_t			 nop_free;
	struct agent_buf	*buf;		/* scratch, allocated once */

	/* Inboxes: the engine fills them, the control side drains them. */
	struct svc_table	 svcs;

	struct ctl		*ctl;		/* the control side (ctl.h) */

	struct agent_counters	 ctr;
	struct agent_counters	 ctr_closed;	/* of ended sessions */
};

/* clock.c */
uint64_t	 agent_now(void);
uint64_t	 agent_wall(void);
uint64_t	 agent_wall_ns(void);
/* (Re)arm a timer event us microseconds from now. */
void		 agent_timer_in(struct event *, uint64_t us);

/* ident.c: load or create STATE_DIR/identity.key. */
int		 ident_load(const char *state_dir, uint8_t pk[32],
		    uint8_t sk[64]) __attribute__((warn_unused_result));

/*
 * udp.c: the one UDP socket. Sends are queued; the first one queued
 * activates an event that sends the queue in batches once the callbacks
 * of this pass of the loop have run (udp_flush() sends at once).
 */
int		 udp_open(struct agent *) __attribute__((warn_unused_result));
void		 udp_close(struct agent *);
int		 udp_sendto_ttl(int, const struct sockaddr *, const uint8_t *,
		    size_t, int ttl);
void		 udp_send_ttl(struct agent *, const struct sockaddr *,
		    const uint8_t *, size_t, int ttl);
void		 udp_send(struct agent *, const struct sockaddr *, socklen_t,
		    const uint8_t *, size_t);
void		 udp_flush(struct agent *);

/* reg.c: registration and the control channel with the server. */
/* Read --token or --token-file into a->token and a->peer_id. */
int		 reg_load_token(struct agent *)
		    __attribute__((warn_unused_result));
int		 reg_init(struct agent *) __attribute__((warn_unused_result));
void		 reg_free(struct agent *);
void		 reg_input(struct agent *, const uint8_t *, size_t,
		    const struct sockaddr *, socklen_t);
void		 reg_reload_token(struct agent *);
void		 reg_shutdown(struct agent *);
enum reg_state	 reg_state(struct agent *);
const char	*reg_state_name(enum reg_state);
const char	*reg_error(struct agent *);
/* Our registration's id (our relay id; it changes with each registration,
 * on another node or the same): 0 while not registered. */
uint32_t	 reg_current_id(struct agent *);
void		 reg_public_addr(struct agent *, char *, size_t);
/* Where the server sees us, or NULL before the first registration. */
const struct sockaddr *reg_public_sa(struct agent *);
/* "udp" or "tcp": the leg to the server (regtcp.c is the TCP one). */
const char	*reg_transport_name(struct agent *);
/*
 * Ask the server to introduce us to peer_id: -1 if not registered. An
 * Error reply goes to hooks.connect_failed; success brings an Introduce.
 */
int		 reg_connect(struct agent *, const char *peer_id);
int		 reg_local_addrs(struct agent *, struct sockaddr_storage *,
		    size_t max);
/*
 * reg_ctrl.c: send a server request (its id is set here) and retransmit it
 * until the control side's cb->srv_reply took the answer (else
 * cb->srv_timeout). Returns the id, 0 on failure.
 */
uint32_t	 reg_group_request(struct agent *, P2p__Srv__ServerMsg *);

/* reg_ctrl.c: RELAY packets through the server, path reports. */
int		 reg_relay_ok(struct agent *);
/* Send one peer packet to the peer with that relay id: -1 if we cannot. */
int		 reg_relay_send(struct agent *, uint32_t relay_id,
		    const uint8_t *, size_t);
void		 reg_relay_in(struct reg *, const uint8_t *, size_t);
/* The relay's TCP leg is backed up: sessions on the relay wait. */
int		 reg_relay_busy(struct agent *);
void		 reg_path_report(struct agent *, const char *peer_id,
		    const char *path);
void		 reg_server_addr(struct agent *, char *, size_t);
/* reg_nodes.c: the node registered with ("" on a single node), and the
 * cluster's live nodes as it told them. */
const char	*reg_server_node(struct agent *);
void		 reg_server_nodes(struct agent *, void (*)(void *,
		    const char *id, const char *udp, const char *tcp), void *);

/* reg_nat.c: the server address for nat.c, and the NatReport. */
int		 reg_nat_server(struct agent *, struct sockaddr_storage *,
		    uint32_t *reg_id);
/* The server's address on our other IP family, as it told it: 0 or -1. */
int		 reg_other_server(struct agent *, struct sockaddr_storage *);
int		 reg_nat_report(struct agent *, const char *type,
		    const char *mapping, const char *filtering,
		    const struct sockaddr_in *portmap,
		    const struct sockaddr *other);

/* nat.c: NAT classification (RFC 5780) on a fresh socket per run. */
int		 nat_init(struct agent *) __attribute__((warn_unused_result));
void		 nat_free(struct agent *);
/* Run the tests again soon; cb->nat_done tells when a run ended. */
void		 nat_refresh(struct agent *);
void		 nat_registered(struct agent *);
/* The NatReport again now (the port mapping changed), even untested. */
void		 nat_report_now(struct agent *);
const char	*nat_type(struct agent *);	/* "unknown" until tested */
const char	*nat_mapping(struct agent *);
const char	*nat_filtering(struct agent *);
const char	*nat_mapped(struct agent *);	/* "" when unknown */
const char	*nat_other(struct agent *);	/* "" without --alt-listen */
const char	*nat_detail(struct agent *);
double		 nat_tested_ago(struct agent *);	/* < 0: never */

/* lowttl.c: the TTL that opens our NAT and dies before the peer's. */
int		 lowttl_init(struct agent *) __attribute__((warn_unused_result));
void		 lowttl_start(struct agent *, const struct sockaddr *server);
void		 lowttl_free(struct agent *);

/*
 * refl.c: our reflexive address on the other IP family than the
 * registration's, by STUN from our socket to the server's address there.
 */
int		 refl_init(struct agent *) __attribute__((warn_unused_result));
/* Registered: learn it from srv (NULL: the server told none). */
void		 refl_start(struct agent *, const struct sockaddr *srv);
/* A STUN datagram on our socket: 1 if it was the answer (taken). */
int		 refl_input(struct agent *, const uint8_t *, size_t,
		    const struct sockaddr *src);
/* Our reflexive address of that family: 0, or -1 while unknown. */
int		 refl_get(struct agent *, struct sockaddr_storage *);
void		 refl_free(struct agent *);

/* natmap.c: one port mapping from the router (portmap.c), NULL if off. */
struct portmap_info;
int		 natmap_init(struct agent *) __attribute__((warn_unused_result));
void		 natmap_registered(struct agent *, const struct sockaddr *pub);
int		 natmap_get(struct agent *, struct portmap_info *);
void		 natmap_stop(struct agent *, void (*done)(void *), void *);
void		 natmap_free(struct agent *);

/* stats.c: the counters by name, with the ended sessions' figures. */
struct stats_field {
	const char	*name;		/* as in ipc.proto's Counters */
	size_t		 off;		/* in struct agent_counters */
	const char	*metric;	/* its Prometheus counter */
	const char	*lname, *lval;	/* its label, or NULL */
	const char	*help;		/* NULL: as the line before */
};
extern const struct stats_field stats_fields[];
void		 stats_collect(struct agent *, struct agent_counters *);

#endif /* P2P_AGENT_H */
