#!/bin/sh
# SPDX-License-Identifier: ISC
# agent_basic.sh: smoke test of p2pd with a real p2p-server on loopback.
#
# A server and two agents (alice, bob) in a temporary directory, no fixed
# ports. Checks: both register; alice connects to bob; messages go both
# ways; messages sent before recv started wait in the inbox; a second
# reader of a held service is refused naming the holder; an unknown peer
# gives the server's error; ping answers; disconnect is seen by the peer;
# SIGTERM ends every daemon with exit status 0.
set -u

: "${top_builddir:=.}"
SERVER="$top_builddir/p2p-server"
AGENT="$top_builddir/p2pd"
CTL="$top_builddir/p2pctl"
for b in "$SERVER" "$AGENT" "$CTL"; do
	if [ ! -x "$b" ]; then
		echo "SKIP: $b not built"
		exit 77
	fi
done

T=$(mktemp -d -t agent_basic.XXXXXX) || exit 1
SPID= APID= BPID=
cleanup() {
	for p in $APID $BPID $SPID; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$T"/*.log; do
		echo "--- $f"
		tail -n 30 "$f"
	done
	exit 1
}

umask 077
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/secret"
mkdir -p "$T/srv" "$T/a" "$T/b" "$T/sock"

"$SERVER" -f -v --listen 127.0.0.1:0 --secret-file "$T/secret" \
    --state-dir "$T/srv" --policy groups >"$T/server.log" 2>&1 &
SPID=$!
i=0
while [ ! -s "$T/srv/port" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "server did not write its port"
	sleep 0.1
done
PORT=$(cat "$T/srv/port")

"$SERVER" token --secret-file "$T/secret" --peer alice --group g \
    --state-dir "$T/srv" >"$T/a/token" || fail "cannot mint a token"
"$SERVER" token --secret-file "$T/secret" --peer bob --group g \
    --state-dir "$T/srv" >"$T/b/token" || fail "cannot mint a token"

"$AGENT" -f -vv --server "127.0.0.1:$PORT" --token-file "$T/a/token" \
    --state-dir "$T/a/state" --socket "$T/sock/a.sock" \
    >"$T/alice.log" 2>&1 &
APID=$!
"$AGENT" -f -vv --server "127.0.0.1:$PORT" --token-file "$T/b/token" \
    --state-dir "$T/b/state" --socket "$T/sock/b.sock" \
    >"$T/bob.log" 2>&1 &
BPID=$!

A() { "$CTL" -s "$T/sock/a.sock" "$@"; }
B() { "$CTL" -s "$T/sock/b.sock" "$@"; }

wait_registered() {
	i=0
	while :; do
		out=$("$CTL" -s "$1" --json status 2>/dev/null)
		case "$out" in
		*'"server_state": "registered"'*|*'"server_state":"registered"'*)
			return 0 ;;
		esac
		i=$((i + 1))
		[ $i -gt 100 ] && fail "agent $1 did not register: $out"
		sleep 0.1
	done
}
wait_registered "$T/sock/a.sock"
wait_registered "$T/sock/b.sock"

# the identity key exists, private
[ -f "$T/a/state/identity.key" ] || fail "no identity key"
perm=$(stat -c %a "$T/a/state/identity.key")
[ "$perm" = 600 ] || fail "identity key has mode $perm"

# unknown peer: the server's error
out=$(A connect --timeout 5 carol 2>&1) && fail "connect to carol succeeded"
case "$out" in
*carol*) ;;
*) fail "connect carol: unexpected error '$out'" ;;
esac

A connect --timeout 10 bob || fail "alice cannot connect to bob"

# messages sent before bob reads wait in his inbox
for m in one two three; do
	A send bob "$m" || fail "send $m"
done
A send --sync bob "four" || fail "sync send"
got=$(B recv --count 4 --timeout 10) || fail "bob recv: $got"
want=$(printf 'one\ntwo\nthree\nfour')
[ "$got" = "$want" ] || fail "bob got '$got'"

# the other way, to a named service
B send --service chat alice "hello alice" || fail "bob send"
got=$(A recv --service chat --count 1 --timeout 10) || fail "alice recv"
[ "$got" = "hello alice" ] || fail "alice got '$got'"

# a held service refuses a second reader, naming the holder
B recv --service held --timeout 5 >/dev/null 2>&1 &
HOLDER=$!
sleep 0.5
out=$(B recv --service held --timeout 1 2>&1) && fail "second reader got in"
case "$out" in
*"held by client pid"*) ;;
*) fail "second reader: unexpected error '$out'" ;;
esac
A send --service held bob "x" || fail "send to held"
wait $HOLDER || fail "holder did not receive"

A ping -c 1 bob >/dev/null || fail "ping"
A --json peers | grep -q '"bob"' || fail "peers does not list bob"

# junk datagrams to alice's UDP port are dropped and counted
if command -v bash >/dev/null 2>&1; then
	APORT=$(A --json status | sed 's/.*"local_port": *\([0-9]*\).*/\1/')
	bash -c 'for i in $(seq 1 30); do
		head -c $((RANDOM % 1400 + 1)) /dev/urandom \
		    >/dev/udp/127.0.0.1/$1
		printf "\125\001\000\000\000\000\000\001" \
		    >/dev/udp/127.0.0.1/$1
	done' sh "$APORT" 2>/dev/null
	sleep 0.3
	dropped=$(A --json status | sed 's/.*"dropped": *\([0-9]*\).*/\1/')
	[ "$dropped" -ge 30 ] || fail "junk not counted as dropped ($dropped)"
	A send bob "after junk" || fail "send after junk"
	got=$(B recv --count 1 --timeout 10) || fail "recv after junk"
	[ "$got" = "after junk" ] || fail "after junk: got '$got'"
fi

A disconnect bob || fail "disconnect"

for p in $APID $BPID $SPID; do
	kill -TERM "$p"
done
for p in $APID $BPID $SPID; do
	wait "$p"
	rc=$?
	[ $rc -eq 0 ] || fail "daemon $p exited with $rc"
done
APID= BPID= SPID=
echo "PASS"
exit 0
