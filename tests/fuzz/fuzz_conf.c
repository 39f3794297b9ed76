/* SPDX-License-Identifier: ISC */
/*
 * fuzz_conf.c: config lines and command lines (conf.h) from untrusted bytes.
 * The input is split at NUL bytes: the first part is fed line by line to
 * conf_parse_line, the rest become argv for conf_load (without -c, so no
 * file is opened).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

struct fz {
	char			*s;
	long			 i;
	int			 b;
	int			 n;
	struct conf_list	 l;
	size_t			 z;
};

static const struct conf_opt opts[] = {
	{ "str", 's', CONF_STR, offsetof(struct fz, s), 0, 0, "S", "" },
	{ "int", 'i', CONF_INT, offsetof(struct fz, i), -5, 70000, "N", "" },
	{ "bool", 'b', CONF_BOOL, offsetof(struct fz, b), 0, 0, NULL, "" },
	{ "count", 'v', CONF_COUNT, offsetof(struct fz, n), 0, 9, NULL, "" },
	{ "list", 'l', CONF_LIST, offsetof(struct fz, l), 0, 0, "X", "" },
	{ "size", 'z', CONF_SIZE, offsetof(struct fz, z), 0, 0, "B", "" },
	{ "size-capped", 0, CONF_SIZE, offsetof(struct fz, z), 10, 4096, "B",
	    "" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL }
};

static int
names_config(char **argv, int argc)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) == 0) {
			if (strstr(argv[i], "con") != NULL)
				return 1;
		} else if (argv[i][0] == '-' && strchr(argv[i], 'c') != NULL)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f;
	char *buf, *line, *save, *argv[32], err[256];
	size_t off;
	int argc = 0, first;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	memset(&f, 0, sizeof(f));
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		(void)conf_parse_line(opts, &f, line, err, sizeof(err));
	/* Parts after the first NUL: an argv. */
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "fuzz";
	for (off = strlen(buf) + 1; off < size && argc < 31;
	    off += strlen(buf + off) + 1)
		argv[argc++] = buf + off;
	argv[argc] = NULL;
	if (argc > 1 && !names_config(argv, argc))
		(void)conf_load(opts, &f, argc, argv, &first, NULL, err,
		    sizeof(err));
	conf_free(opts, &f);
	free(buf);
	return 0;
}
