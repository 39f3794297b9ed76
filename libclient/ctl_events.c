/* SPDX-License-Identifier: ISC */
/*
 * ctl_events.c: p2pctl events: one line per event until p2pd goes away:
 * peer states and group membership (member_join, member_leave,
 * group_destroyed, join_complete with the members that did not acknowledge),
 * each led by the time the agent made it (UTC, ISO 8601; "time" and
 * "time_us" in JSON).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "p2pctl.h"

static const struct option ctl_events_opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ NULL, 0, NULL, 0 }
};

/* When the agent made the event: UTC, to the millisecond. */
static void
ctl_events_time(const struct p2pclient_event *ev, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t = (time_t)(ev->time_us / 1000000);

	if (ev->time_us == 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%03uZ",
	    (unsigned)(ev->time_us / 1000 % 1000));
}

/* The JSON form: "time" (as in text) and "time_us" at the end. */
static void
ctl_events_json_time(struct json_object *o, const struct p2pclient_event *ev)
{
	char	t[64];

	ctl_events_time(ev, t, sizeof(t));
	ctl_json_str(o, "time", t);
	ctl_json_u64(o, "time_us", ev->time_us);
}

static void
ctl_events_group(struct ctl *ctl, const struct p2pclient_event *ev)
{
	struct json_object	*o, *a;
	char			 t[64];
	size_t			 i;

	if (!ctl->json) {
		ctl_events_time(ev, t, sizeof(t));
		printf("%s %s %s", t, ev->event, ev->group);
		if (ev->peer_id[0] != '\0')
			printf(" %s", ev->peer_id);
		if (strcmp(ev->event, "join_complete") == 0) {
			printf(" missing=%u", ev->missing_count);
			for (i = 0; i < ev->nmissing; i++)
				printf("%s%s", i ? "," : " ",
				    ev->missing[i]);
		}
		printf("\n");
		fflush(stdout);
		return;
	}
	o = json_object_new_object();
	ctl_json_str(o, "event", ev->event);
	ctl_json_str(o, "group", ev->group);
	if (ev->peer_id[0] != '\0')
		ctl_json_str(o, "peer_id", ev->peer_id);
	if (strcmp(ev->event, "join_complete") == 0) {
		a = json_object_new_array();
		for (i = 0; i < ev->nmissing; i++)
			json_object_array_add(a,
			    json_object_new_string(ev->missing[i]));
		json_object_object_add(o, "missing", a);
		ctl_json_u64(o, "missing_count", ev->missing_count);
	}
	ctl_events_json_time(o, ev);
	ctl_json_print(o);
}

static void
ctl_events_print(struct ctl *ctl, const struct p2pclient_event *ev)
{
	struct json_object	*o;
	char			 t[64];

	if (ev->type == P2PCLIENT_EV_GROUP) {
		ctl_events_group(ctl, ev);
		return;
	}
	if (ev->type != P2PCLIENT_EV_PEER_STATE)
		return;		/* messages and pipes belong to recv / pipe */
	if (!ctl->json) {
		ctl_events_time(ev, t, sizeof(t));
		printf("%s peer_state %s %s %s%s%s\n", t, ev->peer_id,
		    ev->state, ev->path[0] != '\0' ? ev->path : "-",
		    ev->reason[0] != '\0' ? " " : "", ev->reason);
		fflush(stdout);
		return;
	}
	o = json_object_new_object();
	ctl_json_str(o, "event", "peer_state");
	ctl_json_str(o, "peer_id", ev->peer_id);
	ctl_json_str(o, "state", ev->state);
	ctl_json_str(o, "path", ev->path);
	ctl_json_str(o, "reason", ev->reason);
	ctl_events_json_time(o, ev);
	ctl_json_print(o);
}

int
ctl_events(struct ctl *ctl, int argc, char **argv)
{
	struct p2pclient_event	*ev;
	int			 rc;

	if (ctl_getopt(ctl, argc, argv, "+", ctl_events_opts) != -1)
		return ctl_usage(ctl, "bad option '%s'", argv[optind - 1]);
	if (optind != argc)
		return ctl_usage(ctl, "unexpected argument '%s'", argv[optind]);
	if ((rc = ctl_connect(ctl)) != CTL_OK)
		return rc;
	if ((rc = p2pclient_subscribe(ctl->c)) != 0)
		return ctl_fail(ctl, rc, "events");
	for (;;) {
		rc = p2pclient_next_event(ctl->c, -1, &ev);
		if (rc != 0)
			return ctl_fail(ctl, rc, "events");
		ctl_events_print(ctl, ev);
		p2pclient_event_free(ev);
	}
}
