#!/bin/sh
# SPDX-License-Identifier: ISC
# The NAT lab checks its own emulation before anything is measured on it
# (docs/NATLAB.md). One client of every type behind its router, all at once:
#
# 1. natprobe (plain sockets, no p2pd code) classifies each NAT the RFC 5780
#    way against a reflector on the server's two addresses and two ports:
#    mapping = is the mapped address the same towards another IP and another
#    port; filtering = does an answer from another IP+port, or from the same
#    IP and another port, get through. Each type must show its own pair.
# 2. turnutils_stunclient (coturn), run under timeout, gets the router's WAN
#    address from p2p-server from behind every NAT that lets UDP out.
# 3. If p2p-server has --alt-listen: an agent behind each NAT classifies it
#    (`p2pctl nat --refresh --json`) as the type the router emulates.
# Root and the normal build only: the lab is not a sanitizer test.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns_lib.sh"
. "$top_srcdir/tests/integration/natlab_lib.sh"

[ "$SAN" -eq 0 ] || skip "the NAT lab runs in the normal build only (P2P_SANITIZERS is set)"
netns_require
NATPROBE="$top_builddir/tests/integration/natprobe"
[ -x "$NATPROBE" ] || skip "natprobe is not built (make check builds it)"

S1=$NATLAB_S1
S2=$NATLAB_S2
natlab_pub
natlab_router op open
natlab_router fc full-cone
natlab_router rc restricted
natlab_router pr port-restricted
natlab_router sy symmetric
natlab_router ub udp-blocked
CLIENTS="op fc rc pr sy ub"
type_of() {
	case $1 in
	op) echo open ;; fc) echo full-cone ;; rc) echo restricted ;;
	pr) echo port-restricted ;; sy) echo symmetric ;; ub) echo udp-blocked ;;
	esac
}

# ---- 1. RFC 5780 logic with natprobe ----------------------------------------
# Ports 4000/4001 on both addresses; the server keeps 3478 (and 3479 for
# --alt-listen) to itself.
ns_bg pub "$NATPROBE" reflect --ready "$T/reflect.ready" \
    "$S1:4000" "$S1:4001" "$S2:4000" "$S2:4001" 2>"$T/reflect.log"
wait_for 5 test -s "$T/reflect.ready" || fail "the reflector did not start"

field() {	# field LINE KEY: the value of KEY=... in a natprobe line
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# natlab_count_wait NAME OLD: the ISP's low-TTL count once it has moved from
# OLD (or after a second); the probe returns before the counter is read.
natlab_count_wait() {
	_cw=0
	while [ "$_cw" -lt 10 ]; do
		_cv=$(natlab_isp_count "$1")
		[ "${_cv:-0}" -ne "$2" ] && break
		sleep 0.1
		_cw=$((_cw + 1))
	done
	echo "${_cv:-0}"
}

# Two runs, each from a fresh local port as RFC 5780 asks. Mapping: towards
# S1:4000, S2:4000 (other IP), S2:4001 (other IP and port). Filtering: S1:4000
# answers from itself, then from S2:4001 ("ip"), then from S1:4001 ("port").
# They must not share a socket: an unsolicited packet that the NAT turned
# away still leaves a conntrack entry, and a later mapping towards that
# address takes another port (a real Linux NAT quirk, docs/NATLAB.md).
for c in $CLIENTS; do
	{ ns_exec "$c" "$NATPROBE" probe "$S1:4000" "$S2:4000" "$S2:4001" &&
	  ns_exec "$c" "$NATPROBE" probe "$S1:4000/same" "$S1:4000/ip" "$S1:4000/port"
	} > "$T/probe.$c" 2>&1 || fail "natprobe in $c: $(cat "$T/probe.$c")"
done

emul_fail=""
emul_bad() {	# the probe's own lines once per client, then each finding
	[ "$emul_fail" = "${emul_fail#*"$1"}" ] && sed 's/^/    /' "$T/probe.$1" >&2
	echo "FAIL: $(type_of "$1"): $2" >&2
	emul_fail="$emul_fail $1"
}
printf '%-16s %-28s %-28s %s\n' "type" "mapping" "filtering" "mapped address"
for c in $CLIENTS; do
	t=$(type_of "$c")
	l1=$(sed -n 1p "$T/probe.$c"); l2=$(sed -n 2p "$T/probe.$c")
	l3=$(sed -n 3p "$T/probe.$c"); lf=$(sed -n 4p "$T/probe.$c")
	lip=$(sed -n 5p "$T/probe.$c"); lport=$(sed -n 6p "$T/probe.$c")
	if [ "$t" = udp-blocked ]; then
		for l in "$l1" "$l2" "$l3" "$lf" "$lip" "$lport"; do
			[ "$(field "$l" reply)" = no ] || emul_bad "$c" "a UDP answer got through"
		done
		printf '%-16s %-28s %-28s %s\n' "$t" "-" "-" "(no UDP)"
		continue
	fi
	for l in "$l1" "$l2" "$l3" "$lf"; do
		[ "$(field "$l" reply)" = yes ] || emul_bad "$c" "no answer to a plain request"
	done
	m1=$(field "$l1" mapped); m2=$(field "$l2" mapped); m3=$(field "$l3" mapped)
	[ "${m1%:*}" = "$(natlab_wan "$c")" ] ||
	    emul_bad "$c" "mapped address $m1 is not the WAN address $(natlab_wan "$c")"
	if [ "$m1" = "$m2" ] && [ "$m1" = "$m3" ]; then
		mapping=endpoint-independent
	elif [ "$m2" = "$m3" ]; then
		mapping=address-dependent	# not emulated here
	else
		mapping=address-and-port-dependent
	fi
	if [ "$(field "$lip" reply)" = yes ]; then
		filtering=endpoint-independent
	elif [ "$(field "$lport" reply)" = yes ]; then
		filtering=address-dependent
	else
		filtering=address-and-port-dependent
	fi
	# Answers that got through came from where they were asked to.
	[ "$(field "$lip" reply)" = no ] || [ "$(field "$lip" from)" = "$S2:4001" ] ||
	    emul_bad "$c" "the changed-address answer came from $(field "$lip" from)"
	[ "$(field "$lport" reply)" = no ] || [ "$(field "$lport" from)" = "$S1:4001" ] ||
	    emul_bad "$c" "the changed-port answer came from $(field "$lport" from)"
	printf '%-16s %-28s %-28s %s\n' "$t" "$mapping" "$filtering" "$m1"
	case $t in
	open|full-cone)	want="endpoint-independent endpoint-independent" ;;
	restricted)	want="endpoint-independent address-dependent" ;;
	port-restricted) want="endpoint-independent address-and-port-dependent" ;;
	symmetric)	want="address-and-port-dependent address-and-port-dependent" ;;
	esac
	[ "$mapping $filtering" = "$want" ] ||
	    emul_bad "$c" "mapping/filtering $mapping/$filtering, expected ${want% *}/${want#* }"
	# open: no translation at all, the host's own address and port.
	[ "$t" != open ] || [ "$m1" = "$(field "$l1" local | sed "s/^0\.0\.0\.0/$(natlab_host "$c")/")" ] ||
	    emul_bad "$c" "an open host's address was translated ($m1)"
done
[ -z "$emul_fail" ] || fail "the NAT emulation is wrong (see above)"

# A packet the NAT turned away must not move the mapping (the routers'
# firewall drops it before conntrack keeps it): after S1:4001's unsolicited
# answer, a request to S1:4001 still maps to the same port.
l=$(ns_exec pr "$NATPROBE" probe "$S1:4000" "$S1:4000/port" "$S1:4001") ||
    fail "natprobe in pr: $l"
# shellcheck disable=SC2046 # the mapped addresses, split on purpose
set -- $(echo "$l" | sed -n 's/.*mapped=\([^ ]*\).*/\1/p')
[ $# -eq 2 ] && [ "$1" = "$2" ] ||
    fail "port-restricted: a turned-away packet moved the mapping: $l"

# The routers count what leaves: every client sent at least its six
# requests (udp-blocked too: the counter sits before the drop); the
# symmetric NAT saw a new flow for each of the three destinations.
for c in $CLIENTS; do
	n=$(natlab_count "$c" udp_out)
	[ "${n:-0}" -ge 6 ] || fail "$(type_of "$c"): udp_out counter is ${n:-missing}, expected >= 6"
done
n=$(natlab_count sy udp_new)
[ "${n:-0}" -ge 3 ] || fail "symmetric: udp_new counter is ${n:-missing}, expected >= 3"

# TCP still leaves the UDP-blocked network (the agent's fallback needs it).
if perl -e 1 2>/dev/null; then
	ns_bg pub perl -MIO::Socket::INET -e '
		my $l = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => 4003,
		    Proto => "tcp", Listen => 1, ReuseAddr => 1) or die "listen: $!";
		while (my $c = $l->accept) { print $c "ok\n"; close $c }' "$S1" 2>"$T/tcp.log"
	# Not ns_exec: its _n would clobber wait_for's counter of the same name.
	tcp_ok() {
		ip netns exec "$(ns_full ub)" perl -MIO::Socket::INET -e '
			my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => 4003,
			    Proto => "tcp", Timeout => 2) or exit 1;
			my $l = <$s>; exit($l eq "ok\n" ? 0 : 1)' "$S1"
	}
	wait_for 5 tcp_ok || fail "udp-blocked: TCP to the Internet is blocked too"
else
	echo "tcp: SKIP perl is missing: TCP through udp-blocked is not checked"
fi
echo "emulation: every NAT type maps and filters as RFC 4787 names it"

# The ISP hop (transit): a datagram whose TTL runs out just past the client's
# own NAT dies at the ISP router and is counted there (natlab_isp_count),
# one more hop gets it to the server. Behind a NAT that is TTL 2 (the NAT
# is the first hop), from an open host TTL 1.
if [ "$NATLAB_TOPO" = transit ]; then
	for c in op fc rc pr sy; do
		low=2; [ "$c" = op ] && low=1
		n0=$(natlab_isp_count "$c")
		l=$(ns_exec "$c" "$NATPROBE" probe --tries 1 --ttl "$low" "$S1:4000") ||
		    fail "natprobe --ttl in $c: $l"
		[ "$(field "$l" reply)" = no ] ||
		    fail "$(type_of "$c"): a TTL $low datagram reached the server: $l"
		n1=$(natlab_count_wait "$c" "$n0")
		[ "$n1" -eq $((n0 + 1)) ] ||
		    fail "$(type_of "$c"): the ISP router counted $n0 -> $n1 low-TTL datagrams, expected one more"
		l=$(ns_exec "$c" "$NATPROBE" probe --ttl $((low + 1)) "$S1:4000") ||
		    fail "natprobe --ttl in $c: $l"
		[ "$(field "$l" reply)" = yes ] ||
		    fail "$(type_of "$c"): a TTL $((low + 1)) datagram did not reach the server: $l"
	done
	echo "isp hop: a datagram with TTL 2 from behind each NAT (1 from the open host) died at the ISP router, one hop more reached the server"
fi

# ---- 2. a standard STUN client against p2p-server --------------------------
alt=""
if "$P2P_SERVER" --help 2>&1 | grep -q -- --alt-listen; then
	alt="--alt-listen $S2:3479"
fi
# shellcheck disable=SC2086 # alt is empty or two words
natlab_server $alt
if command -v turnutils_stunclient >/dev/null 2>&1; then
	# All at once: the ones that time out then cost 10 s together.
	stun_pids=""
	for c in $CLIENTS; do
		[ "$c" = ub ] && continue
		{ ns_exec "$c" timeout 10 turnutils_stunclient -p "$SERVER_PORT" "$S1" \
		    > "$T/stun.$c" 2>&1; echo $? > "$T/stun.$c.rc"; } &
		stun_pids="$stun_pids $!"
	done
	for p in $stun_pids; do wait "$p"; done
	for c in $CLIENTS; do
		t=$(type_of "$c")
		[ "$t" = udp-blocked ] && continue
		out=$(cat "$T/stun.$c")
		rc=$(cat "$T/stun.$c.rc")
		got=$(echo "$out" | sed -n 's/.*UDP reflexive addr: *\([0-9.]*\):[0-9]*.*/\1/p' | head -1)
		[ "$got" = "$(natlab_wan "$c")" ] ||
		    fail "$t: turnutils_stunclient saw ${got:-nothing}, expected $(natlab_wan "$c"): $out"
		# Seeing OTHER-ADDRESS, the client goes on to RFC 5780's
		# change-request test and waits for the answer from the other
		# address for good; a NAT that filters by address drops it, as
		# it should. Only then is the timeout not a failure.
		note=""
		if [ "$rc" -eq 124 ] && [ -n "$alt" ] &&
		    [ "$t" != open ] && [ "$t" != full-cone ]; then
			note=" (then timed out in its change-request test, which this NAT filters)"
		elif [ "$rc" -ne 0 ]; then
			fail "$t: turnutils_stunclient exited $rc: $out"
		fi
		echo "stun: $t: turnutils_stunclient got $got from p2p-server$note"
	done
else
	echo "stun: SKIP turnutils_stunclient is missing (apt-get install coturn)"
fi

# ---- 3. the agent classifies its NAT -----------------------------------------
if [ -z "$alt" ]; then
	echo "agent: SKIP p2p-server has no --alt-listen yet: the agents' NAT classification is not checked"
	exit 0
fi
if ! "$P2PCTL" --help 2>&1 | grep -q '] nat'; then
	echo "agent: SKIP p2pctl has no nat command yet: the agents' NAT classification is not checked"
	exit 0
fi
for c in $CLIENTS; do natlab_agent "$c"; done
# udp-blocked registers over TCP once the agent can; either way it must say
# "blocked", so it is not waited for.
for c in op fc rc pr sy; do wait_registered "$c"; done
nat_word() {	# what p2pctl nat should say for a type
	case $1 in udp-blocked) echo blocked ;; *) echo "$1" ;; esac
}
for c in $CLIENTS; do
	t=$(type_of "$c")
	j=$(ctl "$c" --json nat --refresh 2>&1) || fail "$t: p2pctl nat --refresh exited $?: $j"
	got=$(echo "$j" | sed -n 's/.*"nat_type": *"\([a-z-]*\)".*/\1/p' | head -1)
	echo "agent: $t: nat_type=$got"
	[ "$got" = "$(nat_word "$t")" ] || fail "$t: the agent says nat_type=$got, expected $(nat_word "$t"): $j"
	[ "$t" = udp-blocked ] || echo "$j" | grep -q "\"mapped_addr\": *\"$(natlab_wan "$c"):" ||
	    fail "$t: mapped_addr is not the WAN address $(natlab_wan "$c"): $j"
done
