/* SPDX-License-Identifier: ISC */
/*
 * natclass.h: NAT behaviour discovery (RFC 5780 §4.3, §4.4) as a pure state
 * machine: no sockets, no clock, no global state.
 *
 * The caller owns one UDP socket (a fresh local port, as RFC 5780 asks, so
 * that no earlier traffic to the server's other address opens the filter),
 * passes time in, sends what natclass_output() hands out and feeds every
 * STUN datagram that arrives to natclass_input(). Transaction ids come from
 * the caller's random function.
 *
 * The tests, in this order (filtering first: the mapping tests send to the
 * alternate address, which would open an address-dependent filter for it):
 *   I    Binding to the primary address: mapped address M1, OTHER-ADDRESS.
 *        No answer: blocked. No OTHER-ADDRESS: unknown (no --alt-listen).
 *   F    F-II and F-III together, both to the primary address (neither
 *        opens a filter for the other's answer):
 *        F-II  CHANGE-REQUEST change IP + port: an answer means EIF.
 *        F-III CHANGE-REQUEST change port: an answer means ADF, none APDF.
 *        F-II's answer ends the test at once; after F-III's, F-II is
 *        sent once more (one lost answer must not make a full cone look
 *        restricted) and waited for one NATCLASS_RTO_US. A NAT that
 *        filters both (port-restricted, symmetric:
 *        the common case) costs one timeout here, not two.
 *   M-II  Binding to (alternate IP, primary port): M2 == M1 means EIM.
 *   M-III Binding to (alternate IP, alternate port): M3 == M2 means ADM,
 *         else APDM.
 * Each test sends up to NATCLASS_TRIES requests (or pairs) NATCLASS_RTO_US
 * apart and gives up NATCLASS_RTO_US after the last (F: F-III's answer may
 * add one), so a whole run takes at most (4 * NATCLASS_TRIES + 1) *
 * NATCLASS_RTO_US (3.9 s).
 */
#ifndef P2P_NATCLASS_H
#define P2P_NATCLASS_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "stun.h"

#define NATCLASS_TRIES		3
#define NATCLASS_RTO_US		300000ULL
#define NATCLASS_RUN_MAX_US	((4ULL * NATCLASS_TRIES + 1) * NATCLASS_RTO_US)
#define NATCLASS_PKT_MAX	64	/* our requests: 20 + 8 + 8 bytes */
#define NATCLASS_LOCALS_MAX	16
#define NATCLASS_DETAIL_MAX	256

/* Words for nat_mapping / nat_filtering and nat_type. */
#define NATCLASS_EI		"endpoint-independent"
#define NATCLASS_AD		"address-dependent"
#define NATCLASS_APD		"address-and-port-dependent"
#define NATCLASS_UNKNOWN	"unknown"

enum natclass_test {
	NATCLASS_IDLE,
	NATCLASS_T1,
	NATCLASS_F,		/* F-II and F-III together */
	NATCLASS_M2,
	NATCLASS_M3,
	NATCLASS_DONE
};

enum natclass_beh {
	NATCLASS_B_UNKNOWN,
	NATCLASS_B_EI,
	NATCLASS_B_AD,
	NATCLASS_B_APD
};

/* Fill buf with len random bytes. */
typedef void (*natclass_rand_fn)(void *arg, uint8_t *buf, size_t len);

struct natclass {
	enum natclass_test	 test;
	struct sockaddr_storage	 server;	/* primary address */
	struct sockaddr_storage	 locals[NATCLASS_LOCALS_MAX];
	size_t			 nlocals;
	natclass_rand_fn	 rnd;
	void			*rnd_arg;

	uint8_t			 txid[STUN_TXID_LEN];
	uint8_t			 txid3[STUN_TXID_LEN];	/* F-III's */
	int			 f3_due;	/* F-III's request goes next */
	int			 f3_answered;	/* F: waiting for F-II's answer */
	int			 tries;		/* requests sent in this test */
	uint64_t		 next_us;	/* next send, or give up */

	int			 have_m1, have_m2, have_other;
	struct sockaddr_storage	 m1, m2, other;
	enum natclass_beh	 mapping, filtering;
	int			 no_alt;	/* the server has no OTHER-ADDRESS */
	int			 blocked;
	char			 detail[NATCLASS_DETAIL_MAX];
};

/* One request to send. */
struct natclass_out {
	struct sockaddr_storage	 to;
	size_t			 len;
	uint8_t			 pkt[NATCLASS_PKT_MAX];
};

/*
 * Reset and start a run against the server's primary address. locals are
 * the local socket's own addresses (IP + port; the "open" test compares the
 * mapped address with them); at most NATCLASS_LOCALS_MAX are kept.
 */
void	natclass_start(struct natclass *, const struct sockaddr *server,
	    const struct sockaddr_storage *locals, size_t nlocals,
	    natclass_rand_fn, void *rnd_arg, uint64_t now_us);

/*
 * The next request due at now_us: 1 and *out filled, or 0 (nothing to send
 * now; call again at natclass_next_us()). Tests that ran out of tries are
 * concluded here.
 */
int	natclass_output(struct natclass *, uint64_t now_us,
	    struct natclass_out *out);

/* When natclass_output() has something to do next; 0 when done or idle. */
uint64_t natclass_next_us(const struct natclass *);

/*
 * A datagram from `from`. Returns 1 if it answered the current test, else 0
 * (not STUN, not ours, stale, malformed: ignored).
 */
int	natclass_input(struct natclass *, const uint8_t *pkt, size_t len,
	    const struct sockaddr *from, uint64_t now_us);

int	natclass_done(const struct natclass *);
int	natclass_running(const struct natclass *);

/* The result (valid once done; "unknown" before). */
const char *natclass_type(const struct natclass *);
const char *natclass_mapping(const struct natclass *);
const char *natclass_filtering(const struct natclass *);
const char *natclass_beh_name(enum natclass_beh);
/* Mapped address from test I and the server's OTHER-ADDRESS, or NULL. */
const struct sockaddr *natclass_mapped(const struct natclass *);
const struct sockaddr *natclass_other(const struct natclass *);
const char *natclass_detail(const struct natclass *);

#endif /* P2P_NATCLASS_H */
