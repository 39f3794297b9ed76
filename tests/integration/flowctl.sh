#!/bin/sh
# SPDX-License-Identifier: ISC
# Flow control: a service whose inbox is full stalls its sender only; other
# services keep flowing, and nothing that was accepted is lost.
. "$top_srcdir/tests/integration/lib.sh"

AGENT_ARGS="--inbox-size 16M"
start_server
start_agent alice g
start_agent bob g
wait_registered alice bob
ctl alice connect bob --timeout 10 || fail "connect"

# 24 messages of 1 MiB to a service nobody reads: more than its 16 MiB inbox.
head -c 1048576 /dev/urandom > "$T/mib"
sum=$(sha256sum < "$T/mib")
(i=0; while [ $i -lt 24 ]; do
	ctl alice send bob --service bulk - < "$T/mib" || exit 1
	i=$((i + 1))
done; echo done > "$T/bulk.done") 2>"$T/bulk.err" &
bulk=$!
sleep 3
[ -f "$T/bulk.done" ] && fail "24 MiB were accepted into a 16 MiB inbox without back-pressure"

# Another service on the same session still flows.
ctl alice send bob --service chat "still flowing" || fail "send on another service"
[ "$(ctl bob recv --service chat --timeout 10)" = "still flowing" ] ||
    fail "a full inbox on one service blocked another"

# Drain the full inbox: every message arrives, intact, and the sender finishes.
ctl bob --json recv --service bulk --count 24 --timeout 60 > "$T/bulk.json" ||
    fail "draining the bulk service: got $(wc -l < "$T/bulk.json") of 24"
wait $bulk || fail "the bulk sender failed: $(cat "$T/bulk.err")"
[ "$(wc -l < "$T/bulk.json")" -eq 24 ] || fail "expected 24 messages"
n=0
while IFS= read -r line; do
	got=$(printf '%s\n' "$line" | sed -n 's/.*"data": *"\([^"]*\)".*/\1/p' | base64 -d | sha256sum)
	[ "$got" = "$sum" ] || fail "message $n arrived corrupted"
	n=$((n + 1))
done < "$T/bulk.json"
echo "flowctl: 24 MiB through a 16 MiB inbox with back-pressure, other service unaffected"

# Messages larger than a stream's 1 MiB credit, one after another, each
# from its own p2pctl: the receiver's grants pay back what each took beyond
# the credit, or the next one would wait for credit forever.
head -c 4000000 /dev/urandom > "$T/big"
bigsum=$(sha256sum < "$T/big")
ctl bob --json recv --service big4 --count 3 --timeout 30 > "$T/big.json" &
rcv=$!
for i in 1 2 3; do
	# (a regression would block this send for good: time it out)
	timeout 30 "$P2PCTL" -s "$T/alice/sock" send bob --service big4 - \
	    < "$T/big" || fail "4 MB send $i did not complete"
done
wait $rcv || fail "3 messages of 4 MB, one after another: got $(wc -l < "$T/big.json")"
while IFS= read -r line; do
	got=$(printf '%s\n' "$line" | sed -n 's/.*"data": *"\([^"]*\)".*/\1/p' | base64 -d | sha256sum)
	[ "$got" = "$bigsum" ] || fail "a 4 MB message arrived corrupted"
done < "$T/big.json"
echo "flowctl: 3 messages of 4 MB past a 1 MiB stream credit, one after another"
