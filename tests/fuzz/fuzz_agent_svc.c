/* SPDX-License-Identifier: ISC */
/*
 * fuzz_agent_svc.c: the agent's inbox accounting (daemon/agent/svc.h)
 * driven by an operation sequence read from the input, as remote peers and
 * applications would drive it. Aborts if an invariant breaks:
 * per-inbox used + reserved never exceeds the inbox size through grants,
 * the table total always equals the sum over inboxes, nothing underflows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "../../daemon/agent/svc.h"

static void
check(struct svc_table *t)
{
	struct svc *s;
	size_t sum = 0, n = 0, msgs;
	struct svc_msg *m;

	TAILQ_FOREACH(s, &t->list, entry) {
		sum += s->used + s->reserved;
		msgs = 0;
		TAILQ_FOREACH(m, &s->msgs, entry)
			msgs++;
		if (msgs != s->nmsgs)
			abort();
		n++;
	}
	if (sum != t->total_used || n != t->n || n > t->max_services)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct svc_table t;
	struct svc *s;
	struct svc_msg *m;
	struct rd r;
	char name[8];
	size_t room, n, before;
	uint8_t op;

	svc_table_init(&t, 4096, 10000, 4);
	rd_init(&r, data, size);
	while (rd_left(&r) >= 3) {
		op = rd_u8(&r);
		snprintf(name, sizeof(name), "s%u", op & 7);
		n = rd_u16(&r);
		s = svc_get(&t, name, (op >> 3) & 1);
		if (s == NULL)
			continue;
		switch (op >> 4) {
		case 0:
		case 1:
			/* Granting what svc_room allows keeps the inbox
			 * within its size (arrivals past the credit may
			 * overshoot it; then room is 0). */
			before = s->used + s->reserved;
			room = svc_room(&t, s);
			svc_reserve(&t, s, n < room ? n : room);
			if (before <= t.inbox_size &&
			    s->used + s->reserved > t.inbox_size)
				abort();
			if (room > 0 && t.total_used > t.total)
				abort();
			break;
		case 2:
		case 3:
			before = s->used;
			svc_arrive(&t, s, n % 2048);
			if (s->used != before + n % 2048)
				abort();
			if (svc_push(s, "peer", data, n % 2048 < size ?
			    n % 2048 : size, n % 2048) == -1)
				abort();
			break;
		case 4:
		case 5:
			free(svc_pop(&t, s));
			break;
		case 6:
			svc_unreserve(&t, s, n);
			break;
		case 7:
			svc_release(&t, s, n);
			break;
		case 8:
			if ((m = svc_peek(s)) != NULL && m->len > 0)
				m->off = m->len / 2;
			break;
		default:
			svc_gc(&t, s);
			break;
		}
		check(&t);
	}
	svc_table_free(&t);
	return 0;
}
