#!/bin/sh
# The agent's IPC socket with clients that are not well behaved: a request
# a byte at a time, thousands of requests in one write whose answers fill
# the socket (the agent's output must wait for room, not drop or spin), and
# a client that leaves in the middle of a frame. Each is answered exactly,
# and the agent keeps serving.
. "$top_srcdir/tests/integration/lib.sh"
POKE="$top_builddir/tests/integration/ipcpoke"
[ -x "$POKE" ] || fail "$POKE is missing"

start_server
start_agent alice g
wait_registered alice
S="$T/alice/sock"

"$POKE" "$S" trickle || fail "a request sent a byte at a time"
"$POKE" "$S" burst 20000 || fail "20000 requests in one write"
"$POKE" "$S" cut || fail "half a frame"
# Two bursts at once, on two connections.
"$POKE" "$S" burst 5000 > "$T/b1.out" 2>&1 & b1=$!
"$POKE" "$S" burst 5000 > "$T/b2.out" 2>&1 & b2=$!
wait $b1 || fail "concurrent burst 1: $(cat "$T/b1.out")"
wait $b2 || fail "concurrent burst 2: $(cat "$T/b2.out")"

kill -0 "$alice_PID" 2>/dev/null || fail "the agent died"
ctl alice --json status > "$T/st.json" || fail "status after the abuse"
grep -q '"server_state": *"registered"' "$T/st.json" ||
    fail "the agent is no longer registered: $(cat "$T/st.json")"
echo "ok: trickle, bursts and a cut frame answered; the agent serves on"
