/* SPDX-License-Identifier: ISC */
/*
 * srv_reg_hello.c: known sources and the strangers' budget for
 * REG_CHALLENGEs (srv_reg_hello.h).
 */
#include "config.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "addr.h"
#include "log.h"
#include "srv_reg_hello.h"

#define WORDS	(SRV_HELLO_KNOWN_BITS / 64)

int
srv_reg_hello_init(struct srv_reg_hello *h, uint64_t now_us)
{
	memset(h, 0, sizeof(*h));
	randombytes_buf(h->key, sizeof(h->key));
	h->known[0] = calloc(WORDS, sizeof(uint64_t));
	h->known[1] = calloc(WORDS, sizeof(uint64_t));
	if (h->known[0] == NULL || h->known[1] == NULL) {
		srv_reg_hello_free(h);
		return -1;
	}
	h->aged_us = now_us;
	return 0;
}

void
srv_reg_hello_free(struct srv_reg_hello *h)
{
	free(h->known[0]);
	free(h->known[1]);
	h->known[0] = h->known[1] = NULL;
}

/* The bit of sa's IP (an IPv6 /64: its holder picks the rest), or -1. */
static int64_t
srv_reg_hello_bit(const struct srv_reg_hello *h, const struct sockaddr *sa)
{
	struct sockaddr_storage ss;
	uint8_t key[ADDR_KEY_MAX], d[crypto_shorthash_BYTES];
	size_t klen;
	uint64_t v;

	if (addr_len(sa) == 0)
		return -1;
	memcpy(&ss, sa, addr_len(sa));
	addr_normalize(&ss);
	if ((klen = addr_key((struct sockaddr *)&ss, key)) == 0)
		return -1;
	klen = key[0] == 4 ? 1 + 4 : 1 + 8;
	crypto_shorthash(d, key, klen, h->key);
	memcpy(&v, d, sizeof(v));
	return (int64_t)(v % SRV_HELLO_KNOWN_BITS);
}

void
srv_reg_hello_known(struct srv_reg_hello *h, const struct sockaddr *sa)
{
	int64_t b = srv_reg_hello_bit(h, sa);

	if (b >= 0 && h->known[0] != NULL)
		h->known[0][b / 64] |= 1ULL << (b % 64);
}

int
srv_reg_hello_due(const struct srv_reg_hello *h, uint64_t now_us)
{
	return now_us - h->aged_us >= (uint64_t)SRV_HELLO_AGE_S * 1000000;
}

void
srv_reg_hello_turn(struct srv_reg_hello *h, uint64_t now_us)
{
	uint64_t *old = h->known[1];

	h->known[1] = h->known[0];
	memset(old, 0, WORDS * sizeof(uint64_t));
	h->known[0] = old;
	h->aged_us = now_us;
}

static int
srv_reg_hello_is_known(const struct srv_reg_hello *h,
    const struct sockaddr *sa)
{
	int64_t b = srv_reg_hello_bit(h, sa);
	uint64_t m;

	if (b < 0)
		return 0;
	m = 1ULL << (b % 64);
	return ((h->known[0][b / 64] | h->known[1][b / 64]) & m) != 0;
}

/* The strangers' GCRA: one challenge due every 1/SRV_HELLO_STRANGER_PER_S
 * s, with a second's worth of credit. */
static int
srv_reg_hello_budget(struct srv_reg_hello *h, uint64_t now_us)
{
	const uint64_t iv = 1000000 / SRV_HELLO_STRANGER_PER_S;
	const uint64_t burst = (SRV_HELLO_STRANGER_PER_S - 1) * iv;

	if (h->tat_us > now_us && h->tat_us - now_us > burst)
		return 0;
	h->tat_us = (h->tat_us > now_us ? h->tat_us : now_us) + iv;
	return 1;
}

static void
srv_reg_hello_log(struct srv_reg_hello *h, int held, uint64_t now_us)
{
	if (held) {
		h->flood_held++;
		h->flood_last_us = now_us;
		if (!h->flood) {
			h->flood = 1;
			h->flood_at_us = now_us;
			log_warnx("REG_HELLOs from unknown addresses over %d a "
			    "second (a flood from forged sources?): the rest "
			    "are not answered; known addresses and TCP still "
			    "are", SRV_HELLO_STRANGER_PER_S);
		}
		return;
	}
	if (!h->flood)
		return;
	h->flood_answered++;
	if (now_us - h->flood_last_us < (uint64_t)SRV_HELLO_QUIET_S * 1000000)
		return;
	log_warnx("REG_HELLO flood over: %llu hellos from unknown addresses "
	    "not answered, %llu answered over %.0f s",
	    (unsigned long long)h->flood_held,
	    (unsigned long long)h->flood_answered,
	    (double)(h->flood_last_us - h->flood_at_us) / 1e6);
	h->flood = 0;
	h->flood_held = h->flood_answered = 0;
}

int
srv_reg_hello_answer(struct srv_reg_hello *h, const struct sockaddr *sa,
    int tcp, uint64_t now_us)
{
	if (tcp || srv_reg_hello_is_known(h, sa)) {
		h->known_answered++;
		srv_reg_hello_log(h, 0, now_us);
		return 1;
	}
	if (srv_reg_hello_budget(h, now_us)) {
		h->strangers_answered++;
		srv_reg_hello_log(h, 0, now_us);
		return 1;
	}
	h->held++;
	srv_reg_hello_log(h, 1, now_us);
	return 0;
}
