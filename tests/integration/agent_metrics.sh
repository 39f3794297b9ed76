#!/bin/sh
# SPDX-License-Identifier: ISC
# agent_metrics.sh: what an operator sees of p2pd. --metrics serves
# Prometheus text that curl scrapes, and its figures move with traffic:
# sessions by path (a direct one and a relayed one), bytes sent in total,
# per session and through the relay, handshakes, drops by reason (junk
# datagrams). `p2pctl metrics` shows the same samples (text and --json).
# `p2pctl status` has the version and an uptime that grows, `p2pctl peers`
# the cipher and the handshake, last packet and RTT sample ages, `p2pctl
# events` a timestamp on every event, and `p2pctl log-level` changes what is
# logged at once. Malformed --metrics values and log levels are refused,
# naming them.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
TOOL="$top_builddir/tests/integration/p2ptest"
command -v curl >/dev/null 2>&1 || skip "no curl"

# Malformed --metrics: refused at start and by --check-config, by name.
start_server
mkdir -p "$T/x"
mint x > "$T/x/token" || fail "minting a token"
bad() {	# bad NAME ARGS...: p2pd exits 1 naming NAME
	_n=$1; shift
	"$P2PD" -f --server 127.0.0.1:9 --token-file "$T/x/token" \
	    --socket "$T/x/sock" --state-dir "$T/x" "$@" >"$T/bad.out" 2>&1
	[ $? -eq 1 ] || fail "p2pd $* did not exit 1: $(cat "$T/bad.out")"
	grep -q -- "$_n" "$T/bad.out" || fail "p2pd $*: the error does not name $_n: $(cat "$T/bad.out")"
	echo "refused: $(cat "$T/bad.out")"
}
bad --metrics --metrics nonsense:port
bad --metrics --metrics 127.0.0.1
bad --metrics --metrics 127.0.0.1:70000
bad --metrics-public --metrics 192.0.2.1:9100
bad --metrics-public --check-config --metrics 192.0.2.1:9100
bad --metrics --check-config --metrics '[::1'
"$P2PD" --check-config --server 127.0.0.1:9 --token-file "$T/x/token" \
    --metrics 192.0.2.1:9100 --metrics-public >"$T/check.out" 2>&1 ||
    fail "--metrics-public did not allow a non-loopback address: $(cat "$T/check.out")"

AGENT_ARGS="--metrics 127.0.0.1:0" start_agent alice g
start_agent bob g
AGENT_ARGS=--no-direct start_agent carol g
wait_registered alice bob carol
wait_for 10 grep -q "metrics on http://127.0.0.1:[0-9]*/metrics" "$T/alice.log" ||
    fail "alice did not say where its metrics are"
MPORT=$(sed -n 's|.*metrics on http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$T/alice.log" | head -n 1)
scrape() { curl -s -m 10 "http://127.0.0.1:$MPORT/metrics"; }
m() {	# m SAMPLE: its value in a fresh scrape (SAMPLE as written, labels included)
	scrape | awk -v n="$1" '$1 == n { print $2 }'
}
scrape > "$T/m0" || fail "curl could not scrape alice's metrics"
grep -q '^# TYPE p2pd_sessions gauge$' "$T/m0" || fail "no TYPE line for p2pd_sessions: $(head -n 20 "$T/m0")"
[ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/nothing")" = 404 ] ||
    fail "a path other than /metrics was not 404"
[ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST -d x "http://127.0.0.1:$MPORT/metrics")" != 200 ] ||
    fail "POST /metrics was answered"
# At most 16 connections at once: 16 idle ones hold the endpoint, a 17th
# is not answered until one of them closes, then it is.
/usr/bin/python3 - "$MPORT" > "$T/cap.out" 2>&1 <<'EOF' || fail "connection cap: $(cat "$T/cap.out")"
import socket, sys, time
port = int(sys.argv[1])
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
time.sleep(0.5)
late = socket.create_connection(("127.0.0.1", port))
late.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
late.settimeout(1.5)
try:
    got = late.recv(100)
    sys.exit("a 17th connection was answered while 16 were open: %r" % got)
except socket.timeout:
    pass
for s in idle:
    s.close()
late.settimeout(5)
got = late.recv(100)
if not got.startswith(b"HTTP/1.") or b" 200 " not in got:
    sys.exit("after the others closed the 17th got %r" % got)
print("the 17th waited, then got: %s" % got.split(b"\r\n")[0].decode())
EOF
grep -q "metrics: 16 connections: not accepting more until one closes" "$T/alice.log" ||
    fail "the connection cap was not logged"
echo "connection cap: $(cat "$T/cap.out")"
scrape > /dev/null || fail "no scrape after the connection cap"

[ "$(m p2pd_handshakes_total)" = 0 ] || fail "handshakes before any session: $(m p2pd_handshakes_total)"
[ "$(m p2pd_registered)" = 1 ] || fail "p2pd_registered is not 1"

# A direct session with bob, a relayed one with carol.
ctl alice connect bob --timeout 10 >/dev/null || fail "connect alice -> bob"
ctl alice connect carol --timeout 10 >/dev/null || fail "connect alice -> carol"
wait_for 10 sh -c "curl -s http://127.0.0.1:$MPORT/metrics | grep -qx 'p2pd_sessions{path=\"direct\"} 1'" ||
    fail "no direct session in the metrics: $(scrape | grep p2pd_sessions)"
[ "$(m 'p2pd_sessions{path="relay"}')" = 1 ] || fail "no relayed session in the metrics: $(scrape | grep p2pd_sessions)"
[ "$(m p2pd_handshakes_total)" = 2 ] || fail "p2pd_handshakes_total is $(m p2pd_handshakes_total), not 2"
echo "sessions: $(scrape | grep '^p2pd_sessions' | tr '\n' ' ')"

# 300 kB to each: the totals, the sessions' and the relay's bytes move.
head -c 300000 /dev/zero | tr '\0' a > "$T/blob"
sent0=$(m p2pd_sent_bytes_total)
bob0=$(m 'p2pd_peer_sent_bytes_total{peer="bob"}')
relay0=$(m 'p2pd_relay_bytes_total{direction="out"}')
ctl alice send bob --sync - < "$T/blob" >/dev/null || fail "send to bob"
ctl alice send carol --sync - < "$T/blob" >/dev/null || fail "send to carol"
sent1=$(m p2pd_sent_bytes_total)
bob1=$(m 'p2pd_peer_sent_bytes_total{peer="bob"}')
relay1=$(m 'p2pd_relay_bytes_total{direction="out"}')
echo "sent bytes $sent0 -> $sent1, to bob $bob0 -> $bob1, relay out $relay0 -> $relay1"
[ $((sent1 - sent0)) -ge 600000 ] || fail "p2pd_sent_bytes_total grew by $((sent1 - sent0)), not 600000"
[ $((bob1 - bob0)) -ge 300000 ] || fail "bob's session bytes grew by $((bob1 - bob0)), not 300000"
[ $((relay1 - relay0)) -ge 300000 ] || fail "relay bytes grew by $((relay1 - relay0)), not 300000"
[ "$(ctl bob recv --timeout 5 | tr -d '\n' | wc -c)" -eq 300000 ] || fail "bob did not receive the 300000 bytes"

# Junk datagrams: counted, with a reason.
aport=$(ctl alice --json status | sed -n 's/.*"local_port": *\([0-9]*\).*/\1/p')
drop0=$(m p2pd_dropped_total)
"$TOOL" udpjunk 127.0.0.1 "$aport" 500 3 >/dev/null || fail "udpjunk"
wait_for 5 sh -c "[ \$(curl -s http://127.0.0.1:$MPORT/metrics | awk '\$1 == \"p2pd_dropped_total\" { print \$2 }') -gt $drop0 ]" ||
    fail "junk was not counted in p2pd_dropped_total"
scrape > "$T/m1"
reasons=$(awk '$1 ~ /^p2pd_drops_total/ { s += $2 } END { print s }' "$T/m1")
[ "$reasons" = "$(awk '$1 == "p2pd_dropped_total" { print $2 }' "$T/m1")" ] ||
    fail "the drops by reason ($reasons) do not add up to p2pd_dropped_total"
[ "$(awk '$1 == "p2pd_drops_total{reason=\"malformed\"}" { print $2 }' "$T/m1")" -gt 0 ] ||
    fail "no malformed drops after junk: $(grep drops "$T/m1")"
echo "drops: $(grep '^p2pd_drops_total' "$T/m1" | tr '\n' ' ')"

# p2pctl metrics: the same samples as the endpoint, in text and JSON.
ctl alice metrics > "$T/p0" || fail "p2pctl metrics"
scrape > "$T/m2"
names() { awk '!/^#/ { print $1 }' "$1"; }
[ "$(names "$T/p0")" = "$(names "$T/m2")" ] ||
    fail "p2pctl metrics and GET /metrics differ: $(names "$T/p0" | diff - "$T/m2" | head)"
grep -q '^# HELP p2pd_sent_bytes_total ' "$T/p0" || fail "p2pctl metrics has no HELP lines"
ctl alice --json metrics > "$T/p1" || fail "p2pctl --json metrics"
/usr/bin/python3 - "$T/p1" <<'EOF' || fail "p2pctl --json metrics: $(head -c 300 "$T/p1")"
import json, sys
d = json.load(open(sys.argv[1]))["metrics"]
s = [x for x in d if x["name"] == "p2pd_sessions" and x["labels"].get("path") == "direct"]
assert s and s[0]["value"] == 1 and s[0]["type"] == "gauge", s
assert any(x["name"] == "p2pd_peer_rtt_seconds" and x["labels"] == {"peer": "bob"} for x in d)
assert all(x["type"] in ("counter", "gauge") and x["help"] for x in d)
EOF
ctl alice metrics extra >/dev/null 2>&1; [ $? -eq 2 ] || fail "p2pctl metrics with an operand did not exit 2"

# status: the version and an uptime that grows.
v=$("$P2PD" --version | awk '{ print $2 }')
s1=$(ctl alice --json status)
echo "$s1" | grep -q "\"version\": *\"$v\"" || fail "status has not the version $v: $s1"
u1=$(echo "$s1" | sed -n 's/.*"uptime_s": *\([0-9.]*\).*/\1/p')
sleep 1
u2=$(ctl alice --json status | sed -n 's/.*"uptime_s": *\([0-9.]*\).*/\1/p')
awk -v a="$u1" -v b="$u2" 'BEGIN { exit !(a > 0 && b >= a + 0.9) }' ||
    fail "uptime did not grow by a second: $u1 -> $u2"
ctl alice status | grep -q "^version: $v, up [0-9]* s$" || fail "status text has no version line"

# peers: the cipher, and ages: fresh for bob right after traffic both
# ways, within the keepalive (15 s) and the idle timeout for carol, idle
# since the bulk send.
ctl alice send bob "fresh" >/dev/null || fail "send to bob"
ctl bob send alice "back" >/dev/null || fail "send to alice"
sleep 0.5
p=$(ctl alice --json peers)
echo "$p" | /usr/bin/python3 -c '
import json, sys
for x in json.load(sys.stdin)["peers"]:
    fresh = 5 if x["peer_id"] == "bob" else 30
    assert x["cipher"] in ("ChaChaPoly", "AESGCM"), x
    assert 0 <= x["handshake_age_s"] < 120, x
    assert 0 <= x["last_rx_age_s"] < fresh, x
    assert x["latest_rtt_ms"] > 0 and 0 <= x["rtt_age_s"] < fresh, x
    print("%s: %s, handshake %.1f s, last packet %.2f s, rtt %.2f ms %.2f s ago" % (x["peer_id"],
        x["cipher"], x["handshake_age_s"], x["last_rx_age_s"], x["latest_rtt_ms"], x["rtt_age_s"]))
' || fail "peers lacks fresh figures: $p"
ctl alice peers | grep -q "handshake [0-9.]* s ago, last packet [0-9.]* s ago" ||
    fail "peers text has no freshness line: $(ctl alice peers)"

# events: each with the time it happened.
ctl alice --json events > "$T/ev.json" 2>/dev/null &
PIDS="$PIDS $!"
ctl alice events > "$T/ev.txt" 2>/dev/null &
PIDS="$PIDS $!"
sleep 0.5
ctl alice disconnect bob >/dev/null || fail "disconnect bob"
wait_for 5 grep -q closed "$T/ev.txt" || fail "no closed event: $(cat "$T/ev.txt")"
wait_for 5 grep -q closed "$T/ev.json" || fail "no closed event in JSON: $(cat "$T/ev.json")"
today=$(date -u +%Y-%m-%d)
grep closed "$T/ev.txt" | grep -q "^${today}T[0-9:]*\.[0-9]\{3\}Z peer_state bob closed" ||
    fail "the event has no timestamp: $(cat "$T/ev.txt")"
now=$(date +%s)
t=$(grep closed "$T/ev.json" | sed -n 's/.*"time_us": *\([0-9]*\).*/\1/p' | head -n 1)
[ -n "$t" ] && [ $((t / 1000000 - now)) -le 2 ] && [ $((now - t / 1000000)) -le 10 ] ||
    fail "the event's time_us ($t) is not now ($now): $(cat "$T/ev.json")"
echo "event: $(grep closed "$T/ev.txt" | head -n 1)"

# log-level at run time: warning hides a client's connection, info shows it.
[ "$(ctl alice log-level)" = "log level: debug" ] || fail "log level under -v is not debug: $(ctl alice log-level)"
[ "$(ctl alice log-level warning)" = "log level: warning (was debug)" ] || fail "log-level warning"
n=$(grep -c "client connected" "$T/alice.log")
ctl alice status >/dev/null
[ "$(grep -c "client connected" "$T/alice.log")" -eq "$n" ] || fail "info logged at log level warning"
ctl alice --json log-level info | grep -q '"level": *"info", *"previous": *"warning"' || fail "log-level info --json"
ctl alice status >/dev/null
[ "$(grep -c "client connected" "$T/alice.log")" -gt "$n" ] || fail "log level info did not take effect"
ctl alice log-level loud > "$T/ll.out" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "log level 'loud' is not error, warning, info or debug" "$T/ll.out" ||
    fail "a bad level: exit $rc, $(cat "$T/ll.out")"
[ "$(ctl alice log-level)" = "log level: info" ] || fail "a bad level changed the level"
echo "log-level: debug -> warning -> info, 'loud' refused: $(cat "$T/ll.out")"
echo "ok - agent metrics, status, peers, events and log levels"
