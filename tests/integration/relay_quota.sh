#!/bin/sh
# SPDX-License-Identifier: ISC
# relay_quota.sh: the relay's per-peer limits (issue 4). With --relay-rate
# a relayed 2 MB pipe takes at least as long as the rate allows and arrives
# intact (the transport backs off and resends what the bucket dropped);
# with --relay-quota a peer's relayed bytes stop at the quota, the drops are
# counted per peer and in /metrics, and the session's other direction is
# not charged for them; registering again (a restart of the agent) does not
# buy a fresh quota. Loopback port 0 only; agents with --no-direct.
# Also --max-token-ttl (a malformed value, a token living longer refused)
# and a token file that others can read (refused by p2pd).
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v curl >/dev/null 2>&1 || skip "curl is not installed (contrib/deps.sh)"

relay_field() {	# relay_field PEER FIELD
	http_get "/v1/peers/$1" | tr -d ' \n' |
	    sed -n "s/.*\"relay\":{[^}]*\"$2\":\([0-9]*\).*/\1/p"
}

# --- bad values are refused, naming the flag --------------------------------
badflag() {	# badflag NAME WORD PROGRAM ARGS...: exits non-zero naming NAME
	_n=$1; _w=$2; shift 2
	"$@" >"$T/bad.out" 2>&1 && fail "$_n $_w was accepted"
	grep -q -- "$_n" "$T/bad.out" || fail "$_n $_w: the error does not name it: $(cat "$T/bad.out")"
}
mkdir -p "$T/bad"
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/secret"; chmod 600 "$T/secret"
SRV="$P2P_SERVER -f --secret-file $T/secret --state-dir $T/bad --listen 127.0.0.1:0"
badflag --relay-rate lots $SRV --relay-rate lots
badflag --relay-quota -5 $SRV --relay-quota -5
badflag --tcp-listen nonsense $SRV --tcp-listen nonsense
badflag --max-token-ttl forever $SRV --max-token-ttl forever
badflag --max-token-ttl 10 $SRV --max-token-ttl 10
mint bad g > "$T/bad/token"
AG="$P2PD -f --server 127.0.0.1:1 --token-file $T/bad/token --state-dir $T/bad --socket $T/bad/sock"
badflag --birthday-rate 0 $AG --birthday-rate 0
badflag --birthday-sockets 99999 $AG --birthday-sockets 99999
badflag --server-transport carrier-pigeon $AG --server-transport carrier-pigeon
badflag --server-tcp nonsense:port $AG --server-transport tcp --server-tcp nonsense:port
badflag --no-portmap maybe $AG --no-portmap=maybe
printf 'no-portmap = perhaps\n' > "$T/bad/p2pd.conf"
badflag p2pd.conf:1 perhaps $AG -c "$T/bad/p2pd.conf"

# --- rate ------------------------------------------------------------------
start_http_server --relay-rate 400K
relay_pair alice bob g

kb=2048
head -c $((kb * 1024)) /dev/urandom > "$T/in"
ctl bob pipe alice --name rate --timeout 60 < /dev/null > "$T/out" 2>"$T/pipe-bob.log" &
rx=$!
start=$(date +%s.%N)
ctl alice pipe bob --name rate --timeout 60 < "$T/in" > /dev/null 2>"$T/pipe-alice.log" ||
    fail "rate-limited pipe: sender exited $?"
wait $rx || fail "rate-limited pipe: receiver exited $?"
end=$(date +%s.%N)
cmp -s "$T/in" "$T/out" || fail "rate-limited pipe: data differs"
secs=$(awk "BEGIN { printf \"%.2f\", $end - $start }")
# 2 MiB at 400 KiB/s with a one-second bucket: at least 4 s.
awk "BEGIN { exit !($secs >= 4.0) }" ||
    fail "2 MiB crossed a 400 KiB/s relay in $secs s"
[ "$(http_metric p2p_relay_dropped_quota_total)" -gt 0 ] ||
    fail "the rate limit dropped nothing: $(http_get /metrics | grep relay)"
echo "rate: 2 MiB over a 400 KiB/s relay in $secs s, intact"
kill "$alice_PID" "$bob_PID" "$SERVER_PID"
wait "$alice_PID" "$bob_PID" "$SERVER_PID" 2>/dev/null

# --- quota -----------------------------------------------------------------
start_http_server --relay-quota 300K
relay_pair carol dave g
ctl carol send dave "under the quota" || fail "send under the quota"
[ "$(ctl dave recv --timeout 5)" = "under the quota" ] || fail "recv under the quota"

# carol pushes 1 MiB: her relayed bytes stop at the quota.
head -c 1048576 /dev/urandom > "$T/big"
ctl dave pipe carol --name big --timeout 8 < /dev/null > "$T/big.out" 2>/dev/null &
rx=$!
timeout 8 "$P2PCTL" -s "$T/carol/sock" pipe dave --name big --timeout 8 < "$T/big" > /dev/null 2>&1
wait $rx 2>/dev/null
tx=$(relay_field carol tx_bytes)
dropped=$(relay_field carol dropped)
[ -n "$tx" ] && [ "$tx" -le $((300 * 1024)) ] || fail "carol relayed $tx bytes, over the 300K quota"
[ "$tx" -gt $((200 * 1024)) ] || fail "carol relayed only $tx bytes before the quota"
[ -n "$dropped" ] && [ "$dropped" -gt 0 ] || fail "no drops counted for carol: $(http_get /v1/peers/carol)"
[ "$(http_metric p2p_relay_dropped_quota_total)" -ge "$dropped" ] || fail "p2p_relay_dropped_quota_total"
[ "$(wc -c < "$T/big.out")" -lt 1048576 ] || fail "1 MiB crossed a 300K quota"
# dave's own quota is untouched: his packets still cross.
[ "$(relay_field dave dropped)" = 0 ] || fail "dave was charged for carol's traffic"
echo "quota: carol relayed $tx bytes of 1 MiB (quota 300K), $dropped packets dropped"

# carol restarts: a new registration of the same peer, the same quota used.
kill "$carol_PID"; wait "$carol_PID" 2>/dev/null
AGENT_ARGS=--no-direct start_agent carol g
wait_registered carol
ctl carol connect dave --timeout 10 || fail "carol cannot reconnect after her restart"
timeout 6 "$P2PCTL" -s "$T/carol/sock" pipe dave --name big2 --timeout 6 < "$T/big" > /dev/null 2>&1
tx2=$(relay_field carol tx_bytes)
[ -n "$tx2" ] && [ $((tx + tx2)) -le $((300 * 1024)) ] ||
    fail "after registering again carol relayed $tx2 more bytes: the quota was reset ($(http_get /v1/peers/carol))"
before=$(sed -n 's/.*carol: relayed \([0-9]*\) bytes of its quota before.*/\1/p' "$T/server.log")
[ -n "$before" ] && [ "$before" -ge "$tx" ] ||
    fail "the server did not carry carol's quota over ($before of $tx)"
echo "quota: after a restart carol relayed $tx2 bytes more, $((tx + tx2)) in all (the quota is the peer's, not the registration's)"
kill "$carol_PID" "$dave_PID" "$SERVER_PID"
wait "$carol_PID" "$dave_PID" "$SERVER_PID" 2>/dev/null

# --- token lifetime and the token file ---------------------------------------
rm -f "$T/srv/port"
start_server --max-token-ttl 3600
mkdir -p "$T/erin" "$T/frank"
"$P2P_SERVER" token --secret-file "$T/secret" --state-dir "$T/srv" --peer erin \
    --group g --ttl 7200 > "$T/erin/token" || fail "minting a two-hour token"
start_agent_file() {	# start_agent_file NAME: with the token already in NAME/token
	"$P2PD" -f -v --server "127.0.0.1:$SERVER_PORT" --token-file "$T/$1/token" \
	    --socket "$T/$1/sock" --state-dir "$T/$1" >"$T/$1.log" 2>&1 &
	PIDS="$PIDS $!"
}
start_agent_file erin
wait_for 15 sh -c "'$P2PCTL' -s '$T/erin/sock' --json status 2>/dev/null | grep -q 'max-token-ttl'" ||
    fail "a two-hour token against --max-token-ttl 3600: $(ctl erin --json status 2>&1)"
echo "token ttl: $(ctl erin --json status | sed -n 's/.*"server_error": *"\([^"]*\)".*/\1/p')"
"$P2P_SERVER" token --secret-file "$T/secret" --state-dir "$T/srv" --peer frank \
    --group g --ttl 600 > "$T/frank/token" || fail "minting a ten-minute token"
chmod 604 "$T/frank/token"
"$P2PD" -f --server "127.0.0.1:$SERVER_PORT" --token-file "$T/frank/token" \
    --socket "$T/frank/sock" --state-dir "$T/frank" >"$T/frank.log" 2>&1 &&
    fail "p2pd took a token file that others can read"
grep -q "accessible by others" "$T/frank.log" || fail "token file mode: $(cat "$T/frank.log")"
chmod 640 "$T/frank/token"
start_agent_file frank
wait_registered frank
echo "token file: mode 0604 refused, 0640 taken"
exit 0
