/* SPDX-License-Identifier: ISC */
/*
 * ctl_nat.c: p2pctl nat [--refresh] [--json]: the agent's NAT classification
 * (RFC 5780 tests against the server's two addresses). The JSON keys are
 * the ones scripts (the NAT lab) read: nat_type, nat_mapping,
 * nat_filtering, mapped_addr, other_addr, detail, tested_ago_s, and
 * portmap (null, or protocol, external, lifetime_s).
 */
#include <getopt.h>
#include <stdio.h>

#include <json-c/json.h>

#include "p2pctl.h"


static const struct option ctl_nat_opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ "refresh", no_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 }
};

static struct json_object *
ctl_nat_json(const struct p2pclient_nat *n)
{
	struct json_object	*o, *pm = NULL;

	o = json_object_new_object();
	ctl_json_str(o, "nat_type", n->nat_type);
	ctl_json_str(o, "nat_mapping", n->nat_mapping);
	ctl_json_str(o, "nat_filtering", n->nat_filtering);
	ctl_json_str(o, "mapped_addr", n->mapped_addr);
	ctl_json_str(o, "other_addr", n->other_addr);
	ctl_json_str(o, "detail", n->detail);
	json_object_object_add(o, "tested_ago_s",
	    ctl_json_double(n->tested_ago_s));
	if (P2PCLIENT_HAS(struct p2pclient_nat, n, portmap_lifetime_s) &&
	    n->portmap_protocol[0] != '\0') {
		pm = json_object_new_object();
		ctl_json_str(pm, "protocol", n->portmap_protocol);
		ctl_json_str(pm, "external", n->portmap_external);
		json_object_object_add(pm, "lifetime_s",
		    json_object_new_int64(n->portmap_lifetime_s));
	}
	json_object_object_add(o, "portmap", pm);
	return o;
}

int
ctl_nat(struct ctl *ctl, int argc, char **argv)
{
	struct p2pclient_nat	*n;
	int			 ch, refresh = 0, rc;

	while ((ch = ctl_getopt(ctl, argc, argv, "+", ctl_nat_opts)) != -1) {
		if (ch != 'r')
			return ctl_usage(ctl, "unknown option '%s'",
			    argv[optind - 1]);
		refresh = 1;
	}
	if (optind != argc)
		return ctl_usage(ctl, "unexpected argument '%s'", argv[optind]);
	if ((rc = ctl_connect(ctl)) != CTL_OK)
		return rc;
	if ((rc = p2pclient_nat(ctl->c, refresh, &n)) != 0)
		return ctl_fail(ctl, rc, "nat");
	if (ctl->json)
		ctl_json_print(ctl_nat_json(n));
	else {
		printf("nat_type: %s\n", n->nat_type);
		printf("mapping: %s\n", n->nat_mapping);
		printf("filtering: %s\n", n->nat_filtering);
		printf("mapped_addr: %s\n", n->mapped_addr[0] ?
		    n->mapped_addr : "-");
		printf("other_addr: %s\n", n->other_addr[0] ?
		    n->other_addr : "-");
		if (n->tested_ago_s >= 0)
			printf("tested: %.0f s ago\n", n->tested_ago_s);
		else
			printf("tested: never\n");
		printf("detail: %s\n", n->detail);
		if (n->portmap_protocol[0] != '\0')
			printf("portmap: %s %s (%u s)\n", n->portmap_protocol,
			    n->portmap_external, n->portmap_lifetime_s);
		else
			printf("portmap: -\n");
	}
	p2pclient_nat_free(n);
	return CTL_OK;
}
