/* SPDX-License-Identifier: ISC */
/*
 * state_mem_table.c: the memory backend's hash tables, below its other
 * files: the keyed hash (libsodium's SipHash with the backend's random key),
 * and the lookups of a peer by id and by reg_id.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "state_mem.h"

size_t
mem_hash(struct state_mem *m, const void *p, size_t n)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, p, n, m->hkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v % MEM_BUCKETS);
}

struct mem_peer **
mem_id_slot(struct state_mem *m, const char *id)
{
	struct mem_peer **pp;

	pp = &m->by_id[mem_hash(m, id, strlen(id))];
	while (*pp != NULL && strcmp((*pp)->peer_id, id) != 0)
		pp = &(*pp)->next_id;
	return pp;
}

struct mem_peer **
mem_reg_slot(struct state_mem *m, uint32_t reg_id)
{
	struct mem_peer **pp;

	pp = &m->by_reg[mem_hash(m, &reg_id, sizeof(reg_id))];
	while (*pp != NULL && (*pp)->reg_id != reg_id)
		pp = &(*pp)->next_reg;
	return pp;
}

struct mem_peer *
mem_find_reg(struct state_mem *m, uint32_t reg_id)
{
	return reg_id == 0 ? NULL : *mem_reg_slot(m, reg_id);
}

struct mem_peer *
mem_find_registered(struct state_mem *m, const char *id)
{
	struct mem_peer *mp = *mem_id_slot(m, id);

	return mp != NULL && mp->reg_id != 0 ? mp : NULL;
}
