/* SPDX-License-Identifier: ISC */
/* test_srv_secret.c: secret files (secret.h, PROTOCOL.md §5). */
#include <criterion/criterion.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secret.h"

static char dir[64];
static char err[512];

static void
setup(void)
{
	strcpy(dir, "test_secret.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)system(cmd);
}

static const char *
mkfile(const char *text, size_t len, mode_t mode)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/secret", dir);
	unlink(path);
	cr_assert_not_null(fp = fopen(path, "w"));
	fwrite(text, 1, len, fp);
	fclose(fp);
	cr_assert_eq(chmod(path, mode), 0);
	return path;
}

TestSuite(secret, .init = setup, .fini = teardown);

Test(secret, good_file_trailing_whitespace_removed)
{
	const char *txt = "0123456789abcdef0123456789abcdef-xyz \t\r\n\n";
	uint8_t key[SECRET_MAX];
	size_t len = 0;

	cr_assert_eq(secret_load(mkfile(txt, strlen(txt), 0600), key, &len,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(len, 36);
	cr_assert_eq(memcmp(key, txt, 36), 0);
}

Test(secret, readable_by_others_refused)
{
	const char *txt = "0123456789abcdef0123456789abcdef";
	const char *p = mkfile(txt, strlen(txt), 0644);
	uint8_t key[SECRET_MAX];
	char want[256];
	size_t len;

	cr_assert_eq(secret_load(p, key, &len, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "secret file %s is readable by others "
	    "(mode 0644): chmod 600 %s", p, p);
	cr_assert_str_eq(err, want);
	cr_assert_eq(secret_load(mkfile(txt, strlen(txt), 0640), key, &len,
	    err, sizeof(err)), -1);
}

Test(secret, too_short_and_too_long)
{
	uint8_t key[SECRET_MAX];
	char *big = malloc(SECRET_MAX + 10);
	size_t len;

	cr_assert_eq(secret_load(mkfile("short\n", 6, 0600), key, &len, err,
	    sizeof(err)), -1);
	cr_assert(strstr(err, "secret") != NULL, "%s", err);
	memset(big, 'k', SECRET_MAX + 10);
	cr_assert_eq(secret_load(mkfile(big, SECRET_MAX + 10, 0600), key, &len,
	    err, sizeof(err)), -1);
	memset(big, 'k', SECRET_MAX);
	cr_assert_eq(secret_load(mkfile(big, SECRET_MAX, 0600), key, &len,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(len, SECRET_MAX);
	free(big);
}

Test(secret, missing_file)
{
	uint8_t key[SECRET_MAX];
	char p[128];
	size_t len;

	snprintf(p, sizeof(p), "%s/none", dir);
	cr_assert_eq(secret_load(p, key, &len, err, sizeof(err)), -1);
	cr_assert(strstr(err, p) != NULL);
}
