/* SPDX-License-Identifier: ISC */
/*
 * guard.c: the agent under attack (guard.h): HS_INIT floods get cookies
 * instead of Diffie-Hellman, path checks get answers only where the
 * session expects its peer, at a capped rate.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "addr.h"
#include "guard.h"
#include "peer.h"
#include "session.h"

int
guard_init(struct agent *a)
{
	struct agent_guard *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -1;
	hs_guard_init(&g->hs, a->hsid.x_pk, 0);
	ratelim_init(&g->probes, GUARD_PROBE_PER_S, GUARD_PROBE_BURST);
	randombytes_buf(g->known_key, sizeof(g->known_key));
	ratelim_init(&g->strangers, GUARD_COOKIE_STRANGER_PER_S,
	    GUARD_COOKIE_STRANGER_PER_S);
	ratelim_init(&g->sends, (unsigned)a->conf.birthday_rate +
	    GUARD_SEND_EXTRA, (unsigned)a->conf.birthday_rate +
	    GUARD_SEND_EXTRA);
	a->guard = g;
	return 0;
}

void
guard_free(struct agent *a)
{
	if (a->guard == NULL)
		return;
	hs_guard_wipe(&a->guard->hs);
	free(a->guard);
	a->guard = NULL;
}

/* Say when a flood starts and when it is over, and what it cost. */
static void
guard_flood_log(struct agent_guard *g, uint64_t now)
{
	int loaded = hs_guard_loaded(&g->hs, now);

	if (loaded)
		g->flood_last = now;
	if (loaded && !g->flood) {
		g->flood = 1;
		g->flood_at = now;
		g->flood_cookies = g->hs.cookies;
		g->flood_bad = g->hs.bad_mac1;
		g->flood_held = g->cookies_held;
		log_warnx("HS_INIT flood: more than %u handshakes a second; "
		    "answering with cookies, no Diffie-Hellman without one",
		    g->hs.load_per_s);
	} else if (!loaded && g->flood) {
		g->flood = 0;
		log_warnx("HS_INIT flood over (it lasted %.0f s): %llu cookie "
		    "replies, %llu from unknown addresses over their budget "
		    "and %llu with a bad mac1 dropped",
		    (double)(g->flood_last - g->flood_at) / 1e6 + 1,
		    (unsigned long long)(g->hs.cookies - g->flood_cookies),
		    (unsigned long long)(g->cookies_held - g->flood_held),
		    (unsigned long long)(g->hs.bad_mac1 - g->flood_bad));
	}
}

/* The bit of src's IP (any port) in the known bitmap; 0 if no IP. */
static int
guard_known_bit(const struct agent_guard *g, const struct sockaddr *src,
    uint32_t *bit)
{
	uint8_t key[ADDR_KEY_MAX], h[crypto_shorthash_BYTES];
	size_t klen;

	if ((klen = addr_key(src, key)) < 2)
		return 0;
	/* The IP without the port: NATs move ports. */
	crypto_shorthash(h, key, klen - 2, g->known_key);
	*bit = ((uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16) %
	    GUARD_KNOWN_BITS;
	return 1;
}

void
guard_known(struct agent *a, const struct sockaddr *sa)
{
	struct agent_guard *g = a->guard;
	struct sockaddr_storage ss;
	uint32_t bit;

	memcpy(&ss, sa, addr_len(sa));
	addr_normalize(&ss);
	if (guard_known_bit(g, (struct sockaddr *)&ss, &bit))
		g->known[bit / 64] |= 1ULL << (bit % 64);
}

/* May a COOKIE_REPLY go to src? Known IPs always, others in a budget. */
static int
guard_cookie_ok(struct agent_guard *g, const struct sockaddr *src,
    uint64_t now)
{
	static const uint8_t all = 0;
	struct sockaddr_storage ss;
	uint32_t bit;

	memcpy(&ss, src, addr_len(src));
	addr_normalize(&ss);
	if (guard_known_bit(g, (struct sockaddr *)&ss, &bit) &&
	    (g->known[bit / 64] & 1ULL << (bit % 64)) != 0)
		return 1;
	if (ratelim_take(&g->strangers, &all, 1, now))
		return 1;
	g->cookies_held++;
	return 0;
}

int
guard_hs_init(struct agent *a, const uint8_t *pkt, size_t len,
    const struct sockaddr *src)
{
	struct agent_guard *g = a->guard;
	uint8_t key[ADDR_KEY_MAX], out[HS_COOKIE_REPLY_LEN];
	size_t klen = 0;
	uint64_t now = agent_now();
	int n;

	if (src != NULL && (klen = addr_key(src, key)) == 0)
		return 0;
	switch (hs_guard_check(&g->hs, pkt, len, src != NULL ? key : NULL,
	    klen, now)) {
	case HS_VERDICT_PROCESS:
		guard_flood_log(g, now);
		return 1;
	case HS_VERDICT_COOKIE:
		if (!guard_cookie_ok(g, src, now))
			break;
		n = hs_guard_cookie_reply(&g->hs, pkt, len, key, klen, now,
		    out, sizeof(out));
		if (n > 0)
			udp_send(a, src, addr_len(src), out, (size_t)n);
		break;
	case HS_VERDICT_DROP:
		break;
	}
	guard_flood_log(g, now);
	return 0;
}

int
guard_peer_addr(const struct session *s, const struct sockaddr *src)
{
	const struct peer *p = s->p;
	size_t i;

	for (i = 0; i < p->naddrs; i++)
		if (addr_equal_ip(&p->addrs[i].sa, src))
			return 1;
	if (p->have_pub && addr_equal_ip(&p->pub.sa, src))
		return 1;
	return s->rt.have_remote &&
	    addr_equal_ip((const struct sockaddr *)&s->rt.remote, src);
}

int
guard_probe_answer(struct agent *a, const struct session *s,
    const struct sockaddr *src)
{
	struct agent_guard *g = a->guard;
	uint8_t key[ADDR_KEY_MAX];
	char buf[ADDR_STRLEN];
	uint64_t held, now = agent_now();
	size_t klen;

	if (!guard_peer_addr(s, src)) {
		g->probe_unexpected++;
		if (log_ratelimit(&g->probe_rl, now, &held))
			log_info("%s: path check from %s, not an address of "
			    "this peer: not answered (%llu more held back)",
			    s->p->id, addr_fmt(src, buf, sizeof(buf)),
			    (unsigned long long)held);
		return 0;
	}
	if ((klen = addr_key(src, key)) == 0 ||
	    !ratelim_take(&g->probes, key, klen, now)) {
		g->probe_over_rate++;
		return 0;
	}
	return 1;
}

int
guard_prflx(struct agent *a, const struct session *s,
    const struct sockaddr *src)
{
	if (guard_peer_addr(s, src))
		return 1;
	a->guard->prflx_refused++;
	return 0;
}
