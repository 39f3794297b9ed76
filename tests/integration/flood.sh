#!/bin/sh
# SPDX-License-Identifier: ISC
# 10,000 messages each way through libp2pclient: every one arrives exactly
# once, in order, intact.
. "$top_srcdir/tests/integration/lib.sh"

start_server
start_agent alice g
start_agent bob g
wait_registered alice bob
"$top_builddir/tests/integration/msgflood" "$T/alice/sock" "$T/bob/sock" alice bob 10000 ||
    fail "msgflood"
