# SPDX-License-Identifier: ISC
# Helpers for tests that build a small network out of Linux network
# namespaces (sourced after lib.sh, not run). Needs root, iproute2 and
# nftables. Everything made here carries this test's pid in its name, so
# tests running at the same time do not collide, and is torn down on exit,
# failed or not: the processes started inside first, then the namespaces
# (which take their veth pairs, routes, rules and qdiscs with them).
#
#   netns_require               skip (exit 77) unless namespaces can be made;
#                               call it first: it also arms the teardown
#   ns_add NAME...              new namespaces, loopback up
#   ns_link NS1 IF1 ADDR1 NS2 IF2 ADDR2
#                               a veth pair between NS1 and NS2, ADDR = a.b.c.d/len
#   ns_route NS DEST VIA        a route (DEST may be "default")
#   ns_forward NS               turn NS into a router (IPv4 forwarding)
#   ns_nft NS                   load the nftables ruleset read from stdin into NS
#   ns_exec NS CMD...           run CMD inside NS
#   ns_bg NS CMD...             the same in the background; sets NS_PID, killed on exit
#   ns_pidsof NS                the pids of processes inside NS
#   ns_bridge NS BR [ADDR...]   a bridge (one L2 segment) in NS holding ADDRs
#   ns_plug NS IF ADDR BRNS BR PORT
#                               a veth pair from NS (IF, ADDR) to port PORT of
#                               bridge BR in BRNS
#   ns_no_ipv6 NS...            IPv4 only in NS (no link-local candidates)

NS_PREFIX="p2pt$$"
NS_LIST=""

ns_full() {	# the system-wide name of namespace $1
	echo "$NS_PREFIX$1"
}

# Tools are installed by package name when missing (contrib/deps.sh lists them).
netns_require() {
	[ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
	for _t in ip:iproute2 nft:nftables tc:iproute2 ethtool:ethtool; do
		command -v "${_t%%:*}" >/dev/null 2>&1 && continue
		command -v apt-get >/dev/null 2>&1 &&
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends "${_t#*:}" >/dev/null 2>&1
		command -v "${_t%%:*}" >/dev/null 2>&1 ||
		    skip "${_t%%:*} is missing (package ${_t#*:})"
	done
	_probe="${NS_PREFIX}probe"
	ip netns add "$_probe" 2>/dev/null || skip "ip netns add fails here"
	ip netns del "$_probe"
	# Chain lib.sh's cleanup: our processes die before their namespaces.
	trap 'cleanup; netns_teardown' EXIT
}

netns_teardown() {
	for _n in $NS_LIST; do
		for _p in $(ip netns pids "$_n" 2>/dev/null); do
			kill -KILL "$_p" 2>/dev/null
		done
	done
	for _n in $NS_LIST; do
		ip netns del "$_n" 2>/dev/null
	done
	NS_LIST=""
}

ns_add() {
	for _n in "$@"; do
		_f=$(ns_full "$_n")
		ip netns add "$_f" || fail "ip netns add $_f"
		NS_LIST="$NS_LIST $_f"
		ip -n "$_f" link set lo up || fail "loopback up in $_f"
	done
}

ns_link() {
	_n1=$(ns_full "$1"); _n2=$(ns_full "$4")
	# Made inside the first namespace, so the root namespace never sees the names.
	ip -n "$_n1" link add "$2" type veth peer name "$5" netns "$_n2" ||
	    fail "veth $1:$2 - $4:$5"
	ip -n "$_n1" addr add "$3" dev "$2" || fail "address $3 on $1:$2"
	ip -n "$_n2" addr add "$6" dev "$5" || fail "address $6 on $4:$5"
	ip -n "$_n1" link set "$2" up || fail "$1:$2 up"
	ip -n "$_n2" link set "$5" up || fail "$4:$5 up"
	# Segment UDP GSO sends at the veth, so a router drops datagrams one
	# by one (as on a real link), not whole 64 KiB runs of them.
	ip netns exec "$_n1" ethtool -K "$2" tx-udp-segmentation off >/dev/null 2>&1
	ip netns exec "$_n2" ethtool -K "$5" tx-udp-segmentation off >/dev/null 2>&1
}

ns_route() {
	ip -n "$(ns_full "$1")" route add "$2" via "$3" || fail "route $2 via $3 in $1"
}

ns_forward() {
	ip netns exec "$(ns_full "$1")" sysctl -qw net.ipv4.ip_forward=1 ||
	    fail "forwarding in $1"
}

ns_nft() {
	ip netns exec "$(ns_full "$1")" nft -f - || fail "nftables rules in $1"
}

ns_exec() {
	_n=$(ns_full "$1"); shift
	ip netns exec "$_n" "$@"
}

# ip netns exec execs CMD, so the pid is CMD's own.
ns_bg() {
	_n=$(ns_full "$1"); shift
	ip netns exec "$_n" "$@" &
	NS_PID=$!
	PIDS="$PIDS $NS_PID"
}

ns_pidsof() {
	ip netns pids "$(ns_full "$1")"
}

ns_bridge() {
	_n=$(ns_full "$1"); _br=$2; shift 2
	ip -n "$_n" link add "$_br" type bridge || fail "bridge $_br in $_n"
	for _a in "$@"; do
		ip -n "$_n" addr add "$_a" dev "$_br" || fail "address $_a on $_br"
	done
	ip -n "$_n" link set "$_br" up || fail "$_br up"
}

ns_plug() {
	_n1=$(ns_full "$1"); _n2=$(ns_full "$4")
	ip -n "$_n1" link add "$2" type veth peer name "$6" netns "$_n2" ||
	    fail "veth $1:$2 - $4:$6"
	ip -n "$_n1" addr add "$3" dev "$2" || fail "address $3 on $1:$2"
	ip -n "$_n2" link set "$6" master "$5" || fail "$4:$6 into $5"
	ip -n "$_n1" link set "$2" up || fail "$1:$2 up"
	ip -n "$_n2" link set "$6" up || fail "$4:$6 up"
}

ns_no_ipv6() {
	for _n in "$@"; do
		ns_exec "$_n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		    net.ipv6.conf.default.disable_ipv6=1 || fail "IPv6 off in $_n"
	done
}
