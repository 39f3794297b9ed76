/* SPDX-License-Identifier: ISC */
/*
 * reg.h: private to the reg*.c files: the registration state (struct
 * reg) and the helpers they share. The rest of the agent uses the reg_*
 * functions declared in agent.h.
 */
#ifndef P2P_AGENT_REG_H
#define P2P_AGENT_REG_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>

#include "agent.h"
#include "chan.h"
#include "reghs.h"
#include "server.pb-c.h"

#define REG_RTO_US		250000
#define REG_TRIES		6	/* first send + 5 retransmissions */
#define REG_BACKOFF_MAX		30
#define REG_BACKOFF_MAX_NODES	8	/* several nodes to try */
#define REG_MAX_PENDING		64
#define REG_KA_MISSED		3
#define REG_SOFTWARE		"p2pd/" PACKAGE_VERSION
/* auto: HELLOs unanswered over UDP before TCP is tried beside it. */
#define REG_TCP_AFTER		2
/* A spoofable error (UNKNOWN_REG, VERSION_ERROR): keepalives to check. */
#define REG_CHECK_TRIES		3
#define REG_CHECK_US		300000
/* Fresh cookies (REG_CHALLENGE during REG_INIT) taken per attempt. */
#define REG_COOKIES_MAX		3
/* Servers (nodes) to register with: --server addresses and NodeList. */
#define REG_NODES_MAX		32
/* HELLOs to one node when there are others to try (1.75 s). */
#define REG_TRIES_MULTI		3
/* Sent something the server answers, heard nothing since: check it. */
#define REG_LIVE_US		1000000
/* Random delay before registering elsewhere: failover, Move. */
#define REG_FAILOVER_JITTER_US	300000
#define REG_MOVE_JITTER_US	200000
/* Probing the node a Move names before leaving: HELLOs 250 ms apart. */
#define REG_PROBE_TRIES		4
#define REG_PROBE_US		250000

/*
 * HELLO: REG_HELLO sent, waiting for REG_CHALLENGE. INIT: REG_INIT sent,
 * waiting for a REG_ACCEPT that opens with the server's key. UP: the
 * control channel is up.
 */
enum reg_phase { PH_IDLE, PH_HELLO, PH_INIT, PH_UP };
/* --server-transport */
enum reg_mode { REG_MODE_AUTO, REG_MODE_UDP, REG_MODE_TCP };

struct regtcp;

struct reg_req {
	TAILQ_ENTRY(reg_req)	 entry;
	struct reg		*r;
	uint32_t		 id;
	int			 connect;	/* a ConnectRequest */
	char			 peer[AGENT_ID_MAX + 1];
	uint8_t			*msg;		/* packed ServerMsg */
	size_t			 len;
	int			 tries;
	struct event		*timer;
};

/* reg_live.c's findings, up to reg.c. */
struct reg_live_cb {
	void	(*silent)(struct reg *);	/* nothing heard for a while */
	void	(*go)(struct reg *, unsigned node);	/* move there now */
};

/* A server this agent may register with (reg_nodes.c). */
struct reg_node {
	char			 id[AGENT_ID_MAX + 1];	/* "": not told */
	char			 udp_s[64], tcp_s[64];	/* as told */
	struct sockaddr_storage	 udp, tcp;
	int			 conf;		/* from --server */
	int			 told;		/* in the cluster's NodeList */
	int			 failed;	/* in this round of tries */
};

struct reg {
	struct agent		*a;
	struct reg_node		 nodes[REG_NODES_MAX];
	unsigned		 nnodes;
	unsigned		 cur;		/* the one srv/srv_tcp are */
	char			 node_id[AGENT_ID_MAX + 1];	/* its id */
	struct reg_live_cb	 live;		/* reg_live.c's findings */
	struct event		*live_ev;	/* reg_live.c */
	uint64_t		 wait_since;	/* unanswered since; 0: none */
	uint64_t		 moves;		/* Moves followed */
	struct event		*probe_ev;	/* a Move's target, probed */
	int			 probing;
	unsigned		 probe_node, probe_first, probe_tries;
	struct sockaddr_storage	 srv;		/* UDP */
	int			 have_srv;
	struct sockaddr_storage	 srv_tcp;	/* --server-tcp */
	enum reg_mode		 mode;
	int			 use_tcp;	/* this registration's leg */
	struct regtcp		*tcp;		/* NULL: no connection */
	uint64_t		 tcp_dropped;	/* output over the cap */
	enum reg_state		 state;
	enum reg_phase		 phase;
	char			 error[256];
	uint8_t			 eph_pk[32], eph_sk[32];
	/* The handshake of this attempt (reg_hs.c, PROTOCOL.md §2.1). */
	struct reghs		 hs;
	uint8_t			 server_pk[32];	/* the key it is sealed to */
	uint8_t			 init[AGENT_UDP_MTU];	/* REG_INIT */
	size_t			 init_len;
	uint32_t		 init_id;	/* its Register's id */
	unsigned		 accept_bad;	/* REG_ACCEPTs that did not open */
	unsigned		 cookies;	/* fresh cookies taken */
	unsigned		 key_next;	/* pinned key to try first */
	uint8_t			 version_seen;	/* VERSION_ERROR's, 0: none */
	struct chan		 chan;
	int			 chan_ok;
	int			 relay_mac;	/* send RELAY_MAC (Registered) */
	uint32_t		 reg_id;
	uint32_t		 next_id;
	int			 tries;
	int			 backoff;
	struct event		*timer;		/* HELLO retransmit / backoff */
	struct event		*ka;
	int			 ka_missed;
	uint32_t		 keepalive_s;
	struct sockaddr_storage	 public;
	int			 have_public;
	struct sockaddr_storage	 srv_other;	/* Registered.other_family */
	int			 have_srv_other;
	/* Our round trip to the server (reg_live.c), for its punch times. */
	uint32_t		 rtt_us;	/* last measured; 0: none */
	uint64_t		 hello_at;	/* the HELLO sent once; 0: resent */
	uint32_t		 ka_id;		/* the keepalive timed */
	uint64_t		 ka_at;		/* ... sent then */
	uint64_t		 last_rereg;
	TAILQ_HEAD(, reg_req)	 reqs;
	size_t			 nreqs;
	/* Authenticated packets from the server, and a check in progress. */
	uint64_t		 auth_rx;
	struct event		*check_ev;
	int			 checking;
	unsigned		 check_tries;
	uint64_t		 check_rx;	/* auth_rx when it began */
	char			 check_why[128];
};

void	reg_start(struct reg *);
void	reg_retry_later(struct reg *);
void	reg_timer_in(struct event *, uint64_t us);
/* Forget the attempt's handshake secrets (ephemeral key, REG_INIT). */
void	reg_hs_clear(struct reg *);
/* The registration attempt failed (state and error set): try again later. */
void	reg_attempt_failed(struct reg *);
int	reg_send_msg(struct reg *, P2p__Srv__ServerMsg *);
/* One packet to the server over this registration's leg (UDP or TCP). */
void	reg_send_pkt(struct reg *, const uint8_t *, size_t);
/* A packet that arrived over the TCP connection (regtcp.c). */
void	reg_tcp_input(struct reg *, const uint8_t *, size_t);
/* The TCP connection failed or closed (regtcp.c has freed it). */
void	reg_tcp_lost(struct reg *, const char *why);
void	reg_req_free(struct reg_req *);
/* reg_hs.c: requests to the server, resent by their timer until answered. */
uint32_t reg_req_start(struct reg *, P2p__Srv__ServerMsg *, const char *peer,
	    event_callback_fn fire);
void	reg_req_rearm(struct reg_req *);
int	reg_request(struct reg *, P2p__Srv__ServerMsg *, const char *peer);
void	reg_clear_reqs(struct reg *);
uint32_t reg_next_id(struct reg *);
/* reg_hs.c: the handshake (HELLO, CHALLENGE, INIT, ACCEPT). */
void	reg_send_hello(struct reg *);
void	reg_send_init(struct reg *);
void	reg_challenge_in(struct reg *, const uint8_t *, size_t, int tcp);
void	reg_accept_in(struct reg *, const uint8_t *, size_t, int tcp);
/* The keys this agent trusts, and whether it may do without (reg_ctrl.c). */
int	reg_keys(struct agent *, uint8_t keys[][32], unsigned max);
/* reg_ctrl.c */
void	reg_ctrl_in(struct reg *, const uint8_t *, size_t);
void	reg_reregister(struct reg *, const char *why);
void	reg_registered(struct reg *, const P2p__Srv__Registered *);
/* An authenticated refusal of the registration. */
void	reg_refused(struct reg *, const P2p__Srv__Error *);
/*
 * An unauthenticated hint that the registration is gone (UNKNOWN_REG,
 * VERSION_ERROR): keepalives check it, and only their going unanswered
 * makes us register again (reg.c).
 */
void	reg_check(struct reg *, const char *why);
void	reg_check_cb(evutil_socket_t, short, void *);
void	reg_check_stop(struct reg *);
/* reg_nodes.c: the servers to register with. */
int	reg_nodes_init(struct reg *);
void	reg_nodes_use(struct reg *, unsigned);
void	reg_nodes_list_in(struct reg *, const P2p__Srv__NodeList *);
int	reg_nodes_next(struct reg *);
int	reg_nodes_move(struct reg *, const P2p__Srv__Move *);
/* reg_live.c: noticing a silent server, probing a Move's node. */
int	reg_live_init(struct reg *, const struct reg_live_cb *);
void	reg_live_free(struct reg *);
void	reg_live_stop(struct reg *);
void	reg_expect(struct reg *);
void	reg_heard(struct reg *);
void	reg_move_in(struct reg *, const P2p__Srv__Move *);
/* The round trip: the HELLO's answer came; the keepalive `id` was sent,
 * or its answer came. */
void	reg_rtt_hello(struct reg *);
void	reg_rtt_ka_sent(struct reg *, uint32_t id);
void	reg_rtt_ka_ack(struct reg *, uint32_t id);
int	reg_probe_in(struct reg *, const struct sockaddr *, const uint8_t *,
	    size_t);
/* reg.c: moving to another node. */
void	reg_failover(struct reg *, const char *why);
int	reg_try_next(struct reg *);
/* regtcp.c: the TCP leg, each packet framed as u16 length || packet. */
int	regtcp_open(struct reg *);
void	regtcp_close(struct reg *);
void	regtcp_send(struct reg *, const uint8_t *, size_t);
/* The output is backed up: sessions on the relay should wait. */
int	regtcp_busy(struct reg *);

#endif /* P2P_AGENT_REG_H */
