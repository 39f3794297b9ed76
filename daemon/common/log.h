/* SPDX-License-Identifier: ISC */
/*
 * log.h: the one logging module of every program.
 *
 * In the foreground (and under systemd, which reads stderr) messages go to
 * stderr with sd-daemon level prefixes ("<3>", "<4>", "<6>", "<7>") so journald
 * keeps the levels; otherwise to syslog. log_warn() appends strerror(errno).
 * Messages name what and where: start them with __func__ where the place
 * matters. fatal()/fatalx() log and exit(1).
 *
 * Levels: error (fatal messages only), warning, info (the default), debug;
 * as a verbosity, -2, -1, 0 and 1 (each -v adds one).
 */
#ifndef P2P_LOG_H
#define P2P_LOG_H

#include <stdarg.h>
#include <stdint.h>

/*
 * A line that an attacker can repeat at will (a refused connection, an
 * accept error) goes through a limiter: log_ratelimit() says whether it
 * may be written now, at most one a second per limiter; *suppressed gets
 * how many were held back since the last, for the line to say so.
 */
struct log_rl {
	uint64_t	next_us;
	uint64_t	held;
};
int	log_ratelimit(struct log_rl *, uint64_t now_us, uint64_t *suppressed);

void	log_init(const char *prog, int foreground, int verbosity);
void	log_setverbose(int verbosity);
int	log_getverbose(void);
/* "error" | "warning" | "info" | "debug" to a verbosity, -100 if unknown. */
int	log_level_parse(const char *);
/* The level a verbosity shows: "error" ... "debug". */
const char *log_level_name(int verbosity);
#define LOG_LEVEL_BAD	(-100)
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* P2P_LOG_H */
