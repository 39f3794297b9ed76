/* SPDX-License-Identifier: ISC */
/*
 * agent.h: the structures p2pd's files share, and each file's entry points.
 *
 * One struct agent holds the whole daemon: settings, the event base, the
 * identity key, the UDP socket, the registration with the server, the peer
 * table, the services and the IPC server. Each .c file owns one part and
 * exports functions prefixed with its name (udp_, reg_, peer_, session_,
 * ipc_, svc_, pipe_, events_, ident_); the module headers are peer.h
 * (peers, sessions, pipes), ipc.h (IPC server) and svc.h (inboxes).
 * Everything runs on the one libevent loop; nothing here is thread-safe.
 *
 * Time: agent_now() is the monotonic clock in microseconds that is handed
 * to the core (tp, chan, hs); agent_wall() the wall clock in seconds.
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
/* A queued send's mode and channel, in its ipc_wait's target until sent. */
#define SESSION_SEND_TAG(mode, ch)	((uint64_t)(mode) << 8 | (uint64_t)(ch))

struct agent_conf {
	char		*server;	/* HOST:PORT */
	char		*server_transport;	/* auto | udp | tcp */
	char		*server_tcp;	/* HOST:PORT, default: server */
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
	long		 birthday_sockets;	/* symmetric side (256) */
	long		 birthday_probes;	/* cone side (1024; 0: off) */
	long		 birthday_rate;		/* packets per second (100) */
	char		*congestion;	/* --congestion: newreno | cubic */
	int		 cc_algo;	/* its CC_* (cc.h), for tp_cfg */
};

struct agent_counters {
	uint64_t	 packets_in;
	uint64_t	 packets_out;
	uint64_t	 dropped;
	uint64_t	 retransmitted;
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
};

enum reg_state {
	REG_REGISTERING,
	REG_REGISTERED,
	REG_UNREACHABLE,
	REG_REJECTED,
};

struct reg;
struct peer;
struct ipc;
struct ipc_client;
struct pipe;
struct nat;

/* HS_INIT that raced ahead of the server's Introduce (peer.c). */
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

	int			 udp_fd;
	uint16_t		 udp_port;
	struct event		*udp_ev;
	unsigned		 rx_slot;	/* spray socket of the datagram
						   being handled; 0: udp_fd */
	unsigned		 nspray;	/* spray sockets open */

	struct reg		*reg;
	TAILQ_HEAD(, peer)	 peers;
	size_t			 npeers;
	TAILQ_HEAD(, peer)	 drive_q;	/* fed, to drive this pass */
	struct event		*drive_ev;	/* drives drive_q */
	struct notify		*notify;	/* systemd: ready, watchdog */
	struct agent_hs_stash	 hs_stash[AGENT_HS_STASH];
	size_t			 hs_stash_next;
	struct ipc		*ipc;
	struct nat		*nat;		/* nat.c: RFC 5780 tests */
	TAILQ_HEAD(, pipe)	 pipes;
	size_t			 npipes;
	uint32_t		 pipe_serial;
	struct svc_table	 svcs;

	struct agent_counters	 ctr;
	struct agent_counters	 ctr_closed;	/* of ended sessions */
};

/* p2pd.c */
uint64_t	 agent_now(void);
uint64_t	 agent_wall(void);
uint64_t	 agent_wall_ns(void);
void		 agent_stop(struct agent *);

/* ident.c: load or create STATE_DIR/identity.key. */
int		 ident_load(const char *state_dir, uint8_t pk[32],
		    uint8_t sk[64]) __attribute__((warn_unused_result));

/* udp.c: the one UDP socket; sends are batched until udp_flush(). */
int		 udp_open(struct agent *) __attribute__((warn_unused_result));
void		 udp_close(struct agent *);
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
void		 reg_public_addr(struct agent *, char *, size_t);
/* "udp" or "tcp": the leg to the server (regtcp.c is the TCP one). */
const char	*reg_transport_name(struct agent *);
/*
 * Ask the server to introduce us to peer_id: -1 if not registered. An
 * Error reply goes to peer_connect_failed(); success brings an Introduce.
 */
int		 reg_connect(struct agent *, const char *peer_id);
int		 reg_local_addrs(struct agent *, struct sockaddr_storage *,
		    size_t max);

/* reg_relay.c: RELAY packets through the server, path reports. */
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

/* reg_nat.c: the server address for nat.c, and the NatReport. */
int		 reg_nat_server(struct agent *, struct sockaddr_storage *,
		    uint32_t *reg_id);
int		 reg_nat_report(struct agent *, const char *type,
		    const char *mapping, const char *filtering);

/* nat.c: NAT classification (RFC 5780) on a fresh socket per run. */
int		 nat_init(struct agent *) __attribute__((warn_unused_result));
void		 nat_free(struct agent *);
void		 nat_refresh(struct agent *);
/* Answer request id of c (ipc_nat_reply) when the run ends: -1 if full. */
int		 nat_wait(struct agent *, struct ipc_client *, uint32_t id);
const char	*nat_type(struct agent *);	/* "unknown" until tested */
const char	*nat_mapping(struct agent *);
const char	*nat_filtering(struct agent *);
const char	*nat_mapped(struct agent *);	/* "" when unknown */
const char	*nat_other(struct agent *);	/* "" without --alt-listen */
const char	*nat_detail(struct agent *);
double		 nat_tested_ago(struct agent *);	/* < 0: never */

/* ipc_nat.c: NatReq. */
void		 ipc_nat(struct ipc_client *, uint32_t id, int refresh);
void		 ipc_nat_reply(struct ipc_client *, uint32_t id);

#endif /* P2P_AGENT_H */
