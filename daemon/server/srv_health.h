/* SPDX-License-Identifier: ISC */
/*
 * srv_health.h: the /healthz answer from the server's checks (srv_health.c).
 */
#ifndef P2P_SRV_HEALTH_H
#define P2P_SRV_HEALTH_H

#include <json-c/json.h>

struct srv;

/* The JSON answer; *http_code 200 or 503 (not ready). */
json_object	*srv_health(struct srv *, int *http_code);

#endif /* P2P_SRV_HEALTH_H */
