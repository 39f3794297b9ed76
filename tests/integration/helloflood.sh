#!/bin/sh
# SPDX-License-Identifier: ISC
# A REG_HELLO flood from forged sources (issue 15, finding 2; PROTOCOL.md
# §2.1): 6,000 a second from random 127.1/16 addresses for 8 s. The server
# must say it is flooded and send no more than its strangers' budget
# (2,000 challenges a second) to addresses it does not know; a source it
# knows (127.0.0.1, where carol registered before the flood) still gets
# every challenge: a new agent there registers during the flood; and a
# source it has never seen (127.0.4.1) still gets through within the
# budget. make attack measures the rates at 20,000 a second.
. "$top_srcdir/tests/integration/lib.sh"
ATK="$top_builddir/tests/attack/p2pattack"
[ "$(id -u)" -eq 0 ] || skip "the flood forges its sources: needs root"

start_http_server --policy open
start_agent carol g
wait_registered carol
h0=$(http_metric p2p_reg_hellos_total)
t0=$(date +%s.%N)
"$ATK" helloflood "127.0.0.1:$SERVER_PORT" 6000 8 > "$T/flood.out" 2>&1 &
flooder=$!
wait_for 5 grep -q "REG_HELLOs from unknown addresses over" "$T/server.log" ||
    { wait $flooder; [ $? -eq 77 ] && skip "no raw socket"
    fail "the server did not notice the flood: $(cat "$T/flood.out")"; }
start_agent dave g
wait_for 10 registered dave ||
    fail "an agent at a known address did not register within 10 s during the flood"
"$ATK" regrate "127.0.0.1:$SERVER_PORT" "$T/secret" 5 5 127.0.4.1 \
    > "$T/stranger.out" 2>&1 || fail "regrate: $(cat "$T/stranger.out")"
grep -q "regrate: 5 registrations" "$T/stranger.out" ||
    fail "a new address was starved during the flood: $(cat "$T/stranger.out")"
kill -0 $flooder 2>/dev/null ||
    fail "the flood ended before the checks: $(cat "$T/flood.out")"
h1=$(http_metric p2p_reg_hellos_total)
held=$(http_metric p2p_reg_hellos_held_total)
t1=$(date +%s.%N)
wait $flooder
cat "$T/flood.out" "$T/stranger.out"
# Answered: the known sources' few and at most the budget for each second
# since the flood began (and its one-second burst) for the rest.
answered=$((h1 - h0 - held))
cap=$(awk "BEGIN { printf \"%d\", 2000 * ($t1 - $t0 + 1) + 100 }")
echo "during the flood: $((h1 - h0)) hellos, $held not answered, $answered answered (cap $cap)"
[ "$held" -gt 0 ] || fail "no hello was held back"
[ "$answered" -le "$cap" ] || fail "$answered challenges in $(awk "BEGIN { print $t1 - $t0 }") s: over the strangers' budget"
echo "PASS"
