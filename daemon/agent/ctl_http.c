/* SPDX-License-Identifier: ISC */
/*
 * ctl_http.c: --metrics ADDR:PORT, GET /metrics in the Prometheus text
 * format (ctl_metrics.c) for a scraper, over libevent's evhttp.
 *
 * The endpoint has no authentication and no TLS, so it binds a loopback
 * address unless --metrics-public says otherwise (then: firewall it, or put
 * a proxy in front). Only GET and HEAD of /metrics are answered; requests
 * are small and short-lived: evhttp's caps on headers, no body, an idle
 * connection is closed after CTL_HTTP_TIMEOUT_S, at most CTL_HTTP_CONNS_MAX
 * are open at once (then the listener waits until one closes) and an
 * accept error (EMFILE at the descriptor limit) pauses it for
 * CTL_HTTP_ACCEPT_PAUSE_MS (common/httpconn.c).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "addr.h"
#include "ctl.h"
#include "httpconn.h"
#include "log.h"

#define CTL_HTTP_HEADERS_MAX	8192
#define CTL_HTTP_TIMEOUT_S	10
#define CTL_HTTP_CONNS_MAX	16
#define CTL_HTTP_ACCEPT_PAUSE_MS 250

struct ctl_http {
	struct ctl		*ctl;
	struct evhttp		*http;
	struct httpconn_set	 conns;
};

static void
ctl_http_request(struct evhttp_request *req, void *arg)
{
	struct ctl_http *h = arg;
	const char *path = evhttp_request_get_uri(req);
	struct evbuffer *b = evhttp_request_get_output_buffer(req);
	struct ctl_metrics m;

	if (path == NULL || (strcmp(path, "/metrics") != 0 &&
	    strncmp(path, "/metrics?", 9) != 0)) {
		evbuffer_add_printf(b, "only /metrics is here\n");
		evhttp_send_reply(req, HTTP_NOTFOUND, "Not Found", NULL);
		return;
	}
	if (ctl_metrics_collect(h->ctl, &m) == -1) {
		evbuffer_add_printf(b, "out of memory\n");
		evhttp_send_reply(req, HTTP_INTERNAL, "Internal Server Error",
		    NULL);
		return;
	}
	ctl_metrics_text(&m, b);
	ctl_metrics_free(&m);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* --metrics's value: ADDR:PORT, loopback unless public. */
static int
ctl_http_parse(const char *spec, int public, struct sockaddr_storage *ss,
    char *err, size_t errlen)
{
	socklen_t len = sizeof(*ss);
	char why[256];

	if (addr_parse(spec, ss, &len, 0, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "--metrics: %s", why);
		return -1;
	}
	if (strrchr(spec, ':') == NULL || (spec[0] == '[' &&
	    strstr(spec, "]:") == NULL)) {
		snprintf(err, errlen, "--metrics '%s': give ADDR:PORT", spec);
		return -1;
	}
	if (!public && !addr_is_loopback((struct sockaddr *)ss)) {
		snprintf(err, errlen, "--metrics %s is not a loopback "
		    "address: the endpoint has no authentication; add "
		    "--metrics-public to bind it anyway", spec);
		return -1;
	}
	return 0;
}

int
ctl_http_check(const char *spec, int public, char *err, size_t errlen)
{
	struct sockaddr_storage ss;

	return ctl_http_parse(spec, public, &ss, err, errlen);
}

int
ctl_http_open(struct ctl *ctl, const char *spec, int public, char *err,
    size_t errlen)
{
	struct evhttp_bound_socket *bs;
	struct ctl_http *h;
	struct sockaddr_storage ss;
	socklen_t len;
	char host[ADDR_STRLEN], a[ADDR_STRLEN];
	const void *ip;

	if (ctl_http_parse(spec, public, &ss, err, errlen) == -1)
		return -1;
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->http = evhttp_new(ctl->a->base)) == NULL) {
		free(h);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->ctl = ctl;
	ctl->http = h;
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(h->http, CTL_HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(h->http, 0);
	evhttp_set_timeout(h->http, CTL_HTTP_TIMEOUT_S);
	evhttp_set_gencb(h->http, ctl_http_request, h);
	/* evhttp wants the host without brackets. */
	ip = ss.ss_family == AF_INET6 ?
	    (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr :
	    (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
	inet_ntop(ss.ss_family, ip, host, sizeof(host));
	if ((bs = evhttp_bind_socket_with_handle(h->http, host,
	    addr_port((struct sockaddr *)&ss))) == NULL) {
		snprintf(err, errlen, "--metrics: cannot listen on %s: %s",
		    spec, strerror(errno));
		return -1;
	}
	h->conns.name = "metrics";
	h->conns.max = CTL_HTTP_CONNS_MAX;
	h->conns.in_max = 2 * CTL_HTTP_HEADERS_MAX;
	h->conns.pause_ms = CTL_HTTP_ACCEPT_PAUSE_MS;
	if (httpconn_start(&h->conns, h->http, bs, ctl->a->base) == -1) {
		snprintf(err, errlen, "--metrics: out of memory");
		return -1;
	}
	len = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(bs),
	    (struct sockaddr *)&ss, &len) == -1) {
		snprintf(err, errlen, "--metrics: getsockname: %s",
		    strerror(errno));
		return -1;
	}
	log_info("metrics on http://%s/metrics%s", addr_fmt((struct sockaddr *)
	    &ss, a, sizeof(a)), public ? " (public)" : "");
	return 0;
}

void
ctl_http_free(struct ctl *ctl)
{
	if (ctl->http == NULL)
		return;
	httpconn_stop(&ctl->http->conns);
	if (ctl->http->http != NULL)
		evhttp_free(ctl->http->http);
	httpconn_free(&ctl->http->conns);
	free(ctl->http);
	ctl->http = NULL;
}
