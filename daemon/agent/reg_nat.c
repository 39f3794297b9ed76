/* SPDX-License-Identifier: ISC */
/*
 * reg_nat.c: what nat.c needs from the registration: the server's address
 * (the primary address of its RFC 5780 tests) and the NatReport; and the
 * server's address on the other IP family (refl.c).
 */
#include <string.h>

#include "addr.h"
#include "log.h"
#include "reg.h"

/* The server address while registered, and the registration's id. */
int
reg_nat_server(struct agent *a, struct sockaddr_storage *ss,
    uint32_t *reg_id)
{
	struct reg	*r = a->reg;

	if (r == NULL || !r->have_srv || r->state != REG_REGISTERED)
		return -1;
	*ss = r->srv;
	*reg_id = r->reg_id;
	return 0;
}

int
reg_other_server(struct agent *a, struct sockaddr_storage *ss)
{
	struct reg	*r = a->reg;

	if (r == NULL || !r->have_srv_other || r->state != REG_REGISTERED)
		return -1;
	*ss = r->srv_other;
	return 0;
}

/*
 * One NatReport on the control channel, with the port mapping the router
 * granted and our reflexive address on the other family (NULL: none); the
 * server does not answer it.
 */
int
reg_nat_report(struct agent *a, const char *type, const char *mapping,
    const char *filtering, const struct sockaddr_in *portmap,
    const struct sockaddr *other)
{
	P2p__Srv__ServerMsg	m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__NatReport	nr = P2P__SRV__NAT_REPORT__INIT;
	P2p__Srv__Addr		pm = P2P__SRV__ADDR__INIT;
	P2p__Srv__Addr		oa = P2P__SRV__ADDR__INIT;
	uint8_t			ip[16], oip[16];
	struct reg		*r = a->reg;

	if (r == NULL || r->state != REG_REGISTERED)
		return -1;
	nr.nat_type = (char *)type;
	nr.nat_mapping = (char *)mapping;
	nr.nat_filtering = (char *)filtering;
	if (portmap != NULL && addr_to_pb((const struct sockaddr *)portmap,
	    &pm, ip) == 0)
		nr.portmap_addr = &pm;
	if (other != NULL && addr_to_pb(other, &oa, oip) == 0)
		nr.other_reflexive = &oa;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_NAT_REPORT;
	m.nat_report = &nr;
	return reg_send_msg(r, &m);
}
