#!/bin/sh
# SPDX-License-Identifier: ISC
# agent_reload.sh: SIGHUP on p2pd with a session up. The -c file's
# log-level takes effect at once (what is logged at info and debug appears
# and disappears with it), a key that needs a restart is logged and kept, an
# option given on the command line keeps precedence over the file, a file
# with an error is refused with FILE:LINE and the old settings stay; the
# session and the registration survive every reload. A malformed
# --log-level is refused at start and by --check-config, naming it.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"

start_server
start_agent alice g
mkdir -p "$T/bob"
mint bob g > "$T/bob/token" || fail "minting a token for bob"
conf() {	# conf LINES...: bob's config file
	printf '%s\n' "# p2pd config of agent_reload.sh" "server = 127.0.0.1:$SERVER_PORT" \
	    "token-file = $T/bob/token" "$@" > "$T/bob.conf"
}
bad() {	# bad NAME ARGS...: p2pd exits 1 naming NAME
	_n=$1; shift
	"$P2PD" "$@" >"$T/bad.out" 2>&1
	[ $? -eq 1 ] || fail "p2pd $* did not exit 1"
	grep -q -- "$_n" "$T/bad.out" || fail "p2pd $*: the error does not name $_n: $(cat "$T/bad.out")"
	echo "refused: $(cat "$T/bad.out")"
}
conf "log-level = loud"
bad --log-level -f -c "$T/bob.conf" --socket "$T/bob/sock" --state-dir "$T/bob"
bad --log-level --check-config -c "$T/bob.conf"
bad --log-level --check-config -c "$T/bob.conf" --log-level
conf "log-level = warning" "keepalive = 15"
"$P2PD" --check-config -c "$T/bob.conf" >"$T/check.out" 2>&1 ||
    fail "--check-config of a good file: $(cat "$T/check.out")"

# bob: its level from the file; --keepalive on the command line.
"$P2PD" -f -c "$T/bob.conf" --socket "$T/bob/sock" --state-dir "$T/bob" \
    --keepalive 20 >"$T/bob.log" 2>&1 &
bob_PID=$!
PIDS="$PIDS $bob_PID"
wait_registered alice bob
ctl alice connect bob >/dev/null || fail "alice could not connect to bob"
ctl alice send bob "before" >/dev/null || fail "send before the reloads"
[ "$(ctl bob recv --timeout 5)" = before ] || fail "bob did not receive 'before'"
regs=$(grep -c "peer [a-z]* registered from" "$T/server.log")

hup() {	# hup: SIGHUP to bob, wait for its verdict in the log
	_n=$(grep -c "reload done\|reload refused" "$T/bob.log")
	kill -HUP "$bob_PID"
	wait_for 10 sh -c "[ \$(grep -c 'reload done\|reload refused' '$T/bob.log') -gt $_n ]" ||
	    fail "bob logged no reload verdict"
	kill -0 "$bob_PID" 2>/dev/null || fail "bob died of SIGHUP"
}
connected() { grep -c "client connected" "$T/bob.log"; }

# warning: a client's connection (info) is not logged.
ctl bob status >/dev/null
[ "$(connected)" -eq 0 ] || fail "info logged at log-level warning"
# info, and a file keepalive the command line overrides.
conf "log-level = info" "keepalive = 25"
hup
grep -q "reload: log level info" "$T/bob.log" || fail "no 'log level info' after the reload"
grep -q "keepalive" "$T/bob.log" && fail "the file's keepalive was taken over --keepalive 20"
ctl bob status >/dev/null
[ "$(connected)" -ge 1 ] || fail "log-level info did not take effect"
echo "log-level warning -> info: $(grep 'reload: log' "$T/bob.log" | tail -n 2 | tr '\n' ' ')"

# debug and a key that needs a restart.
conf "log-level = debug" "port = 40999"
hup
grep -q "reload: port changed (0 -> 40999): restart needed; it stays 0" "$T/bob.log" ||
    fail "no 'restart needed' for port: $(tail -n 5 "$T/bob.log")"
ctl bob status >/dev/null
grep -q "client pid [0-9]*: " "$T/bob.log" || fail "log-level debug did not take effect"
echo "$(grep 'restart needed' "$T/bob.log")"

# A file with an error: refused with FILE:LINE, debug stays.
conf "log-level = warning" "no-such-key = 1"
hup
grep -q "reload refused, the running configuration stays: $T/bob.conf:5: " "$T/bob.log" ||
    fail "a broken file was not refused with FILE:LINE: $(tail -n 3 "$T/bob.log")"
echo "$(grep 'reload refused' "$T/bob.log")"
n=$(grep -c "client pid [0-9]*: " "$T/bob.log")
ctl bob status >/dev/null
sleep 0.2
[ "$(grep -c "client pid [0-9]*: " "$T/bob.log")" -gt "$n" ] ||
    fail "the refused file changed the log level"
# A bad value in the file: refused, naming the option.
conf "log-level = loud"
hup
grep -q "reload refused.*--log-level: 'loud'" "$T/bob.log" || fail "log-level = loud was not refused"

# The session and the registrations survived.
ctl alice send bob "after" >/dev/null || fail "send after the reloads"
[ "$(ctl bob recv --timeout 5)" = after ] || fail "bob did not receive 'after'"
ctl alice peers | grep -q "bob.*up" || fail "alice's session with bob is not up"
[ "$regs" -eq 2 ] || fail "$regs registrations before the reloads, 2 expected"
[ "$(grep -c "peer [a-z]* registered from" "$T/server.log")" -eq "$regs" ] ||
    fail "an agent registered again: $(grep "registered from" "$T/server.log")"
echo "ok: 4 reloads, the session alice-bob up throughout, no new registration"
