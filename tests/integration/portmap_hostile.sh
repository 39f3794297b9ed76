#!/bin/sh
# SPDX-License-Identifier: ISC
# The agent's port mapping module (pmdriver) against routers that answer
# badly: fakegw speaks NAT-PMP, PCP and UPnP IGD (SSDP + HTTP/SOAP) on each
# lab router's LAN, one behaviour per router, all at once:
#   good            a mapping (the first protocol that answered, and only
#                   that one), renewed at half its 4 s lifetime, deleted
#                   on exit
#   huge            65000-byte datagrams; a UPnP description of 2 GB that
#                   never ends
#   malformed       answers cut short, unknown versions, broken XML
#   wrong-external  right answers naming a private external address: each
#                   granted mapping is given back
#   mismatched      answers with another nonce or port, or to nothing asked
#                   (NAT-PMP and PCP; this router offers no UPnP)
#   reflexive       a public external address that is not the one the
#                   server sees (--reflexive)
# Bad answers must be ignored and counted (malformed, mismatched,
# bad_external, helper_failures), no mapping kept, the driver's memory
# small, and every mapping the router granted deleted again.
# Root only (network namespaces); otherwise exit 77.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns_lib.sh"
. "$top_srcdir/tests/integration/natlab_lib.sh"

netns_require
PMDRIVER="$top_builddir/tests/integration/pmdriver"
FAKEGW="$top_builddir/tests/integration/fakegw"
[ -x "$PMDRIVER" ] && [ -x "$FAKEGW" ] || skip "pmdriver or fakegw is not built"
NATLAB_DELAY_MS=0
MAX_RSS_KB=30000	# the driver's peak memory, whatever the router sends

CASES="good huge malformed wrong-external mismatched reflexive"
natlab_pub
for c in $CASES; do
	n=$(echo "$c" | tr -d -)
	natlab_router "$n" port-restricted
	gw="$(natlab_host "$n")"; gw="${gw%.*}.1"
	ext=$(natlab_wan "$n")
	mode=$c; drv=""; upnp=--upnp
	case $c in
	mismatched)	upnp="" ;;	# UPnP's answers come through our helper
	wrong-external)	ext=192.168.77.1 ;;
	reflexive)	mode=good; ext=11.9.9.9; drv="--reflexive 11.9.9.8" ;;
	esac
	# shellcheck disable=SC2086 # upnp is an option or nothing
	ns_bg "$(natlab_edge "$n")" "$FAKEGW" $upnp --mode "$mode" --lifetime 4 \
	    --external "$ext" "$gw" > "$T/gw.$c.out" 2> "$T/gw.$c.log"
	wait_for 5 grep -q ready "$T/gw.$c.out" || fail "fakegw ($c) did not start"
	hold=""; [ "$c" = good ] && hold="--hold 6"
	# shellcheck disable=SC2086 # hold and drv are options or nothing
	ns_bg "$n" "$PMDRIVER" -v $hold $drv --wait 14 40000 \
	    > "$T/pm.$c.out" 2> "$T/pmdriver.$c.log"
	eval "pid_$n=$NS_PID"
done

field() {	# field JSON-LINE KEY
	echo "$1" | sed -n "s/.*\"$2\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p"
}
# mappings CASE: granted mappings the router logged (created, deleted)
created() { grep -Ec '^(natpmp map [0-9]+ lifetime=[1-9]|pcp map [0-9]+ lifetime=[1-9]|upnp add)' "$T/gw.$1.out"; }
deleted() { grep -Ec '^(natpmp map [0-9]+ lifetime=0|pcp map [0-9]+ lifetime=0|upnp delete)' "$T/gw.$1.out"; }

for c in $CASES; do
	n=$(echo "$c" | tr -d -)
	eval "pid=\$pid_$n"
	rc=0
	wait "$pid" || rc=$?
	s=$(grep '"event":"stopped"' "$T/pm.$c.out")
	[ -n "$s" ] || fail "$c: pmdriver ended without its counters (exit $rc): $(cat "$T/pm.$c.out")"
	rss=$(field "$s" max_rss_kb)
	[ "$rss" -le "$MAX_RSS_KB" ] || fail "$c: pmdriver grew to $rss KB"
	echo "hostile: $c: exit $rc; $s; router: $(created "$c") created, $(deleted "$c") deleted"
	case $c in
	good)
		[ "$rc" -eq 0 ] || fail "good: no mapping: $(cat "$T/pm.$c.out")"
		[ "$(field "$s" renewed)" -ge 1 ] || fail "good: never renewed in 6 s of a 4 s lease: $s"
		[ "$(field "$s" deleted)" = 1 ] || fail "good: the delete was not confirmed: $s"
		# One protocol took the mapping; the others were only asked
		# who they are.
		used=$(grep -Eo '^(natpmp map|pcp map|upnp add)' "$T/gw.$c.out" | sort -u | wc -l)
		[ "$used" -eq 1 ] || fail "good: mappings from $used protocols: $(cat "$T/gw.$c.out")"
		[ "$(deleted "$c")" -ge 1 ] || fail "good: the router saw no delete"
		continue ;;
	esac
	[ "$rc" -eq 1 ] && grep -q '"event":"none"' "$T/pm.$c.out" ||
	    fail "$c: a mapping was kept from a bad router: $(cat "$T/pm.$c.out")"
	case $c in
	huge)
		[ "$(field "$s" malformed)" -ge 2 ] || fail "huge: oversized answers not counted: $s" ;;
	malformed)
		[ "$(field "$s" malformed)" -ge 2 ] || fail "malformed: not counted: $s" ;;
	mismatched)
		[ "$(field "$s" mismatched)" -ge 2 ] || fail "mismatched: not counted: $s" ;;
	wrong-external|reflexive)
		[ "$(field "$s" bad_external)" -ge 1 ] || fail "$c: not counted: $s"
		[ "$(created "$c")" -eq "$(deleted "$c")" ] ||
		    fail "$c: the router granted $(created "$c") mappings, $(deleted "$c") were deleted" ;;
	esac
done
echo "portmap_hostile: every bad answer was ignored and counted, no bad mapping kept"
