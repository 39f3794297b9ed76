#!/bin/sh
# SPDX-License-Identifier: ISC
# Group churn, small: 8 agents toggle memberships of 6 groups 300 times;
# every operation succeeds and its event arrives; then every daemon exits 0
# on SIGTERM (under ASan that includes LeakSanitizer's check at exit).
. "$top_srcdir/tests/integration/lib.sh"

start_server --policy open
socks=""
names=""
for i in 1 2 3 4 5 6 7 8; do
	start_agent "a$i"
	names="$names a$i"
	socks="$socks $T/a$i/sock"
done
# shellcheck disable=SC2086
wait_registered $names
# shellcheck disable=SC2086
"$top_builddir/tests/integration/churn" 300 6 1 $socks || fail "churn"
for i in 1 2 3 4 5 6 7 8; do
	eval "pid=\$a${i}_PID"
	kill -TERM "$pid"; wait "$pid"; r=$?
	[ $r -eq 0 ] || fail "agent a$i exited $r after churn (a leak report?)"
done
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; r=$?
[ $r -eq 0 ] || fail "p2p-server exited $r after churn (a leak report?)"
echo "churn: ok"
