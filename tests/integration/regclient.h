/* SPDX-License-Identifier: ISC */
/*
 * regclient.h: the agent's side of registration (PROTOCOL.md §2.1) for the
 * test tools that speak it themselves (srvclient, p2pattack): packets over
 * a connected UDP or TCP socket (u16 length framing on TCP), REG_HELLO and
 * its REG_CHALLENGE, a REG_INIT carrying a Register, the REG_ACCEPT opened
 * into the control channel. Every function returns -1 (or NULL) on a
 * failure and leaves the verdict to the caller.
 */
#ifndef P2P_REGCLIENT_H
#define P2P_REGCLIENT_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "chan.h"
#include "reghs.h"
#include "server.pb-c.h"
#include "wire.h"

struct rc_hs {
	uint8_t		 epk[32], esk[32], cookie[16];
	uint8_t		 keys[WIRE_CHALLENGE_KEYS][32];
	unsigned	 nkeys;
	size_t		 hello_len, challenge_len;
	uint8_t		 init[2048];
	size_t		 init_len;
	uint8_t		 accept[2048];
	size_t		 accept_len;
	struct reghs	 hs;
	uint32_t	 rtt_us;	/* Register.rtt_us (after rc_hello) */
};

int	rc_send(int fd, int tcp, const uint8_t *p, size_t n);
/* One packet within ms milliseconds, or -1. */
ssize_t	rc_recv(int fd, int tcp, uint8_t *p, size_t cap, int ms);
/* REG_HELLO with a fresh ephemeral key, and the REG_CHALLENGE it gets. */
int	rc_hello(int fd, int tcp, struct rc_hs *h);
/* h->init: a Register (signature corrupted if badsig) sealed to keys[0]. */
int	rc_init_build(struct rc_hs *h, const char *token, const uint8_t id_pk[32],
	    const uint8_t id_sk[64], uint32_t msg_id, int badsig);
/*
 * The REG_ACCEPT in pkt (kept in h->accept): its ServerMsg, and with
 * Registered the channel's keys in ch (remote index = reg_id).
 */
P2p__Srv__ServerMsg *rc_accept_open(struct rc_hs *h, const uint8_t *pkt,
	    size_t n, struct chan *ch);
/* One ServerMsg sealed on ch as CTRL into out: its length, or -1. */
ssize_t	rc_seal(struct chan *ch, const P2p__Srv__ServerMsg *m, uint8_t *out,
	    size_t cap);

#endif /* P2P_REGCLIENT_H */
