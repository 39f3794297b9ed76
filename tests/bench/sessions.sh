#!/bin/sh
# SPDX-License-Identifier: ISC
# One agent with many sessions: the hub agent moves bulk data to one peer,
# first with that one session only, then with BENCH_SESSIONS (1000) more
# sessions open and idle (1000 registered agents, each connected to the
# hub). An agent that walks all its sessions per event (as p2pd did before
# its redraw) slows down with them; one that drives only the sessions fed
# does not. Prints the throughput with and without the idle sessions, their
# ratio, and the hub's memory per session. Not part of make check.
#
# usage: top_builddir=BUILD top_srcdir=SRC sh tests/bench/sessions.sh
# environment: BENCH_SESSIONS (1000), BENCH_MB (bulk volume, 64),
#   BENCH_REPS (3; the median is shown), BENCH_BASE=DIR (another build's
#   p2pd and p2pbench as a second hub and bulk peer, column "base").
. "$top_srcdir/tests/integration/lib.sh"
B="$top_builddir/tests/bench"
n=${BENCH_SESSIONS:-1000}
mb=${BENCH_MB:-64}
reps=${BENCH_REPS:-3}
base=${BENCH_BASE:-}
R="$T/results"
: > "$R"
[ -x "$B/p2pbench" ] || fail "$B/p2pbench is missing: run make bench"
[ -z "$base" ] || [ -x "$base/tests/bench/p2pbench" ] ||
    fail "$base/tests/bench/p2pbench is missing: make bench there"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

start_with() {	# start_with P2PD NAME
	_keep=$P2PD
	P2PD=$1
	start_agent "$2" g
	P2PD=$_keep
}

bulk() {	# bulk NAME P2PBENCH HUB PEER SIZE COUNT: file it as NAME
	"$2" bulk "$T/$3/sock" "$T/$4/sock" "$4" "$5" "$6" > "$T/run.out" ||
	    fail "bulk $3 -> $4"
	sed -n "s/^RESULT p2pd /RESULT $1 /p" "$T/run.out" | tee -a "$R" |
	    sed 's/^RESULT /  /'
}

round() {	# round SUFFIX: every contestant's bulk runs, interleaved
	for w in "1200 $((mb * 1048576 / 1200))" "65536 $((mb * 16))"; do
		# shellcheck disable=SC2086
		set -- $w
		r=0
		while [ $r -lt "$reps" ]; do
			bulk "p2pd$sfx" "$B/p2pbench" hub sink "$1" "$2"
			[ -z "$base" ] || bulk "base$sfx" \
			    "$base/tests/bench/p2pbench" hubb sinkb "$1" "$2"
			r=$((r + 1))
		done
	done
}

start_server
start_agent hub g
start_agent sink g
if [ -n "$base" ]; then
	start_with "$base/p2pd" hubb
	start_with "$base/p2pd" sinkb
fi
AGENT_ARGS="--birthday-sockets 0"
i=1
echo "== starting $n idle agents"
while [ $i -le "$n" ]; do
	start_agent "idle$i" g
	i=$((i + 1))
done
AGENT_ARGS=""
wait_registered hub sink
[ -z "$base" ] || wait_registered hubb sinkb
i=1
while [ $i -le "$n" ]; do
	wait_for 60 registered "idle$i" || fail "idle$i did not register"
	i=$((i + 1))
done

# The idle agents and the server settle first (start-up, registration,
# the first keepalives), so that the single-session figure is not taken
# beside a thousand agents still at work: wait until they use under 5%
# of one CPU together over a second (at most 60 s), and say how long.
cpu_ticks() {	# the summed user+system ticks of the idle agents and server
	for _p in $SERVER_PID $IDLE_PIDS; do
		cat "/proc/$_p/stat" 2>/dev/null
	done | awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
}
IDLE_PIDS=$(i=1; while [ $i -le "$n" ]; do eval "echo \$idle${i}_PID"; i=$((i + 1)); done)
hz=$(getconf CLK_TCK)
t0=$(date +%s)
while :; do
	c0=$(cpu_ticks); sleep 1; c1=$(cpu_ticks)
	[ $(( (c1 - c0) * 100 / hz )) -lt 5 ] && break
	[ $(($(date +%s) - t0)) -ge 60 ] && break
done
echo "  the idle agents and the server used $(( (c1 - c0) * 100 / hz ))% of a CPU in the last second ($(($(date +%s) - t0)) s after they registered)"
echo "== bulk from the hub, its one session"
# A warm-up run, not counted, so that the first counted run does not pay
# for the fresh session's slow start and its buffers' first growth.
"$B/p2pbench" bulk "$T/hub/sock" "$T/sink/sock" sink 65536 "$((mb * 16))" \
    > /dev/null || fail "warm-up bulk hub -> sink"
[ -z "$base" ] || "$base/tests/bench/p2pbench" bulk "$T/hubb/sock" \
    "$T/sinkb/sock" sinkb 65536 "$((mb * 16))" > /dev/null ||
    fail "warm-up bulk hubb -> sinkb"
sfx=
round
rss0=$(rss_kb "$hub_PID")

echo "== connecting the hub(s) to $n idle agents"
t0=$(date +%s.%N)
i=1
while [ $i -le "$n" ]; do
	ctl hub connect "idle$i" --timeout 30 > /dev/null ||
	    fail "connect idle$i"
	[ -z "$base" ] || ctl hubb connect "idle$i" --timeout 30 > /dev/null ||
	    fail "connect idle$i (base)"
	i=$((i + 1))
done
t1=$(date +%s.%N)
up=$(ctl hub peers | grep -c ' up')
[ "$up" -gt "$n" ] || fail "the hub has $up sessions up, not $((n + 1))"
echo "  $up sessions up on the hub ($(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s to connect)"
sleep 2
rss1=$(rss_kb "$hub_PID")
echo "  hub RSS: $rss0 KiB with 1 session, $rss1 KiB with $up: $(( (rss1 - rss0) * 1024 / n )) bytes per session"

echo "== bulk from the hub, with $n idle sessions beside"
sfx=-many
round

awk -v n="$n" '
$1 == "RESULT" {
	k = ++cnt[$2, $3]; all[$2, $3, k] = $4
	if (!($3 in seen)) { seen[$3] = 1; order[nm++] = $3 }
	has[$2] = 1
}
function median(c, m,    k, i, j, t, a) {
	k = cnt[c, m]
	for (i = 1; i <= k; i++) a[i] = all[c, m, i] + 0
	for (i = 2; i <= k; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return a[int((k + 1) / 2)]
}
END {
	printf "\nmedians (MB/s) of bulk from one agent, alone and beside %d idle sessions\n\n", n
	printf "%-16s %10s %10s %8s\n", "figure", "1 session", "+" n, "ratio"
	for (r = 0; r < nm; r++) {
		m = order[r]
		for (c = 0; c < 2; c++) {
			w = c ? "base" : "p2pd"
			if (!(w in has)) continue
			a = median(w, m); b = median(w "-many", m)
			printf "%-16s %10.1f %10.1f %8.2f\n", w " " m, a, b, b / a
		}
	}
}' "$R"
