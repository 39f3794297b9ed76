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
#include "server.pb-c.h"

#define REG_RTO_US		250000
#define REG_TRIES		6	/* first send + 5 retransmissions */
#define REG_BACKOFF_MAX		30
#define REG_MAX_PENDING		64
#define REG_KA_MISSED		3
#define REG_SOFTWARE		"p2pd/" PACKAGE_VERSION
#define REG_SIG_LABEL		"p2pd-register-v1"
/* auto: HELLOs unanswered over UDP before TCP is tried beside it. */
#define REG_TCP_AFTER		2

enum reg_phase { PH_IDLE, PH_HELLO, PH_REGISTER, PH_UP };
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

struct reg {
	struct agent		*a;
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
	struct chan		 chan;
	int			 chan_ok;
	uint32_t		 reg_id;
	uint32_t		 next_id;
	uint32_t		 register_id;
	int			 tries;
	int			 backoff;
	struct event		*timer;		/* HELLO retransmit / backoff */
	struct event		*ka;
	int			 ka_missed;
	uint32_t		 keepalive_s;
	struct sockaddr_storage	 public;
	int			 have_public;
	uint64_t		 last_rereg;
	TAILQ_HEAD(, reg_req)	 reqs;
	size_t			 nreqs;
};

void	reg_start(struct reg *);
void	reg_retry_later(struct reg *);
void	reg_timer_in(struct event *, uint64_t us);
int	reg_send_msg(struct reg *, P2p__Srv__ServerMsg *);
/* One packet to the server over this registration's leg (UDP or TCP). */
void	reg_send_pkt(struct reg *, const uint8_t *, size_t);
/* A packet that arrived over the TCP connection (regtcp.c). */
void	reg_tcp_input(struct reg *, const uint8_t *, size_t);
/* The TCP connection failed or closed (regtcp.c has freed it). */
void	reg_tcp_lost(struct reg *, const char *why);
void	reg_req_free(struct reg_req *);
/* Requests to the server, resent by their timer until answered (reg.c). */
uint32_t reg_req_start(struct reg *, P2p__Srv__ServerMsg *, const char *peer,
	    event_callback_fn fire);
void	reg_req_rearm(struct reg_req *);
/* reg_ctrl.c */
void	reg_ctrl_in(struct reg *, const uint8_t *, size_t);
void	reg_reregister(struct reg *, const char *why);
/* regtcp.c: the TCP leg, each packet framed as u16 length || packet. */
int	regtcp_open(struct reg *);
void	regtcp_close(struct reg *);
void	regtcp_send(struct reg *, const uint8_t *, size_t);
/* The output is backed up: sessions on the relay should wait. */
int	regtcp_busy(struct reg *);

#endif /* P2P_AGENT_REG_H */
