/* SPDX-License-Identifier: ISC */
/*
 * test_agent_ident.c: the agent's identity key file (daemon/agent/ident.c).
 */
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent.h"
#include "log.h"

static char dir[256];
static char keypath[300];

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL)
		tmp = getenv("top_builddir");

	cr_assert(sodium_init() >= 0);
	log_init("test", 1, -1);
	snprintf(dir, sizeof(dir), "%s/identXXXXXX", tmp ? tmp : ".");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(keypath, sizeof(keypath), "%s/state/identity.key", dir);
}

static void
teardown(void)
{
	char path[300];

	unlink(keypath);
	snprintf(path, sizeof(path), "%s/state", dir);
	rmdir(path);
	rmdir(dir);
}

TestSuite(ident, .init = setup, .fini = teardown);

static void
state_dir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/state", dir);
}

Test(ident, created_private_and_reloaded)
{
	uint8_t pk[32], sk[64], pk2[32], sk2[64], sig[64];
	char sd[300];
	struct stat st;

	state_dir(sd, sizeof(sd));
	cr_assert_eq(ident_load(sd, pk, sk), 0);
	cr_assert_eq(stat(keypath, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
	cr_assert_eq(st.st_size, 64);
	cr_assert_eq(ident_load(sd, pk2, sk2), 0);
	cr_assert(memcmp(pk, pk2, 32) == 0, "same key after restart");
	/* the pair works: a signature made with sk verifies under pk */
	crypto_sign_detached(sig, NULL, (const uint8_t *)"x", 1, sk2);
	cr_assert_eq(crypto_sign_verify_detached(sig, (const uint8_t *)"x", 1,
	    pk), 0);
}

Test(ident, refuses_key_readable_by_others)
{
	uint8_t pk[32], sk[64];
	char sd[300];

	state_dir(sd, sizeof(sd));
	cr_assert_eq(ident_load(sd, pk, sk), 0);
	cr_assert_eq(chmod(keypath, 0644), 0);
	cr_assert_eq(ident_load(sd, pk, sk), -1);
	cr_assert_eq(chmod(keypath, 0640), 0);
	cr_assert_eq(ident_load(sd, pk, sk), -1);
}

Test(ident, refuses_truncated_or_long_key)
{
	uint8_t pk[32], sk[64], junk[65] = { 0 };
	char sd[300];
	int fd;

	state_dir(sd, sizeof(sd));
	cr_assert_eq(ident_load(sd, pk, sk), 0);
	fd = open(keypath, O_WRONLY | O_TRUNC);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, junk, 10), 10);
	close(fd);
	cr_assert_eq(ident_load(sd, pk, sk), -1, "10-byte key accepted");
	fd = open(keypath, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, junk, 65), 65);
	close(fd);
	cr_assert_eq(ident_load(sd, pk, sk), -1, "65-byte key accepted");
}

Test(ident, refuses_symlink)
{
	uint8_t pk[32], sk[64];
	char sd[300], target[300];

	state_dir(sd, sizeof(sd));
	cr_assert_eq(ident_load(sd, pk, sk), 0);
	snprintf(target, sizeof(target), "%s/other.key", dir);
	cr_assert_eq(rename(keypath, target), 0);
	cr_assert_eq(symlink(target, keypath), 0);
	cr_assert_eq(ident_load(sd, pk, sk), -1);
	unlink(target);
}
