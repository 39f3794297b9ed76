# SPDX-License-Identifier: ISC
# Helpers for the cluster tests (sourced after lib.sh): a redis-server of
# the test's own (Debian's binary, loopback, a free port, a temp dir, never
# the system service) and p2p-server nodes sharing it, each with its HTTP
# API on loopback port 0.

command -v redis-server >/dev/null 2>&1 || skip "redis-server is not installed (contrib/deps.sh)"
command -v redis-cli >/dev/null 2>&1 || skip "redis-cli is not installed (contrib/deps.sh)"
command -v curl >/dev/null 2>&1 || skip "curl is not installed (contrib/deps.sh)"

mkdir -p "$T/redis"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/ckey"
chmod 600 "$T/ckey"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/rpass"
chmod 600 "$T/rpass"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/admin"
chmod 600 "$T/admin"
KEY=$(cat "$T/admin")
[ -f "$T/secret" ] || { head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/secret"; chmod 600 "$T/secret"; }

rcli() {	# rcli ARGS...: redis-cli against the test's Redis
	REDISCLI_AUTH=$(cat "$T/rpass") redis-cli -p "$REDIS_PORT" "$@" 2>/dev/null
}

# start_redis [EXTRA ARGS...]: on REDIS_PORT (chosen free on first use;
# with REDIS_KEEP_PORT set, a restart tries the same port again: the nodes
# know only that one).
start_redis() {
	_tries=0
	while :; do
		if [ -z "${REDIS_PORT:-}" ] || { [ $_tries -gt 0 ] &&
		    [ -z "${REDIS_KEEP_PORT:-}" ]; }; then
			# Below Linux's ephemeral range (32768-60999): a node
			# reconnecting while Redis is down must not get the
			# port as its own source port.
			REDIS_PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000 ))
		fi
		redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$T/redis" \
		    --save '' --appendonly no --daemonize no \
		    --requirepass "$(cat "$T/rpass")" "$@" >>"$T/redis.log" 2>&1 &
		REDIS_PID=$!
		PIDS="$PIDS $REDIS_PID"
		if wait_for 5 sh -c "REDISCLI_AUTH=\$(cat '$T/rpass') redis-cli -p $REDIS_PORT ping | grep -q PONG"; then
			return 0
		fi
		kill "$REDIS_PID" 2>/dev/null
		_tries=$((_tries + 1))
		[ $_tries -lt 5 ] || fail "redis-server did not start"
		[ -n "${REDIS_KEEP_PORT:-}" ] && sleep 1
	done
}

stop_redis() {
	rcli shutdown nosave >/dev/null 2>&1
	wait "$REDIS_PID" 2>/dev/null
}

# start_node NAME [EXTRA ARGS...]: node NAME (node id NAME) in $T/NAME;
# sets NAME_PID, NAME_PORT (UDP and TCP) and NAME_URL (HTTP). NODE_LISTEN
# (default 127.0.0.1:0) is its --listen: one per family, so a restart on
# the same port sets it rather than adding a second --listen.
start_node() {
	_n=$1; shift
	mkdir -p "$T/$_n"
	rm -f "$T/$_n/port" "$T/$_n/http_port"
	# The nodes of a cluster share one server identity (the key tokens
	# carry): the key mint and server_key use, made here on first use.
	server_key >/dev/null || fail "making the cluster's server key"
	"$P2P_SERVER" -f -v --listen "${NODE_LISTEN:-127.0.0.1:0}" \
	    --secret-file "$T/secret" --state-dir "$T/$_n" --key-file "$T/srv/server.key" \
	    --http 127.0.0.1:0 --admin-key-file "$T/admin" \
	    --cluster "redis://127.0.0.1:$REDIS_PORT" --node-id "$_n" \
	    --cluster-key-file "$T/ckey" --cluster-password-file "$T/rpass" \
	    "$@" >>"$T/$_n.log" 2>&1 &
	eval "${_n}_PID=$!"
	PIDS="$PIDS $!"
	wait_for 20 test -s "$T/$_n/http_port" || fail "node $_n did not start"
	eval "${_n}_PORT=$(cat "$T/$_n/port")"
	eval "${_n}_URL=http://127.0.0.1:$(cat "$T/$_n/http_port")"
}

# api NODE METHOD PATH [CURL ARGS...]: status in CODE, body in $T/body.
api() {
	_u=$(eval echo "\$${1}_URL"); _m=$2; _p=$3; shift 3
	CODE=$(curl -s -m 10 -o "$T/body" -w '%{http_code}' -X "$_m" \
	    -H "Authorization: Bearer $KEY" "$@" "$_u$_p") || CODE=000
}
expect() {	# expect CODE WHAT
	[ "$CODE" = "$1" ] || fail "$2: status $CODE, expected $1: $(cat "$T/body")"
}
body_has() {	# body_has TEXT WHAT
	grep -qF -- "$1" "$T/body" || fail "$2: no '$1' in $(cat "$T/body")"
}
code_is() {	# code_is NODE PATH CODE: for wait_for
	api "$1" GET "$2"
	[ "$CODE" = "$3" ]
}
