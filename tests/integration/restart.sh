#!/bin/sh
# SPDX-License-Identifier: ISC
# The server restarts: agents register again by themselves and new sessions
# work, and a session that lives on the relay survives it (the agents ask
# for fresh introductions, which carry the new relay ids). SIGHUP makes an
# agent re-read its token file.
. "$top_srcdir/tests/integration/lib.sh"

AGENT_ARGS="--keepalive 1"
start_server
start_agent alice g
start_agent bob g
AGENT_ARGS="--keepalive 1 --no-direct" start_agent carol g
AGENT_ARGS="--keepalive 1 --no-direct" start_agent dave g
wait_registered alice bob carol dave
ctl alice send bob "before" || fail "send before restart"
[ "$(ctl bob recv --timeout 5)" = "before" ] || fail "recv before restart"
ctl carol send dave "relayed before" || fail "relayed send before restart"
[ "$(ctl dave recv --timeout 5)" = "relayed before" ] || fail "relayed recv before restart"

kill -TERM "$SERVER_PID"; wait "$SERVER_PID"
wait_for 10 sh -c "! '$P2PCTL' -s '$T/alice/sock' --json status | grep -q '\"registered\"'" ||
    fail "alice still claims to be registered with the server gone"
ctl alice --json status | grep -q '"server_state": *"\(unreachable\|registering\)"' ||
    fail "server state while the server is down: $(ctl alice --json status)"

# The same port again (the one the first server was given).
"$P2P_SERVER" -f -v --listen "127.0.0.1:$SERVER_PORT" --secret-file "$T/secret" \
    --state-dir "$T/srv" >"$T/server2.log" 2>&1 &
SERVER_PID=$!
PIDS="$PIDS $SERVER_PID"
wait_for 40 registered alice || fail "alice did not register again after the restart"
wait_for 40 registered bob || fail "bob did not register again after the restart"
wait_for 40 registered carol || fail "carol did not register again after the restart"
wait_for 40 registered dave || fail "dave did not register again after the restart"
# The relayed session was never closed: the same session carries on.
ctl carol send dave "relayed after" || fail "relayed send after restart"
[ "$(ctl dave recv --timeout 15)" = "relayed after" ] ||
    fail "the relayed session did not survive the restart: $(ctl carol --json peers)"
ctl dave send carol "and back" || fail "relayed send back after restart"
[ "$(ctl carol recv --timeout 15)" = "and back" ] || fail "relayed recv back after restart"
grep -q "session with dave established" "$T/carol.log" &&
    [ "$(grep -c 'session with dave established' "$T/carol.log")" = 1 ] ||
    fail "the relayed session was made again instead of surviving"
ctl alice disconnect bob >/dev/null 2>&1
ctl alice send bob "after" || fail "send after restart"
[ "$(ctl bob recv --timeout 10)" = "after" ] || fail "recv after restart"

# SIGHUP: alice's token file now names another peer id; she re-registers as carol.
mint carol g > "$T/alice/token"
kill -HUP "$alice_PID"
wait_for 20 sh -c "'$P2PCTL' -s '$T/alice/sock' --json status | grep -q '\"peer_id\": *\"carol\"'" ||
    fail "SIGHUP did not make p2pd re-read its token: $(ctl alice --json status)"
echo "restart: ok"
