#!/bin/sh
# SPDX-License-Identifier: ISC
# nat_discovery.sh: RFC 5780 NAT behaviour discovery on loopback.
#   - p2p-server --alt-listen 127.0.0.2:0 answers STUN on all four
#     address/port combinations, with OTHER-ADDRESS and RESPONSE-ORIGIN;
#   - an agent classifies itself: `p2pctl nat --json` says "open" with
#     endpoint-independent mapping and filtering, other_addr 127.0.0.2:Q,
#     and `p2pctl status --json` carries the three fields;
#   - turnutils_stunclient (coturn) gets the right mapped address, and its
#     RFC 5780 mode (-f) sees the change-IP+port answer come from the other
#     address, without hanging (SKIP for that part when it is missing);
#   - a server without --alt-listen answers CHANGE-REQUEST with 420, and its
#     agents say nat_type "unknown" because of it;
#   - bad --alt-listen values are refused with a clear message.
# Loopback only (Linux routes all of 127/8 there); port 0 everywhere.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
P2PTEST="$top_builddir/tests/integration/p2ptest"

json_field() {	# json_field KEY: the string value of KEY in stdin's JSON
	sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p"
}

# 127.0.0.2 must be bindable (it is on Linux's loopback).
if ! "$P2P_SERVER" --help >/dev/null 2>&1; then fail "p2p-server --help"; fi
"$P2P_SERVER" --help | grep -q -- --alt-listen || fail "no --alt-listen option"

# --- bad values are refused, naming the problem -------------------------
echo 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff > "$T/secret"
chmod 600 "$T/secret"
bad() {	# bad "WHAT" EXPECTED-TEXT ARGS...
	_what=$1 _want=$2; shift 2
	if timeout 10 "$P2P_SERVER" -f --secret-file "$T/secret" "$@" \
	    >"$T/bad.out" 2>&1; then
		fail "$_what: the server started"
	fi
	grep -q -- "$_want" "$T/bad.out" ||
	    fail "$_what: no '$_want' in: $(cat "$T/bad.out")"
	echo "ok - refused: $_what"
}
bad "wildcard primary" "concrete IP" --listen 0.0.0.0:0 --alt-listen 127.0.0.2:0
bad "same IP" "IP must differ" --listen 127.0.0.1:0 --alt-listen 127.0.0.1:0

# --- a server with --alt-listen ------------------------------------------
start_server --policy open --alt-listen 127.0.0.2:0
P=$SERVER_PORT
wait_for 5 test -s "$T/srv/alt_port" || fail "no STATE_DIR/alt_port"
Q=$(cat "$T/srv/alt_port")
[ "$Q" != "$P" ] || fail "alternate port $Q equals the primary port"
echo "ok - server on 127.0.0.1:$P, alternate 127.0.0.2:$Q"
# the same port on two IPs is refused (P is free on 127.0.0.3)
bad "same port" "port must differ" --listen "127.0.0.3:$P" \
    --alt-listen "127.0.0.2:$P"

# All four sockets answer Binding with our own address.
for hp in "127.0.0.1 $P" "127.0.0.1 $Q" "127.0.0.2 $P" "127.0.0.2 $Q"; do
	# shellcheck disable=SC2086
	m=$(timeout 10 "$P2PTEST" stun $hp) || fail "no STUN answer on $hp"
	case $m in 127.0.0.1:[0-9]*) ;; *) fail "$hp: mapped '$m'";; esac
done
echo "ok - STUN answered on all four address/port combinations"

# Junk on an extra socket is dropped; it still answers STUN after it.
printf 'not stun at all' > "$T/junk"
if command -v python3 >/dev/null 2>&1; then
	python3 -c "import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.sendto(open(sys.argv[1],'rb').read(),('127.0.0.2',int(sys.argv[2])))" "$T/junk" "$Q"
fi
timeout 10 "$P2PTEST" stun 127.0.0.2 "$Q" >/dev/null ||
    fail "the alternate socket stopped answering after junk"
kill -0 "$SERVER_PID" || fail "the server died"
echo "ok - junk on an alternate socket dropped, STUN still answered"

# The agent's classification.
start_agent alice
wait_registered alice
# shellcheck disable=SC2317 # run by wait_for
nat_known() { ctl alice --json nat | grep -q '"nat_type": *"open"'; }
wait_for 10 nat_known || fail "nat_type not open: $(ctl alice --json nat)"
ctl alice --json nat > "$T/nat.json" || fail "p2pctl nat --json"
for kv in nat_type=open nat_mapping=endpoint-independent \
    nat_filtering=endpoint-independent other_addr=127.0.0.2:$Q; do
	k=${kv%%=*} v=${kv#*=}
	got=$(json_field "$k" < "$T/nat.json")
	[ "$got" = "$v" ] || fail "nat --json: $k is '$got', not '$v'"
done
case $(json_field mapped_addr < "$T/nat.json") in
127.0.0.1:[0-9]*) ;;
*) fail "mapped_addr: $(cat "$T/nat.json")";;
esac
json_field detail < "$T/nat.json" | grep -q . || fail "empty detail"
echo "ok - p2pctl nat --json: open, endpoint-independent both ways, other 127.0.0.2:$Q"

ctl alice --json status > "$T/status.json" || fail "status --json"
if [ "$(json_field nat_type < "$T/status.json")" != open ] ||
    [ "$(json_field nat_mapping < "$T/status.json")" != endpoint-independent ] ||
    [ "$(json_field nat_filtering < "$T/status.json")" != endpoint-independent ]; then
	fail "status --json: $(cat "$T/status.json")"
fi
ctl alice status | grep -q "^nat: open (mapping endpoint-independent, filtering endpoint-independent)" ||
    fail "status text: $(ctl alice status)"
echo "ok - p2pctl status (text and --json) shows the classification"

# --refresh runs the tests again and waits for them.
ctl alice --json nat > "$T/before.json"
t0=$(date +%s)
timeout 15 "$P2PCTL" -s "$T/alice/sock" --json nat --refresh > "$T/after.json" ||
    fail "nat --refresh failed"
t1=$(date +%s)
[ $((t1 - t0)) -le 6 ] || fail "nat --refresh took $((t1 - t0)) s"
ago=$(sed -n 's/.*"tested_ago_s": *\([0-9.]*\).*/\1/p' "$T/after.json")
case $ago in 0|0.*) ;; *) fail "tested_ago_s after --refresh: '$ago'";; esac
[ "$(json_field mapped_addr < "$T/after.json")" != \
  "$(json_field mapped_addr < "$T/before.json")" ] ||
    fail "--refresh did not use a fresh test port"
echo "ok - nat --refresh re-tested in $((t1 - t0)) s (fresh port)"

# The server got the NatReport.
grep -q "alice: nat open (mapping endpoint-independent, filtering endpoint-independent)" \
    "$T/server.log" || fail "the server did not log alice's NatReport"
echo "ok - the server holds alice's NatReport"

# A standard client.
if command -v turnutils_stunclient >/dev/null 2>&1; then
	timeout 10 turnutils_stunclient -p "$P" 127.0.0.1 > "$T/tu.out" 2>&1 ||
	    fail "turnutils_stunclient: exit $? ($(cat "$T/tu.out"))"
	grep -q "reflexive addr: 127.0.0.1:[1-9]" "$T/tu.out" ||
	    fail "turnutils_stunclient: $(cat "$T/tu.out")"
	echo "ok - turnutils_stunclient gets 127.0.0.1:PORT"
	# -f: RFC 5780 mode. Response 2 asks change IP + port (with
	# RESPONSE-PORT); it must come from the other address; the padding
	# probe after it gets a 420 (PADDING is not supported), not silence.
	timeout 10 turnutils_stunclient -f -p "$P" 127.0.0.1 > "$T/tu5780.out" 2>&1 ||
	    fail "turnutils_stunclient -f: exit $? ($(cat "$T/tu5780.out"))"
	grep -q "Other addr: : 127.0.0.2:$Q" "$T/tu5780.out" ||
	    fail "turnutils -f: no OTHER-ADDRESS: $(cat "$T/tu5780.out")"
	sed -n '/RFC 5780 response 2/,$p' "$T/tu5780.out" |
	    grep -q "Response origin: : 127.0.0.2:$Q" ||
	    fail "turnutils -f: change IP+port not honoured: $(cat "$T/tu5780.out")"
	echo "ok - turnutils_stunclient -f: change IP+port answered from 127.0.0.2:$Q (filtering endpoint-independent, as ours)"
else
	echo "SKIP: turnutils_stunclient is not installed (contrib/deps.sh installs coturn)"
fi

# --- a server without --alt-listen -----------------------------------------
# It shares the first one's identity (--key-file), as nodes of a cluster do,
# so the tokens minted for that one work here too.
mkdir -p "$T/srv2"
"$P2P_SERVER" -f -v --listen 127.0.0.1:0 --policy open --secret-file "$T/secret" \
    --state-dir "$T/srv2" --key-file "$T/srv/server.key" >"$T/server2.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 test -s "$T/srv2/port" || fail "second server did not start"
P2=$(cat "$T/srv2/port")
[ ! -e "$T/srv2/alt_port" ] || fail "alt_port written without --alt-listen"
mkdir -p "$T/bob"
mint bob > "$T/bob/token"
"$P2PD" -f -v --server "127.0.0.1:$P2" --token-file "$T/bob/token" \
    --socket "$T/bob/sock" --state-dir "$T/bob" >"$T/bob.log" 2>&1 &
PIDS="$PIDS $!"
wait_registered bob
# shellcheck disable=SC2317 # run by wait_for
bob_tested() { ctl bob --json nat | grep -q '"detail": *"mapped address'; }
wait_for 10 bob_tested || fail "bob never tested: $(ctl bob --json nat)"
ctl bob --json nat > "$T/bob.json"
if [ "$(json_field nat_type < "$T/bob.json")" != unknown ] ||
    [ "$(json_field nat_mapping < "$T/bob.json")" != unknown ] ||
    [ -n "$(json_field other_addr < "$T/bob.json")" ]; then
	fail "bob: $(cat "$T/bob.json")"
fi
json_field detail < "$T/bob.json" | grep -q -- "--alt-listen" ||
    fail "bob's detail does not name --alt-listen: $(cat "$T/bob.json")"
echo "ok - without --alt-listen: nat_type unknown, detail names --alt-listen"

if command -v turnutils_stunclient >/dev/null 2>&1; then
	timeout 10 turnutils_stunclient -f -p "$P2" 127.0.0.1 > "$T/tu420.out" 2>&1 ||
	    fail "turnutils_stunclient -f without --alt-listen: exit $? ($(cat "$T/tu420.out"))"
	grep -q "error 420" "$T/tu420.out" ||
	    fail "no 420 for CHANGE-REQUEST: $(cat "$T/tu420.out")"
	echo "ok - without --alt-listen: CHANGE-REQUEST gets 420, turnutils -f does not hang"
else
	echo "SKIP: turnutils_stunclient is not installed (420 checked by unit tests)"
fi
exit 0
