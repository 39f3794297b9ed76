#!/bin/sh
# SPDX-License-Identifier: ISC
# No allocation per message on the agents' hot path in a steady state: two
# agents run msgflood (messages of 1..4000 bytes both ways at once, every
# one checked) under malloccount.so, which counts each allocation. After a
# warm-up round, inboxes, buffers and request pools have grown to their
# working size; they grow again only when a round's backlog goes past every
# earlier one (a stalled reader), so of ROUNDS more rounds of the same
# traffic the quietest must allocate next to nothing: fewer than one
# allocation per 50 messages on each agent (each sends and receives COUNT).
# Allocating per message would cost every round about COUNT or more: before
# the agent's redraw it was about 6 per message sent and 1.7 per message
# received.
. "$top_srcdir/tests/integration/lib.sh"
[ "$SAN" = 1 ] && skip "the sanitizers bring their own allocator"
MC="$top_builddir/tests/bench/.libs/malloccount.so"
[ -f "$MC" ] || skip "malloccount.so is not built"
count=${ALLOCS_COUNT:-20000}
rounds=${ALLOCS_ROUNDS:-3}

start_server
export LD_PRELOAD="$MC"
MALLOCCOUNT_FILE="$T/alice.mc" start_agent alice g
MALLOCCOUNT_FILE="$T/bob.mc" start_agent bob g
unset LD_PRELOAD
wait_registered alice bob

allocs() {	# allocs FILE: allocations so far (malloc, calloc, new reallocs)
	od -An -tu8 -N32 "$1" | tr -s ' \n' '  ' | awk '{ print $1 }'
}

flood() {
	"$top_builddir/tests/integration/msgflood" "$T/alice/sock" \
	    "$T/bob/sock" alice bob "$count" > "$T/flood.out" ||
	    fail "msgflood: $(cat "$T/flood.out")"
}

flood
amin=-1; bmin=-1; r=0
while [ $r -lt "$rounds" ]; do
	a0=$(allocs "$T/alice.mc"); b0=$(allocs "$T/bob.mc")
	flood
	a=$(( $(allocs "$T/alice.mc") - a0 )); b=$(( $(allocs "$T/bob.mc") - b0 ))
	echo "round $((r + 1)): alice $a, bob $b allocations"
	[ $amin -lt 0 ] || [ $a -lt $amin ] && amin=$a
	[ $bmin -lt 0 ] || [ $b -lt $bmin ] && bmin=$b
	r=$((r + 1))
done
for n in alice:$amin bob:$bmin; do
	who=${n%%:*}; got=${n#*:}
	echo "$who: $got allocations in its quietest round of $count messages sent and $count received"
	[ "$got" -lt $((count / 50)) ] ||
	    fail "$who allocated $got times in its quietest round of $count messages each way"
done
echo "ok - $(cat "$T/flood.out")"
