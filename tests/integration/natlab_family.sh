#!/bin/sh
# SPDX-License-Identifier: ISC
# natlab_family.sh: with both families direct, the session takes the one
# with the lower round trip and keeps the other validated as a standby
# (issue 12; docs/NATLAB.md "IPv6"). `make natlab`.
#
# The NAT lab with its IPv6 core (NATLAB_V6=1): a and b behind
# port-restricted IPv4 NATs (IPv4 goes direct) and stateful IPv6 firewalls
# (IPv6 goes direct too). In each case one family is made slower with
# natlab_slow (NATLAB_SLOW_MS, default 40 ms one way from a's side, far more
# than the path's hysteresis: a new path must have below 3/4 of the current
# round trip and be at least 1 ms faster):
#   slow ip   the session must end on IPv6 (b's [2001:db8:2:1::2]);
#   slow ip6  the session must end on IPv4 (b's NAT's 11.2.0.2).
# Shown per case: `p2pctl --json peers` on a (remote_addr, path_detail with
# the measured round trip), the path lines of a's log (each validation with
# its round trip: the other family validated too, the standby), and a
# message each way. NATLAB_FAMILY_TRIALS=N repeats each case N times.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns_lib.sh"
NATLAB_V6=1
NATLAB_TOPO=transit
. "$top_srcdir/tests/integration/natlab_lib.sh"

[ "$SAN" -eq 0 ] || skip "the NAT lab runs in the normal build only (P2P_SANITIZERS is set)"
netns_require
[ -x "$top_builddir/tests/integration/delayq" ] ||
    skip "delayq is not built (make natlab builds it)"

: "${NATLAB_SLOW_MS:=40}"
: "${NATLAB_FAMILY_TRIALS:=1}"
WAIT=15
peer_field() {	# peer_field AGENT FIELD: FIELD of its one session
	ctl "$1" --json peers 2>/dev/null | tr -d '\n' |
	    sed -n "s/.*\"$2\": *\"\([^\"]*\)\".*/\1/p" | head -1
}
on_family() {	# on_family AGENT v4|v6: its session is direct over that family
	[ "$(peer_field "$1" path)" = direct ] || return 1
	case "$2:$(peer_field "$1" remote_addr)" in
	"v6:["*|"v4:"[0-9]*) return 0 ;;
	esac
	return 1
}

failed=0
for slow in ip ip6; do
	if [ "$slow" = ip ]; then want=v6; else want=v4; fi
	trial=1
	while [ "$trial" -le "$NATLAB_FAMILY_TRIALS" ]; do
		natlab_reset
		natlab_pub
		natlab_router a port-restricted
		natlab_router b port-restricted
		natlab_slow a "$slow" "$NATLAB_SLOW_MS"
		natlab_server
		natlab_agent a
		natlab_agent b
		wait_registered a b
		ctl a connect b --timeout 15 >/dev/null || fail "$slow slow: a cannot connect to b"
		if wait_for "$WAIT" on_family a "$want" &&
		    sleep 3 && on_family a "$want"; then
			res=ok
		else
			res=FAIL
			failed=1
		fi
		echo "$res - $slow slower by $NATLAB_SLOW_MS ms (trial $trial): a's session on $(peer_field a remote_addr), wanted $want; path_detail: $(peer_field a path_detail)"
		grep 'session with b:' "$T/a.log" | sed 's/^/    a: /'
		if [ "$res" = ok ]; then
			ctl a send b "over $want" || fail "send a -> b"
			[ "$(ctl b recv --timeout 10)" = "over $want" ] || fail "b did not get a's message"
			ctl b send a "back" || fail "send b -> a"
			[ "$(ctl a recv --timeout 10)" = "back" ] || fail "a did not get b's message"
		fi
		trial=$((trial + 1))
	done
done
[ "$failed" -eq 0 ] || fail "a session did not take the faster family"
echo PASS
