/* SPDX-License-Identifier: ISC */
/*
 * conf.h: one table drives both command-line flags and `key = value` config
 * files, for every program.
 *
 * Each option names a field of the caller's settings struct (by offset). A
 * config file holds the same long names as keys: `server = 127.0.0.1:3478`;
 * '#' starts a comment; blank lines are ignored. Flags override the file:
 * conf_load() first finds -c FILE among the arguments, reads the file, then
 * applies the flags. Errors are written to err as "FILE:LINE: unknown key
 * 'x'" or "--port: '70000' is not a number from 0 to 65535" and the call
 * returns -1; nothing is partly applied that the caller would act on (it exits).
 */
#ifndef P2P_CONF_H
#define P2P_CONF_H

#include <stddef.h>
#include <stdio.h>

enum conf_type {
	CONF_STR,	/* char *: strdup'ed value (freed/replaced on re-set) */
	CONF_INT,	/* long, checked against [min, max] */
	CONF_BOOL,	/* int: flag without argument; in files yes/no/true/false/1/0 */
	CONF_COUNT,	/* int: each occurrence adds one (-v -v); in files a number */
	CONF_LIST,	/* struct conf_list: repeated values appended (--group A --group B) */
	CONF_SIZE,	/* size_t: bytes, with optional K/M/G suffix (powers of 1024) */
};

struct conf_list {
	char	**v;
	size_t	  n;
};

struct conf_opt {
	const char	*name;		/* long flag and file key; NULL ends the table */
	char		 short_name;	/* e.g. 'f', or 0 */
	enum conf_type	 type;
	size_t		 offset;	/* offsetof(settings, field) */
	long long	 min, max;	/* for CONF_INT / CONF_SIZE */
	const char	*arg;		/* argument name for usage, e.g. "HOST:PORT" */
	const char	*help;
};

/* -c FILE is handled by conf_load itself and stored in *conf_path if given. */
int	conf_load(const struct conf_opt *opts, void *settings, int argc,
	    char **argv, int *first_operand, char **conf_path, char *err,
	    size_t errlen);
int	conf_parse_file(const struct conf_opt *opts, void *settings,
	    const char *path, char *err, size_t errlen);
/* Parse one "key = value" line (exposed for the fuzzer and tests). */
int	conf_parse_line(const struct conf_opt *opts, void *settings,
	    const char *line, char *err, size_t errlen);
void	conf_usage(FILE *fp, const char *prog, const char *synopsis,
	    const struct conf_opt *opts);
void	conf_free(const struct conf_opt *opts, void *settings);

/*
 * For reloads, which compare two settings structs filled from one table:
 * whether o's field holds the same value in a and b; the value as text for
 * a log line ("(none)" for an unset string); and an exchange of o's field
 * between a and b (ownership of strings and lists moves with it).
 */
int	conf_same(const struct conf_opt *o, const void *a, const void *b);
void	conf_format(const struct conf_opt *o, const void *settings, char *buf,
	    size_t len);
void	conf_swap(const struct conf_opt *o, void *a, void *b);

#endif /* P2P_CONF_H */
