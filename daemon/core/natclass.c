/* SPDX-License-Identifier: ISC */
/*
 * natclass.c: RFC 5780 NAT behaviour discovery as a state machine. See
 * natclass.h for the order of the tests and why.
 */
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "addr_fmt.h"
#include "natclass.h"

static uint16_t
natclass_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_port;
	if (sa->sa_family == AF_INET6)
		return ((const struct sockaddr_in6 *)sa)->sin6_port;
	return 0;
}

static void
natclass_set_port(struct sockaddr_storage *ss, uint16_t port_be)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = port_be;
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = port_be;
}

static void
natclass_copy(struct sockaddr_storage *dst, const struct sockaddr *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->sa_family == AF_INET)
		memcpy(dst, src, sizeof(struct sockaddr_in));
	else if (src->sa_family == AF_INET6)
		memcpy(dst, src, sizeof(struct sockaddr_in6));
}

/* Append "; s" to the detail, cut at its size (a note, not data). */
static void
natclass_note(struct natclass *nc, const char *s)
{
	size_t	used = strlen(nc->detail), room, n;

	room = sizeof(nc->detail) - 1 - used;
	if (used > 0 && room >= 2) {
		memcpy(nc->detail + used, "; ", 2);
		used += 2;
		room -= 2;
	}
	n = strlen(s);
	if (n > room)
		n = room;
	memcpy(nc->detail + used, s, n);
	nc->detail[used + n] = '\0';
}

static void
natclass_begin(struct natclass *nc, enum natclass_test t, uint64_t now_us)
{
	nc->test = t;
	nc->tries = 0;
	nc->next_us = now_us;
	nc->f3_due = nc->f3_answered = 0;
	if (t != NATCLASS_DONE)
		nc->rnd(nc->rnd_arg, nc->txid, sizeof(nc->txid));
	if (t == NATCLASS_F)
		nc->rnd(nc->rnd_arg, nc->txid3, sizeof(nc->txid3));
}

void
natclass_start(struct natclass *nc, const struct sockaddr *server,
    const struct sockaddr_storage *locals, size_t nlocals,
    natclass_rand_fn rnd, void *rnd_arg, uint64_t now_us)
{
	size_t	i;

	memset(nc, 0, sizeof(*nc));
	natclass_copy(&nc->server, server);
	if (nlocals > NATCLASS_LOCALS_MAX)
		nlocals = NATCLASS_LOCALS_MAX;
	for (i = 0; i < nlocals; i++)
		nc->locals[i] = locals[i];
	nc->nlocals = nlocals;
	nc->rnd = rnd;
	nc->rnd_arg = rnd_arg;
	natclass_begin(nc, NATCLASS_T1, now_us);
}

/* Where the current test's request goes, and its CHANGE-REQUEST flags. */
static void
natclass_dest(const struct natclass *nc, struct sockaddr_storage *to,
    uint32_t *change)
{
	*change = 0;
	switch (nc->test) {
	case NATCLASS_F:	/* F-II; F-III follows it (natclass_output) */
		*change = STUN_CHANGE_IP | STUN_CHANGE_PORT;
		*to = nc->server;
		break;
	case NATCLASS_M2:
		*to = nc->other;
		natclass_set_port(to, natclass_port((const struct sockaddr *)
		    &nc->server));
		break;
	case NATCLASS_M3:
		*to = nc->other;
		break;
	default:
		*to = nc->server;
		break;
	}
}

/* Where the answer to a filtering test must come from (f3: F-III). */
static void
natclass_expect_from(const struct natclass *nc, int f3,
    struct sockaddr_storage *ss)
{
	if (!f3) {
		*ss = nc->other;
		return;
	}
	*ss = nc->server;	/* F3: primary IP, other port */
	natclass_set_port(ss, natclass_port((const struct sockaddr *)
	    &nc->other));
}

/* The current test got no answer in NATCLASS_TRIES tries. */
static void
natclass_timeout(struct natclass *nc, uint64_t now_us)
{
	switch (nc->test) {
	case NATCLASS_T1:
		nc->blocked = 1;
		natclass_note(nc, "no answer from the server's primary "
		    "address: UDP blocked");
		natclass_begin(nc, NATCLASS_DONE, now_us);
		break;
	case NATCLASS_F:
		if (nc->f3_answered) {
			nc->filtering = NATCLASS_B_AD;
			natclass_note(nc, "filtering: only an answer from the "
			    "same IP (another port) arrived");
		} else {
			nc->filtering = NATCLASS_B_APD;
			natclass_note(nc, "filtering: no answer from another "
			    "IP or another port");
		}
		natclass_begin(nc, NATCLASS_M2, now_us);
		break;
	case NATCLASS_M2:
		natclass_note(nc, "mapping: no answer from the server's "
		    "alternate address");
		natclass_begin(nc, NATCLASS_DONE, now_us);
		break;
	case NATCLASS_M3:
		natclass_note(nc, "mapping: no answer from the server's "
		    "alternate address and port");
		natclass_begin(nc, NATCLASS_DONE, now_us);
		break;
	default:
		break;
	}
}

int
natclass_output(struct natclass *nc, uint64_t now_us,
    struct natclass_out *out)
{
	uint32_t	change;

	for (;;) {
		if (nc->test == NATCLASS_IDLE || nc->test == NATCLASS_DONE)
			return 0;
		if (nc->f3_due) {	/* F-III right behind F-II */
			nc->f3_due = 0;
			out->to = nc->server;
			out->len = stun_build_binding_request_change(out->pkt,
			    sizeof(out->pkt), nc->txid3, STUN_CHANGE_PORT);
			return out->len != 0;
		}
		if (now_us < nc->next_us)
			return 0;
		if (nc->tries >= NATCLASS_TRIES) {
			natclass_timeout(nc, now_us);
			continue;
		}
		natclass_dest(nc, &out->to, &change);
		out->len = stun_build_binding_request_change(out->pkt,
		    sizeof(out->pkt), nc->txid, change);
		if (out->len == 0)
			return 0;	/* cannot happen: the buffer fits */
		nc->tries++;
		nc->next_us = now_us + NATCLASS_RTO_US;
		nc->f3_due = nc->test == NATCLASS_F && !nc->f3_answered;
		return 1;
	}
}

uint64_t
natclass_next_us(const struct natclass *nc)
{
	if (nc->test == NATCLASS_IDLE || nc->test == NATCLASS_DONE)
		return 0;
	return nc->next_us;
}

/* Test I answered: keep M1 and check the server's OTHER-ADDRESS. */
static void
natclass_t1(struct natclass *nc, const struct stun_msg *m, uint64_t now_us)
{
	const struct sockaddr	*srv = (const struct sockaddr *)&nc->server;
	const struct sockaddr	*oth = (const struct sockaddr *)&m->other;
	char			 a[ADDR_STRLEN], b[NATCLASS_DETAIL_MAX];

	nc->m1 = m->mapped;
	nc->have_m1 = 1;
	addr_fmt((const struct sockaddr *)&nc->m1, a, sizeof(a));
	snprintf(b, sizeof(b), "mapped address %s", a);
	natclass_note(nc, b);
	if (!(m->has & STUN_HAS_OTHER)) {
		nc->no_alt = 1;
		natclass_note(nc, "the server gives no OTHER-ADDRESS (it runs "
		    "without --alt-listen): mapping and filtering cannot be "
		    "tested");
		natclass_begin(nc, NATCLASS_DONE, now_us);
		return;
	}
	if (oth->sa_family != srv->sa_family ||
	    addr_equal_ip(oth, srv) ||
	    natclass_port(oth) == natclass_port(srv)) {
		nc->no_alt = 1;
		addr_fmt(oth, a, sizeof(a));
		snprintf(b, sizeof(b), "the server's OTHER-ADDRESS %s does not "
		    "differ from its address in both IP and port", a);
		natclass_note(nc, b);
		natclass_begin(nc, NATCLASS_DONE, now_us);
		return;
	}
	nc->other = m->other;
	nc->have_other = 1;
	natclass_begin(nc, NATCLASS_F, now_us);
}

/*
 * A filtering test answered (f3: F-III): it must come from where we asked.
 * F-III's answer alone means address-dependent only if F-II's does not
 * follow: F-II is sent once more, then waited for one NATCLASS_RTO_US.
 */
static void
natclass_filter(struct natclass *nc, const struct stun_msg *m,
    const struct sockaddr *from, int f3, uint64_t now_us)
{
	struct sockaddr_storage	want;
	char			a[ADDR_STRLEN], w[ADDR_STRLEN], b[NATCLASS_DETAIL_MAX];

	natclass_expect_from(nc, f3, &want);
	if (m->type != STUN_BINDING_SUCCESS) {
		snprintf(b, sizeof(b), "filtering: the server refused "
		    "CHANGE-REQUEST (error %u)", m->error_code);
		natclass_note(nc, b);
		nc->filtering = NATCLASS_B_UNKNOWN;
	} else if (!addr_equal(from, (struct sockaddr *)&want)) {
		addr_fmt(from, a, sizeof(a));
		addr_fmt((struct sockaddr *)&want, w, sizeof(w));
		snprintf(b, sizeof(b), "filtering: the CHANGE-REQUEST answer "
		    "came from %s, not %s", a, w);
		natclass_note(nc, b);
		nc->filtering = NATCLASS_B_UNKNOWN;
	} else if (!f3) {
		nc->filtering = NATCLASS_B_EI;
		natclass_note(nc, "filtering: answer from another IP and "
		    "port arrived");
	} else {
		/*
		 * F-III is done; F-II goes once more at its retry time (a
		 * lost F-II answer must not make a full cone look
		 * restricted), and its answer is waited for after that.
		 */
		if (!nc->f3_answered) {
			nc->f3_answered = 1;
			nc->f3_due = 0;
			if (nc->tries < NATCLASS_TRIES - 1)
				nc->tries = NATCLASS_TRIES - 1;
		}
		return;
	}
	natclass_begin(nc, NATCLASS_M2, now_us);
}

static void
natclass_map(struct natclass *nc, const struct stun_msg *m, uint64_t now_us)
{
	char	a[ADDR_STRLEN], b[NATCLASS_DETAIL_MAX];

	if (m->type != STUN_BINDING_SUCCESS) {
		natclass_note(nc, "mapping: the alternate address answered "
		    "with an error");
		natclass_begin(nc, NATCLASS_DONE, now_us);
		return;
	}
	addr_fmt((const struct sockaddr *)&m->mapped, a, sizeof(a));
	if (nc->test == NATCLASS_M2) {
		nc->m2 = m->mapped;
		nc->have_m2 = 1;
		if (addr_equal((struct sockaddr *)&nc->m1,
		    (struct sockaddr *)&nc->m2)) {
			nc->mapping = NATCLASS_B_EI;
			natclass_note(nc, "mapping: the same from the alternate "
			    "address");
			natclass_begin(nc, NATCLASS_DONE, now_us);
			return;
		}
		snprintf(b, sizeof(b), "mapping: %s from the alternate "
		    "address", a);
		natclass_note(nc, b);
		natclass_begin(nc, NATCLASS_M3, now_us);
		return;
	}
	if (addr_equal((struct sockaddr *)&nc->m2,
	    (const struct sockaddr *)&m->mapped)) {
		nc->mapping = NATCLASS_B_AD;
		natclass_note(nc, "mapping: the same from the alternate port");
	} else {
		nc->mapping = NATCLASS_B_APD;
		snprintf(b, sizeof(b), "mapping: %s from the alternate port",
		    a);
		natclass_note(nc, b);
	}
	natclass_begin(nc, NATCLASS_DONE, now_us);
}

int
natclass_input(struct natclass *nc, const uint8_t *pkt, size_t len,
    const struct sockaddr *from, uint64_t now_us)
{
	struct stun_msg	m;
	int		f3;

	if (nc->test == NATCLASS_IDLE || nc->test == NATCLASS_DONE ||
	    from == NULL || stun_parse(pkt, len, &m) == -1)
		return 0;
	f3 = nc->test == NATCLASS_F &&
	    memcmp(m.txid, nc->txid3, STUN_TXID_LEN) == 0;
	if (!f3 && memcmp(m.txid, nc->txid, STUN_TXID_LEN) != 0)
		return 0;
	if (m.type != STUN_BINDING_SUCCESS && m.type != STUN_BINDING_ERROR)
		return 0;
	if (m.type == STUN_BINDING_SUCCESS &&
	    !(m.has & (STUN_HAS_XOR_MAPPED | STUN_HAS_MAPPED)))
		return 0;
	switch (nc->test) {
	case NATCLASS_T1:
		if (m.type != STUN_BINDING_SUCCESS) {
			natclass_note(nc, "the server answered Binding with an "
			    "error");
			natclass_begin(nc, NATCLASS_DONE, now_us);
			break;
		}
		natclass_t1(nc, &m, now_us);
		break;
	case NATCLASS_F:
		natclass_filter(nc, &m, from, f3, now_us);
		break;
	case NATCLASS_M2:
	case NATCLASS_M3:
		natclass_map(nc, &m, now_us);
		break;
	default:
		return 0;
	}
	return 1;
}

int
natclass_done(const struct natclass *nc)
{
	return nc->test == NATCLASS_DONE;
}

int
natclass_running(const struct natclass *nc)
{
	return nc->test != NATCLASS_IDLE && nc->test != NATCLASS_DONE;
}

const char *
natclass_beh_name(enum natclass_beh b)
{
	switch (b) {
	case NATCLASS_B_EI:
		return NATCLASS_EI;
	case NATCLASS_B_AD:
		return NATCLASS_AD;
	case NATCLASS_B_APD:
		return NATCLASS_APD;
	default:
		return NATCLASS_UNKNOWN;
	}
}

const char *
natclass_mapping(const struct natclass *nc)
{
	return natclass_done(nc) ? natclass_beh_name(nc->mapping) :
	    NATCLASS_UNKNOWN;
}

const char *
natclass_filtering(const struct natclass *nc)
{
	return natclass_done(nc) ? natclass_beh_name(nc->filtering) :
	    NATCLASS_UNKNOWN;
}

/* The mapped address is one of the socket's own: no NAT in between. */
static int
natclass_is_local(const struct natclass *nc)
{
	size_t	i;

	for (i = 0; i < nc->nlocals; i++)
		if (addr_equal((const struct sockaddr *)&nc->locals[i],
		    (const struct sockaddr *)&nc->m1))
			return 1;
	return 0;
}

const char *
natclass_type(const struct natclass *nc)
{
	if (!natclass_done(nc))
		return NATCLASS_UNKNOWN;
	if (nc->blocked)
		return "blocked";
	if (!nc->have_m1 || nc->no_alt)
		return NATCLASS_UNKNOWN;
	if (natclass_is_local(nc) && nc->mapping == NATCLASS_B_EI)
		return "open";
	switch (nc->mapping) {
	case NATCLASS_B_UNKNOWN:
		return NATCLASS_UNKNOWN;
	case NATCLASS_B_EI:
		break;
	default:
		return "symmetric";
	}
	switch (nc->filtering) {
	case NATCLASS_B_EI:
		return "full-cone";
	case NATCLASS_B_AD:
		return "restricted";
	case NATCLASS_B_APD:
		return "port-restricted";
	default:
		return NATCLASS_UNKNOWN;
	}
}

const struct sockaddr *
natclass_mapped(const struct natclass *nc)
{
	return nc->have_m1 ? (const struct sockaddr *)&nc->m1 : NULL;
}

const struct sockaddr *
natclass_other(const struct natclass *nc)
{
	return nc->have_other ? (const struct sockaddr *)&nc->other : NULL;
}

const char *
natclass_detail(const struct natclass *nc)
{
	return nc->detail[0] != '\0' ? nc->detail :
	    natclass_running(nc) ? "testing" : "not tested";
}
