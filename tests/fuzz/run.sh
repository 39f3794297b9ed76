#!/bin/sh
# SPDX-License-Identifier: ISC
# Build every libFuzzer target in tests/fuzz/ with clang and run each for a
# while on a copy of its seed corpus. A crash, leak or sanitizer report fails.
#
# usage: tests/fuzz/run.sh [SECONDS]   (run from anywhere; default 30 s each;
# FUZZ_JOBS=N targets run side by side, default one per CPU)
# Each target is fuzz_NAME.c plus fuzz_NAME.sources (the project .c files it
# needs, relative to the top of the tree) and seeds in corpus/NAME/.
set -u
secs=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

CC_FUZZ=${CC_FUZZ:-clang}
if ! command -v "$CC_FUZZ" >/dev/null 2>&1; then
	echo "fuzz: $CC_FUZZ not found (apt-get install clang libclang-rt-dev)" >&2
	exit 1
fi

# Generated protobuf code and an empty config.h, so targets build standalone.
mkdir -p "$work/gen"
protoc-c -I"$top/proto" --c_out="$work/gen" "$top/proto/ipc.proto" "$top/proto/server.proto" || exit 1
: > "$work/gen/config.h"

# fuzz_one SRC: build and run one target; its lines go to $work/out_NAME
# and its verdict (0 or 1) to $work/rc_NAME.
fuzz_one() {
	name=$(basename "$1" .c)
	name=${name#fuzz_}
	out="$work/out_$name"
	srcs=""
	if [ -f "$here/fuzz_$name.sources" ]; then
		for f in $(cat "$here/fuzz_$name.sources"); do
			case "$f" in
			proto/*.pb-c.c) srcs="$srcs $work/gen/$(basename "$f")" ;;
			*) srcs="$srcs $top/$f" ;;
			esac
		done
	fi
	bin="$work/fuzz_$name"
	# shellcheck disable=SC2086
	if ! "$CC_FUZZ" -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -D_GNU_SOURCE \
	    -I"$top/daemon/core" -I"$top/daemon/common" -I"$top/proto" \
	    -I"$top/libclient" -I"$top/daemon/server" -I"$top/daemon/agent" \
	    -I"$work/gen" \
	    "$1" $srcs -lsodium -lprotobuf-c -ljson-c -o "$bin" \
	    >"$work/build_$name.log" 2>&1; then
		{ echo "FAIL: fuzz_$name (build)"; cat "$work/build_$name.log"; } > "$out"
		echo 1 > "$work/rc_$name"
		return
	fi
	mkdir -p "$work/corpus_$name" "$work/art_$name"
	seeds="$here/corpus/$name"
	[ -d "$seeds" ] || seeds=""
	# shellcheck disable=SC2086
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$work/art_$name/" -print_final_stats=1 \
	    "$work/corpus_$name" $seeds >"$work/run_$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/run_$name.log")
		echo "PASS: fuzz_$name ($runs runs in ${secs}s)" > "$out"
		echo 0 > "$work/rc_$name"
	else
		{
			echo "FAIL: fuzz_$name"
			grep -E "runtime error|ERROR:|SUMMARY|^ +#[0-9]+ 0x|Test unit written|timeout" \
			    "$work/run_$name.log" | head -n 50
			for a in "$work/art_$name"/*; do
				[ -f "$a" ] && { echo "crashing input (hex):"; od -An -tx1 "$a" | head -20; }
			done
		} > "$out"
		echo 1 > "$work/rc_$name"
	fi
}

# FUZZ_JOBS targets at a time (default: one per CPU), each for SECONDS.
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
n=0
for src in "$here"/fuzz_*.c; do
	[ -e "$src" ] || continue
	fuzz_one "$src" &
	n=$((n + 1))
	[ $((n % jobs)) -eq 0 ] && wait
done
wait

passed=0
failed=0
for src in "$here"/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	cat "$work/out_$name" 2>/dev/null || echo "FAIL: fuzz_$name (no result)"
	if [ "$(cat "$work/rc_$name" 2>/dev/null)" = 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
