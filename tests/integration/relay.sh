#!/bin/sh
# SPDX-License-Identifier: ISC
# relay.sh: sessions start on the server relay and move to a direct path
# (issue 4). With --no-direct on both agents the session stays on the relay:
# messages and a pipe cross it intact, the server counts the relayed packets
# per peer (/v1/peers) and in /metrics, and the agents report the path. Then
# two ordinary agents: their events show the session going up on the relay
# and then to the direct path with the reason, and once direct the server's
# relay counters for them stop growing while messages keep flowing.
# Forged RELAY packets are dropped unanswered; /v1/peers shows the NAT type
# the agents report (issue 5). Loopback port 0 only.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v curl >/dev/null 2>&1 || skip "curl is not installed (contrib/deps.sh)"

# relay_tx PEER: packets PEER sent into the relay so far
relay_tx() {
	http_get "/v1/peers/$1" | tr -d ' \n' |
	    sed -n 's/.*"relay":{"tx_packets":\([0-9]*\).*/\1/p'
}
path_of() {	# path_of AGENT PEER
	ctl "$1" --json peers | tr -d ' \n' |
	    sed -n "s/.*\"peer_id\":\"$2\",\"path\":\"\([a-z]*\)\".*/\1/p"
}

start_http_server --alt-listen 127.0.0.2:0

# --- relay only ------------------------------------------------------------
relay_pair alice bob g1
ctl alice send bob "over the relay" || fail "send alice -> bob"
[ "$(ctl bob recv --timeout 5)" = "over the relay" ] || fail "bob did not get it"
ctl bob send alice "and back" || fail "send bob -> alice"
[ "$(ctl alice recv --timeout 5)" = "and back" ] || fail "alice did not get it"
[ "$(path_of alice bob)" = relay ] || fail "alice's path is not relay: $(ctl alice --json peers)"
[ "$(path_of bob alice)" = relay ] || fail "bob's path is not relay: $(ctl bob --json peers)"
ctl alice --json peers | grep -q "\"remote_addr\": *\"127.0.0.1:$SERVER_PORT\"" ||
    fail "the relay's address is not shown: $(ctl alice --json peers)"

mb=4
[ "$SAN" -eq 1 ] && mb=1
head -c $((mb * 1024 * 1024)) /dev/urandom > "$T/in"
ctl bob pipe alice --name file --timeout 30 < /dev/null > "$T/out" 2>"$T/pipe-bob.log" &
rx=$!
ctl alice pipe bob --name file --timeout 30 < "$T/in" > /dev/null 2>"$T/pipe-alice.log" ||
    fail "relayed pipe: sender exited $?"
wait $rx || fail "relayed pipe: receiver exited $?"
cmp -s "$T/in" "$T/out" || fail "relayed pipe: data differs ($(wc -c < "$T/out") bytes)"

tx=$(relay_tx alice)
[ -n "$tx" ] && [ "$tx" -gt $((mb * 1024 * 1024 / 1300)) ] ||
    fail "alice's relayed packets ($tx) do not cover the pipe: $(http_get /v1/peers/alice)"
http_get /v1/peers/alice | tr -d ' \n' | grep -q '"sessions":\[{"peer_id":"bob","path":"relay"}\]' ||
    fail "/v1/peers does not show the relayed session: $(http_get /v1/peers/alice)"
[ "$(http_metric p2p_relay_packets_total)" -gt "$tx" ] || fail "p2p_relay_packets_total"
[ "$(http_metric p2p_relay_bytes_total)" -gt $((mb * 1024 * 1024)) ] || fail "p2p_relay_bytes_total"
http_get /metrics | grep -q '^p2p_session_paths{path="relay"} 2$' ||
    fail "sessions by path: $(http_get /metrics | grep session_paths)"
[ "$(http_metric p2p_relay_dropped_policy_total)" = 0 ] || fail "relay dropped packets"

# Forged RELAY packets with alice's registration id from another address:
# every one fails authentication, none is answered or forwarded, and
# alice's session still works (her address did not move to the forger).
TOOL="$top_builddir/tests/integration/p2ptest"
reg=$(http_get /v1/peers/alice | tr -d ' \n' | sed -n 's/.*"reg_id":\([0-9]*\).*/\1/p')
[ -n "$reg" ] || fail "no reg_id in /v1/peers/alice"
auth0=$(http_metric p2p_relay_auth_failures_total)
pk0=$(http_metric p2p_relay_packets_total)
out=$("$TOOL" relayjunk 127.0.0.1 "$SERVER_PORT" "$reg" 500) || fail "p2ptest relayjunk"
case "$out" in "replies 0 "*) ;; *) fail "forged RELAY packets were answered: $out" ;; esac
[ "$(http_metric p2p_relay_auth_failures_total)" -eq $((auth0 + 500)) ] ||
    fail "auth failures: $auth0 -> $(http_metric p2p_relay_auth_failures_total), expected +500"
[ "$(http_metric p2p_relay_packets_total)" = "$pk0" ] || fail "forged packets were relayed"
# An unknown registration gets UNKNOWN_REG, never larger than the request.
out=$("$TOOL" relayjunk 127.0.0.1 "$SERVER_PORT" 7 3) || fail "p2ptest relayjunk unknown"
echo "$out" | awk '$1 == "replies" && $2 >= 1 && $4 <= $6 { ok = 1 } END { exit !ok }' ||
    fail "unknown registration: $out"
ctl bob send alice "still here" || fail "send after the forgeries"
[ "$(ctl alice recv --timeout 5)" = "still here" ] || fail "alice lost her session to forged packets"
kill "$alice_PID" "$bob_PID"
wait "$alice_PID" "$bob_PID" 2>/dev/null

# --- relay first, then direct -----------------------------------------------
start_agent carol g1
start_agent dave g1
wait_registered carol dave
ctl carol --json events > "$T/carol.ev" 2>&1 &
PIDS="$PIDS $!"
sleep 0.3
ctl carol connect dave --timeout 10 || fail "connect carol -> dave"
ctl carol send dave "first" || fail "send first"
[ "$(ctl dave recv --timeout 5)" = "first" ] || fail "dave did not get the first message"
i=0
while [ "$(path_of carol dave)" != direct ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(path_of carol dave)" = direct ] || fail "carol's session did not go direct: $(ctl carol --json peers)"
i=0
while [ "$(path_of dave carol)" != direct ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(path_of dave carol)" = direct ] || fail "dave's session did not go direct: $(ctl dave --json peers)"
grep '"peer_state"' "$T/carol.ev" | grep '"path": *"relay"' | grep -q '"state": *"up"' ||
    fail "no 'up on the relay' event: $(cat "$T/carol.ev")"
grep '"path": *"direct"' "$T/carol.ev" | grep -q 'direct path validated' ||
    fail "no event for the switch to direct with its reason: $(cat "$T/carol.ev")"

# Direct means the relay stops carrying them.
before=$(relay_tx carol)
n=0
while [ $n -lt 50 ]; do
	ctl carol send dave "direct $n" || fail "send direct $n"
	n=$((n + 1))
done
[ "$(ctl dave recv --count 50 --timeout 10 | wc -l)" = 50 ] || fail "not all 50 direct messages arrived"
after=$(relay_tx carol)
[ "$after" = "$before" ] || fail "relayed packets grew from $before to $after on a direct session"
wait_for 5 sh -c "curl -s -m 5 -H 'Authorization: Bearer $KEY' $URL/metrics | grep -q '^p2p_session_paths{path=\"direct\"} 2$'" ||
    fail "sessions by path: $(http_get /metrics | grep session_paths)"
# The agents classified their NAT (RFC 5780, loopback: no NAT) and the
# server shows it.
wait_for 15 sh -c "curl -s -m 5 -H 'Authorization: Bearer $KEY' $URL/v1/peers/carol | tr -d ' ' | grep -q '\"nat_type\":\"open\"'" ||
    fail "nat_type in /v1/peers: $(http_get /v1/peers/carol)"
echo "relay: ${mb} MB pipe over the relay intact; direct session: relay counter stayed at $after"
exit 0
