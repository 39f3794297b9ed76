#!/bin/sh
# SPDX-License-Identifier: ISC
# notify.sh: the daemons speak systemd's notify protocol (Type=notify units)
# to a NOTIFY_SOCKET this test listens on, with WATCHDOG_USEC set as
# WatchdogSec= would: READY=1 once they serve, WATCHDOG=1 from their event
# loop every half interval, STOPPING=1 on SIGTERM; a malformed WATCHDOG_USEC
# is named in the log and the daemon runs on without a watchdog.
. "$top_srcdir/tests/integration/lib.sh"

grep -q '^#define HAVE_LIBSYSTEMD 1' "$top_builddir/config.h" ||
    skip "built without libsystemd (libsystemd-dev): the daemons send no sd_notify"
NS="$top_builddir/tests/integration/notifysock"

# listen NAME SECONDS: a notify socket $T/NAME.ns, its messages in $T/NAME.msgs
listen() {
	"$NS" "$T/$1.ns" "$2" > "$T/$1.msgs" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 5 test -S "$T/$1.ns" || fail "notifysock did not bind"
}
count() { grep -c "$2" "$T/$1.msgs"; }
first_ms() { awk -v m="$2" 'index($0, m) { print $1; exit }' "$T/$1.msgs"; }

# The watchdog at 600 ms: a pet every 300 ms.
listen srv 30
NOTIFY_SOCKET="$T/srv.ns" WATCHDOG_USEC=600000 start_server
wait_for 10 grep -q READY=1 "$T/srv.msgs" || fail "p2p-server sent no READY=1"
listen ag 30
export NOTIFY_SOCKET="$T/ag.ns" WATCHDOG_USEC=600000
start_agent alice
unset NOTIFY_SOCKET WATCHDOG_USEC
wait_for 10 grep -q READY=1 "$T/ag.msgs" || fail "p2pd sent no READY=1"
# READY=1 from p2pd means its socket takes clients.
ctl alice status >/dev/null || fail "p2pctl status right after READY=1"
wait_registered alice

sleep 3
for who in srv ag; do
	r=$(first_ms $who READY=1)
	n=$(awk -v r="$r" '/WATCHDOG=1/ && $1 >= r && $1 < r + 3000' "$T/$who.msgs" | wc -l)
	echo "$who: READY=1 at ${r} ms, then $n WATCHDOG=1 in the next 3 s"
	# 300 ms apart for 3 s is 10; a loaded machine may lose a few.
	[ "$n" -ge 6 ] || fail "$who: $n WATCHDOG=1 in 3 s (every 300 ms wanted)"
	gaps=$(awk '/WATCHDOG=1/ { if (p) { g = $1 - p; if (g > m) m = g } p = $1 }
	    END { print m + 0 }' "$T/$who.msgs")
	echo "$who: longest gap between pets $gaps ms (the watchdog fires at 600)"
done

# SIGTERM: STOPPING=1, and no more pets after it.
kill -TERM "$alice_PID"; wait "$alice_PID" 2>/dev/null
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
for who in srv ag; do
	grep -q STOPPING=1 "$T/$who.msgs" || fail "$who: no STOPPING=1 on SIGTERM"
	[ "$(sed -n '/STOPPING=1/,$p' "$T/$who.msgs" | grep -c WATCHDOG=1)" -eq 0 ] ||
	    fail "$who: WATCHDOG=1 after STOPPING=1"
done
echo "STOPPING=1 from both on SIGTERM, no pet after it"

# Bad values: named in the log, no watchdog, the daemon serves on.
rm -f "$T/srv/port"
listen bad 10
NOTIFY_SOCKET="$T/bad.ns" WATCHDOG_USEC=soon start_server
wait_for 10 grep -q READY=1 "$T/bad.msgs" || fail "no READY=1 with WATCHDOG_USEC=soon"
grep -q "WATCHDOG_USEC 'soon'.*watchdog stays off" "$T/server.log" ||
    fail "a malformed WATCHDOG_USEC was not named in the log"
sleep 1
[ "$(count bad WATCHDOG=1)" -eq 0 ] || fail "pets with a malformed WATCHDOG_USEC"
echo "WATCHDOG_USEC=soon: $(grep -o "WATCHDOG_USEC 'soon'.*" "$T/server.log")"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
echo "ok"
