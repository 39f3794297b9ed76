# SPDX-License-Identifier: ISC
# Shared helpers for the integration tests (sourced, not run).
# Every test works in its own temporary directory, binds only loopback port 0,
# and kills what it started on exit.

umask 077
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
P2P_SERVER="$top_builddir/p2p-server"
P2PCTL="$top_builddir/p2pctl"
T=$(mktemp -d "${TMPDIR:-/tmp}/p2ptest.XXXXXX")
# p2pd asks its router for a port mapping (PCP, NAT-PMP, UPnP IGD): tests on
# the machine's own network must not, so their agents get --no-portmap (a
# wrapper that execs p2pd, same pid). The NAT lab, whose routers exist only
# in its namespaces, runs P2PD_BIN itself.
P2PD_BIN="$(cd "$top_builddir" && pwd)/p2pd"
P2PD="$T/p2pd"
printf '#!/bin/sh\nexec "%s" --no-portmap "$@"\n' "$P2PD_BIN" > "$P2PD"
chmod 755 "$P2PD"
PIDS=""
# Sanitizer builds are slower: tests scale their sizes with this.
if [ -n "${P2P_SANITIZERS:-}" ]; then SAN=1; else SAN=0; fi

cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

fail() {
	echo "FAIL: $*" >&2
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f (last 30 lines)" >&2
		tail -n 30 "$f" >&2
	done
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds.
wait_for() {
	_wf_n=$(( $1 * 10 )); shift
	while [ "$_wf_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_wf_n=$((_wf_n - 1))
	done
	return 1
}

# start_server [EXTRA ARGS...]: sets SERVER_PORT.
start_server() {
	mkdir -p "$T/srv"
	[ -f "$T/secret" ] || { head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/secret"; chmod 600 "$T/secret"; }
	"$P2P_SERVER" -f -v --listen 127.0.0.1:0 --secret-file "$T/secret" \
	    --state-dir "$T/srv" "$@" >"$T/server.log" 2>&1 &
	SERVER_PID=$!
	PIDS="$PIDS $SERVER_PID"
	wait_for 10 test -s "$T/srv/port" || fail "server did not start"
	SERVER_PORT=$(cat "$T/srv/port")
}

# mint PEER [GROUP...]: prints a token. It carries the server's key (the
# one in $T/srv, made there if the server has not started yet).
mint() {
	_peer=$1; shift
	_args=""
	for g in "$@"; do _args="$_args --group $g"; done
	mkdir -p "$T/srv"
	# shellcheck disable=SC2086
	"$P2P_SERVER" token --secret-file "$T/secret" --peer "$_peer" \
	    --state-dir "$T/srv" $_args
}

# server_key: the public key of the server in $T/srv.
server_key() {
	mkdir -p "$T/srv"
	"$P2P_SERVER" key --state-dir "$T/srv"
}

# start_agent NAME [GROUP...]: agent NAME with socket $T/NAME/sock; sets NAME_PID.
start_agent() {
	_name=$1; shift
	mkdir -p "$T/$_name"
	mint "$_name" "$@" > "$T/$_name/token" || fail "minting a token for $_name"
	"$P2PD" -f -v --server "127.0.0.1:$SERVER_PORT" --token-file "$T/$_name/token" \
	    --socket "$T/$_name/sock" --state-dir "$T/$_name" ${AGENT_ARGS:-} >"$T/$_name.log" 2>&1 &
	eval "${_name}_PID=$!"
	PIDS="$PIDS $!"
}

ctl() {	# ctl NAME ARGS...: p2pctl against agent NAME
	_name=$1; shift
	"$P2PCTL" -s "$T/$_name/sock" "$@"
}

registered() {
	ctl "$1" --json status 2>/dev/null | grep -q '"server_state": *"registered"'
}

wait_registered() {
	for a in "$@"; do
		wait_for 15 registered "$a" || fail "agent $a did not register"
	done
}

# start_http_server [EXTRA ARGS...]: start_server with its HTTP API on
# loopback port 0 and an admin key made on first use ($T/admin, in KEY);
# sets URL. A restart waits for the new ports.
start_http_server() {
	if [ ! -f "$T/admin" ]; then
		head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/admin"
		chmod 600 "$T/admin"
	fi
	KEY=$(cat "$T/admin")
	rm -f "$T/srv/port" "$T/srv/http_port"
	start_server --http 127.0.0.1:0 --admin-key-file "$T/admin" "$@"
	wait_for 10 test -s "$T/srv/http_port" || fail "no http_port file"
	URL="http://127.0.0.1:$(cat "$T/srv/http_port")"
}

http_get() {	# http_get PATH: the body, asked with the admin key
	curl -s -m 10 -H "Authorization: Bearer $KEY" "$URL$1"
}

http_metric() {	# http_metric NAME: its value now
	http_get /metrics | awk -v n="$1" '$1 == n { print $2 }'
}

# relay_pair A B GROUP: agents A and B in GROUP with --no-direct,
# registered, and a session from A to B on the server relay.
relay_pair() {
	AGENT_ARGS=--no-direct start_agent "$1" "$3"
	AGENT_ARGS=--no-direct start_agent "$2" "$3"
	wait_registered "$1" "$2"
	ctl "$1" connect "$2" --timeout 10 || fail "connect $1 -> $2 over the relay"
}
