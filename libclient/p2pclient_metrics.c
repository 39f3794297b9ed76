/* SPDX-License-Identifier: ISC */
/*
 * p2pclient_metrics.c: the agent's operator requests: its metrics, copied
 * out of the answer into plain C structs, and its log level.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2pclient_int.h"

static void
p2pc_metric_free(struct p2pclient_metric *m)
{
	size_t	i;

	if (m == NULL)
		return;
	free(m->name);
	free(m->type);
	free(m->help);
	for (i = 0; i < 2 * m->nlabels; i++)
		free(m->labels[i]);
	free(m->labels);
	free(m);
}

void
p2pclient_metrics_free(struct p2pclient_metrics *ms)
{
	size_t	i;

	if (ms == NULL)
		return;
	for (i = 0; i < ms->n; i++)
		p2pc_metric_free(ms->v[i]);
	free(ms->v);
	free(ms);
}

static struct p2pclient_metric *
p2pc_metric_from(const P2p__Ipc__Metric *pm)
{
	struct p2pclient_metric	*m;
	size_t			 i;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->size = sizeof(*m);
	m->value = pm->value;
	m->name = strdup(pm->name);
	m->type = strdup(pm->type);
	m->help = strdup(pm->help);
	if (m->name == NULL || m->type == NULL || m->help == NULL)
		goto nomem;
	/* ipcmsg_unpack checked that labels come in pairs */
	if (pm->n_labels > 0 && (m->labels = calloc(pm->n_labels,
	    sizeof(*m->labels))) == NULL)
		goto nomem;
	for (i = 0; i + 1 < pm->n_labels; i += 2) {
		m->labels[i] = strdup(pm->labels[i]);
		m->labels[i + 1] = strdup(pm->labels[i + 1]);
		m->nlabels++;
		if (m->labels[i] == NULL || m->labels[i + 1] == NULL)
			goto nomem;
	}
	return m;
nomem:
	p2pc_metric_free(m);
	return NULL;
}

int
p2pclient_metrics(struct p2pclient *c, struct p2pclient_metrics **out)
{
	P2p__Ipc__Request		 q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__MetricsReq		 m = P2P__IPC__METRICS_REQ__INIT;
	const P2p__Ipc__MetricsResp	*mr;
	struct p2pclient_metrics	*ms;
	struct p2pc_req			*r;
	size_t				 i;
	int				 rc;

	*out = NULL;
	q.op_case = P2P__IPC__REQUEST__OP_METRICS;
	q.metrics = &m;
	if ((rc = p2pc_wait_room(c)) != 0 ||
	    (rc = p2pc_call(c, p2pc_submit(c, &q, P2PC_ASYNC), &r)) != 0)
		return rc;
	if (r->resp->result_case != P2P__IPC__RESPONSE__RESULT_METRICS) {
		p2pc_req_release(c, r);
		return p2pc_seterr(c, P2PCLIENT_EPROTO, "p2pd answered metrics "
		    "without metrics");
	}
	mr = r->resp->metrics;
	if ((ms = calloc(1, sizeof(*ms))) == NULL)
		goto nomem;
	ms->size = sizeof(*ms);
	if (mr->n_metrics > 0 && (ms->v = calloc(mr->n_metrics,
	    sizeof(*ms->v))) == NULL)
		goto nomem;
	for (i = 0; i < mr->n_metrics; i++) {
		if ((ms->v[ms->n] = p2pc_metric_from(mr->metrics[i])) == NULL)
			goto nomem;
		ms->n++;
	}
	p2pc_req_release(c, r);
	*out = ms;
	return 0;
nomem:
	p2pclient_metrics_free(ms);
	p2pc_req_release(c, r);
	return p2pc_seterr(c, P2PCLIENT_ENOMEM, "out of memory");
}

int
p2pclient_log_level(struct p2pclient *c, const char *level, char *out,
    size_t outlen)
{
	P2p__Ipc__Request	 q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__LogLevelReq	 m = P2P__IPC__LOG_LEVEL_REQ__INIT;
	struct p2pc_req		*r;
	int			 rc;

	if (out != NULL && outlen > 0)
		*out = '\0';
	q.op_case = P2P__IPC__REQUEST__OP_LOG_LEVEL;
	q.log_level = &m;
	m.level = (char *)(level != NULL ? level : "");
	if ((rc = p2pc_wait_room(c)) != 0 ||
	    (rc = p2pc_call(c, p2pc_submit(c, &q, P2PC_ASYNC), &r)) != 0)
		return rc;
	if (r->resp->result_case != P2P__IPC__RESPONSE__RESULT_LOG_LEVEL) {
		p2pc_req_release(c, r);
		return p2pc_seterr(c, P2PCLIENT_EPROTO, "p2pd answered "
		    "log-level without a level");
	}
	if (out != NULL && outlen > 0)
		snprintf(out, outlen, "%s", r->resp->log_level->level);
	p2pc_req_release(c, r);
	return 0;
}
