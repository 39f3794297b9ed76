#!/bin/sh
# SPDX-License-Identifier: ISC
# dual_listen.sh: p2p-server on both IP families (issue 12, IPv6).
#
# --listen, --tcp-listen and --alt-listen may each be given twice, one IPv4
# and one IPv6 address. Shown here on loopback (127.0.0.1 and ::1, port 0):
#  - three --listen, two of one family, or an --alt-listen without a
#    --listen of its family are refused naming the option, at start, by
#    --check-config, and from a config file;
#  - STUN is answered on both families with the requester's own address
#    (stunask.pl, not p2pd's STUN code), RFC 5780 CHANGE-REQUEST on the
#    IPv4 family that has an --alt-listen;
#  - POST /v1/tokens adds udp6/tcp6 (the IPv6 address as bound);
#  - an agent registered over IPv4 and one over IPv6 reach each other over
#    the relay (packets cross the families) and a third registers over TCP
#    on the IPv6 --tcp-listen;
#  - a server on IPv4 alone writes no port6 and its tokens carry no udp6.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v curl >/dev/null 2>&1 || skip "curl is not installed (contrib/deps.sh)"
command -v perl >/dev/null 2>&1 || skip "perl is not installed"
perl -MIO::Socket::IP -e 1 2>/dev/null || skip "perl has no IO::Socket::IP"
ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128' ||
    skip "no IPv6 loopback (::1) on this machine"
STUN="perl $top_srcdir/tests/integration/stunask.pl"

# ---- refusals, by name ---------------------------------------------------------
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/secret"
chmod 600 "$T/secret"
refused() {	# refused WHAT WORDS ARGS...: exit 2 (1 with --check-config) naming WORDS
	_what=$1; _words=$2; shift 2
	mkdir -p "$T/bad"
	out=$("$P2P_SERVER" -f --secret-file "$T/secret" --state-dir "$T/bad" "$@" 2>&1) &&
	    fail "$_what: accepted"
	echo "$out" | grep -q -- "$_words" || fail "$_what: the error does not say '$_words': $out"
	[ ! -s "$T/bad/port" ] || fail "$_what: the server bound a port"
	echo "ok - refused: $_what: $(echo "$out" | tail -n 1)"
}
refused "three --listen" "--listen: given 3 times" \
    --listen 127.0.0.1:0 --listen '[::1]:0' --listen 127.0.0.1:0
refused "two IPv4 --listen" "both IPv4" --listen 127.0.0.1:0 --listen 127.0.0.2:0
refused "two IPv6 --tcp-listen" "--tcp-listen .*both IPv6" \
    --listen 127.0.0.1:0 --tcp-listen '[::1]:0' --tcp-listen '[::1]:1'
refused "--alt-listen without its family" "--alt-listen \[::1\]:0: no --listen of that family" \
    --listen 127.0.0.1:0 --alt-listen '[::1]:0'
refused "--check-config, three --alt-listen" "--alt-listen: given 3 times" --check-config \
    --listen 127.0.0.1:0 --alt-listen 127.0.0.2:0 --alt-listen 127.0.0.3:0 --alt-listen 127.0.0.4:0
printf 'listen = 127.0.0.1:0\nlisten = 127.0.0.3:0\n' > "$T/bad.conf"
refused "two IPv4 listen lines in a file" "both IPv4" --check-config -c "$T/bad.conf"
printf 'listen = 127.0.0.1:0\nlisten = [::1]:0\n' > "$T/good.conf"
"$P2P_SERVER" --check-config -c "$T/good.conf" --secret-file "$T/secret" >/dev/null 2>&1 ||
    fail "--check-config refuses one IPv4 and one IPv6 listen line"
echo "ok - --check-config takes one IPv4 and one IPv6 listen line"

# ---- both families ---------------------------------------------------------------
start_http_server --listen '[::1]:0' --alt-listen 127.0.0.2:0 --tcp-listen '[::1]:0'
wait_for 10 test -s "$T/srv/port6" || fail "no STATE_DIR/port6"
wait_for 10 test -s "$T/srv/tcp_port" || fail "no STATE_DIR/tcp_port"
PORT6=$(cat "$T/srv/port6")
TCP6=$(cat "$T/srv/tcp_port")
grep -q "listening on \[::1\]:$PORT6 (udp, tcp)" "$T/server.log" ||
    fail "the log does not say it listens on [::1]:$PORT6"

# STUN: the requester's own address on each family, answered from where asked.
out=$($STUN 127.0.0.1 "$SERVER_PORT") || fail "no STUN answer on IPv4"
set -- $out
[ "$1" = 127.0.0.1 ] && [ "$3" = 127.0.0.1 ] && [ "$4" = "$SERVER_PORT" ] ||
    fail "STUN on IPv4: $out"
out6=$($STUN ::1 "$PORT6") || fail "no STUN answer on IPv6"
set -- $out6
[ "$1" = ::1 ] && [ "$3" = ::1 ] && [ "$4" = "$PORT6" ] || fail "STUN on IPv6: $out6"
echo "ok - STUN on both families: '$out' and '$out6'"
out=$($STUN 127.0.0.1 "$SERVER_PORT" both) || fail "no answer to CHANGE-REQUEST on IPv4"
set -- $out
[ "$3" = 127.0.0.2 ] && [ "$4" = "$(cat "$T/srv/alt_port")" ] ||
    fail "CHANGE-REQUEST (IP and port) on IPv4 answered from $3:$4"
echo "ok - RFC 5780 on the IPv4 family: the answer came from $3:$4"

# /v1/tokens: udp6 and tcp6 beside udp and tcp.
tok=$(curl -s -m 10 -X POST -H "Authorization: Bearer $KEY" \
    -d '{"peer_id": "dave", "ttl": 600, "groups": ["g"]}' "$URL/v1/tokens")
echo "$tok" | grep -q "\"udp\": *\"127.0.0.1:$SERVER_PORT\"" || fail "/v1/tokens udp: $tok"
echo "$tok" | grep -q "\"udp6\": *\"\[::1\]:$PORT6\"" || fail "/v1/tokens has no udp6: $tok"
echo "$tok" | grep -q "\"tcp6\": *\"\[::1\]:$PORT6\"" || fail "/v1/tokens has no tcp6: $tok"
echo "ok - /v1/tokens: $(echo "$tok" | tr -d '\n' | grep -o '"udp6": *"[^"]*"')"

# alice over IPv4, bob over IPv6, relayed both ways across the families.
AGENT_ARGS=--no-direct start_agent alice g
mkdir -p "$T/bob"
mint bob g > "$T/bob/token" || fail "minting bob's token"
"$P2PD" -f -v --no-direct --server "[::1]:$PORT6" --token-file "$T/bob/token" \
    --socket "$T/bob/sock" --state-dir "$T/bob" >"$T/bob.log" 2>&1 &
PIDS="$PIDS $!"
wait_registered alice bob
http_get /v1/peers/bob | grep -q "\"address\": *\"\[::1\]:" ||
    fail "the server does not show bob on IPv6: $(http_get /v1/peers/bob)"
http_get /v1/peers/alice | grep -q "\"address\": *\"127.0.0.1:" ||
    fail "the server does not show alice on IPv4: $(http_get /v1/peers/alice)"
ctl alice connect bob --timeout 10 >/dev/null || fail "alice cannot connect to bob"
ctl alice send bob "v4 to v6" || fail "send alice -> bob"
[ "$(ctl bob recv --timeout 10)" = "v4 to v6" ] || fail "bob did not get alice's message"
ctl bob send alice "v6 to v4" || fail "send bob -> alice"
[ "$(ctl alice recv --timeout 10)" = "v6 to v4" ] || fail "alice did not get bob's message"
echo "ok - alice (IPv4) and bob (IPv6) exchange messages over the relay"

# carol over TCP on the IPv6 --tcp-listen.
mkdir -p "$T/carol"
mint carol g > "$T/carol/token" || fail "minting carol's token"
"$P2PD" -f -v --server "[::1]:$PORT6" --server-transport tcp --server-tcp "[::1]:$TCP6" \
    --token-file "$T/carol/token" --socket "$T/carol/sock" --state-dir "$T/carol" \
    >"$T/carol.log" 2>&1 &
PIDS="$PIDS $!"
wait_registered carol
http_get /v1/peers/carol | tr -d ' \n' | grep -q '"transport":"tcp","address":"\[::1\]:' ||
    fail "carol is not on TCP over IPv6: $(http_get /v1/peers/carol)"
echo "ok - carol registered over TCP on [::1]:$TCP6"

# ---- one family: as before ------------------------------------------------------
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
rm -f "$T/srv/port6" "$T/srv/tcp_port6"
start_http_server
tok=$(curl -s -m 10 -X POST -H "Authorization: Bearer $KEY" \
    -d '{"peer_id": "erin", "ttl": 600}' "$URL/v1/tokens")
echo "$tok" | grep -q '"udp":' || fail "/v1/tokens on one family: $tok"
echo "$tok" | grep -q 'udp6\|tcp6' && fail "/v1/tokens on IPv4 alone names IPv6: $tok"
[ ! -e "$T/srv/port6" ] || fail "a server on IPv4 alone wrote port6"
echo "ok - one family: no udp6, no port6"
echo "PASS"
