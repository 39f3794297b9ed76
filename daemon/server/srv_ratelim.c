/* SPDX-License-Identifier: ISC */
/* srv_ratelim.c: answer rate caps per address and per network. See srv_ratelim.h. */
#include "config.h"

#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "srv_ratelim.h"

int
srv_ratelim_init(struct srv_ratelim *rl)
{
	if ((rl->slot = calloc(SRV_RL_SLOTS, sizeof(*rl->slot))) == NULL)
		return -1;
	randombytes_buf(rl->hkey, sizeof(rl->hkey));
	return 0;
}

void
srv_ratelim_free(struct srv_ratelim *rl)
{
	free(rl->slot);
	rl->slot = NULL;
}

/* The bucket of key (17 bytes) allows one more: refill, then take. */
static int
srv_ratelim_take(struct srv_ratelim *rl, const uint8_t key[17],
    uint32_t rate, uint32_t burst, uint64_t now)
{
	struct srv_rl_slot *s;
	uint64_t h, add;

	crypto_shorthash((uint8_t *)&h, key, 17, rl->hkey);
	s = &rl->slot[h % SRV_RL_SLOTS];
	if (!s->used || memcmp(s->key, key, 17) != 0) {
		memcpy(s->key, key, 17);
		s->used = 1;
		s->milli = burst * 1000;
		s->last_us = now;
	}
	if (now > s->last_us) {
		add = (now - s->last_us) * rate / 1000;
		s->milli = s->milli + add > (uint64_t)burst * 1000 ?
		    burst * 1000 : (uint32_t)(s->milli + add);
		s->last_us = now;
	}
	if (s->milli < 1000)
		return 0;
	s->milli -= 1000;
	return 1;
}

int
srv_ratelim_ok(struct srv_ratelim *rl, const struct sockaddr *from,
    uint64_t now_us)
{
	uint8_t addr[17], net[17];

	memset(addr, 0, sizeof(addr));
	memset(net, 0, sizeof(net));
	if (from->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)from)->sin_addr, 4);
		memcpy(net, addr, 3);			/* the /24 */
		addr[16] = 4;
		net[16] = 24;
	} else if (from->sa_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)from)->sin6_addr,
		    16);
		memcpy(net, addr, 8);			/* the /64 */
		addr[16] = 6;
		net[16] = 64;
	} else
		return 0;
	if (rl->slot == NULL)
		return 1;
	/* The network first: a flood spread over one /24 stops there. */
	return srv_ratelim_take(rl, net, SRV_RL_NET_RATE, SRV_RL_NET_BURST,
	    now_us) && srv_ratelim_take(rl, addr, SRV_RL_ADDR_RATE,
	    SRV_RL_ADDR_BURST, now_us);
}
