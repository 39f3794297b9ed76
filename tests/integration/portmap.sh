#!/bin/sh
# SPDX-License-Identifier: ISC
# The agent's port mapping module (daemon/agent/portmap*.c, driven by
# pmdriver) against a real router: miniupnpd (UPnP IGD, NAT-PMP and PCP) on
# a symmetric NAT router of the NAT lab (natlab_lib.sh, ISP hop and all).
# For each protocol alone and for all three at once:
#   - a mapping is granted, on the router's WAN address;
#   - the router holds exactly one mapping for the host (its nft rules);
#   - the mapping carries a datagram from the Internet side to the host
#     and its answer back, through a NAT that otherwise lets nothing in;
#   - SIGTERM deletes it: the driver counts the delete and the rule is gone.
# Root only (network namespaces); otherwise, or without miniupnpd, exit 77.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns_lib.sh"
. "$top_srcdir/tests/integration/natlab_lib.sh"

netns_require
PMDRIVER="$top_builddir/tests/integration/pmdriver"
[ -x "$PMDRIVER" ] || skip "pmdriver is not built (make check builds it)"
command -v perl >/dev/null 2>&1 || skip "perl is missing (the Internet-side sender)"
NATLAB_DELAY_MS=0
natlab_pub
natlab_router a symmetric
natlab_upnp a
WAN=$(natlab_wan a)
R=$(natlab_edge a)

rules() {	# the DNAT rules miniupnpd holds on the router
	ns_exec "$R" nft list chain inet filter prerouting_miniupnpd 2>/dev/null |
	    grep -c dnat
}

# send_from_pub ADDR PORT: a datagram from the Internet side; prints the
# answer (pmdriver --echo says "echo FROM"), or nothing after 2 s.
send_from_pub() {
	ns_exec pub perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0],
		    PeerPort => $ARGV[1], Proto => "udp") or die "socket: $!";
		$s->send("ping");
		my $r = "";
		eval {
			local $SIG{ALRM} = sub { die "timeout\n" };
			alarm 2; $s->recv($r, 512); alarm 0;
		};
		print $r;' "$1" "$2"
}

field() {	# field JSON-LINE KEY
	echo "$1" | sed -n "s/.*\"$2\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p"
}

i=0
for protos in pcp nat-pmp upnp pcp,nat-pmp,upnp; do
	i=$((i + 1))
	port=$((40000 + i))
	out="$T/pm.$i.out"
	# Nothing gets in before the mapping: the router is a symmetric NAT.
	[ -z "$(send_from_pub "$WAN" "$port")" ] ||
	    fail "$protos: a datagram reached the host before any mapping"
	ns_bg a "$PMDRIVER" -v --protocols "$protos" --echo --wait 15 "$port" \
	    > "$out" 2> "$T/pmdriver.$i.log"
	pid=$NS_PID
	wait_for 15 grep -q '"event":"granted"' "$out" ||
	    fail "$protos: no mapping granted: $(cat "$out")"
	g=$(grep '"event":"granted"' "$out" | head -1)
	proto=$(field "$g" protocol)
	ext=$(field "$g" external)
	case ,$protos, in
	*,"$proto",*) ;;
	*) fail "$protos: granted by $proto" ;;
	esac
	[ "${ext%:*}" = "$WAN" ] || fail "$protos: external address $ext, not the WAN address $WAN"
	n=$(rules)
	[ "$n" -eq 1 ] || fail "$protos: the router holds $n mappings, expected 1: $(ns_exec "$R" nft list ruleset)"
	ans=$(send_from_pub "${ext%:*}" "${ext#*:}")
	case $ans in
	"echo "*) ;;
	*) fail "$protos: the mapping $ext did not carry a datagram to the host and back (got '${ans}')" ;;
	esac
	kill -TERM "$pid"
	wait "$pid" || fail "$protos: pmdriver exited $?"
	s=$(grep '"event":"stopped"' "$out")
	[ "$(field "$s" deleted)" = 1 ] || fail "$protos: the delete was not confirmed: $s"
	n=$(rules)
	[ "$n" -eq 0 ] || fail "$protos: $n mappings left on the router after the delete"
	echo "portmap: $protos: $proto granted $ext, carried a datagram ($ans), deleted on exit; $s"
done
echo "portmap: every protocol maps, carries and deletes against miniupnpd"
