/* SPDX-License-Identifier: ISC */
/*
 * errf.h: the one helper for "return -1 with a reason": parsers and
 * checks all over the tree (conf, IPC frames, ...) fill a caller's
 * err[errlen] with a sentence naming what and where, and fail.
 *
 *	if (v > max)
 *		return errf(err, errlen, "%s: %lu is over %lu", name, v, max);
 *
 * err may be NULL (or errlen 0) when the caller does not want the reason.
 * It lives in a header so that every library (including libp2pclient,
 * which links none of the daemons' code) uses the same one.
 */
#ifndef P2P_ERRF_H
#define P2P_ERRF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline int __attribute__((format(printf, 3, 4)))
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

#endif /* P2P_ERRF_H */
