#!/bin/sh
# SPDX-License-Identifier: ISC
# The benchmarks of issue 3 on loopback, side by side in one run: p2pd (two
# agents, applications through libp2pclient, encrypted, 1200-byte datagrams),
# ENet in one process and in two (enet2p: p2pd's agents are two processes),
# raw UDP and TCP move the same messages; then p2pctl pipe, round trips, the
# agent's memory and its allocations per message. Prints a table with the
# ratios. Not part of make check.
#
# usage: top_builddir=BUILD top_srcdir=SRC sh tests/bench/loopback.sh
# environment: BENCH_MB (bulk volume, 64), BENCH_SMALL (100-byte messages,
#   200000), BENCH_RTT (round trips, 5000), BENCH_PIPE_MB (200),
#   BENCH_IDLE (idle sessions, 50), BENCH_REPS (runs of each transfer and
#   round-trip test, 3; the table shows the median), BENCH_PROFILE=FILE
#   (perf profile of both agents during an extra 1200-byte bulk run),
#   BENCH_NOGSO (1: also run p2pd with P2PD_NO_GSO=1, the column "nogso",
#   between a second pair of agents in the same run; 0: not),
#   BENCH_BASE=DIR (the build directory of another commit, after its own
#   `make bench`: its p2pd and p2pbench run as the column "base", their
#   runs interleaved with this build's, for a before/after in one run).
. "$top_srcdir/tests/integration/lib.sh"
B="$top_builddir/tests/bench"
mb=${BENCH_MB:-64}
small=${BENCH_SMALL:-200000}
rtts=${BENCH_RTT:-5000}
pipe_mb=${BENCH_PIPE_MB:-200}
idle=${BENCH_IDLE:-50}
reps=${BENCH_REPS:-3}
nogso=${BENCH_NOGSO:-1}
R="$T/results"
: > "$R"

for p in p2pbench rawbench enetbench; do
	[ -x "$B/$p" ] || fail "$B/$p is missing: run make bench"
done
base=${BENCH_BASE:-}
mc="$top_builddir/tests/bench/.libs/malloccount.so"
if [ -n "$base" ]; then
	for p in p2pd tests/bench/p2pbench; do
		[ -x "$base/$p" ] || fail "$base/$p is missing: make bench there"
	done
fi

result() {	# result CONTESTANT METRIC VALUE
	echo "RESULT $1 $2 $3" >> "$R"
}

run() {	# run CMD...: a driver; its RESULT lines are kept
	"$@" > "$T/run.out" 2> "$T/run.err" || {
		cat "$T/run.err" >&2
		fail "$*"
	}
	grep '^RESULT' "$T/run.out" | tee -a "$R" | sed 's/^RESULT /  /'
}

run_as() {	# run_as NAME CMD...: a p2pbench run, filed as NAME
	_as=$1; shift
	"$@" > "$T/run.out" 2> "$T/run.err" || {
		cat "$T/run.err" >&2
		fail "$*"
	}
	grep '^RESULT' "$T/run.out" | sed "s/^RESULT p2pd/RESULT $_as/" |
	    tee -a "$R" | sed 's/^RESULT /  /'
}

run_nogso() {	# run_nogso CMD...: a p2pbench run, filed as p2pd-nogso
	run_as p2pd-nogso "$@"
}

run_base() {	# run_base ARGS...: the base build's p2pbench, filed as base
	[ -n "$base" ] && run_as base "$base/tests/bench/p2pbench" "$@"
	return 0
}

start_with() {	# start_with P2PD NAME [MALLOCCOUNT_FILE]: an agent of P2PD
	if [ -n "$base" ] && [ "$1" = "$base/p2pd" ]; then
		start_base "$2" "${3:-}"
		return
	fi
	_keep=$P2PD
	P2PD=$1
	if [ -n "${3:-}" ]; then
		export MALLOCCOUNT_FILE="$3" LD_PRELOAD="$mc"
		start_agent "$2" g
		unset MALLOCCOUNT_FILE LD_PRELOAD
	else
		start_agent "$2" g
	fi
	P2PD=$_keep
}

start_base() {	# start_base NAME [MALLOCCOUNT_FILE]: a base agent, on its server
	# The base build's agents register with the base build's p2p-server:
	# the registration protocol may differ between the two builds.
	if [ -z "${BASE_PORT:-}" ]; then
		mkdir -p "$T/srvb"
		"$base/p2p-server" -f -v --listen 127.0.0.1:0 \
		    --secret-file "$T/secret" --state-dir "$T/srvb" \
		    > "$T/serverb.log" 2>&1 &
		PIDS="$PIDS $!"
		wait_for 10 test -s "$T/srvb/port" ||
		    fail "the base build's p2p-server did not start"
		BASE_PORT=$(cat "$T/srvb/port")
	fi
	mkdir -p "$T/$1"
	"$base/p2p-server" token --secret-file "$T/secret" --peer "$1" \
	    --group g > "$T/$1/token" || fail "minting a base token for $1"
	if [ -n "${2:-}" ]; then
		MALLOCCOUNT_FILE="$2" LD_PRELOAD="$mc" "$base/p2pd" -f -v \
		    --server "127.0.0.1:$BASE_PORT" --token-file "$T/$1/token" \
		    --socket "$T/$1/sock" --state-dir "$T/$1" > "$T/$1.log" 2>&1 &
	else
		"$base/p2pd" -f -v --server "127.0.0.1:$BASE_PORT" \
		    --token-file "$T/$1/token" --socket "$T/$1/sock" \
		    --state-dir "$T/$1" > "$T/$1.log" 2>&1 &
	fi
	eval "${1}_PID=$!"
	PIDS="$PIDS $!"
}

ctxsw() {	# ctxsw PID...: context switches so far, summed
	for p in "$@"; do cat "/proc/$p/status"; done |
	    awk '/ctxt_switches:/ { n += $2 } END { print n }'
}

pkts() {	# pkts AGENT: datagrams the agent has sent
	ctl "$1" --json status | grep -o '"packets_out": *[0-9]*' | tr -dc '0-9'
}

rss_kb() {	# rss_kb PID: resident set, KiB
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

start_server
start_agent alice g
start_agent bob g
wait_registered alice bob
A="$T/alice/sock"
Bs="$T/bob/sock"
if [ "$nogso" = 1 ]; then
	# The same agents with plain datagrams (sendmmsg, no GSO or GRO).
	export P2PD_NO_GSO=1
	start_agent carol g
	start_agent dave g
	unset P2PD_NO_GSO
	wait_registered carol dave
	grep -q "GSO off, GRO off" "$T/carol.log" ||
	    fail "carol does not say that GSO is off"
	C="$T/carol/sock"
	D="$T/dave/sock"
fi
grep "GSO" "$T/alice.log" | sed 's/^<[0-9]>/  alice: /'
if [ -n "$base" ]; then
	start_base ernie
	start_base fred
	wait_registered ernie fred
	E="$T/ernie/sock"
	F="$T/fred/sock"
fi

n1200=$((mb * 1048576 / 1200))
n64k=$((mb * 16))
for w in "1200 $n1200" "65536 $n64k" "100 $small"; do
	# shellcheck disable=SC2086
	set -- $w
	echo "== $2 reliable messages of $1 bytes, $reps runs each"
	r=0
	while [ $r -lt "$reps" ]; do
		run "$B/p2pbench" bulk "$A" "$Bs" bob "$1" "$2"
		run_base bulk "$E" "$F" fred "$1" "$2"
		[ "$nogso" = 1 ] &&
		    run_nogso "$B/p2pbench" bulk "$C" "$D" dave "$1" "$2"
		run "$B/enetbench" bulk "$1" "$2"
		run "$B/enetbench" -2 bulk "$1" "$2"
		run "$B/rawbench" udp "$1" "$2"
		run "$B/rawbench" tcp "$1" "$2"
		r=$((r + 1))
	done
done

if [ -n "${BENCH_PROFILE:-}" ]; then
	command -v perf > /dev/null ||
	    fail "BENCH_PROFILE needs perf (apt-get install linux-perf)"
	# An extra 1200-byte run (not in the table: perf slows it down).
	echo "== profile of both agents during a 1200-byte bulk run"
	perf record -F 4999 -g -o "$T/perf.data" -p "$alice_PID,$bob_PID" \
	    > "$T/perf.log" 2>&1 &
	perf_pid=$!
	sleep 1
	cs0=$(ctxsw "$alice_PID" "$bob_PID")
	po0=$(pkts alice); pi0=$(pkts bob)
	"$B/p2pbench" bulk "$A" "$Bs" bob 1200 "$n1200" > "$T/prof.out" ||
	    fail "p2pbench under perf"
	sed 's/^RESULT /  under perf: /' "$T/prof.out"
	cs1=$(ctxsw "$alice_PID" "$bob_PID")
	po1=$(pkts alice); pi1=$(pkts bob)
	kill -INT "$perf_pid"
	wait "$perf_pid"
	{
		echo "# per 1200-byte message: $(awk "BEGIN { printf \"%.2f context switches (both agents), %.2f datagrams sent by the sender, %.2f by the receiver\", ($cs1 - $cs0) / $n1200, ($po1 - $po0) / $n1200, ($pi1 - $pi0) / $n1200 }")"
		echo "# by pid"
		perf report -i "$T/perf.data" --stdio --no-children \
		    --sort pid -g none 2>/dev/null | grep '%'
		echo "# by shared object"
		perf report -i "$T/perf.data" --stdio --no-children \
		    --sort dso -g none 2>/dev/null | grep '%' | head -12
		echo "# by function"
		perf report -i "$T/perf.data" --stdio --no-children \
		    --sort dso,symbol -g none 2>/dev/null | grep '%' | head -50
	} > "$BENCH_PROFILE"
	echo "  written to $BENCH_PROFILE"
fi

echo "== $rtts round trips of a 64-byte message, $reps runs each"
r=0
while [ $r -lt "$reps" ]; do
	run "$B/p2pbench" rtt "$A" "$Bs" alice bob "$rtts"
	run_base rtt "$E" "$F" ernie fred "$rtts"
	[ "$nogso" = 1 ] &&
	    run_nogso "$B/p2pbench" rtt "$C" "$D" carol dave "$rtts"
	run "$B/enetbench" rtt "$rtts"
	run "$B/enetbench" -2 rtt "$rtts"
	run "$B/rawbench" udprtt "$rtts"
	r=$((r + 1))
done

pipe() {	# pipe CONTESTANT FROM TO: one p2pctl pipe of $T/in
	ctl "$3" pipe "$2" --name bench --timeout 30 < /dev/null > "$T/out" &
	rx=$!
	t0=$(date +%s.%N)
	ctl "$2" pipe "$3" --name bench --timeout 30 < "$T/in" > /dev/null ||
	    fail "pipe $2 -> $3"
	wait $rx || fail "pipe receiver $3"
	t1=$(date +%s.%N)
	cmp -s "$T/in" "$T/out" || fail "pipe data differs ($2 -> $3)"
	rm -f "$T/out"
	v=$(awk "BEGIN { printf \"%.1f\", $pipe_mb * 1.048576 / ($t1 - $t0) }")
	echo "  $1 pipe_MBps $v"
	result "$1" pipe_MBps "$v"
}

echo "== p2pctl pipe, $pipe_mb MB one way"
head -c $((pipe_mb * 1048576)) /dev/urandom > "$T/in"
pipe p2pd alice bob
[ "$nogso" = 1 ] && pipe p2pd-nogso carol dave
rm -f "$T/in"
result p2pd peak_rss_KiB "$(awk '/^VmHWM:/ { print $2 }' "/proc/$alice_PID/status")"

echo "== memory: an agent with 0, then $idle idle sessions"
start_agent mem g
[ -n "$base" ] && start_base memb
wait_registered mem
[ -n "$base" ] && wait_registered memb
sleep 0.5
rss0=$(rss_kb "$mem_PID")
[ -n "$base" ] && rssb0=$(rss_kb "$memb_PID")
i=1
while [ $i -le "$idle" ]; do
	start_agent "idle$i" g
	# The base agent's idle peers are on its own server, of its build.
	[ -n "$base" ] && start_base "idleb$i"
	i=$((i + 1))
done
i=1
while [ $i -le "$idle" ]; do
	wait_registered "idle$i"
	ctl mem connect "idle$i" --timeout 10 > /dev/null || fail "connect idle$i"
	[ -z "$base" ] || { wait_registered "idleb$i" &&
	    ctl memb connect "idleb$i" --timeout 10 > /dev/null; } ||
	    fail "connect idleb$i (base)"
	i=$((i + 1))
done
up=$(ctl mem peers | grep -c ' up')
[ "$up" -ge "$idle" ] || fail "only $up of $idle idle sessions are up"
sleep 0.5
rss1=$(rss_kb "$mem_PID")
per=$(( (rss1 - rss0) * 1024 / idle ))
echo "  agent RSS: $rss0 KiB idle, $rss1 KiB with $idle sessions: $per bytes per session"
result p2pd agent_rss_KiB "$rss0"
result p2pd session_rss_B "$per"
if [ -n "$base" ]; then
	rssb1=$(rss_kb "$memb_PID")
	per=$(( (rssb1 - rssb0) * 1024 / idle ))
	echo "  base agent RSS: $rssb0 KiB idle, $rssb1 KiB with $idle sessions: $per bytes per session"
	result base agent_rss_KiB "$rssb0"
	result base session_rss_B "$per"
fi

# Allocations per message: a pair of agents under malloccount.so moves
# 1200-byte messages, a warm-up run and then a measured one.
allocs() {	# allocs FILE: allocations so far
	od -An -tu8 -N32 "$1" | tr -s ' \n' '  ' | awk '{ print $1 }'
}
mallocs() {	# mallocs NAME P2PD P2PBENCH: one contestant's figures
	start_with "$2" "$1a" "$T/$1a.mc"
	start_with "$2" "$1b" "$T/$1b.mc"
	wait_registered "$1a" "$1b"
	"$3" bulk "$T/$1a/sock" "$T/$1b/sock" "$1b" 1200 20000 > /dev/null ||
	    fail "malloc count warm-up ($1)"
	a0=$(allocs "$T/$1a.mc"); b0=$(allocs "$T/$1b.mc")
	"$3" bulk "$T/$1a/sock" "$T/$1b/sock" "$1b" 1200 "$n1200" > /dev/null ||
	    fail "malloc count run ($1)"
	a1=$(allocs "$T/$1a.mc"); b1=$(allocs "$T/$1b.mc")
	tx=$(awk "BEGIN { printf \"%.4f\", ($a1 - $a0) / $n1200 }")
	rx=$(awk "BEGIN { printf \"%.4f\", ($b1 - $b0) / $n1200 }")
	echo "  $1: $((a1 - a0)) allocations sending and $((b1 - b0)) receiving $n1200 messages"
	result "$1" mallocs_tx_per_msg "$tx"
	result "$1" mallocs_rx_per_msg "$rx"
}
if [ -f "$mc" ]; then
	echo "== allocations per 1200-byte message, after a warm-up"
	mallocs p2pd "$P2PD" "$B/p2pbench"
	[ -n "$base" ] && mallocs base "$base/p2pd" "$base/tests/bench/p2pbench"
fi

# The table: one row per figure, the contestants side by side.
awk '
# Several runs of a figure: the table shows their median.
$1 == "RESULT" {
	k = ++cnt[$2, $3]; all[$2, $3, k] = $4
	if (!($3 in seen)) { seen[$3] = 1; order[n++] = $3 }
	if (!($2 in has)) has[$2] = 1
}
function median(c, m,    k, i, j, t, a) {
	k = cnt[c, m]
	for (i = 1; i <= k; i++) a[i] = all[c, m, i] + 0
	for (i = 2; i <= k; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return a[int((k + 1) / 2)]
}
function cell(c, m) { return ((c, m) in cnt) ? median(c, m) : "-" }
function ratio(a, b) { return (a == "-" || b == "-" || b == 0) ? "-" : sprintf("%.2f", a / b) }
END {
	nc = split("p2pd base p2pd-nogso enet enet2p udp tcp", cs, " ")
	split("p2pd base nogso enet enet2p udp tcp", hd, " ")
	nr = split("p2pd/base p2pd/nogso p2pd/enet p2pd/enet2p p2pd/udp p2pd/tcp base/enet", rs, " ")
	printf "\nmedians of the runs (MBps: 10^6 bytes/s of message payload)\n\n%-20s", "figure"
	for (i = 1; i <= nc; i++) if (cs[i] in has) printf " %10s", hd[i]
	for (i = 1; i <= nr; i++) {
		split(rs[i], q, "/"); qa = q[1] == "nogso" ? "p2pd-nogso" : q[1]
		qb = q[2] == "nogso" ? "p2pd-nogso" : q[2]
		if ((qa in has) && (qb in has)) printf " %12s", rs[i]
	}
	printf "\n"
	for (r = 0; r < n; r++) {
		m = order[r]
		row(m, m, "")
		if (m ~ /^rtt_/ && cell("p2pd-ping", m) != "-")
			row(m " (ping)", m, "-ping")
	}
	if (cell("p2pd", "rtt_p50_us") != "-" && cell("udp", "rtt_p50_us") != "-")
		printf "\nround-trip overhead over raw UDP at p50: %.1f us\n",
		    cell("p2pd", "rtt_p50_us") - cell("udp", "rtt_p50_us")
	if (cell("base", "rtt_p50_us") != "-" && cell("udp", "rtt_p50_us") != "-")
		printf "the same for base: %.1f us\n",
		    cell("base", "rtt_p50_us") - cell("udp", "rtt_p50_us")
}
function row(label, m, sfx,    i, c, v, q, qa, qb) {
	printf "%-20s", label
	for (i = 1; i <= nc; i++) {
		if (!(cs[i] in has)) continue
		c = cs[i]; if (sfx != "" && (c == "p2pd" || c == "base" || c == "p2pd-nogso")) c = c sfx
		printf " %10s", cell(c, m)
	}
	for (i = 1; i <= nr; i++) {
		split(rs[i], q, "/"); qa = q[1] == "nogso" ? "p2pd-nogso" : q[1]
		qb = q[2] == "nogso" ? "p2pd-nogso" : q[2]
		if (!((qa in has) && (qb in has))) continue
		if (sfx != "") { if (qa ~ /^(p2pd|base|p2pd-nogso)$/) qa = qa sfx; if (qb ~ /^(p2pd|base|p2pd-nogso)$/) qb = qb sfx }
		printf " %12s", ratio(cell(qa, m), cell(qb, m))
	}
	printf "\n"
}' "$R"
