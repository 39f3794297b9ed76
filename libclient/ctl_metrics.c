/* SPDX-License-Identifier: ISC */
/*
 * ctl_metrics.c: p2pctl metrics [--json]: the agent's metrics, as text in
 * the Prometheus format (the same lines its --metrics endpoint serves) or
 * as JSON ({"metrics": [{"name", "type", "help", "labels": {...},
 * "value"}]}); and p2pctl log-level [LEVEL]: the agent's log level, set at
 * once when LEVEL is given.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "p2pctl.h"

static const struct option ctl_metrics_opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ NULL, 0, NULL, 0 }
};

/* A label value in the text format: \, " and newline escaped. */
static void
ctl_metrics_label(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			printf("\\n");
		else
			putchar(*s);
	}
}

static void
ctl_metrics_text(const struct p2pclient_metric *m)
{
	size_t	i;

	if (m->type[0] != '\0')
		printf("# HELP %s %s\n# TYPE %s %s\n", m->name, m->help,
		    m->name, m->type);
	printf("%s", m->name);
	for (i = 0; i < m->nlabels; i++) {
		printf("%s%s=\"", i == 0 ? "{" : ",", m->labels[2 * i]);
		ctl_metrics_label(m->labels[2 * i + 1]);
		printf("\"");
	}
	/* as the agent's endpoint writes them */
	if (m->value > -1e15 && m->value < 1e15 &&
	    m->value == (double)(int64_t)m->value)
		printf("%s %.0f\n", m->nlabels > 0 ? "}" : "", m->value);
	else
		printf("%s %.9g\n", m->nlabels > 0 ? "}" : "", m->value);
}

static struct json_object *
ctl_metrics_json(const struct p2pclient_metrics *ms)
{
	const struct p2pclient_metric	*m;
	struct json_object		*o, *arr, *e, *l;
	const char			*type = "", *help = "";
	size_t				 i, j;

	arr = json_object_new_array();
	for (i = 0; i < ms->n; i++) {
		m = ms->v[i];
		/* the agent says type and help once per name */
		if (m->type[0] != '\0') {
			type = m->type;
			help = m->help;
		}
		e = json_object_new_object();
		ctl_json_str(e, "name", m->name);
		ctl_json_str(e, "type", type);
		ctl_json_str(e, "help", help);
		l = json_object_new_object();
		for (j = 0; j < m->nlabels; j++)
			ctl_json_str(l, m->labels[2 * j],
			    m->labels[2 * j + 1]);
		json_object_object_add(e, "labels", l);
		json_object_object_add(e, "value", ctl_json_double(m->value));
		json_object_array_add(arr, e);
	}
	o = json_object_new_object();
	json_object_object_add(o, "metrics", arr);
	return o;
}

int
ctl_metrics(struct ctl *ctl, int argc, char **argv)
{
	struct p2pclient_metrics	*ms;
	size_t				 i;
	int				 rc;

	if (ctl_getopt(ctl, argc, argv, "+", ctl_metrics_opts) != -1)
		return ctl_usage(ctl, "unknown option '%s'",
		    argv[optind - 1]);
	if (optind != argc)
		return ctl_usage(ctl, "unexpected argument '%s'", argv[optind]);
	if ((rc = ctl_connect(ctl)) != CTL_OK)
		return rc;
	if ((rc = p2pclient_metrics(ctl->c, &ms)) != 0)
		return ctl_fail(ctl, rc, "metrics");
	if (ctl->json)
		ctl_json_print(ctl_metrics_json(ms));
	else
		for (i = 0; i < ms->n; i++)
			ctl_metrics_text(ms->v[i]);
	p2pclient_metrics_free(ms);
	return CTL_OK;
}

int
ctl_log_level(struct ctl *ctl, int argc, char **argv)
{
	struct json_object	*o;
	char			 was[16], now[16];
	const char		*want = NULL;
	int			 rc;

	if (ctl_getopt(ctl, argc, argv, "+", ctl_metrics_opts) != -1)
		return ctl_usage(ctl, "unknown option '%s'",
		    argv[optind - 1]);
	if (argc - optind > 1)
		return ctl_usage(ctl, "too many arguments");
	/* the agent checks LEVEL (a bad one: exit 1 with its words) */
	if (argc - optind == 1)
		want = argv[optind];
	if ((rc = ctl_connect(ctl)) != CTL_OK)
		return rc;
	if ((rc = p2pclient_log_level(ctl->c, NULL, was, sizeof(was))) != 0 ||
	    (want != NULL && (rc = p2pclient_log_level(ctl->c, want, now,
	    sizeof(now))) != 0))
		return ctl_fail(ctl, rc, "log-level");
	if (want == NULL)
		snprintf(now, sizeof(now), "%s", was);
	if (ctl->json) {
		o = json_object_new_object();
		ctl_json_str(o, "level", now);
		ctl_json_str(o, "previous", was);
		ctl_json_print(o);
	} else if (want == NULL || strcmp(was, now) == 0)
		printf("log level: %s\n", now);
	else
		printf("log level: %s (was %s)\n", now, was);
	return CTL_OK;
}
