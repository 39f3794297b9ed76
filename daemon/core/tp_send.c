/* SPDX-License-Identifier: ISC */
/*
 * tp_send.c: outgoing streams. Each keeps its bytes from the lowest
 * unacknowledged offset on, so lost ranges can be sent again. Each stream
 * holds at most stream_buf_max and all together at most send_buf_max, so a
 * stream stalled by its receiver's credit cannot take the buffer from the
 * others.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tp_int.h"

struct tp_ostream *
tp_ostream_find(struct tp *tp, uint64_t sid)
{
	size_t i;

	for (i = 0; i < tp->n_os; i++)
		if (tp->os[i]->sid == sid)
			return tp->os[i];
	return NULL;
}

/* The per-stream cap: stream_buf_max, never above send_buf_max. */
static size_t
tp_stream_cap(const struct tp *tp)
{
	if (tp->cfg.stream_buf_max == 0 ||
	    tp->cfg.stream_buf_max > tp->cfg.send_buf_max)
		return tp->cfg.send_buf_max;
	return tp->cfg.stream_buf_max;
}

/* Bytes a stream may still take: the smaller of its room and the session's. */
static size_t
tp_os_room(const struct tp *tp, const struct tp_ostream *os)
{
	size_t cap = tp_stream_cap(tp), rs, ro;

	rs = tp->send_buffered < tp->cfg.send_buf_max ?
	    tp->cfg.send_buf_max - tp->send_buffered : 0;
	ro = os->len < cap ? cap - os->len : 0;
	return rs < ro ? rs : ro;
}

static int
tp_name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0 || n > TP_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int
tp_os_append(struct tp *tp, struct tp_ostream *os, const uint8_t *p,
    size_t n)
{
	uint8_t *nb;
	size_t ncap;

	if (os->head + os->len + n > os->cap) {
		/* Compact only when it moves no more than was freed. */
		if (os->head > 0 && os->head >= os->len) {
			memmove(os->buf, os->buf + os->head, os->len);
			os->head = 0;
		}
		if (os->head + os->len + n > os->cap) {
			ncap = os->cap ? os->cap * 2 : 4096;
			if (ncap < os->head + os->len + n)
				ncap = os->head + os->len + n;
			if ((nb = realloc(os->buf, ncap)) == NULL)
				return -1;
			os->buf = nb;
			os->cap = ncap;
		}
	}
	if (n > 0)
		memcpy(os->buf + os->head + os->len, p, n);
	os->len += n;
	tp->send_buffered += n;
	return 0;
}

/*
 * The header says what the stream is (PROTOCOL.md §3.2): kind, name and,
 * for a channel other than 0 or an unordered message, the channel.
 */
static int
tp_os_new(struct tp *tp, int kind, const char *name, unsigned channel,
    int mode, uint64_t *sid)
{
	struct tp_ostream *os, **nv;
	uint8_t hdr[3];
	size_t nl = strlen(name);
	int wire = kind;

	if (kind == TP_STREAM_MESSAGES && mode == TP_MODE_UNORDERED)
		wire = TP_KIND_UNORDERED;
	else if (kind == TP_STREAM_MESSAGES && channel != 0)
		wire = TP_KIND_CHANNEL;
	if (tp->closed) {
		errno = EPIPE;
		return -1;
	}
	if (tp->n_os >= TP_MAX_STREAMS) {
		errno = EMFILE;
		return -1;
	}
	if ((nv = reallocarray(tp->os, tp->n_os + 1, sizeof(*nv))) == NULL)
		return -1;
	tp->os = nv;
	if ((os = calloc(1, sizeof(*os))) == NULL)
		return -1;
	os->sid = (tp->next_local << 1) | (uint64_t)tp->side;
	os->kind = kind;
	os->peer_max = TP_PROTO_STREAM_CREDIT;
	os->blocked_at = UINT64_MAX;
	memcpy(os->name, name, nl + 1);
	os->channel = channel;
	os->mode = mode;
	os->prio = TP_PRIO_NORMAL;
	hdr[0] = (uint8_t)wire;
	hdr[1] = (uint8_t)nl;
	hdr[2] = (uint8_t)channel;
	if (tp_os_append(tp, os, hdr, 2) == -1 ||
	    tp_os_append(tp, os, (const uint8_t *)name, nl) == -1 ||
	    (wire != kind && tp_os_append(tp, os, hdr + 2, 1) == -1)) {
		tp->send_buffered -= os->len;
		free(os->buf);
		free(os);
		return -1;
	}
	tp->next_local++;
	tp->os[tp->n_os++] = os;
	if (mode == TP_MODE_UNORDERED)
		tp->n_unordered++;
	*sid = os->sid;
	return 0;
}

int
tp_stream_open(struct tp *tp, int kind, const char *name, uint64_t *sid)
{
	if ((kind != TP_STREAM_MESSAGES && kind != TP_STREAM_PIPE) ||
	    name == NULL || !tp_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	return tp_os_new(tp, kind, name, 0, TP_MODE_RELIABLE, sid);
}

static struct tp_ostream *
tp_os_writable(struct tp *tp, uint64_t sid, int kind)
{
	struct tp_ostream *os = tp_ostream_find(tp, sid);

	if (os == NULL || os->kind != kind) {
		errno = EINVAL;
		return NULL;
	}
	if (tp->closed || os->fin || os->reset) {
		errno = EPIPE;
		return NULL;
	}
	return os;
}

int
tp_send_message(struct tp *tp, uint64_t sid, const uint8_t *data, size_t len,
    uint64_t *end_offset)
{
	struct tp_ostream *os;
	uint8_t pfx[8];
	struct wr w;
	size_t room;

	if ((os = tp_os_writable(tp, sid, TP_STREAM_MESSAGES)) == NULL)
		return -1;
	if (len > tp_max_send_message(tp))
		return tp_too_large(tp, len);
	wr_init(&w, pfx, sizeof(pfx));
	wr_varint(&w, len);
	/*
	 * A message must fit, unless it is larger than a stream's whole
	 * buffer: then it is taken whenever there is room at all (so the
	 * bound is send_buf_max + max_message).
	 */
	room = tp_os_room(tp, os);
	if (room == 0 || (w.off + len <= tp_stream_cap(tp) &&
	    w.off + len > room)) {
		tp->want_writable = 1;
		errno = EAGAIN;
		return -1;
	}
	if (tp_os_append(tp, os, pfx, w.off) == -1)
		return -1;
	if (tp_os_append(tp, os, data, len) == -1) {
		os->len -= w.off;	/* whole message or nothing */
		tp->send_buffered -= w.off;
		return -1;
	}
	if (end_offset != NULL)
		*end_offset = os->base + os->len;
	return 0;
}

/* The open ordered stream of (service, channel), if any. */
static struct tp_ostream *
tp_os_channel(struct tp *tp, const char *name, unsigned channel)
{
	struct tp_ostream *os;
	size_t i;

	for (i = 0; i < tp->n_os; i++) {
		os = tp->os[i];
		if (os->kind == TP_STREAM_MESSAGES &&
		    os->mode == TP_MODE_RELIABLE && os->channel == channel &&
		    !os->fin && !os->reset && strcmp(os->name, name) == 0)
			return os;
	}
	return NULL;
}

int
tp_send_message_ex(struct tp *tp, const char *service, unsigned channel,
    int mode, const uint8_t *data, size_t len, uint64_t *sidp,
    uint64_t *end_offset)
{
	return tp_send_message_prio(tp, service, channel, mode,
	    TP_PRIO_NORMAL, data, len, sidp, end_offset);
}

int
tp_send_message_prio(struct tp *tp, const char *service, unsigned channel,
    int mode, int prio, const uint8_t *data, size_t len, uint64_t *sidp,
    uint64_t *end_offset)
{
	struct tp_ostream *os;
	uint64_t sid;

	if (service == NULL || !tp_name_ok(service) ||
	    channel >= TP_CHANNELS || mode < TP_MODE_RELIABLE ||
	    mode > TP_MODE_UNRELIABLE || prio < 0 || prio >= TP_PRIOS) {
		errno = EINVAL;
		return -1;
	}
	if (tp->closed) {
		errno = EPIPE;
		return -1;
	}
	if (mode == TP_MODE_SEQUENCED || mode == TP_MODE_UNRELIABLE)
		return tp_dg_send(tp, service, channel, mode, prio, data,
		    len);
	if (len > tp_max_send_message(tp))
		return tp_too_large(tp, len);
	if (mode == TP_MODE_RELIABLE &&
	    (os = tp_os_channel(tp, service, channel)) != NULL)
		sid = os->sid;
	else {
		/*
		 * Keep stream slots for ordered channels, and open no
		 * unordered stream the message would not fit in: wait.
		 */
		if (mode == TP_MODE_UNORDERED &&
		    (tp->n_unordered >= TP_MAX_UNORDERED ||
		    tp->send_buffered >= tp->cfg.send_buf_max ||
		    (len + 80 <= tp_stream_cap(tp) && tp->send_buffered +
		    len + 80 > tp->cfg.send_buf_max))) {
			tp->want_writable = 1;
			errno = EAGAIN;
			return -1;
		}
		if (tp_os_new(tp, TP_STREAM_MESSAGES, service, channel, mode,
		    &sid) == -1) {
			if (errno == EMFILE && mode == TP_MODE_UNORDERED) {
				tp->want_writable = 1;
				errno = EAGAIN;
			}
			return -1;
		}
	}
	if (tp_send_message(tp, sid, data, len, end_offset) == -1) {
		/* An unordered stream nobody will use: give it back. */
		if (mode == TP_MODE_UNORDERED) {
			int e = errno;

			(void)tp_stream_reset(tp, sid, TP_ERR_NONE);
			errno = e;
		}
		return -1;
	}
	if ((os = tp_ostream_find(tp, sid)) != NULL)
		tp_prio_mark(tp, os, prio);
	if (mode == TP_MODE_UNORDERED)
		(void)tp_stream_finish(tp, sid);
	if (sidp != NULL)
		*sidp = sid;
	return 0;
}

ssize_t
tp_stream_write(struct tp *tp, uint64_t sid, const uint8_t *data, size_t len)
{
	struct tp_ostream *os;
	size_t room;

	if ((os = tp_os_writable(tp, sid, TP_STREAM_PIPE)) == NULL)
		return -1;
	room = tp_os_room(tp, os);
	if (len > 0 && room == 0) {
		tp->want_writable = 1;
		errno = EAGAIN;
		return -1;
	}
	if (len > room) {
		len = room;
		tp->want_writable = 1;
	}
	if (tp_os_append(tp, os, data, len) == -1)
		return -1;
	return (ssize_t)len;
}

int
tp_stream_finish(struct tp *tp, uint64_t sid)
{
	struct tp_ostream *os = tp_ostream_find(tp, sid);

	if (os == NULL) {
		errno = EINVAL;
		return -1;
	}
	os->fin = 1;
	return 0;
}

uint64_t
tp_stream_end(const struct tp *tp, uint64_t sid)
{
	size_t i;

	for (i = 0; i < tp->n_os; i++)
		if (tp->os[i]->sid == sid)
			return tp->os[i]->base + tp->os[i]->len;
	return UINT64_MAX;
}

static void
tp_os_discard(struct tp *tp, struct tp_ostream *os)
{
	tp->send_buffered -= os->len;
	os->base += os->len;
	os->len = os->head = os->cap = 0;
	free(os->buf);
	os->buf = NULL;
	tp_rs_free(&os->retx);
	tp_rs_free(&os->acked);
}

int
tp_stream_reset(struct tp *tp, uint64_t sid, uint64_t code)
{
	struct tp_ostream *os = tp_ostream_find(tp, sid);

	if (os == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (os->reset)
		return 0;
	os->reset = os->reset_pending = 1;
	os->reset_code = code;
	tp_os_discard(tp, os);
	return 0;
}

void
tp_ostream_acked(struct tp *tp, struct tp_ostream *os, uint64_t off,
    uint64_t len, int fin)
{
	uint64_t d;

	if (fin && !os->fin_acked) {
		os->fin_acked = 1;
		os->notify_acked = 1;
	}
	if (len == 0 || off + len <= os->base)
		return;
	tp_rs_remove(&os->retx, off, off + len);
	if (tp_rs_add(&os->acked, off, off + len) == -1)
		return;
	if (os->acked.v[0].lo > os->base)
		return;
	d = os->acked.v[0].hi - os->base;
	os->base += d;
	os->head += d;
	os->len -= d;
	tp->send_buffered -= d;
	tp_rs_remove_below(&os->acked, os->base);
	if (os->len == 0)
		os->head = 0;
	os->notify_acked = 1;
}

void
tp_ostream_lost(struct tp *tp, struct tp_ostream *os, uint64_t off,
    uint64_t len, int fin)
{
	uint64_t lo = off > os->base ? off : os->base, hi = off + len;
	size_t i;

	if (fin && !os->fin_acked)
		os->fin_sent = 0;
	if (lo >= hi)
		return;
	(void)tp_rs_add(&os->retx, lo, hi);
	for (i = 0; i < os->acked.n; i++) {
		if (os->acked.v[i].lo >= hi)
			break;
		tp_rs_remove(&os->retx, os->acked.v[i].lo, os->acked.v[i].hi);
	}
}

/* Frames about our own streams: the id must be one we opened. */
static struct tp_ostream *
tp_os_peer_ref(struct tp *tp, uint64_t sid)
{
	if ((sid & 1) != (uint64_t)tp->side || (sid >> 1) >= tp->next_local) {
		tp_fail(tp, TP_ERR_PROTOCOL, "frame for a stream never opened");
		return NULL;
	}
	return tp_ostream_find(tp, sid);
}

void
tp_on_msd_frame(struct tp *tp, uint64_t sid, uint64_t max)
{
	struct tp_ostream *os = tp_os_peer_ref(tp, sid);

	if (os != NULL && max > os->peer_max)
		os->peer_max = max;
}

void
tp_on_stop_frame(struct tp *tp, uint64_t sid, uint64_t code)
{
	struct tp_ostream *os = tp_os_peer_ref(tp, sid);

	if (os == NULL || os->reset)
		return;
	(void)tp_stream_reset(tp, sid, code);
	if (tp->cb.stream_stopped != NULL)
		tp->cb.stream_stopped(tp->cb.arg, sid, code);
}

void
tp_on_done_frame(struct tp *tp, uint64_t sid)
{
	struct tp_ostream *os = tp_os_peer_ref(tp, sid);

	if (os == NULL || os->done_rcvd)
		return;
	os->done_rcvd = 1;
	if (tp->cb.stream_done != NULL)
		tp->cb.stream_done(tp->cb.arg, sid);
}

static int
tp_os_finished(const struct tp_ostream *os)
{
	return os->reset_acked || (os->fin_acked && os->done_rcvd &&
	    os->len == 0);
}

void
tp_os_gc(struct tp *tp)
{
	struct tp_ostream *os;
	size_t i;

	for (i = 0; i < tp->n_os; ) {
		os = tp->os[i];
		if (!tp_os_finished(os)) {
			i++;
			continue;
		}
		if (os->mode == TP_MODE_UNORDERED)
			tp->n_unordered--;
		tp_os_discard(tp, os);
		free(os);
		tp->os[i] = tp->os[--tp->n_os];
	}
	for (i = 0; i < TP_PRIOS; i++)	/* slot n_os: the datagram queue */
		if (tp->rr[i] > tp->n_os)
			tp->rr[i] = 0;
}

void
tp_os_free_all(struct tp *tp)
{
	size_t i;

	for (i = 0; i < tp->n_os; i++) {
		tp_os_discard(tp, tp->os[i]);
		free(tp->os[i]);
	}
	free(tp->os);
	tp->os = NULL;
	tp->n_os = 0;
}
