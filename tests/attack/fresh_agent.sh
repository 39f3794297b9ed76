#!/bin/sh
# SPDX-License-Identifier: ISC
# attack.sh, finding 2: a real agent from an address the server has never
# seen registers, alone (MODE=quiet) or during 20,000 forged REG_HELLOs a
# second (MODE=flood); prints the time from its start. Run in a network
# namespace of its own (unshare -n), where connections to 127.0.0.1 are
# made to leave from 127.0.4.1: the server starts there and has seen no one.
ip link set lo up || exit 77
ip route replace local 127.0.0.1 dev lo table local src 127.0.4.1 || exit 77
. "$top_srcdir/tests/integration/lib.sh"
ATK="$top_builddir/tests/attack/p2pattack"
[ -n "${ATTACK_SERVER:-}" ] && P2P_SERVER=$ATTACK_SERVER
start_server
up() { awk '{ print $1 }' /proc/uptime; }
if [ "$MODE" = flood ]; then
	"$ATK" helloflood "127.0.0.1:$SERVER_PORT" 20000 15 > /dev/null &
	flooder=$!
	PIDS="$PIDS $flooder"
	sleep 2
fi
t0=$(up)
start_agent fresh g
wait_for 30 registered fresh || fail "the agent did not register in 30 s"
t1=$(up)
echo "finding 2: a new agent at a new address, $MODE: registered in" \
    "$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s over" \
    "$(grep -o 'registered from [0-9.:]* (reg [0-9a-f]*, [a-z]*' \
    "$T/server.log" | tail -1 | sed 's/.*, //'); the server held" \
    "$(grep -c 'REG_HELLOs from unknown' "$T/server.log") flood(s)"
