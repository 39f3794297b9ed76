#!/bin/sh
# SPDX-License-Identifier: ISC
# The C# binding (bindings/csharp) against two real agents: its test program
# compiled with mono's mcs and run under mono with this build's library.
# Normal build only (mono cannot run with ASan); skipped without mono.
. "$top_srcdir/tests/integration/lib.sh"

[ "$SAN" = 1 ] && skip "sanitizer build: mono does not run under ASan"
command -v mcs >/dev/null 2>&1 || skip "no mcs (apt-get install mono-mcs)"
command -v mono >/dev/null 2>&1 || skip "no mono (apt-get install mono-runtime)"
LIBDIR="$top_builddir/.libs"
[ -f "$LIBDIR/libp2pclient.so.1" ] || skip "no shared libp2pclient in $LIBDIR"

mcs -nologo -warnaserror -out:"$T/test.exe" \
    "$top_srcdir/bindings/csharp/P2PClient.cs" \
    "$top_srcdir/bindings/csharp/tests/TestP2PClient.cs" >"$T/mcs.log" 2>&1 ||
    fail "mcs: $(cat "$T/mcs.log")"

start_server
start_agent alice g
start_agent bob g
wait_registered alice bob

LD_LIBRARY_PATH="$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    P2P_SOCK_ALICE="$T/alice/sock" P2P_SOCK_BOB="$T/bob/sock" \
    mono "$T/test.exe" >"$T/test.log" 2>&1
rc=$?
cat "$T/test.log"
[ $rc -eq 0 ] || fail "the C# binding's tests failed (exit $rc)"
grep -q " passed, 0 failed$" "$T/test.log" || fail "no passing summary"
