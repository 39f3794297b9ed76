#!/bin/sh
# SPDX-License-Identifier: ISC
# `make natlab`: the NAT lab's matrix (natlab.sh) in every variant, one
# after the other, each printing its table (docs/NATLAB.md):
#
#   transit  home        each NAT behind its own ISP router; NAT routers
#                        with a home router's input firewall
#   transit  bare        the same with bare Linux gateways (no input
#                        firewall: unsolicited packets confirm conntrack
#                        entries and move the other side's mapping)
#   adjacent bare        the NATs side by side on the core, bare gateways:
#                        the harshest case, reported as it is
#
# Every variant connects right after registration (NATLAB_CONNECT=early,
# before the NAT types are known) and runs the 15 pairs of full-cone,
# restricted, port-restricted, symmetric and udp-blocked, two hosts behind
# one NAT, the symmetric/port-restricted trials, roaming and a cut path.
# NATLAB_VARIANTS="transit:1 transit:0 adjacent:0" (TOPOLOGY:ROUTER_FW)
# picks variants; NATLAB_CONNECT, NATLAB_TYPES, NATLAB_CELLS and the other
# natlab.sh variables pass through. NATLAB_TABLES=DIR keeps each table as
# DIR/natlab-TOPOLOGY-fwN.txt. Then the IPv6 core (natlab_v6.sh,
# NATLAB_V6_TRIALS connects, default 10; 0 skips it and the next) and the
# choice of the faster family (natlab_family.sh). Exits 1 if a transit
# variant or an IPv6 run failed; the adjacent topology only reports.
. "$top_srcdir/tests/integration/lib.sh"

: "${NATLAB_VARIANTS:=transit:1 transit:0 adjacent:0}"
: "${NATLAB_CONNECT:=early}"
: "${NATLAB_TYPES:=full-cone restricted port-restricted symmetric udp-blocked}"
export NATLAB_CONNECT NATLAB_TYPES

failed=""
for v in $NATLAB_VARIANTS; do
	topo=${v%%:*}; fw=${v#*:}
	case "$topo:$fw" in
	transit:0|transit:1|adjacent:0|adjacent:1) ;;
	*) fail "NATLAB_VARIANTS: $v is not TOPOLOGY:FW (transit|adjacent, 0|1)" ;;
	esac
	report=0
	[ "$topo" = adjacent ] && report=1
	table="$T/natlab-$topo-fw$fw.txt"
	echo "==== natlab: topology $topo, router firewall $fw, connect $NATLAB_CONNECT"
	if ! NATLAB_TOPO=$topo NATLAB_ROUTER_FW=$fw NATLAB_REPORT=$report \
	    NATLAB_TABLE="$table" sh "$top_srcdir/tests/integration/natlab.sh"; then
		failed="$failed $topo:$fw"
	fi
	if [ -n "${NATLAB_TABLES:-}" ] && [ -f "$table" ]; then
		mkdir -p "$NATLAB_TABLES" && cp "$table" "$NATLAB_TABLES/"
	fi
done
# The IPv6 core: hosts behind stateful IPv6 firewalls, NATLAB_V6_TRIALS
# connects (default 10), each in a fresh lab.
: "${NATLAB_V6_TRIALS:=10}"
export NATLAB_V6_TRIALS
if [ "$NATLAB_V6_TRIALS" -gt 0 ]; then
	echo "==== natlab: IPv6 behind stateful firewalls, $NATLAB_V6_TRIALS trials"
	sh "$top_srcdir/tests/integration/natlab_v6.sh" || failed="$failed ipv6"
	echo "==== natlab: both families direct, one slower: the faster one wins"
	sh "$top_srcdir/tests/integration/natlab_family.sh" || failed="$failed family"
fi
echo "==== natlab: all variants"
for v in $NATLAB_VARIANTS; do
	topo=${v%%:*}; fw=${v#*:}
	[ -f "$T/natlab-$topo-fw$fw.txt" ] && cat "$T/natlab-$topo-fw$fw.txt"
done
[ -z "$failed" ] || fail "variants with failed cells:$failed"
echo "natlab: every transit variant passed"
