# SPDX-License-Identifier: ISC
# match_lib.sh: the matchmaking scenario of match.sh and match_cluster.sh
# (sourced after lib.sh, with TIMEOUT, KEY, URL and api/expect/body_has
# defined): 200 devices with mixed attributes and sizes, their tickets sent
# at once in a shuffled order by one driver (curl --parallel), spread over
# the servers of MATCH_URLS; cancelled and abandoned tickets; then the
# checks of every answer (/usr/bin/python3) and of what is left.

match_200() {	# match_200 URL...: the scenario against these servers
MATCH_URLS="$*"
eval "LAST_URL=\${$#}"	# cancelled and abandoned tickets go there
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
    sort -n | awk -v n=$# '{ printf "d%03d %s %s %s %s %d\n", NR, $2, $3,
    $4, $5, NR % n + 1 }' \
    > "$T/devices"
[ "$(wc -l < "$T/devices")" -eq 200 ] || fail "not 200 devices"
mkdir -p "$T/out"
# One driver (curl --parallel) holds the 200 requests open at once.
sep=""
while read -r dev map mode region size node; do
	printf '%s' "$sep"
	sep="next
"
	attrs="\\\"map\\\":\\\"$map\\\",\\\"mode\\\":\\\"$mode\\\""
	[ "$region" = "-" ] ||
	    attrs="$attrs,\\\"region\\\":\\\"$region\\\""
	eval "_u=\${$node}"
	printf 'url = "%s/v1/match"\noutput = "%s/out/%s"\n' "$_u" "$T" "$dev"
	printf 'silent\nheader = "Authorization: Bearer %s"\nmax-time = %s\n' "$KEY" \
	    $((TIMEOUT + 20))
	printf 'write-out = "%s %%{http_code} %%{time_total}\\n"\n' "$dev"
	printf 'data = "{\\"peer_id\\":\\"%s\\",\\"attributes\\":{%s},' "$dev" "$attrs"
	printf '\\"size\\":%s,\\"timeout\\":%s}"\n' "$size" "$TIMEOUT"
done < "$T/devices" > "$T/driver.conf"
curl -s --parallel --parallel-immediate --parallel-max 250 \
    -K "$T/driver.conf" > "$T/driver.out" 2>"$T/driver.err" &
DPIDS=$!

# Cancelled and abandoned tickets, in a pool that never fills; cancelled
# through URL (another server on a cluster).
for i in 1 2 3; do
	curl -s -m $((TIMEOUT + 20)) -o "$T/out/c$i" -H "Authorization: Bearer $KEY" \
	    -d "{\"peer_id\":\"c$i\",\"attributes\":{\"map\":\"mesa\"},\"size\":8,\"timeout\":$TIMEOUT}" \
	    "$LAST_URL/v1/match" &
	CPIDS="${CPIDS:-} $!"
	curl -s -m $((TIMEOUT + 20)) -o /dev/null -H "Authorization: Bearer $KEY" \
	    -d "{\"peer_id\":\"g$i\",\"attributes\":{\"map\":\"mesa\"},\"size\":8,\"timeout\":$TIMEOUT}" \
	    "$LAST_URL/v1/match" &
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
    d, m, mode, region, size, _node = line.split()
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
}
