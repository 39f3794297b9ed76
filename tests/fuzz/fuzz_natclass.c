/* SPDX-License-Identifier: ISC */
/*
 * fuzz_natclass.c: the RFC 5780 classifier fed arbitrary datagrams from
 * the server's four addresses, with time moving in between. Every request
 * it makes must parse, and every run must end within its time bound.
 *
 * Input: records of [length][selector][length bytes]; the selector's low
 * two bits pick the source address (bit 0 alternate port, bit 1 alternate
 * IP), its top bit moves time on by one retransmission interval. The
 * transaction ids are fixed (0x5a...) so inputs can answer them.
 *
 * The same records go to the low-TTL prober (core/hops.c): as the server's
 * answers, or (selector bit 6) as the datagram an ICMP time exceeded
 * quotes, from a router whose address is the selector repeated. Its result
 * must be a TTL it probed, ended by a public router that answered it.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "hops.h"
#include "natclass.h"
#include "stun.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_rand(void *arg, uint8_t *buf, size_t len)
{
	memset(buf, 0x5a, len);
}

static void
fuzz_sin(struct sockaddr_storage *ss, uint32_t ip, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	s4->sin_addr.s_addr = htonl(ip);
}

static void
fuzz_flush(struct natclass *nc, uint64_t now)
{
	struct natclass_out	o;
	struct stun_msg		m;

	while (natclass_output(nc, now, &o))
		if (o.len > sizeof(o.pkt) || stun_parse(o.pkt, o.len, &m) != 0 ||
		    m.type != STUN_BINDING_REQUEST)
			abort();
}

static void
fuzz_hops(const uint8_t *data, size_t len)
{
	struct hops		 h;
	struct hops_out		 o;
	uint8_t			 rnd[STUN_TXID_LEN];
	uint64_t		 now = 1000;
	size_t			 off = 0, l;
	unsigned		 t;
	int			 i;

	memset(rnd, 0x5a, sizeof(rnd));
	hops_start(&h, rnd, now);
	while (hops_output(&h, now, &o))
		if (o.len > sizeof(o.pkt) || o.ttl < 1 || o.ttl > HOPS_MAX)
			abort();
	while (off + 2 <= len) {
		l = data[off];
		i = data[off + 1];
		off += 2;
		if (l > len - off)
			l = len - off;
		if (i & 0x40)
			hops_on_exceeded(&h, data + off, l,
			    (uint32_t)i * 0x01010101U);
		else
			hops_on_reply(&h, data + off, l);
		off += l;
	}
	for (i = 0; i < 16 && !hops_done(&h); i++) {
		now = hops_next_us(&h);
		hops_tick(&h, now);
		while (hops_output(&h, now, &o))
			;
	}
	t = hops_low_ttl(&h);
	if (!hops_done(&h) || t > HOPS_MAX ||
	    (t > 0 && !hops_public(hops_low_router(&h))))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sockaddr_storage	 srv[4], local;
	struct natclass		 nc;
	uint64_t		 now = 1000000, t0 = now, next;
	size_t			 off = 0, l;
	int			 i;

	fuzz_sin(&srv[0], 0xc6336401, 3478);	/* 198.51.100.1 */
	fuzz_sin(&srv[1], 0xc6336401, 3479);
	fuzz_sin(&srv[2], 0xc6336402, 3478);
	fuzz_sin(&srv[3], 0xc6336402, 3479);
	fuzz_sin(&local, 0x7f000001, 5000);
	natclass_start(&nc, (struct sockaddr *)&srv[0], &local, 1, fuzz_rand,
	    NULL, now);
	while (off + 2 <= len) {
		l = data[off];
		i = data[off + 1];
		off += 2;
		if (l > len - off)
			l = len - off;
		if (i & 0x80)
			now += NATCLASS_RTO_US;
		fuzz_flush(&nc, now);
		(void)natclass_input(&nc, data + off, l,
		    (struct sockaddr *)&srv[i & 3], now);
		off += l;
	}
	/* no more answers: the run must end, and in bounded time */
	for (i = 0; i < 64 && natclass_running(&nc); i++) {
		fuzz_flush(&nc, now);
		if ((next = natclass_next_us(&nc)) != 0 && next > now)
			now = next;
	}
	if (natclass_running(&nc) || now - t0 > NATCLASS_RUN_MAX_US +
	    (uint64_t)len * NATCLASS_RTO_US)
		abort();
	if (natclass_type(&nc) == NULL || natclass_mapping(&nc) == NULL ||
	    natclass_filtering(&nc) == NULL ||
	    strlen(natclass_detail(&nc)) >= NATCLASS_DETAIL_MAX)
		abort();
	fuzz_hops(data, len);
	return 0;
}
