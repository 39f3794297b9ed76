#!/bin/sh
# SPDX-License-Identifier: ISC
# cluster_relay.sh: real agents registered on different nodes of a cluster
# (docs/CLUSTER.md): a connect across nodes (introductions pushed by each
# node to its own agent), messages over the relay across nodes (agent ->
# node a -> node b -> agent on the node channel, never through Redis), a
# mesh group whose members sit on three nodes (member_join and mesh
# introductions reach each of them), and forged node packets refused.
# Node b runs its node channel as an older node does (ChaCha20-Poly1305
# only: P2PD_NODE_NO_AES=1): a and c, where the CPU has AES-NI, send each
# other AES-256-GCM and b ChaCha20-Poly1305 (PROTOCOL.md §8).
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "${top_srcdir:-.}/tests/integration/cluster_lib.sh"
TOOL="$top_builddir/tests/integration/p2ptest"

start_redis
start_node a
export P2PD_NODE_NO_AES=1
start_node b
unset P2PD_NODE_NO_AES
start_node c
metric() {	# metric NODE NAME: a counter of the node's /metrics
	curl -s -m 5 -H "Authorization: Bearer $KEY" "$(eval echo "\$${1}_URL")/metrics" |
	    awk -v m="$2" '$1 == m { print $2 }'
}
aes=0
grep -q "node channel AES-256-GCM" "$T/a.log" && aes=1

# alice on a, bob on b, carol on c: sessions stay on the relay.
SERVER_PORT=$a_PORT AGENT_ARGS=--no-direct start_agent alice lobby
SERVER_PORT=$b_PORT AGENT_ARGS=--no-direct start_agent bob lobby
SERVER_PORT=$c_PORT AGENT_ARGS=--no-direct start_agent carol lobby
wait_registered alice bob carol
api c GET /v1/peers/alice
expect 200 "alice (on a) read on c"

ctl alice connect bob --timeout 10 || fail "connect alice (node a) -> bob (node b)"
ctl bob recv --count 0 >/dev/null 2>&1
ctl alice send bob "across the cluster" || fail "send alice -> bob"
ctl bob recv --count 1 --timeout 10 >"$T/got" || fail "bob received nothing"
grep -q "across the cluster" "$T/got" || fail "bob got: $(cat "$T/got")"
ctl bob send alice "and back" || fail "send bob -> alice"
ctl alice recv --count 1 --timeout 10 >"$T/got" || fail "alice received nothing"
grep -q "and back" "$T/got" || fail "alice got: $(cat "$T/got")"
ctl alice --json peers >"$T/peers"
grep -q '"relay"' "$T/peers" || fail "the session is not on the relay: $(cat "$T/peers")"
echo "ok - alice on node a and bob on node b: connect and messages both ways over the relay across nodes"

# Relay counters: node a sent into the node channel, node b delivered.
api a GET /v1/peers/alice
body_has '"tx_packets"' "alice's relay counters on a"
txa=$(sed -n 's/.*"tx_packets":\([0-9]*\).*/\1/p' "$T/body")
[ "${txa:-0}" -gt 0 ] || fail "node a relayed nothing for alice: $(cat "$T/body")"
api b GET /v1/peers/bob
rxb=$(sed -n 's/.*"rx_packets":\([0-9]*\).*/\1/p' "$T/body")
[ "${rxb:-0}" -gt 0 ] || fail "node b delivered nothing to bob: $(cat "$T/body")"
echo "ok - relay counters: node a forwarded $txa packets for alice, node b delivered $rxb to bob"
[ "$(metric a p2p_node_sent_total)" -gt 0 ] || fail "node a sent no node packet"
[ "$(metric a p2p_node_sent_aes_total)" = 0 ] ||
    fail "node a sent AES-256-GCM to node b, which does not take it"
[ "$(metric b p2p_node_sent_aes_total)" = 0 ] || fail "node b sent AES-256-GCM"
echo "ok - a and b (ChaCha20-Poly1305 only, as an older node) relay to each other with ChaCha20-Poly1305"

# carol (node c) -> alice (node a): 50 messages in order.
ctl carol connect alice --timeout 10 || fail "connect carol (node c) -> alice (node a)"
i=0
while [ $i -lt 50 ]; do
	ctl carol send alice "m$i" || fail "send m$i"
	i=$((i + 1))
done
ctl alice recv --count 50 --timeout 20 >"$T/got" || fail "alice got $(wc -l < "$T/got") of 50"
[ "$(grep -c "m[0-9]" "$T/got")" -eq 50 ] || fail "alice got: $(cat "$T/got")"
echo "ok - carol (node c) -> alice (node a): 50 messages over the cross-node relay"
if [ $aes = 1 ]; then
	[ "$(metric c p2p_node_sent_aes_total)" -gt 0 ] ||
	    fail "node c sent node a no AES-256-GCM packet ($(metric c p2p_node_sent_total) sent)"
	[ "$(metric a p2p_node_dropped_total)" = 0 ] || fail "node a refused node packets"
	echo "ok - c -> a: $(metric c p2p_node_sent_aes_total) of $(metric c p2p_node_sent_total) node packets AES-256-GCM"
else
	echo "# no AES-NI here: every node packet is ChaCha20-Poly1305"
fi

# A mesh group with members on three nodes, made through node c's API.
api c POST /v1/groups -d '{"name":"squad","mesh":true}'
expect 201 "squad"
for p in alice bob carol; do
	api c PUT "/v1/groups/squad/members/$p"
	expect 201 "$p joins squad"
done
ctl bob --json events --count 0 >/dev/null 2>&1
wait_for 10 sh -c "'$P2PCTL' -s '$T/bob/sock' --json peers | grep -q carol" ||
    fail "bob (node b) was not introduced to carol (node c) by the mesh"
ctl bob send carol "mesh hello" || fail "send bob -> carol"
ctl carol recv --count 1 --timeout 10 >"$T/got" || fail "carol received nothing"
grep -q "mesh hello" "$T/got" || fail "carol got: $(cat "$T/got")"
echo "ok - mesh group over three nodes: introductions reach every member's node, messages flow"

# Junk and forged node packets (no cluster key) at node a: dropped and
# counted, nothing else changes.
"$top_builddir/tests/integration/udpjunk" 127.0.0.1 "$a_PORT" 3000 7 >/dev/null 2>&1
dropped=$(curl -s -m 5 -H "Authorization: Bearer $KEY" "$a_URL/metrics" | awk '$1 == "p2p_node_dropped_total" { print $2 }')
[ "${dropped:-0}" -gt 0 ] || fail "no forged node packet counted (p2p_node_dropped_total ${dropped:-none})"
kill -0 "$a_PID" || fail "node a died of junk"
ctl alice send bob "still there" || fail "send after the junk"
ctl bob recv --count 1 --timeout 10 >"$T/got" || fail "bob received nothing after the junk"
echo "ok - 3000 junk datagrams at node a: $dropped forged node packets dropped and counted, sessions unharmed"
echo "PASS"
