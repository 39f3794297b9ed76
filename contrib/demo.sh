#!/bin/sh
# SPDX-License-Identifier: ISC
# The p2pd demo: installs missing build dependencies, builds, starts a
# rendezvous server and two agents (alice and bob) on loopback in a temporary
# directory, connects them, exchanges messages both ways, shows the session
# with `p2pctl peers`, and cleans up.
#
# usage: contrib/demo.sh [--installed]   (--installed: the p2pd, p2p-server
# and p2pctl on PATH, e.g. from the Debian packages, instead of a build)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "${1:-}" = "--installed" ]; then
	PATH="$PATH:/usr/sbin:/sbin"
	P2PD=$(command -v p2pd) && P2P_SERVER=$(command -v p2p-server) &&
	    P2PCTL=$(command -v p2pctl) ||
	    { echo "demo: p2pd, p2p-server and p2pctl must be installed"; exit 1; }
	echo "== the installed programs: $P2PD $P2P_SERVER $P2PCTL"
else
	sh contrib/deps.sh
	b="$top/build-demo"
	# Always make: a build left from an older checkout is brought up to date.
	echo "== building (in $(basename "$b")/)"
	[ -x configure ] || autoreconf -fi >/dev/null
	mkdir -p "$b"
	if [ ! -f "$b/Makefile" ]; then
		(cd "$b" && "$top/configure" -q) || exit 1
	fi
	(cd "$b" && make -j"$(nproc)" >/dev/null) || exit 1
	P2PD="$b/p2pd" P2P_SERVER="$b/p2p-server" P2PCTL="$b/p2pctl"
fi

umask 077	# tokens and secrets are credentials: p2pd refuses a token others can read
T=$(mktemp -d)
PIDS=""
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
ctl() { n=$1; shift; "$P2PCTL" -s "$T/$n/sock" "$@"; }

head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/secret"
chmod 600 "$T/secret"
mkdir -p "$T/srv" "$T/alice" "$T/bob"

say "p2p-server -f --listen 127.0.0.1:0 --secret-file secret --state-dir srv"
"$P2P_SERVER" -f --listen 127.0.0.1:0 --secret-file "$T/secret" --state-dir "$T/srv" \
    2>"$T/server.log" &
PIDS="$PIDS $!"
i=0; while [ ! -s "$T/srv/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$T/srv/port")
echo "server listening on 127.0.0.1:$port (udp and tcp)"
say "p2p-server key --state-dir srv    # the server's public key; tokens carry it"
"$P2P_SERVER" key --state-dir "$T/srv"

for n in alice bob; do
	say "p2p-server token --secret-file secret --peer $n --group demo --state-dir srv"
	"$P2P_SERVER" token --secret-file "$T/secret" --peer $n --group demo \
	    --state-dir "$T/srv" > "$T/$n/token"
	cut -c1-60 "$T/$n/token" | sed 's/$/.../'
	say "p2pd -f --server 127.0.0.1:$port --token-file $n/token --socket $n/sock --state-dir $n"
	"$P2PD" -f --server "127.0.0.1:$port" --token-file "$T/$n/token" \
	    --socket "$T/$n/sock" --state-dir "$T/$n" 2>"$T/$n.log" &
	PIDS="$PIDS $!"
done
for n in alice bob; do
	i=0
	until ctl $n --json status 2>/dev/null | grep -q '"registered"'; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "$n did not register"; cat "$T/$n.log"; exit 1; }
		sleep 0.1
	done
done

say "p2pctl -s alice/sock status"
ctl alice status
say "p2pctl -s alice/sock connect bob"
ctl alice connect bob --timeout 10
say "p2pctl -s alice/sock send bob 'hello bob, this is alice'"
ctl alice send bob "hello bob, this is alice"
say "p2pctl -s alice/sock send bob --service chat 'messages wait in the inbox until read'"
ctl alice send bob --service chat "messages wait in the inbox until read"
say "p2pctl -s bob/sock recv --timeout 5"
ctl bob recv --timeout 5
say "p2pctl -s bob/sock --json recv --service chat --timeout 5"
ctl bob --json recv --service chat --timeout 5
say "p2pctl -s bob/sock send --sync alice 'hi alice, bob here'"
ctl bob send --sync alice "hi alice, bob here"
say "p2pctl -s alice/sock recv --timeout 5"
ctl alice recv --timeout 5
say "p2pctl -s alice/sock ping bob -c 3"
ctl alice ping bob -c 3
say "echo 'a byte stream' | p2pctl pipe (alice -> bob)"
ctl bob pipe alice --name demo --timeout 10 </dev/null > "$T/piped" &
pp=$!
echo "a byte stream, end to end encrypted" | ctl alice pipe bob --name demo --timeout 10 > /dev/null
wait $pp
cat "$T/piped"
say "p2pctl -s alice/sock peers"
ctl alice peers
say "p2pctl -s alice/sock --json peers"
ctl alice --json peers
echo
echo "demo finished: the server introduced alice and bob, who exchanged encrypted messages directly."
