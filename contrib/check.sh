#!/bin/sh
# SPDX-License-Identifier: ISC
# The test command: installs what is missing, builds from scratch twice
# (ASan+UBSan, then a normal build), runs every test in both, fuzzes every
# parser briefly, checks that `make distcheck` works (the release tarball
# builds, runs its unit tests, installs), builds and tries the Debian
# packages (contrib/debtest.sh), and ends with one line "N passed, N failed".
#
# usage: contrib/check.sh [--quick]   (--quick: one sanitizer build, 5 s fuzzing)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc 2>/dev/null || echo 2)
fuzz_secs=20
[ $quick -eq 1 ] && fuzz_secs=5

sh contrib/deps.sh || { echo "check: installing dependencies failed"; echo "0 passed, 1 failed"; exit 1; }

out=$(mktemp -d)
total_pass=0
total_fail=0

count() {	# count LOG: add the automake test-suite.log totals
	p=$(sed -n 's/^# PASS: *//p' "$1")
	x=$(sed -n 's/^# XFAIL: *//p' "$1")
	f=$(sed -n 's/^# FAIL: *//p' "$1")
	e=$(sed -n 's/^# ERROR: *//p' "$1")
	u=$(sed -n 's/^# XPASS: *//p' "$1")
	total_pass=$((total_pass + ${p:-0} + ${x:-0}))
	total_fail=$((total_fail + ${f:-0} + ${e:-0} + ${u:-0}))
}

step() {	# step NAME CMD...: run, log to $out/NAME.log, count as a failure on error
	name=$1; shift
	echo "== $name"
	if "$@" >"$out/$name.log" 2>&1; then
		return 0
	fi
	echo "FAIL: $name (last lines of its log follow)"
	tail -n 80 "$out/$name.log"
	total_fail=$((total_fail + 1))
	return 1
}

step autoreconf autoreconf -fi || { echo "$total_pass passed, $total_fail failed"; exit 1; }

build_and_test() {	# build_and_test DIR CONFIGURE-FLAGS...
	dir=$1; shift
	rm -rf "$dir"; mkdir -p "$dir"
	cd "$dir" || return 1
	step "configure-$(basename "$dir")" "$top/configure" "$@" || { cd "$top"; return 1; }
	step "make-$(basename "$dir")" make -j"$jobs" || { cd "$top"; return 1; }
	cd "$top"
	echo "== make check in $(basename "$dir")"
	(cd "$dir" && make -j"$jobs" check >"$out/check-$(basename "$dir").log" 2>&1)
	grep -E '^(PASS|FAIL|SKIP|XFAIL|XPASS|ERROR):' "$out/check-$(basename "$dir").log"
	if [ -f "$dir/test-suite.log" ]; then
		count "$dir/test-suite.log"
		# Show the log of every failed test.
		grep -q '^# FAIL: *[1-9]\|^# ERROR: *[1-9]' "$dir/test-suite.log" &&
		    sed -n '/^FAIL\|^ERROR/,$p' "$dir/test-suite.log" | head -n 300
	else
		echo "FAIL: no test-suite.log in $(basename "$dir")"
		tail -n 60 "$out/check-$(basename "$dir").log"
		total_fail=$((total_fail + 1))
	fi
}

build_and_test "$top/build-asan" --enable-sanitizers
if [ $quick -eq 0 ]; then
	build_and_test "$top/build"
fi

echo "== fuzzing (${fuzz_secs}s per target)"
sh tests/fuzz/run.sh "$fuzz_secs" >"$out/fuzz.log" 2>&1
grep -E '^(PASS|FAIL)' "$out/fuzz.log"
grep -q '^FAIL' "$out/fuzz.log" && grep -v '^PASS' "$out/fuzz.log"
fp=$(grep -c '^PASS' "$out/fuzz.log"); ff=$(grep -c '^FAIL' "$out/fuzz.log")
total_pass=$((total_pass + fp)); total_fail=$((total_fail + ff))

if [ $quick -eq 0 ]; then
	# The release tarball builds, runs its unit tests and installs from a
	# VPATH build (the integration tests ran above).
	cd "$top/build" && if step distcheck make distcheck-unit; then
		echo "PASS: distcheck"; total_pass=$((total_pass + 1))
	fi
	cd "$top"
	# The Debian packages: built from a clean clone, installed, tried, purged.
	echo "== debian packages"
	sh contrib/debtest.sh >"$out/debian.log" 2>&1
	case $? in
	0) echo "PASS: debian"; total_pass=$((total_pass + 1)) ;;
	77) grep '^SKIP' "$out/debian.log" ;;
	*) echo "FAIL: debian (last lines of its log follow)"; tail -n 60 "$out/debian.log"
	   total_fail=$((total_fail + 1)) ;;
	esac
fi

rm -rf "$out"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
