/* SPDX-License-Identifier: ISC */
/*
 * ipc_nat.c: the NatReq request (`p2pctl nat [--refresh]`): the agent's NAT
 * classification from nat.c. With refresh the tests run again and the
 * answer waits for their result (nat_wait(), bounded).
 */
#include "agent.h"
#include "ipc.h"

void
ipc_nat_reply(struct ipc_client *c, uint32_t id)
{
	P2p__Ipc__Response	 r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__NatResp	 nr = P2P__IPC__NAT_RESP__INIT;
	struct agent		*a = c->a;

	nr.nat_type = (char *)nat_type(a);
	nr.nat_mapping = (char *)nat_mapping(a);
	nr.nat_filtering = (char *)nat_filtering(a);
	nr.mapped_addr = (char *)nat_mapped(a);
	nr.other_addr = (char *)nat_other(a);
	nr.detail = (char *)nat_detail(a);
	nr.tested_ago_s = nat_tested_ago(a);
	r.id = id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_NAT;
	r.nat = &nr;
	(void)ipc_send_resp(c, &r);
}

void
ipc_nat(struct ipc_client *c, uint32_t id, int refresh)
{
	if (!refresh) {
		ipc_nat_reply(c, id);
		return;
	}
	if (nat_wait(c->a, c, id) == -1) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_BUSY, "too many "
		    "'nat --refresh' requests are waiting");
		return;
	}
	nat_refresh(c->a);
}
