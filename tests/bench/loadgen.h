/* SPDX-License-Identifier: ISC */
/*
 * loadgen.h: the load generator's state, shared by its three parts:
 * loadgen.c (registering peers, keepalives, main), loadgen_relay.c
 * (--relay: the server's relay alone) and loadgen_rehome.c (--rehome: the
 * peers of a node that dies registering elsewhere, as agents do).
 */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <sys/socket.h>
#include <sys/types.h>
#include <stdint.h>

#include "ctlchan.h"
#include "reghs.h"
#include "secret.h"
#include "server.pb-c.h"

#define LG_SERVERS	16
#define LG_RTO_US	1000000ULL
#define LG_INIT_MAX	2048

enum lg_state { LG_IDLE, LG_HELLO, LG_REGISTER, LG_DONE, LG_REFUSED };

struct lg_peer {
	struct ctlchan	 ch;
	uint32_t	 reg_id;
	uint32_t	 ka_due_s;	/* next keepalive, seconds of the run */
	uint16_t	 sock;		/* it registered from this socket */
	uint32_t	 relay_to;	/* --relay: the other's relay id */
	uint8_t		 node;
	uint8_t		 state;
	uint8_t		 relay_mac;	/* the server sends/takes RELAY_MAC */
	/* --rehome (loadgen_rehome.c) */
	uint8_t		 rh;		/* enum lg_rh */
	uint8_t		 rh_checks;	/* keepalives of a check sent */
	uint8_t		 rh_orphan;	/* on the dead node, not back yet */
	uint8_t		 rh_backoff;	/* seconds, after a round failed */
	uint16_t	 rh_tried;	/* nodes tried in this round (bits) */
	uint32_t	 rh_ka_ms;	/* next keepalive, ms of the run */
	uint32_t	 rh_t_ms;	/* the current step's deadline */
};

struct lg_sock {
	int		 fd;
	long		 peer;		/* in flight, -1: none */
	uint8_t		 eph_pk[32], eph_sk[32];
	struct reghs	 hs;		/* the REG_INIT in flight */
	uint8_t		 init[LG_INIT_MAX];	/* ... its bytes */
	size_t		 init_len;
	uint64_t	 sent_us;
	int		 tries;
};

struct lg_rehome;

struct lg {
	struct sockaddr_storage	 srv[LG_SERVERS];
	socklen_t		 srvlen[LG_SERVERS];
	unsigned		 nsrv;
	uint8_t			 secret[SECRET_MAX];
	size_t			 secretlen;
	const char		*prefix;
	long			 n, next, done, refused;
	long			 ttl;
	uint32_t		 keepalive_s;
	struct lg_peer		*peers;
	struct lg_sock		*socks;
	unsigned		 nsocks;
	uint32_t		*byreg;		/* reg_id hash -> peer + 1 */
	size_t			 byreg_cap, byreg_used;
	uint64_t		 t0_us;
	uint64_t		 ka_scan_us;	/* keepalives(): last scan */
	uint64_t		 keepalives, acks, moves;
	int			 relay_sealed;	/* --relay-sealed */
	char			 reason[256];
	char			 move_to[200];	/* the first Move's node */
	struct lg_rehome	*rh;		/* --rehome, once under way */
};

/* loadgen.c */
uint64_t	lg_now_us(void);
void		lg_peer_name(const struct lg *, long, char *, size_t);
void		lg_send_to(struct lg *, struct lg_sock *, unsigned,
		    const uint8_t *, size_t);
void		lg_send_hello(struct lg *, struct lg_sock *, int fresh);
void		lg_send_msg(struct lg *, struct lg_sock *, struct lg_peer *,
		    const P2p__Srv__ServerMsg *);
void		lg_send_keepalive(struct lg *, struct lg_peer *);
void		lg_pump(struct lg *, int);

/* loadgen_relay.c */
int		lg_relay_bench(struct lg *, uint32_t count, size_t size,
		    uint32_t window);

/* loadgen_rehome.c: lg_rehome_arm at start (SIGUSR1), lg_rehome_run after
 * --hold; the others are loadgen.c's calls while it runs. */
void		lg_rehome_arm(void);
int		lg_rehome_run(struct lg *, long timeout_s);
void		lg_rehome_heard(struct lg *, long peer);
void		lg_rehome_registered(struct lg *, long peer);
void		lg_rehome_refused(struct lg *, long peer);
int		lg_rehome_take(struct lg *, struct lg_sock *);

#endif
