/* SPDX-License-Identifier: ISC */
/*
 * srv_reg_hello.h: which REG_HELLOs get their REG_CHALLENGE at once (issue
 * 15, finding 2).
 *
 * A challenge is stateless and smaller than the hello, but a flood of
 * hellos from forged sources makes the server send as many challenges to
 * addresses that never asked: that send (and, on one host, its delivery)
 * is most of what such a hello costs the server, taken from the real
 * registrations. So a source the server already knows gets its challenge
 * at once, whatever arrives beside it: an IP (an IPv6 /64) that answered
 * a cookie (its REG_INIT came back from that address) or that a current
 * registration is at, kept in a keyed bitmap of two generations
 * (SRV_HELLO_KNOWN_BITS each; every SRV_HELLO_AGE_S the older one is
 * dropped and the addresses of the current registrations are marked
 * again). A hello over TCP has proven its address by the connection and
 * is answered too. Every other source shares SRV_HELLO_STRANGER_PER_S
 * challenges a second (a burst of as many); beyond that the hello is not
 * answered and is counted. An agent whose hello is not answered sends it
 * again (0.25 s, doubling) and races TCP after its second try.
 *
 * The bitmap's key is random per run, so an attacker cannot tell which
 * forged sources would be answered; one that forges the address of a
 * known source gets that source's answers, as it did before, and never
 * takes the budget of another. Pure: the caller passes the clock.
 */
#ifndef P2P_SRV_REG_HELLO_H
#define P2P_SRV_REG_HELLO_H

#include <sys/socket.h>
#include <stdint.h>

#include "log.h"

#define SRV_HELLO_KNOWN_BITS	(1u << 21)	/* per generation: 256 KiB */
#define SRV_HELLO_AGE_S		3600		/* a generation's life */
#define SRV_HELLO_STRANGER_PER_S 2000		/* challenges to the rest */
#define SRV_HELLO_QUIET_S	10		/* no hello held: flood over */

struct srv_reg_hello {
	uint8_t		 key[16];
	uint64_t	*known[2];	/* [0] current, [1] previous */
	uint64_t	 aged_us;	/* when [0] began */
	uint64_t	 tat_us;	/* strangers' GCRA: next due time */
	/* counters (metrics) */
	uint64_t	 known_answered;
	uint64_t	 strangers_answered;
	uint64_t	 held;		/* not answered: over the budget */
	/* the flood being logged: started, last held, counts then */
	int		 flood;
	uint64_t	 flood_at_us, flood_last_us;
	uint64_t	 flood_held, flood_answered;
};

int	srv_reg_hello_init(struct srv_reg_hello *, uint64_t now_us)
	    __attribute__((warn_unused_result));
void	srv_reg_hello_free(struct srv_reg_hello *);
/* from's IP is known: it answered a cookie, or a registration is there. */
void	srv_reg_hello_known(struct srv_reg_hello *, const struct sockaddr *);
/*
 * 1 if the generations should turn now: the caller then calls
 * srv_reg_hello_turn() and marks every current registration's address.
 */
int	srv_reg_hello_due(const struct srv_reg_hello *, uint64_t now_us);
void	srv_reg_hello_turn(struct srv_reg_hello *, uint64_t now_us);
/* 1: answer this hello (tcp: it came over TCP); 0: hold it (counted). */
int	srv_reg_hello_answer(struct srv_reg_hello *, const struct sockaddr *,
	    int tcp, uint64_t now_us);

#endif /* P2P_SRV_REG_HELLO_H */
