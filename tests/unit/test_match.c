/* SPDX-License-Identifier: ISC */
/* test_match.c: matchmaking tickets' attributes, sizes and pools (match.h). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "match.h"

static struct match_attr
kv(const char *s)
{
	struct match_attr a;
	char err[256];

	cr_assert_eq(match_attr_parse(s, &a, err, sizeof(err)), 0, "%s: %s",
	    s, err);
	return a;
}

static void
bad_kv(const char *s, const char *want)
{
	struct match_attr a;
	char err[256] = "";

	cr_assert_eq(match_attr_parse(s, &a, err, sizeof(err)), -1,
	    "accepted '%s'", s);
	cr_assert(strstr(err, want) != NULL, "'%s': error '%s' lacks '%s'",
	    s, err, want);
}

Test(match, parse_key_value)
{
	struct match_attr a = kv("map=dunes");

	cr_assert_str_eq(a.key, "map");
	cr_assert_str_eq(a.value, "dunes");
	a = kv("note=a=b c");	/* the first '=' splits */
	cr_assert_str_eq(a.key, "note");
	cr_assert_str_eq(a.value, "a=b c");
	bad_kv("map", "expected KEY=VALUE");
	bad_kv("=dunes", "the key must be");
	bad_kv("bad key=x", "the key must be");
	bad_kv("map=", "a value of 1 to 64 bytes");
	bad_kv("map=a\tb", "control character");
	bad_kv("map=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "a value of 1 to 64 bytes");
}

Test(match, sets_are_sorted_and_checked)
{
	struct match_attr a[MATCH_ATTRS_MAX + 1];
	char err[256];
	unsigned i;

	a[0] = kv("mode=duel");
	a[1] = kv("map=dunes");
	a[2] = kv("region=eu");
	cr_assert_eq(match_attrs_check(a, 3, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(a[0].key, "map");
	cr_assert_str_eq(a[1].key, "mode");
	cr_assert_str_eq(a[2].key, "region");
	a[2] = kv("map=port");
	cr_assert_eq(match_attrs_check(a, 3, err, sizeof(err)), -1);
	cr_assert(strstr(err, "attribute map is given twice") != NULL, "%s",
	    err);
	for (i = 0; i <= MATCH_ATTRS_MAX; i++) {
		char s[32];

		snprintf(s, sizeof(s), "k%u=v", i);
		a[i] = kv(s);
	}
	cr_assert_eq(match_attrs_check(a, MATCH_ATTRS_MAX, err, sizeof(err)),
	    0);
	cr_assert_eq(match_attrs_check(a, MATCH_ATTRS_MAX + 1, err,
	    sizeof(err)), -1);
	cr_assert(strstr(err, "too many attributes (9; at most 8") != NULL,
	    "%s", err);
}

Test(match, the_token_overrides_what_the_device_claims)
{
	struct match_attr a[MATCH_ATTRS_MAX], v[2];
	char err[256];
	unsigned n = 2, i;

	a[0] = kv("skill=gold");
	a[1] = kv("map=dunes");
	v[0] = kv("skill=bronze");
	v[1] = kv("region=eu");
	cr_assert_eq(match_attrs_vouch(a, &n, v, 2, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(a[0].key, "map");
	cr_assert_str_eq(a[0].value, "dunes");
	cr_assert_str_eq(a[1].key, "region");
	cr_assert_str_eq(a[1].value, "eu", "a vouched key is added");
	cr_assert_str_eq(a[2].key, "skill");
	cr_assert_str_eq(a[2].value, "bronze", "the token's value wins");
	/* Too many once the token's are added. */
	n = 7;
	for (i = 0; i < n; i++) {
		char s[32];

		snprintf(s, sizeof(s), "c%u=v", i);
		a[i] = kv(s);
	}
	cr_assert_eq(match_attrs_vouch(a, &n, v, 2, err, sizeof(err)), -1);
	cr_assert(strstr(err, "the token's included") != NULL, "%s", err);
}

Test(match, pools_follow_size_and_attributes)
{
	struct match_attr a[2], b[2];
	char pa[MATCH_POOL_HEX + 1], pb[MATCH_POOL_HEX + 1], err[64];

	a[0] = kv("map=dunes");
	a[1] = kv("mode=duel");
	b[0] = kv("mode=duel");
	b[1] = kv("map=dunes");
	cr_assert_eq(match_attrs_check(b, 2, err, sizeof(err)), 0);
	match_pool_id(a, 2, 2, pa);
	match_pool_id(b, 2, 2, pb);
	cr_assert_str_eq(pa, pb, "the same set in another order");
	cr_assert_eq(strlen(pa), MATCH_POOL_HEX);
	cr_assert(match_attrs_equal(a, 2, b, 2));
	match_pool_id(a, 2, 3, pb);
	cr_assert_str_neq(pa, pb, "another size");
	b[1] = kv("map=dune");
	match_pool_id(b, 2, 2, pb);
	cr_assert_str_neq(pa, pb, "another value");
	cr_assert_not(match_attrs_equal(a, 2, b, 2));
	/* "a"+"bc" and "ab"+"c" must not collide. */
	a[0] = kv("a=bc");
	b[0] = kv("ab=c");
	match_pool_id(a, 1, 2, pa);
	match_pool_id(b, 1, 2, pb);
	cr_assert_str_neq(pa, pb);
}

Test(match, sizes_and_timeouts)
{
	char err[128];

	cr_assert_eq(match_size_check(2, err, sizeof(err)), 0);
	cr_assert_eq(match_size_check(MATCH_SIZE_MAX, err, sizeof(err)), 0);
	cr_assert_eq(match_size_check(0, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "size 0: a match is 2 to 32 devices");
	cr_assert_eq(match_size_check(1, err, sizeof(err)), -1);
	cr_assert_eq(match_size_check(1000000, err, sizeof(err)), -1);
	cr_assert_eq(match_timeout_check(0, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "timeout 0: 1 to 3600 seconds");
	cr_assert_eq(match_timeout_check(3601, err, sizeof(err)), -1);
	cr_assert_eq(match_timeout_check(30, err, sizeof(err)), 0);
}
