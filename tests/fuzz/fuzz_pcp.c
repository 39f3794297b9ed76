/* SPDX-License-Identifier: ISC */
/*
 * fuzz_pcp.c: every datagram a router (or anyone on the LAN spoofing it)
 * can send to the agent's NAT-PMP/PCP socket goes through pcp_parse(); the
 * same bytes as /proc/net/route text go through pcp_gateway_parse(). What
 * parses must be self-consistent: a known version and opcode, and a PCP
 * answer's IPv4 address only when it came IPv4-mapped.
 */
#include <stdlib.h>

#include "pcp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct pcp_answer	a;
	uint32_t		gw;

	if (pcp_parse(data, len, &a) == 0) {
		if (a.version != PCP_V_NATPMP && a.version != PCP_V_PCP)
			abort();
		if (a.opcode != 0 && a.opcode != 1)
			abort();
		if (a.version == PCP_V_PCP && (len < 24 || len > PCP_MSG_MAX ||
		    len % 4 != 0))
			abort();
		if (a.version == PCP_V_NATPMP && len > 16)
			abort();
		(void)pcp_result_str(a.version, a.result);
		(void)pcp_addr_public(a.external_ip);
	}
	if (pcp_gateway_parse((const char *)data, len, &gw) == 0 && gw == 0)
		abort();
	return 0;
}
