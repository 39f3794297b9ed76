#!/bin/sh
# SPDX-License-Identifier: ISC
# server_basic.sh: p2p-server on loopback: STUN, registration and signalling
# (srvclient), junk datagrams, the token subcommand, clean SIGTERM exit.
# Binds port 0 on 127.0.0.1 only; finds the binaries through $top_builddir.
set -u
B=${top_builddir:-.}
SRV=$B/p2p-server
T=$(mktemp -d)
PID=
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$T/log" ] && sed 's/^/  server: /' "$T/log"; exit 1; }

umask 077
head -c 48 /dev/urandom | base64 | tr -d '\n' > "$T/secret"

# token subcommand
TOK=$("$SRV" token --secret-file "$T/secret" --peer alice --group g1) ||
	fail "token exited $?"
case $TOK in p2pt.*) echo "ok - token minted";; *) fail "token: '$TOK'";; esac
"$SRV" token --secret-file "$T/secret" --peer alice --bogus 2>"$T/err"
[ $? -eq 2 ] || fail "token with a bad flag did not exit 2"
grep -q -- "--bogus" "$T/err" || fail "token error does not name the flag"
echo "ok - token with a bad flag exits 2 naming it"
"$SRV" token --secret-file "$T/secret" 2>"$T/err"
[ $? -eq 2 ] && grep -q -- "--peer" "$T/err" || fail "token without --peer"
echo "ok - token without --peer exits 2"
chmod 644 "$T/secret"
"$SRV" token --secret-file "$T/secret" --peer a 2>"$T/err" && fail "0644 secret accepted"
grep -q "chmod 600" "$T/err" || fail "no chmod hint: $(cat "$T/err")"
chmod 600 "$T/secret"
echo "ok - a secret readable by others is refused"

"$SRV" -f -v --listen 127.0.0.1:0 --secret-file "$T/secret" \
	--state-dir "$T" --expire 3 2>"$T/log" &
PID=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/port" ] || fail "server did not write its port"
PORT=$(cat "$T/port")
grep -q "listening on 127.0.0.1:$PORT (udp, tcp)" "$T/log" || fail "no listening line"
echo "ok - listening on 127.0.0.1:$PORT"

stun_check() {
	if ! command -v turnutils_stunclient >/dev/null 2>&1; then
		echo "skip - turnutils_stunclient not installed (apt-get install coturn)"
		return 0
	fi
	out=$(timeout 5 turnutils_stunclient -p "$PORT" 127.0.0.1 2>&1)
	echo "$out" | grep -q "UDP reflexive addr: 127.0.0.1:[0-9]" ||
		fail "STUN $1: $out"
	echo "ok - STUN Binding answered with XOR-MAPPED-ADDRESS ($1)"
}
stun_check "before junk"

"$B/tests/integration/srvclient" "$PORT" "$T/secret" || fail "srvclient"

"$B/tests/integration/udpjunk" 127.0.0.1 "$PORT" 3000 7 >/dev/null || fail "udpjunk"
sleep 0.3
kill -0 "$PID" 2>/dev/null || fail "server died on junk"
stun_check "after junk"
# The first run's peers are still pinned to its keys; new keys are accepted
# only with tokens issued later (whole seconds): wait one.
sleep 1.1
"$B/tests/integration/srvclient" "$PORT" "$T/secret" >/dev/null ||
	fail "srvclient after junk"
echo "ok - registration still works after junk"

# The last registration sends nothing more: gone after --expire 3.
sleep 4.2
grep -q "peer alice: registration expired" "$T/log" || fail "no expiry"
echo "ok - an idle registration expires"

kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
[ $rc -eq 0 ] || fail "server exited $rc on SIGTERM"
grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" "$T/log" && fail "sanitizer report"
echo "ok - SIGTERM: clean exit 0"

# --policy open: peers without a shared group may connect.
rm -f "$T/port"
"$SRV" -f --listen 127.0.0.1:0 --secret-file "$T/secret" --state-dir "$T" \
	--policy open 2>"$T/log" &
PID=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$B/tests/integration/srvclient" "$(cat "$T/port")" "$T/secret" open >/dev/null ||
	fail "srvclient with --policy open"
echo "ok - policy open"
"$SRV" -f --listen 127.0.0.1:0 --secret-file "$T/secret" --policy closed \
	2>"$T/err" && fail "--policy closed accepted"
grep -q -- "--policy" "$T/err" || fail "bad --policy not named"
echo "ok - a bad --policy is refused naming the flag"
kill -TERM "$PID"
wait "$PID" || fail "server exited $? on SIGTERM"
PID=
exit 0
