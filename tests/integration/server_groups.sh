#!/bin/sh
# SPDX-License-Identifier: ISC
# server_groups.sh: server-managed groups (PROTOCOL.md §7) on a real
# p2p-server driven by srvclient: joins under both policies, a refused join
# of an ungranted group, membership events in order at every member,
# join_complete at the timeout, the withdrawal when the last shared group is
# left, groups surviving a restart (even a SIGKILL), and a corrupt groups file
# refused at start. Loopback port 0 only.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
SRVCLIENT="$top_builddir/tests/integration/srvclient"

"$P2P_SERVER" -h | grep -q -- --join-timeout ||
	skip "this p2p-server has no --join-timeout (groups not wired in server.c)"

kill_server() {	# kill_server SIGNAL: stop the server, wait for it
	kill "-$1" "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	_rc=$?
	rm -f "$T/srv/port"
	return $_rc
}

no_sanitizer_report() {
	if grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" "$T/server.log"; then
		fail "sanitizer report"
	fi
}

start_server --join-timeout 2
"$SRVCLIENT" "$SERVER_PORT" "$T/secret" groups || fail "srvclient groups"

# Written within SRV_GROUP_SYNC_US (0.2 s): a SIGKILL after that loses nothing.
sleep 0.6
grep -q "^member lobby alice$" "$T/srv/groups" || fail "groups file: $(cat "$T/srv/groups")"
kill_server KILL
echo "ok - the groups file holds the memberships before any clean exit"

start_server --join-timeout 2
"$SRVCLIENT" "$SERVER_PORT" "$T/secret" groups-restarted ||
	fail "srvclient after a restart"
kill_server TERM || fail "server exited $_rc on SIGTERM"
no_sanitizer_report
echo "ok - SIGTERM with groups: clean exit 0"

# A corrupt file: the server names file and line and refuses to start.
cp "$T/srv/groups" "$T/groups.good"
printf 'member lobby bad id!\n' >> "$T/srv/groups"
"$P2P_SERVER" -f --listen 127.0.0.1:0 --secret-file "$T/secret" \
    --state-dir "$T/srv" >"$T/corrupt.out" 2>&1 &
CPID=$!
PIDS="$PIDS $CPID"
i=0
while kill -0 "$CPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$CPID" 2>/dev/null && fail "the server runs with a corrupt groups file"
wait "$CPID" && fail "the server exited 0 with a corrupt groups file"
grep -q "srv/groups:6: expected 'member GROUP PEER_ID'" "$T/corrupt.out" ||
	fail "corrupt file not reported with its line: $(cat "$T/corrupt.out")"
[ -s "$T/srv/port" ] && fail "a port was written despite the corrupt file"
cmp -s "$T/srv/groups" "$T/groups.good" && fail "the corrupt file was rewritten"
echo "ok - a corrupt groups file is reported with its line; the server does not start"

# Policy open, from an empty state directory.
rm -f "$T/srv/groups"
start_server --policy open
"$SRVCLIENT" "$SERVER_PORT" "$T/secret" groups-open || fail "srvclient groups-open"
kill_server TERM || fail "server exited $_rc on SIGTERM"
no_sanitizer_report
echo "ok - policy open"
exit 0
