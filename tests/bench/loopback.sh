#!/bin/sh
# Loopback figures for the foundation: message rate through libp2pclient,
# p2pctl pipe throughput, and p2pctl ping round trips. Not part of make check.
#
# usage: top_builddir=BUILD top_srcdir=SRC sh tests/bench/loopback.sh [PIPE-MB]
. "$top_srcdir/tests/integration/lib.sh"
mb=${1:-200}

start_server
start_agent alice g
start_agent bob g
wait_registered alice bob

echo "== message rate: msgflood, 10000 messages each way, 1..4000 bytes"
"$top_builddir/tests/integration/msgflood" "$T/alice/sock" "$T/bob/sock" alice bob 10000 ||
    fail "msgflood"

echo "== p2pctl pipe, $mb MB one way"
head -c $((mb * 1048576)) /dev/urandom > "$T/in"
ctl bob pipe alice --name bench --timeout 30 < /dev/null > "$T/out" &
rx=$!
t0=$(date +%s.%N)
ctl alice pipe bob --name bench --timeout 30 < "$T/in" > /dev/null || fail "pipe"
wait $rx || fail "pipe receiver"
t1=$(date +%s.%N)
cmp -s "$T/in" "$T/out" || fail "pipe data differs"
awk "BEGIN { d = $t1 - $t0; printf \"pipe: %d MB in %.2f s = %.1f MB/s\\n\", $mb, d, $mb / d }"

echo "== p2pctl ping, 20 round trips"
ctl alice ping bob -c 20 -i 0.05 | tail -2
