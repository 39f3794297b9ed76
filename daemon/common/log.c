/* SPDX-License-Identifier: ISC */
/* log.c: stderr (with journald level prefixes) or syslog. See log.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static const char	*log_prog = "p2p";
static int		 log_fg = 1;
static int		 log_verbose;

void
log_init(const char *prog, int foreground, int verbosity)
{
	log_prog = prog;
	log_fg = foreground;
	log_verbose = verbosity;
	if (!foreground)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setverbose(int verbosity)
{
	log_verbose = verbosity;
}

int
log_getverbose(void)
{
	return log_verbose;
}

static const char *const log_levels[] = { "error", "warning", "info",
    "debug" };

int
log_level_parse(const char *s)
{
	int	i;

	for (i = 0; i < 4; i++)
		if (s != NULL && strcmp(s, log_levels[i]) == 0)
			return i - 2;
	return LOG_LEVEL_BAD;
}

const char *
log_level_name(int verbosity)
{
	if (verbosity < -2)
		verbosity = -2;
	if (verbosity > 1)
		verbosity = 1;
	return log_levels[verbosity + 2];
}

static void
vlog(int pri, const char *fmt, va_list ap, int with_errno)
{
	char msg[1024];
	int saved = errno;
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	if (log_fg)
		fprintf(stderr, "<%d>%s: %s\n", pri, log_prog, msg);
	else
		syslog(pri, "%s", msg);
	errno = saved;
}

#define LOG_BODY(pri, e) do {			\
	va_list ap;				\
	va_start(ap, fmt);			\
	vlog((pri), fmt, ap, (e));		\
	va_end(ap);				\
} while (0)

void
log_warn(const char *fmt, ...)
{
	if (log_verbose >= -1)
		LOG_BODY(LOG_WARNING, 1);
}

void
log_warnx(const char *fmt, ...)
{
	if (log_verbose >= -1)
		LOG_BODY(LOG_WARNING, 0);
}

void
log_info(const char *fmt, ...)
{
	if (log_verbose >= 0)
		LOG_BODY(LOG_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	if (log_verbose > 0)
		LOG_BODY(LOG_DEBUG, 0);
}

void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, 0);
	exit(1);
}

int
log_ratelimit(struct log_rl *rl, uint64_t now_us, uint64_t *suppressed)
{
	if (rl->next_us != 0 && now_us < rl->next_us) {
		rl->held++;
		return 0;
	}
	rl->next_us = now_us + 1000000;
	if (suppressed != NULL)
		*suppressed = rl->held;
	rl->held = 0;
	return 1;
}
