/* SPDX-License-Identifier: ISC */
/*
 * ctl_group.c: p2pctl group: membership of server-managed groups, the
 * group list, and group messages.
 *
 *	group create|destroy|join|leave NAME
 *	group list
 *	group show NAME
 *	group search KEY=VALUE ...
 *	group send NAME [--service S] [--sync] MESSAGE|-
 *
 * A group's attributes (a match group's, PROTOCOL.md §7.1) follow its
 * member count in list and search, its members in show ("attribute
 * KEY=VALUE" lines), and are an object "attributes" in --json.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "p2pctl.h"

static const struct option ctl_group_opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ "service", required_argument, NULL, 'S' },
	{ "sync", no_argument, NULL, 'y' },
	{ NULL, 0, NULL, 0 }
};

static const struct {
	const char	*name;
	int		 op;
} ctl_group_ops[] = {
	{ "create", P2PCLIENT_GROUP_CREATE },
	{ "destroy", P2PCLIENT_GROUP_DESTROY },
	{ "join", P2PCLIENT_GROUP_JOIN },
	{ "leave", P2PCLIENT_GROUP_LEAVE },
};

/* "attributes": {"KEY": "VALUE", ...} and "expires_at" of a group. */
static void
ctl_group_attrs_json(struct json_object *o, const struct p2pclient_group *g)
{
	struct json_object	*ao;
	const char		*eq;
	char			 key[65];
	size_t			 i, klen;

	if (!P2PCLIENT_HAS(struct p2pclient_group, g, expires_at))
		return;
	ao = json_object_new_object();
	for (i = 0; i < g->nattrs; i++) {
		if ((eq = strchr(g->attrs[i], '=')) == NULL ||
		    (klen = (size_t)(eq - g->attrs[i])) >= sizeof(key))
			continue;
		memcpy(key, g->attrs[i], klen);
		key[klen] = '\0';
		ctl_json_str(ao, key, eq + 1);
	}
	json_object_object_add(o, "attributes", ao);
	if (g->expires_at != 0)
		ctl_json_u64(o, "expires_at", g->expires_at);
}

void
ctl_group_print(struct ctl *ctl, const struct p2pclient_groups *gs, int show)
{
	struct json_object	*arr, *o, *ma, *m;
	const struct p2pclient_group *g;
	size_t			 i, j;

	if (!ctl->json) {
		for (i = 0; i < gs->n; i++) {
			g = gs->v[i];
			if (!show) {
				printf("%s %s %u members", g->name,
				    g->mesh ? "mesh" : "nomesh",
				    g->member_count);
				for (j = 0; j < g->nattrs; j++)
					printf(" %s", g->attrs[j]);
				printf("\n");
				continue;
			}
			for (j = 0; j < g->n; j++)
				printf("%s %s\n", g->members[j]->peer_id,
				    g->members[j]->online ? "online" :
				    "offline");
			for (j = 0; j < g->nattrs; j++)
				printf("attribute %s\n", g->attrs[j]);
		}
		if (gs->truncated)
			fprintf(stderr, "p2pctl: group: the server's list was "
			    "cut short\n");
		return;
	}
	arr = json_object_new_array();
	for (i = 0; i < gs->n; i++) {
		g = gs->v[i];
		o = json_object_new_object();
		ctl_json_str(o, "name", g->name);
		json_object_object_add(o, "mesh",
		    json_object_new_boolean(g->mesh));
		ctl_json_u64(o, "member_count", g->member_count);
		ma = json_object_new_array();
		for (j = 0; j < g->n; j++) {
			m = json_object_new_object();
			ctl_json_str(m, "peer_id", g->members[j]->peer_id);
			json_object_object_add(m, "online",
			    json_object_new_boolean(g->members[j]->online));
			json_object_array_add(ma, m);
		}
		json_object_object_add(o, "members", ma);
		ctl_group_attrs_json(o, g);
		if (show) {
			json_object_put(arr);
			ctl_json_print(o);
			return;
		}
		json_object_array_add(arr, o);
	}
	ctl_json_print(arr);
}

static int
ctl_group_send(struct ctl *ctl, const char *group, const char *service,
    const char *msg, int flags)
{
	uint8_t		*data = NULL;
	size_t		 len, n;
	int		 rc;

	if (strcmp(msg, "-") == 0) {
		if (ctl_read_stdin(&data, &len) == -1) {
			fprintf(stderr, "p2pctl: group send: reading stdin: "
			    "%s\n", errno == EFBIG ? "message larger than "
			    "256 MiB" : strerror(errno));
			return CTL_FAIL;
		}
	} else
		len = strlen(msg);
	if ((rc = ctl_connect(ctl)) != CTL_OK) {
		free(data);
		return rc;
	}
	rc = p2pclient_group_send(ctl->c, group, service, data != NULL ?
	    data : (const uint8_t *)msg, len, flags, &n);
	free(data);
	if (rc != 0) {
		fprintf(stderr, "p2pctl: group send: sent to %zu members "
		    "before the failure\n", n);
		return ctl_fail(ctl, rc, "group send");
	}
	if (ctl->json) {
		struct json_object *o = json_object_new_object();

		ctl_json_str(o, "group", group);
		ctl_json_u64(o, "sent", n);
		ctl_json_print(o);
	}
	return CTL_OK;
}

int
ctl_group(struct ctl *ctl, int argc, char **argv)
{
	struct p2pclient_groups	*gs;
	const char		*service = "default", *sub;
	size_t			 i;
	int			 ch, flags = 0, rc, nargs;

	if (argc < 2)
		return ctl_usage(ctl, "group needs a subcommand");
	sub = argv[1];
	argc--;
	argv++;
	while ((ch = ctl_getopt(ctl, argc, argv, "", ctl_group_opts)) != -1) {
		switch (ch) {
		case 'S':
			service = optarg;
			break;
		case 'y':
			flags |= P2PCLIENT_SYNC;
			break;
		default:
			return ctl_usage(ctl, "bad option '%s'",
			    argv[optind - 1]);
		}
	}
	nargs = argc - optind;
	if (strcmp(sub, "send") == 0) {
		if (nargs != 2)
			return ctl_usage(ctl, "group send needs NAME and "
			    "MESSAGE");
		return ctl_group_send(ctl, argv[optind], service,
		    argv[optind + 1], flags);
	}
	if (strcmp(sub, "search") == 0)
		return ctl_group_search(ctl, nargs, argv + optind);
	if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0) {
		if (nargs != (strcmp(sub, "show") == 0))
			return ctl_usage(ctl, "group %s takes %s", sub,
			    nargs ? "one NAME" : "no arguments");
		if ((rc = ctl_connect(ctl)) != CTL_OK)
			return rc;
		rc = p2pclient_groups(ctl->c, nargs ? argv[optind] : NULL, &gs);
		if (rc != 0)
			return ctl_fail(ctl, rc, "group");
		ctl_group_print(ctl, gs, nargs);
		p2pclient_groups_free(gs);
		return CTL_OK;
	}
	for (i = 0; i < sizeof(ctl_group_ops) / sizeof(ctl_group_ops[0]);
	    i++) {
		if (strcmp(sub, ctl_group_ops[i].name) != 0)
			continue;
		if (nargs != 1)
			return ctl_usage(ctl, "group %s needs one NAME", sub);
		if ((rc = ctl_connect(ctl)) != CTL_OK)
			return rc;
		if ((rc = p2pclient_group(ctl->c, ctl_group_ops[i].op,
		    argv[optind])) != 0)
			return ctl_fail(ctl, rc, "group");
		return CTL_OK;
	}
	return ctl_usage(ctl, "unknown group subcommand '%s'", sub);
}
