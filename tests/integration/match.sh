#!/bin/sh
# SPDX-License-Identifier: ISC
# match.sh: matchmaking on one p2p-server through POST /v1/match
# (docs/HTTP.md): 200 devices with mixed attributes and sizes, their tickets
# sent at once in a shuffled order by a driver of concurrent HTTP clients.
# Every ticket is answered once, within its timeout; matches hold exactly
# `size` devices whose attributes are all the group's; each pool leaves
# fewer than `size` devices unmatched (they time out); GET /v1/groups?K=V
# finds exactly the match groups having those attributes; tickets that are
# cancelled (DELETE) or whose client goes away end and leave nothing
# behind; match groups go when their last member leaves and at
# --match-lifetime; bad tickets get 400 naming what is wrong. Then agents'
# tickets (srvclient speaking the agent protocol): bad requests, a match
# with member events and introductions, GroupSearch within the policy, a
# timeout, a cancel, a ticket that outlives its agent registering again,
# and one that ends after its device is gone. Loopback port 0 only.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v curl >/dev/null 2>&1 || skip "curl is not installed (contrib/deps.sh)"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3 to check the answers"

TIMEOUT=10	# s, of every ticket
LIFETIME=25	# s, --match-lifetime

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/admin"
chmod 600 "$T/admin"
KEY=$(cat "$T/admin")

api() {	# api METHOD PATH [CURL ARGS...]: status in CODE, body in $T/body
	_m=$1; _p=$2; shift 2
	CODE=$(curl -s -m 20 -o "$T/body" -w '%{http_code}' -X "$_m" \
	    -H "Authorization: Bearer $KEY" "$@" "$URL$_p") || CODE=000
}
expect() {	# expect CODE WHAT
	[ "$CODE" = "$1" ] || fail "$2: status $CODE, expected $1: $(cat "$T/body")"
}
body_has() {	# body_has TEXT WHAT
	grep -qF -- "$1" "$T/body" || fail "$2: no '$1' in $(cat "$T/body")"
}

# A malformed --match-lifetime is refused with its name.
if "$P2P_SERVER" --secret-file /dev/null --match-lifetime 5s --check-config \
    >"$T/bad.out" 2>&1; then
	fail "--match-lifetime 5s accepted"
fi
grep -q "match-lifetime" "$T/bad.out" || fail "no option name in: $(cat "$T/bad.out")"
echo "ok - a malformed --match-lifetime is refused by name"

start_server --http 127.0.0.1:0 --admin-key-file "$T/admin" \
    --match-lifetime "$LIFETIME"
wait_for 10 test -s "$T/srv/http_port" || fail "no http_port file"
URL="http://127.0.0.1:$(cat "$T/srv/http_port")"

# Bad tickets: 400 and a message naming what is wrong; nothing is queued.
bad() {	# bad BODY TEXT
	api POST /v1/match -d "$1"
	expect 400 "ticket $1"
	body_has "$2" "ticket $1"
}
bad '{"peer_id":"x","size":0}' "size 0"
bad '{"peer_id":"x","size":1000000}' "size 1000000"
bad '{"peer_id":"x","size":"2"}' "size: an integer"
bad '{"peer_id":"x"}' "size"
bad '{"size":2}' "peer_id"
bad '{"peer_id":"no way","size":2}' "peer_id"
bad '{"peer_id":"x","size":2,"timeout":0}' "timeout 0"
bad '{"peer_id":"x","size":2,"timeout":99999}' "timeout 99999"
bad '{"peer_id":"x","size":2,"attributes":{"m ap":"dunes"}}' "m ap"
bad '{"peer_id":"x","size":2,"attributes":{"map":""}}' "attribute map"
bad '{"peer_id":"x","size":2,"attributes":{"map":7}}' "map: not a string"
bad '{"peer_id":"x","size":2,"attributes":["map"]}' "attributes"
bad '{"peer_id":"x","size":2,"attributes":{"a":"1","b":"1","c":"1","d":"1","e":"1","f":"1","g":"1","h":"1","i":"1"}}' "too many"
bad '{"peer_id":"x","size":2,"colour":"red"}' "colour"
bad '{"peer_id":"x","size":2' "JSON"
api GET "/v1/groups?map"
expect 400 "a search without a value"
body_has "KEY=VALUE" "a search without a value"
api GET "/v1/groups?b%20ad=1"
expect 400 "a search with a bad key"
api PUT /v1/match
expect 405 "PUT /v1/match"
api GET /v1/match
expect 200 "GET /v1/match"
body_has '"tickets":0' "nothing queued by bad tickets"
echo "ok - bad tickets and searches get 400 naming what is wrong"

# The 200 devices: pools of (attributes, size) with a known remainder.
# map mode [region] size count
cat > "$T/pools" <<'EOF'
dunes duel - 2 60
canyon duel - 2 41
dunes squad - 4 48
canyon squad - 4 30
dunes duel eu 2 21
EOF
awk '{ for (i = 0; i < $5; i++) print $1, $2, $3, $4 }' "$T/pools" |
    awk 'BEGIN { srand(14) } { printf "%f %s\n", rand(), $0 }' |
    sort -n | awk '{ printf "d%03d %s %s %s %s\n", NR, $2, $3, $4, $5 }' \
    > "$T/devices"
[ "$(wc -l < "$T/devices")" -eq 200 ] || fail "not 200 devices"
mkdir -p "$T/out"
# One driver (curl --parallel) holds the 200 requests open at once.
sep=""
while read -r dev map mode region size; do
	printf '%s' "$sep"
	sep="next
"
	attrs="\\\"map\\\":\\\"$map\\\",\\\"mode\\\":\\\"$mode\\\""
	[ "$region" = "-" ] ||
	    attrs="$attrs,\\\"region\\\":\\\"$region\\\""
	printf 'url = "%s/v1/match"\noutput = "%s/out/%s"\n' "$URL" "$T" "$dev"
	printf 'silent\nheader = "Authorization: Bearer %s"\nmax-time = %s\n' "$KEY" \
	    $((TIMEOUT + 20))
	printf 'write-out = "%s %%{http_code} %%{time_total}\\n"\n' "$dev"
	printf 'data = "{\\"peer_id\\":\\"%s\\",\\"attributes\\":{%s},' "$dev" "$attrs"
	printf '\\"size\\":%s,\\"timeout\\":%s}"\n' "$size" "$TIMEOUT"
done < "$T/devices" > "$T/driver.conf"
curl -s --parallel --parallel-immediate --parallel-max 250 \
    -K "$T/driver.conf" > "$T/driver.out" 2>"$T/driver.err" &
DPIDS=$!

# Cancelled and abandoned tickets, in a pool that never fills.
for i in 1 2 3; do
	curl -s -m $((TIMEOUT + 20)) -o "$T/out/c$i" -H "Authorization: Bearer $KEY" \
	    -d "{\"peer_id\":\"c$i\",\"attributes\":{\"map\":\"mesa\"},\"size\":8,\"timeout\":$TIMEOUT}" \
	    "$URL/v1/match" &
	CPIDS="${CPIDS:-} $!"
	curl -s -m $((TIMEOUT + 20)) -o /dev/null -H "Authorization: Bearer $KEY" \
	    -d "{\"peer_id\":\"g$i\",\"attributes\":{\"map\":\"mesa\"},\"size\":8,\"timeout\":$TIMEOUT}" \
	    "$URL/v1/match" &
	GPIDS="${GPIDS:-} $!"
done
wait_for 10 sh -c "curl -s -H 'Authorization: Bearer $KEY' $URL/v1/match/g3 | grep -q waiting" ||
    fail "the mesa tickets are not waiting"
api GET /v1/match/c1
expect 200 "GET /v1/match/c1"
body_has '"status":"waiting"' "c1 waits"
# shellcheck disable=SC2086
kill $GPIDS
for i in 1 2 3; do
	api DELETE "/v1/match/c$i"
	expect 204 "DELETE /v1/match/c$i"
done
api DELETE /v1/match/c1
expect 404 "a second DELETE /v1/match/c1"
# shellcheck disable=SC2086
wait $CPIDS
for i in 1 2 3; do
	grep -q '"outcome":"cancelled"' "$T/out/c$i" ||
	    fail "c$i was not told it was cancelled: $(cat "$T/out/c$i")"
done
echo "ok - cancelled tickets answer 'cancelled'; a second cancel is 404"
wait_for 5 sh -c "curl -s -H 'Authorization: Bearer $KEY' $URL/v1/match |
    grep -q '\"gone\":3'" || fail "the abandoned tickets did not end: $(
    curl -s -H "Authorization: Bearer $KEY" "$URL/v1/match")"
echo "ok - tickets whose client went away end (gone)"

# Once the matches are answered (the remainders still wait), the search.
wait_for 30 sh -c "[ \$(grep -l '\"outcome\":\"matched\"' $T/out/d* |
    wc -l) -ge 196 ]" || fail "fewer than 196 matched: $(grep -l matched \
    "$T/out"/d* | wc -l)"
api GET "/v1/groups?map=dunes&mode=duel"
expect 200 "search map=dunes&mode=duel"
cp "$T/body" "$T/search_duel"
api GET "/v1/groups?mode=squad&map=canyon"
expect 200 "search mode=squad&map=canyon"
cp "$T/body" "$T/search_squad"
api GET "/v1/groups?region=eu"
expect 200 "search region=eu"
cp "$T/body" "$T/search_eu"
api GET "/v1/groups?map=dunes&region=us"
expect 200 "search map=dunes&region=us"
body_has '"groups":[]' "no group has region=us"

# Every device answered once, within its timeout, before we look.
# shellcheck disable=SC2086
wait $DPIDS
"$PY" - "$T" "$TIMEOUT" <<'EOF' || fail "the answers do not add up"
import json, os, sys
t, timeout = sys.argv[1], int(sys.argv[2])
devs = {}
for line in open(os.path.join(t, "devices")):
    d, m, mode, region, size = line.split()
    a = {"map": m, "mode": mode}
    if region != "-":
        a["region"] = region
    devs[d] = (a, int(size))
answers = {}
for line in open(os.path.join(t, "driver.out")):
    if len(line.split()) != 3:
        sys.exit(f"the driver printed {line!r}")
    d, code, took = line.split()
    answers[d] = (code, took)
groups, timeouts, pools = {}, {}, {}
worst = 0.0
for d, (a, size) in devs.items():
    code, took = answers.get(d, ("none", "0"))
    worst = max(worst, float(took))
    if code != "200":
        sys.exit(f"{d}: status {code}")
    if float(took) > timeout + 2:
        sys.exit(f"{d}: answered after {took} s (timeout {timeout} s)")
    r = json.load(open(os.path.join(t, "out", d)))
    if r["peer_id"] != d or r["attributes"] != a or r["size"] != size:
        sys.exit(f"{d}: the answer is about another ticket: {r}")
    key = (json.dumps(a, sort_keys=True), size)
    pools[key] = pools.get(key, 0) + 1
    if r["outcome"] == "timeout":
        timeouts[key] = timeouts.get(key, 0) + 1
        continue
    if r["outcome"] != "matched":
        sys.exit(f"{d}: outcome {r['outcome']}")
    g = r["group"]
    if g["attributes"] != a or not g["mesh"] or "expires_at" not in g:
        sys.exit(f"{d}: group {g['name']} does not carry its attributes: {g}")
    members = [m["peer_id"] for m in g["members"]]
    if len(members) != size or g["member_count"] != size or d not in members:
        sys.exit(f"{d}: group {g['name']} holds {members}, size {size}")
    groups.setdefault(g["name"], set()).add(d)
for name, ds in groups.items():
    sizes = {devs[d][1] for d in ds}
    attrs = {json.dumps(devs[d][0], sort_keys=True) for d in ds}
    if len(sizes) != 1 or len(attrs) != 1 or len(ds) != sizes.pop():
        sys.exit(f"group {name}: incompatible or incomplete {sorted(ds)}")
for key, n in pools.items():
    size = key[1]
    if timeouts.get(key, 0) != n % size:
        sys.exit(f"pool {key}: {timeouts.get(key, 0)} timed out, "
                 f"expected {n % size} of {n}")
want = sum(n // k[1] for k, n in pools.items())
if len(groups) != want:
    sys.exit(f"{len(groups)} groups, expected {want}")
def names(f):
    return sorted(g["name"] for g in json.load(open(os.path.join(t, f)))["groups"])
def made(pred):
    return sorted(n for n, ds in groups.items() if pred(devs[next(iter(ds))][0]))
if names("search_duel") != made(lambda a: a["map"] == "dunes" and a["mode"] == "duel"):
    sys.exit("search map=dunes&mode=duel: not the match groups with those attributes")
if names("search_squad") != made(lambda a: a["map"] == "canyon" and a["mode"] == "squad"):
    sys.exit("search mode=squad&map=canyon: not the match groups with those attributes")
if names("search_eu") != made(lambda a: a.get("region") == "eu"):
    sys.exit("search region=eu: not the match groups with that attribute")
print(f"# {len(groups)} groups of 2 and 4 from 200 devices, "
      f"{sum(timeouts.values())} timeouts (the pools' remainders), "
      f"slowest answer {worst:.2f} s (timeout {timeout} s)")
with open(os.path.join(t, "one_group"), "w") as f:
    name = sorted(n for n, ds in groups.items() if len(ds) == 2)[0]
    f.write(name + " " + " ".join(sorted(groups[name])) + "\n")
EOF
echo "ok - 200 devices: only compatible groups of the requested size, every ticket answered within its timeout, searches find exactly the match groups"

api GET /v1/match
expect 200 "GET /v1/match after the answers"
body_has '"tickets":0' "no ticket left behind"
body_has '"pools":[]' "no pool left behind"
echo "ok - no ticket or pool left behind"

# A match group goes when its last member leaves.
read -r name m1 m2 < "$T/one_group"
api DELETE "/v1/groups/$name/members/$m1"
expect 204 "$m1 leaves $name"
api GET "/v1/groups/$name"
expect 200 "$name with one member left"
api DELETE "/v1/groups/$name/members/$m2"
expect 204 "$m2 leaves $name"
api GET "/v1/groups/$name"
expect 404 "$name after its last member left"
echo "ok - a match group goes when its last member leaves"

# The others go at --match-lifetime; groups made by hand stay.
api POST /v1/groups -d '{"name":"lobby","attributes":{"map":"dunes"}}'
expect 201 "POST /v1/groups lobby"
wait_for $((LIFETIME + 10)) sh -c "! curl -s -H 'Authorization: Bearer $KEY' \
    '$URL/v1/groups' | grep -q '\"name\":\"m-'" ||
    fail "match groups outlived --match-lifetime: $(curl -s -H \
    "Authorization: Bearer $KEY" "$URL/v1/groups" | head -c 300)"
api GET /v1/groups
body_has '"name":"lobby"' "the group made by hand"
grep -q '"name":"m-' "$T/body" && fail "match groups left: $(cat "$T/body")"
echo "ok - match groups end at --match-lifetime; others stay"

# Agents' tickets (PROTOCOL.md §7.1), driven by srvclient over UDP and TCP.
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
rm -f "$T/srv/port"
start_server --join-timeout 2
"$top_builddir/tests/integration/srvclient" "$SERVER_PORT" "$T/secret" match ||
    fail "srvclient match"
grep -q "match: ticket of erin ended: gone" "$T/server.log" ||
    fail "erin's ticket did not end as gone"
if grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" "$T/server.log"; then
	fail "sanitizer report"
fi
exit 0
