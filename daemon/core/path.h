/* SPDX-License-Identifier: ISC */
/*
 * path.h: the paths of one session: the relay, always there, and the
 * direct path that hole punching finds (PROTOCOL.md §2.7).
 *
 * Pure logic, no sockets and no clock: the session feeds it the time, the
 * candidates (host and server-reflexive addresses from the introduction,
 * peer-reflexive ones learned from arriving packets), every authenticated
 * packet's source, and PATH_RESPONSEs; it answers which challenge to send
 * where and when, and which path to use. The caller makes the nonces
 * (random) and seals the challenges in DATA packets, so a response proves
 * the peer holds the session's keys and received our packet on that path.
 *
 * Schedule. A punching round starts when the session is up (the initiator
 * waits half the relay round trip, so both sides start together). Checks
 * are paced: one challenge every pace_us (ICE's Ta = 50 ms) over all
 * candidates; each candidate is tried up to cand_tries times, the interval
 * doubling from retry_us. A round that validates nothing is followed by
 * another after a backoff (round_backoff_us, doubling to round_backoff_max_us);
 * a packet from an unknown address starts a check of it at once (a
 * peer-reflexive candidate: symmetric NATs, roaming).
 *
 * Symmetric NATs (path_spray). A NAT that maps each destination to a new
 * random port defeats the checks above. Against a peer whose NAT maps
 * endpoint-independently, the birthday method works: the symmetric
 * ("hard") side sends from many extra sockets (slots 1..spray_sockets; the
 * caller owns them) to the peer's server-reflexive address, opening as
 * many mappings; the "easy" side sends checks to random ports of the hard
 * side's public address (the first ones next to its server-reflexive port,
 * for NATs that allocate sequentially). A check that hits an open mapping
 * is answered from that socket, and both sides validate the path as usual.
 * Both are paced (spray_rate per second, by the schedule: a late caller
 * gets the packets it missed, a few at once) and bounded (spray_probes checks,
 * spray_sockets sockets); spray_probes 0 turns it off.
 *
 * Opening checks. path_next_check sets check_opening for a check whose job
 * is to open our own NAT's mapping, not to reach the peer: the first check
 * of a round to a server-reflexive candidate, and the hard side's first
 * pass over its spray sockets (the second pass goes at full TTL: it reaches
 * the cone side where the cone side's probe to that mapping came first). The caller sends those with a low IP TTL when it knows one
 * (they die past our NAT, before the peer's NAT could take them for a new
 * flow and move its own mapping); the next checks, retry_us later, go at
 * full TTL and find both NATs open.
 *
 * Choice. The first validated address becomes the direct path; another
 * replaces it only when its RTT is clearly lower (hysteresis: below 3/4
 * of the current one and at least 1 ms better) or when the current one has
 * gone quiet. The other validated addresses stay as standbys (another IP
 * family, say): while the direct path is suspect the best of them (lowest
 * RTT) is challenged too, every probe_us, and its answer moves the path
 * there at once, without a stay on the relay. The direct path is live while packets arrive from it; when
 * nothing has arrived for quiet_us (busy: data in flight, counted from
 * when the data started if the path was idle before, or the peer sending
 * over the relay) or keepalive_us (idle), the path is suspect:
 * traffic goes over the relay at once while challenges are sent every
 * probe_us; an answer makes it live again, and if none comes within
 * dead_us the path is dropped and punching starts again after the
 * backoff.
 */
#ifndef P2P_PATH_H
#define P2P_PATH_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define PATH_MAX_CANDS		16
#define PATH_NONCE_LEN		8
#define PATH_NONCES		4	/* outstanding challenges per candidate */

/* Frames that travel alone in a DATA packet, handled outside the transport. */
#define PATH_FRAME_CHALLENGE	0x1a
#define PATH_FRAME_RESPONSE	0x1b
#define PATH_FRAME_LEN		(1 + PATH_NONCE_LEN)

enum path_kind {
	PATH_CAND_HOST,		/* an interface address of the peer */
	PATH_CAND_SRFLX,	/* the peer's address as the server saw it */
	PATH_CAND_PRFLX,	/* where an authenticated packet came from */
	PATH_CAND_MAPPED,	/* a port the peer's router mapped (PCP, ...) */
};

enum path_cand_state {
	PATH_CAND_WAITING,
	PATH_CAND_PROBING,
	PATH_CAND_VALID,
	PATH_CAND_FAILED,
};

struct path_cfg {
	uint64_t	pace_us;		/* 50 ms between checks */
	uint64_t	retry_us;		/* 100 ms, doubling */
	unsigned	cand_tries;		/* 7 (about 6 s of tries) */
	uint64_t	round_backoff_us;	/* 5 s */
	uint64_t	round_backoff_max_us;	/* 60 s */
	uint64_t	quiet_us;		/* 1 s: busy and silent */
	uint64_t	keepalive_us;		/* 15 s: idle and silent */
	uint64_t	probe_us;		/* 500 ms between liveness checks */
	uint64_t	dead_us;		/* 3 s without an answer */
	int		enabled;		/* 0: relay only */
	unsigned	spray_sockets;		/* hard side: 512 */
	unsigned	spray_probes;		/* easy side: 1024; 0: off */
	unsigned	spray_rate;		/* packets per second: 100 */
};

void	path_cfg_default(struct path_cfg *);

struct path_cand {
	struct sockaddr_storage	 addr;
	unsigned		 local;		/* our socket: 0, or a spray slot */
	enum path_kind		 kind;
	enum path_cand_state	 state;
	unsigned		 tries;
	uint64_t		 next_us;	/* next challenge (PROBING) */
	uint64_t		 rtt_us;	/* VALID: measured */
	uint8_t			 nonce[PATH_NONCES][PATH_NONCE_LEN];
	uint64_t		 nonce_at[PATH_NONCES];
	unsigned		 nnonce;	/* ring position */
};

enum path_spray_role {
	PATH_SPRAY_NONE,
	PATH_SPRAY_EASY,	/* we probe random ports of the peer */
	PATH_SPRAY_HARD,	/* we open many mappings towards the peer */
};

#define PATH_SPRAY_RING		128	/* spray checks that may be answered */
#define PATH_SPRAY_NEAR		16	/* easy side: ports next to srflx first */

enum path_event {
	PATH_EV_NONE,
	PATH_EV_DIRECT,		/* a (new) direct path: path_direct() */
	PATH_EV_RELAY,		/* the direct path died: back on the relay */
};

struct path {
	struct path_cfg		 cfg;
	struct path_cand	 cands[PATH_MAX_CANDS];
	size_t			 ncands;
	int			 active;	/* index of the direct path, -1 */
	int			 started;
	uint64_t		 round_at;	/* next round starts (0: none) */
	uint64_t		 backoff_us;
	uint64_t		 pace_at;	/* no check before this */
	uint64_t		 last_rx;	/* last packet on the direct path */
	uint64_t		 probe_at;	/* next liveness challenge */
	uint64_t		 standby_at;	/* next one to the standby */
	uint64_t		 silent_since;	/* suspect since (0: live) */
	uint64_t		 busy_since;	/* data in flight since (0: idle) */
	uint64_t		 relay_rx;	/* last packet over the relay */
	unsigned		 rounds;
	unsigned		 changes;	/* path changes so far */
	unsigned		 checks_sent;	/* challenges in all */
	int			 check_opening;	/* the last check returned opens
						   our NAT only: low TTL */
	char			 why[128];	/* reason of the last event */

	enum path_spray_role	 spray;
	struct sockaddr_storage	 spray_to;	/* peer's srflx address */
	unsigned		 spray_sent, spray_limit;
	uint64_t		 spray_at;	/* next spray packet */
	uint64_t		 spray_last;	/* last one sent */
	uint8_t			 spray_nonce[PATH_SPRAY_RING][PATH_NONCE_LEN];
	uint64_t		 spray_nonce_at[PATH_SPRAY_RING];
};

void	path_init(struct path *, const struct path_cfg *);

/* Add a candidate (a duplicate address is ignored). -1 if the table is full. */
int	path_add(struct path *, const struct sockaddr *, enum path_kind,
	    uint64_t now);

/*
 * Use the birthday method with this role against the peer whose
 * server-reflexive address is srflx; it starts with the next round.
 */
void	path_spray(struct path *, enum path_spray_role,
	    const struct sockaddr *srflx);
/* The hard side still needs its spray sockets (sending, or answers due). */
int	path_spray_needs_sockets(const struct path *, uint64_t now);

/*
 * New addresses are known (a fresh introduction): without a direct path,
 * start a round at `at` (now: at once; a moment agreed with the peer)
 * instead of waiting out the backoff.
 */
void	path_retry(struct path *, uint64_t at);

/* The session is usable: start punching after delay_us. */
void	path_start(struct path *, uint64_t now, uint64_t delay_us);

/*
 * A challenge to send now? 1 with to and nonce filled (the caller seals
 * PATH_CHALLENGE(nonce) and sends it to `to`), 0 if none is due. nonce_in
 * is fresh randomness from the caller, used if a challenge is made. Call
 * until it returns 0.
 */
int	path_next_check(struct path *, uint64_t now,
	    const uint8_t nonce_in[PATH_NONCE_LEN], struct sockaddr_storage *to,
	    unsigned *local);

/*
 * An authenticated PATH_RESPONSE arrived from `from`. Returns
 * PATH_EV_DIRECT when it made (or changed) the direct path.
 */
enum path_event	path_on_response(struct path *, const uint8_t *nonce,
	    const struct sockaddr *from, unsigned local, uint64_t now);

/*
 * An authenticated packet arrived from `from` (NULL: over the relay). A
 * packet from an address that is no candidate adds it as peer-reflexive
 * and checks it at once.
 */
void	path_on_packet(struct path *, const struct sockaddr *from,
	    unsigned local, uint64_t now);

/* Timers: liveness of the direct path, rounds. busy: data in flight. */
enum path_event	path_tick(struct path *, uint64_t now, int busy);

/* The next time path_tick or path_next_check has work (UINT64_MAX: none). */
uint64_t path_next_timeout(const struct path *, int busy);

/* The direct path's address, or NULL when on the relay. */
const struct sockaddr *path_direct(const struct path *);
/* Where to send: the direct path unless it is suspect; NULL: the relay. */
const struct sockaddr *path_send_to(const struct path *);
/* The socket it uses: 0 (the agent's socket) or a spray slot. */
unsigned path_direct_local(const struct path *);
/* Its RTT as measured by the last check (0 if unknown). */
uint64_t path_direct_rtt(const struct path *);

const char *path_kind_name(enum path_kind);

#endif /* P2P_PATH_H */
