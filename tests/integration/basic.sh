#!/bin/sh
# SPDX-License-Identifier: ISC
# Two agents register, connect and exchange messages through p2pctl; the
# user-visible behaviour of status, peers, send, recv and exit codes.
. "$top_srcdir/tests/integration/lib.sh"

start_server
start_agent alice g1
start_agent bob g1
wait_registered alice bob

st=$(ctl alice --json status) || fail "status"
echo "$st" | grep -q '"peer_id": *"alice"' || fail "status has no peer_id alice: $st"
echo "$st" | grep -q '"public_addr": *"127.0.0.1:[0-9]*"' || fail "status has no public_addr: $st"
echo "$st" | grep -q '"packets_in"' || fail "status has no counters: $st"
ctl alice status --json >/dev/null || fail "--json after the subcommand"

# Messages sent before anyone reads wait in the inbox, in order; recv takes
# exactly N and leaves the rest.
ctl alice send bob "first" || fail "send first"
ctl alice send bob "second" || fail "send second"
ctl alice send bob --service other "on another service" || fail "send other"
ctl alice send --sync bob "third" || fail "send --sync"
[ "$(ctl bob recv --timeout 5)" = "first" ] || fail "recv 1"
[ "$(ctl bob recv --count 2 --timeout 5)" = "$(printf 'second\nthird')" ] || fail "recv 2"
[ "$(ctl bob recv --service other --timeout 5)" = "on another service" ] || fail "recv other service"

# Nothing left: recv times out with status 1.
ctl bob recv --timeout 1 >/dev/null 2>&1
[ $? -eq 1 ] || fail "recv on an empty inbox did not exit 1 on timeout"

# JSON output; binary data is base64.
ctl bob send alice "héllo" || fail "send utf-8"
printf '\377\376\000binary' | ctl bob send alice - || fail "send stdin"
j=$(ctl alice --json recv --count 2 --timeout 5) || fail "json recv"
echo "$j" | head -1 | grep -q '"from": *"bob"' || fail "json recv from: $j"
echo "$j" | head -1 | grep -q '"data": *"héllo"' || fail "json recv data: $j"
echo "$j" | tail -1 | grep -q '"encoding": *"base64"' || fail "binary data not base64: $j"
echo "$j" | tail -1 | grep -q '"data": *"//4AYmluYXJ5"' || fail "base64 data wrong: $j"

# The session shows in peers.
p=$(ctl alice --json peers) || fail "peers"
echo "$p" | grep -q '"peer_id": *"bob"' || fail "peers lacks bob: $p"
echo "$p" | grep -q '"path": *"direct"' || fail "path is not direct: $p"
echo "$p" | grep -q '"rtt_ms"' || fail "peers lacks rtt_ms: $p"
ctl alice ping bob -c 2 >/dev/null || fail "ping"

# One reader per service.
ctl bob recv --service held --timeout 10 >/dev/null 2>&1 &
holder=$!
sleep 0.5
err=$(ctl bob recv --service held --timeout 1 2>&1)
[ $? -eq 1 ] || fail "a second reader of a service was not refused"
echo "$err" | grep -qi "held" || fail "refusal does not name the holder: $err"
kill $holder 2>/dev/null; wait $holder 2>/dev/null

# Errors: unknown peer, policy, usage, agent not running.
err=$(ctl alice connect carol --timeout 5 2>&1)
[ $? -eq 1 ] || fail "connect to an unknown peer did not exit 1"
echo "$err" | grep -q "carol is not registered" || fail "unknown peer message: $err"
start_agent eve g2
wait_registered eve
err=$(ctl alice connect eve --timeout 5 2>&1)
[ $? -eq 1 ] || fail "connect across groups was not refused"
echo "$err" | grep -qi "group" || fail "policy refusal does not say why: $err"
ctl alice frobnicate >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown subcommand did not exit 2"
ctl alice recv --count nope >/dev/null 2>&1
[ $? -eq 2 ] || fail "bad --count did not exit 2"
"$P2PCTL" -s "$T/nonexistent.sock" status >/dev/null 2>&1
[ $? -eq 3 ] || fail "status without an agent did not exit 3"
# --help and --version: on stdout, exit 0, for all three programs.
for prog in "$P2PD" "$P2PCTL" "$top_builddir/p2p-server"; do
	name=$(basename "$prog")
	"$prog" --help > "$T/help.out" 2>&1 || fail "$name --help did not exit 0"
	grep -q "^usage: $name" "$T/help.out" || fail "$name --help: $(head -3 "$T/help.out")"
	v=$("$prog" --version) || fail "$name --version did not exit 0"
	case $v in "$name "[0-9]*) ;; *) fail "$name --version said '$v'";; esac
done
"$P2PD" --bogus > /dev/null 2> "$T/bogus.err"
[ $? -eq 2 ] && grep -q -- "--bogus" "$T/bogus.err" ||
    fail "p2pd --bogus did not exit 2 naming the flag: $(cat "$T/bogus.err")"

# Events: disconnect is reported to both sides.
ctl bob --json events > "$T/events.out" 2>&1 &
ev=$!
sleep 0.5
ctl alice disconnect bob || fail "disconnect"
wait_for 5 grep -q '"event": *"peer_state"' "$T/events.out" || fail "no peer_state event: $(cat "$T/events.out")"
grep '"peer_id": *"alice"' "$T/events.out" | grep -q closed || fail "no closed event for alice: $(cat "$T/events.out")"
kill $ev 2>/dev/null; wait $ev 2>/dev/null

# After a disconnect, send opens a new session.
ctl alice send bob "again" || fail "send after disconnect"
[ "$(ctl bob recv --timeout 5)" = "again" ] || fail "recv after reconnect"

# The socket: 0660 in a directory p2pd creates 0750; a bad config line is
# reported as FILE:LINE and the agent does not start.
mkdir -p "$T/dave"
mint dave g1 > "$T/dave/token"
"$P2PD" -f --server "127.0.0.1:$SERVER_PORT" --token-file "$T/dave/token" \
    --socket "$T/dave/run/p2pd.sock" --state-dir "$T/dave" >"$T/dave.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 test -S "$T/dave/run/p2pd.sock" || fail "dave's socket did not appear"
[ "$(stat -c %a "$T/dave/run")" = 750 ] || fail "socket directory mode $(stat -c %a "$T/dave/run")"
[ "$(stat -c %a "$T/dave/run/p2pd.sock")" = 660 ] || fail "socket mode $(stat -c %a "$T/dave/run/p2pd.sock")"
printf 'server = 127.0.0.1:1\nbogus-key = 1\n' > "$T/bad.conf"
err=$("$P2PD" -f -c "$T/bad.conf" 2>&1)
[ $? -ne 0 ] || fail "p2pd started with an unknown config key"
echo "$err" | grep -q "bad.conf:2:.*bogus-key" || fail "config error does not name file:line and key: $err"
err=$("$P2PD" -f --port 70000 2>&1)
[ $? -ne 0 ] || fail "p2pd accepted --port 70000"
echo "$err" | grep -q -- "--port" || fail "bad flag error does not name the flag: $err"
err=$("$P2P_SERVER" -f --policy maybe --secret-file "$T/secret" 2>&1)
[ $? -ne 0 ] || fail "p2p-server accepted --policy maybe"
echo "$err" | grep -q "policy" || fail "bad --policy error: $err"

# Clean shutdown.
kill -TERM "$alice_PID"; wait "$alice_PID"; r=$?
[ $r -eq 0 ] || fail "p2pd exited $r on SIGTERM"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; r=$?
[ $r -eq 0 ] || fail "p2p-server exited $r on SIGTERM"
echo "basic: ok"
