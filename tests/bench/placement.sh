#!/bin/sh
# SPDX-License-Identifier: ISC
# Where the processes run: the same 1200-byte bulk transfer with the two
# agents and the application (p2pbench, both ends in one process) left to
# the scheduler, then pinned to CPUs in each way two cores allow, with
# UDP GSO/GRO and without (P2PD_NO_GSO=1, a second pair of agents). On a
# machine of two cores four busy processes share them, and which one waits
# for which decides much of a run: this prints one line per placement and
# run, for telling the scheduler's share of a spread from p2pd's own. Needs
# taskset and at least two CPUs (exit 77 otherwise). Not part of make check.
#
# usage: top_builddir=BUILD top_srcdir=SRC sh tests/bench/placement.sh
# environment: BENCH_MB (64), BENCH_SIZE (1200), BENCH_REPS (3)
. "$top_srcdir/tests/integration/lib.sh"
size=${BENCH_SIZE:-1200}
count=$(( ${BENCH_MB:-64} * 1048576 / size ))
reps=${BENCH_REPS:-3}
P="$top_builddir/tests/bench/p2pbench"

[ -x "$P" ] || fail "$P is missing: make bench"
command -v taskset > /dev/null || skip "taskset is missing"
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"

start_server
start_agent alice g
start_agent bob g
export P2PD_NO_GSO=1
start_agent carol g
start_agent dave g
unset P2PD_NO_GSO
wait_registered alice bob carol dave

# one LABEL CPUS_TX CPUS_RX CPUS_APP TX RX: one run, pinned as told
one() {
	eval "_tx=\$${5}_PID _rx=\$${6}_PID"
	taskset -a -p -c "$2" "$_tx" > /dev/null || fail "taskset $5"
	taskset -a -p -c "$3" "$_rx" > /dev/null || fail "taskset $6"
	taskset -c "$4" "$P" bulk "$T/$5/sock" "$T/$6/sock" "$6" "$size" \
	    "$count" > "$T/run.out" || fail "p2pbench bulk $5 -> $6 ($1)"
	_v=$(awk '$3 ~ /^bulk/ { print $4 }' "$T/run.out")
	printf '  %-6s %-16s tx=%-3s rx=%-3s app=%-3s %8s MB/s\n' \
	    "$7" "$1" "$2" "$3" "$4" "$_v"
}

echo "== $count messages of $size bytes, $reps runs of each placement"
r=0
while [ "$r" -lt "$reps" ]; do
	for pair in "alice bob gso" "carol dave nogso"; do
		# shellcheck disable=SC2086
		set -- $pair
		one free 0,1 0,1 0,1 "$1" "$2" "$3"
		one agents-apart 0 1 0,1 "$1" "$2" "$3"
		one agents-together 0 0 1 "$1" "$2" "$3"
		one app-with-tx 0 1 0 "$1" "$2" "$3"
		one app-with-rx 0 1 1 "$1" "$2" "$3"
	done
	r=$((r + 1))
done
