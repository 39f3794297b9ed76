#!/bin/sh
# SPDX-License-Identifier: ISC
# The Python binding (bindings/python, module p2pclient) against two real
# agents: its unittest suite, with the library of this build. In the
# sanitizer build Python runs with libasan preloaded (else: skipped).
. "$top_srcdir/tests/integration/lib.sh"

PY=${PYTHON:-python3}
[ "$PY" = : ] && skip "no Python 3 found by configure"
command -v "$PY" >/dev/null 2>&1 || skip "no $PY"
LIB="$top_builddir/.libs/libp2pclient.so.1"
[ -f "$LIB" ] || skip "no shared libp2pclient in $top_builddir/.libs"
PRELOAD=""
if [ "$SAN" = 1 ]; then
	PRELOAD=$(${CC:-cc} -print-file-name=libasan.so 2>/dev/null)
	[ -f "$PRELOAD" ] || skip "sanitizer build: libasan.so not found to preload"
	# Python's own allocations are not ours to judge.
	ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export ASAN_OPTIONS
fi

start_server
start_agent alice g
start_agent bob g
wait_registered alice bob

LD_PRELOAD="$PRELOAD" P2PCLIENT_LIBRARY="$LIB" \
    PYTHONPATH="$top_srcdir/bindings/python" PYTHONDONTWRITEBYTECODE=1 \
    P2P_SOCK_ALICE="$T/alice/sock" P2P_SOCK_BOB="$T/bob/sock" \
    "$PY" "$top_srcdir/bindings/python/tests/test_p2pclient.py" -v \
    >"$T/unittest.log" 2>&1
rc=$?
cat "$T/unittest.log"
[ $rc -eq 0 ] || fail "the Python binding's tests failed (exit $rc)"
grep -q "^OK" "$T/unittest.log" || fail "unittest did not say OK"
echo "PASS: python binding"
