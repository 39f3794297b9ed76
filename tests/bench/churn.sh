#!/bin/sh
# SPDX-License-Identifier: ISC
# Group churn benchmark: AGENTS agent processes (default 50) on loopback
# toggle memberships of GROUPS groups (default 20) OPS times (default 3000).
# Prints operations per second, the latency from request to event, and the
# server's memory before and after. Not part of make check.
#
# usage: top_builddir=BUILD top_srcdir=SRC sh tests/bench/churn.sh [AGENTS [OPS [GROUPS]]]
. "$top_srcdir/tests/integration/lib.sh"
agents=${1:-50}
ops=${2:-3000}
groups=${3:-20}

rss() { sed -n 's/^VmRSS: *//p' "/proc/$1/status"; }

start_server --policy open
socks=""
names=""
i=1
while [ $i -le "$agents" ]; do
	start_agent "a$i"
	names="$names a$i"
	socks="$socks $T/a$i/sock"
	i=$((i + 1))
done
# shellcheck disable=SC2086
wait_registered $names
echo "server RSS with $agents agents registered: $(rss "$SERVER_PID")"
# shellcheck disable=SC2086
"$top_builddir/tests/integration/churn" "$ops" "$groups" 7 $socks || fail "churn"
echo "server RSS after $ops operations: $(rss "$SERVER_PID")"
echo "agent RSS (a1) after churn: $(rss "$a1_PID")"
