/* SPDX-License-Identifier: ISC */
/*
 * cluster_lua.c: the Lua scripts that change the cluster state in Redis
 * (docs/CLUSTER.md has the keys). Each change is one EVAL, atomic in Redis:
 * it checks, writes, takes the next number of p2p:seq and publishes the
 * change on p2p:ev (cluster_ev.h) so every node's view follows in the same
 * order. A script answers {rc, ...}: rc 0 done, -1 not found, -2 key
 * mismatch, -3 full, -4 exists; then the seq of its event (nodes wait for
 * their view to reach it before answering their own callers).
 *
 * Keys are built inside the scripts (one Redis, not Redis Cluster).
 */
#include "config.h"

#include "cluster_lua.h"

/* Drop every introduction of peer id (used by several scripts). */
#define LUA_CLEAR_INTROS \
	"local function clear_intros(id)\n" \
	"  local ik = 'p2p:intro:' .. id\n" \
	"  for _, o in ipairs(redis.call('SMEMBERS', ik)) do\n" \
	"    redis.call('SREM', 'p2p:intro:' .. o, id)\n" \
	"  end\n" \
	"  redis.call('DEL', ik)\n" \
	"end\n"

/*
 * ARGV: id node reg key iat exp aesni tr pub loc grp now republish nat pm
 * oth rtt. With republish (a node puts back a registration it holds, after
 * Redis lost it, with what its NatReports said), a registration of the id
 * under another reg_id wins: {-4}.
 */
const char cluster_lua_register[] =
	LUA_CLEAR_INTROS LUA_PUBLISH
	"local id = ARGV[1]\n"
	"local k = 'p2p:peer:' .. id\n"
	"local cur = redis.call('HMGET', k, 'key', 'iat', 'exp', 'reg',\n"
	"    'node')\n"
	"local rreg, rnode = 0, 0\n"
	"if ARGV[13] == '1' and cur[4] and cur[4] ~= '0' and\n"
	"    cur[4] ~= ARGV[3] then\n"
	"  return {-4, 0, 0, 0}\n"
	"end\n"
	"if cur[1] then\n"
	"  if tonumber(cur[3] or 0) > tonumber(ARGV[12]) and\n"
	"      cur[1] ~= ARGV[4] and\n"
	"      tonumber(ARGV[5]) <= tonumber(cur[2] or 0) then\n"
	"    return {-2, 0, 0, 0}\n"
	"  end\n"
	"  if cur[4] and cur[4] ~= '0' then\n"
	"    rreg, rnode = tonumber(cur[4]), tonumber(cur[5] or 0)\n"
	"    redis.call('SREM', 'p2p:np:' .. (cur[5] or '0'), id)\n"
	"  end\n"
	"  clear_intros(id)\n"
	"end\n"
	"redis.call('HSET', k, 'key', ARGV[4], 'iat', ARGV[5], 'exp',\n"
	"    ARGV[6], 'reg', ARGV[3], 'node', ARGV[2], 'aesni', ARGV[7],\n"
	"    'tr', ARGV[8], 'pub', ARGV[9], 'loc', ARGV[10], 'grp', ARGV[11],\n"
	"    'nat', ARGV[14], 'pm', ARGV[15], 'oth', ARGV[16], 'rtt',\n"
	"    ARGV[17])\n"
	"redis.call('PERSIST', k)\n"
	"redis.call('SADD', 'p2p:np:' .. ARGV[2], id)\n"
	"local seq = publish({'R', id, ARGV[2], ARGV[3], ARGV[4], ARGV[5],\n"
	"    ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11],\n"
	"    ARGV[14], ARGV[15], ARGV[16], ARGV[17]})\n"
	"return {0, rreg, rnode, seq}\n";

/* ARGV: id reg */
const char cluster_lua_unregister[] =
	LUA_CLEAR_INTROS LUA_PUBLISH
	"local k = 'p2p:peer:' .. ARGV[1]\n"
	"local cur = redis.call('HMGET', k, 'reg', 'node', 'exp')\n"
	"if cur[1] ~= ARGV[2] then return {-1, 0} end\n"
	"redis.call('HSET', k, 'reg', '0', 'node', '0')\n"
	"redis.call('SREM', 'p2p:np:' .. (cur[2] or '0'), ARGV[1])\n"
	"clear_intros(ARGV[1])\n"
	"redis.call('EXPIREAT', k, tonumber(cur[3] or 0))\n"
	"return {0, publish({'U', ARGV[1], ARGV[2]})}\n";

/*
 * ARGV: id reg nat pm oth rtt (pm: the port mapping, oth: the reflexive
 * address on the other family, "" for none; rtt: microseconds)
 */
const char cluster_lua_nat[] =
	LUA_PUBLISH
	"local k = 'p2p:peer:' .. ARGV[1]\n"
	"if redis.call('HGET', k, 'reg') ~= ARGV[2] then return {-1, 0} end\n"
	"redis.call('HSET', k, 'nat', ARGV[3], 'pm', ARGV[4], 'oth', ARGV[5],\n"
	"    'rtt', ARGV[6])\n"
	"return {0, publish({'N', ARGV[1], ARGV[2], ARGV[3], ARGV[4],\n"
	"    ARGV[5], ARGV[6]})}\n";

/*
 * ARGV: id want add back quota exp. The relay quota's count of peer id
 * (docs/CLUSTER.md): add the bytes a node relayed without a lease, take
 * back the unused part of a lease, then grant up to want bytes of what is
 * left under quota. The count lives until exp (the latest token's end).
 * {count, granted}.
 */
const char cluster_lua_quota[] =
	"local k = 'p2p:quota:' .. ARGV[1]\n"
	"local want, add = tonumber(ARGV[2]) or 0, tonumber(ARGV[3]) or 0\n"
	"local back, quota = tonumber(ARGV[4]) or 0, tonumber(ARGV[5]) or 0\n"
	"local h = redis.call('HMGET', k, 'used', 'exp')\n"
	"local used = tonumber(h[1] or '0') or 0\n"
	"local exp = tonumber(h[2] or '0') or 0\n"
	"if used < 0 then used = 0 end\n"
	"used = used + add - back\n"
	"if used < 0 then used = 0 end\n"
	"local grant = 0\n"
	"if used < quota then grant = math.min(want, quota - used) end\n"
	"used = used + grant\n"
	"if (tonumber(ARGV[6]) or 0) > exp then exp = tonumber(ARGV[6]) end\n"
	"redis.call('HSET', k, 'used', string.format('%d', used), 'exp',\n"
	"    string.format('%d', exp))\n"
	"redis.call('EXPIREAT', k, exp)\n"
	"return {used, grant}\n";

/* ARGV: a b origin max */
const char cluster_lua_intro_add[] =
	LUA_PUBLISH
	"local a, b = ARGV[1], ARGV[2]\n"
	"local ra = redis.call('HGET', 'p2p:peer:' .. a, 'reg')\n"
	"local rb = redis.call('HGET', 'p2p:peer:' .. b, 'reg')\n"
	"if a == b or not ra or ra == '0' or not rb or rb == '0' then\n"
	"  return {-1, 0}\n"
	"end\n"
	"local max = tonumber(ARGV[4])\n"
	"if redis.call('SISMEMBER', 'p2p:intro:' .. a, b) == 0 and\n"
	"    (redis.call('SCARD', 'p2p:intro:' .. a) >= max or\n"
	"    redis.call('SCARD', 'p2p:intro:' .. b) >= max) then\n"
	"  return {-3, 0}\n"
	"end\n"
	"redis.call('SADD', 'p2p:intro:' .. a, b)\n"
	"redis.call('SADD', 'p2p:intro:' .. b, a)\n"
	"return {0, publish({'I', a, b, ARGV[3]})}\n";

/* ARGV: a b origin reason */
const char cluster_lua_intro_del[] =
	LUA_PUBLISH
	"local n = redis.call('SREM', 'p2p:intro:' .. ARGV[1], ARGV[2])\n"
	"redis.call('SREM', 'p2p:intro:' .. ARGV[2], ARGV[1])\n"
	"if n == 0 then return {-1, 0} end\n"
	"return {0, publish({'W', ARGV[1], ARGV[2], ARGV[3], ARGV[4]})}\n";

/* ARGV: name mesh origin max [key value]... */
const char cluster_lua_group_create[] =
	LUA_PUBLISH
	"local name = ARGV[1]\n"
	"if redis.call('SISMEMBER', 'p2p:groups', name) == 1 then\n"
	"  return {-4, 0}\n"
	"end\n"
	"if redis.call('SCARD', 'p2p:groups') >= tonumber(ARGV[4]) then\n"
	"  return {-3, 0}\n"
	"end\n"
	"local attrs = {}\n"
	"for i = 5, #ARGV do attrs[#attrs + 1] = ARGV[i] end\n"
	"redis.call('HSET', 'p2p:g:' .. name, 'mesh', ARGV[2], 'attrs',\n"
	"    table.concat(attrs, '\\n'))\n"
	"redis.call('SADD', 'p2p:groups', name)\n"
	"local ev = {'GC', name, ARGV[2], ARGV[3]}\n"
	"for _, v in ipairs(attrs) do ev[#ev + 1] = v end\n"
	"return {0, publish(ev)}\n";

/* ARGV: name origin */
const char cluster_lua_group_destroy[] =
	LUA_PUBLISH
	"local name = ARGV[1]\n"
	"if redis.call('SREM', 'p2p:groups', name) == 0 then\n"
	"  return {-1, 0}\n"
	"end\n"
	"for _, m in ipairs(redis.call('LRANGE', 'p2p:m:' .. name, 0, -1)) do\n"
	"  redis.call('SREM', 'p2p:pg:' .. m, name)\n"
	"end\n"
	"redis.call('DEL', 'p2p:g:' .. name, 'p2p:m:' .. name)\n"
	"return {0, publish({'GD', name, ARGV[2]})}\n";

/* ARGV: group peer origin group_max peer_max */
const char cluster_lua_member_add[] =
	LUA_PUBLISH
	"local g, p = ARGV[1], ARGV[2]\n"
	"if redis.call('SISMEMBER', 'p2p:groups', g) == 0 then\n"
	"  return {-1, 0}\n"
	"end\n"
	"if redis.call('SISMEMBER', 'p2p:pg:' .. p, g) == 1 then\n"
	"  return {-4, 0}\n"
	"end\n"
	"if redis.call('LLEN', 'p2p:m:' .. g) >= tonumber(ARGV[4]) or\n"
	"    redis.call('SCARD', 'p2p:pg:' .. p) >= tonumber(ARGV[5]) then\n"
	"  return {-3, 0}\n"
	"end\n"
	"redis.call('RPUSH', 'p2p:m:' .. g, p)\n"
	"redis.call('SADD', 'p2p:pg:' .. p, g)\n"
	"return {0, publish({'MA', g, p, ARGV[3]})}\n";

/* ARGV: group peer origin */
const char cluster_lua_member_del[] =
	LUA_PUBLISH
	"local g, p = ARGV[1], ARGV[2]\n"
	"if redis.call('SREM', 'p2p:pg:' .. p, g) == 0 then\n"
	"  return {-1, 0}\n"
	"end\n"
	"redis.call('LREM', 'p2p:m:' .. g, 0, p)\n"
	"return {0, publish({'MD', g, p, ARGV[3]})}\n";

/* ARGV: slot. Every registration of that node becomes a pin. */
const char cluster_lua_reap[] =
	LUA_CLEAR_INTROS LUA_PUBLISH
	"local slot = ARGV[1]\n"
	"if redis.call('SCARD', 'p2p:np:' .. slot) == 0 then\n"
	"  return {0, 0}\n"
	"end\n"
	"local n = 0\n"
	"for _, id in ipairs(redis.call('SMEMBERS', 'p2p:np:' .. slot)) do\n"
	"  local k = 'p2p:peer:' .. id\n"
	"  local cur = redis.call('HMGET', k, 'node', 'exp')\n"
	"  if cur[1] == slot then\n"
	"    redis.call('HSET', k, 'reg', '0', 'node', '0')\n"
	"    clear_intros(id)\n"
	"    redis.call('EXPIREAT', k, tonumber(cur[2] or 0))\n"
	"    n = n + 1\n"
	"  end\n"
	"end\n"
	"redis.call('DEL', 'p2p:np:' .. slot)\n"
	"return {n, publish({'X', slot})}\n";

/*
 * ARGV: id nonce now_ms udp tcp force prefer_slot node udp6 (tcp6 is
 * udp6; "" for a node without IPv6). The node's epoch (bumped)
 * and slot, or {-1, holder} while the id's alive key exists (unless force),
 * or {-2, 0} when every slot is taken. A slot of the id's that another
 * node took meanwhile (Redis came back empty and that node joined first) is
 * not taken back: the id gets a free one. The epoch is at least the
 * starting node's clock in seconds: it must grow across the node's runs
 * even when Redis lost p2p:epoch:ID (it keys the node channel, and other
 * nodes drop an epoch lower than one they saw; the same epoch again would
 * reuse its key and counters).
 */
const char cluster_lua_node_start[] =
	"local id = ARGV[1]\n"
	"local alive = redis.call('GET', 'p2p:alive:' .. id)\n"
	"if alive and ARGV[6] ~= '1' then return {-1, alive} end\n"
	"local epoch = redis.call('INCR', 'p2p:epoch:' .. id)\n"
	"local floor = math.floor(tonumber(ARGV[3]) / 1000)\n"
	"if epoch < floor then\n"
	"  epoch = floor\n"
	"  redis.call('SET', 'p2p:epoch:' .. id, epoch)\n"
	"end\n"
	"local slot = redis.call('HGET', 'p2p:slotof', id)\n"
	"if slot and redis.call('HGET', 'p2p:nodes', slot) ~= id then\n"
	"  slot = false\n"
	"end\n"
	"if not slot then\n"
	"  local want = tonumber(ARGV[7])\n"
	"  if want > 0 and redis.call('HSETNX', 'p2p:nodes', want, id) == 1\n"
	"      then slot = want\n"
	"  else\n"
	"    for s = 1, 255 do\n"
	"      if redis.call('HSETNX', 'p2p:nodes', s, id) == 1 then\n"
	"        slot = s\n"
	"        break\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"  if not slot then return {-2, 0} end\n"
	"  redis.call('HSET', 'p2p:slotof', id, slot)\n"
	"end\n"
	"redis.call('HSET', 'p2p:nodes', slot, id)\n"
	"redis.call('HSET', 'p2p:node:' .. id, 'slot', slot, 'epoch', epoch,\n"
	"    'udp', ARGV[4], 'tcp', ARGV[5], 'peers', 0, 'relay', 0,\n"
	"    'hb', ARGV[3], 'node', ARGV[8], 'udp6', ARGV[9] or '',\n"
	"    'tcp6', ARGV[9] or '')\n"
	"redis.call('SET', 'p2p:alive:' .. id, epoch .. ':' .. ARGV[2] ..\n"
	"    ':0', 'PX', 10000)\n"
	"return {epoch, tonumber(slot)}\n";

/*
 * ARGV: id epoch nonce beat now_ms peers relay_bps udp tcp ttl_ms node
 * draining aead udp6 tcp6 (its IPv6 addresses, "" for none). aead is
 * what the node takes on the node channel besides ChaCha20-Poly1305 ("aes" or ""), kept as EPOCH:AEAD: a node of an older
 * version writes no such field but bumps the epoch, so what a newer run
 * of its id left there no longer counts.
 * {0} done; {1} done, but the alive key had expired (the node may have been
 * reaped: publish its registrations again); {-1, holder} when another
 * process holds the id now; {-2} when the node is unknown (Redis lost it:
 * start again).
 */
const char cluster_lua_heartbeat[] =
	"local id = ARGV[1]\n"
	"local alive = redis.call('GET', 'p2p:alive:' .. id)\n"
	"local rc = 0\n"
	"if alive then\n"
	"  local e, n = string.match(alive, '^(%d+):([^:]*):')\n"
	"  if e ~= ARGV[2] or n ~= ARGV[3] then return {-1, alive} end\n"
	"elseif redis.call('HGET', 'p2p:slotof', id) == false then\n"
	"  return {-2, 0}\n"
	"else\n"
	"  rc = 1\n"
	"end\n"
	"redis.call('SET', 'p2p:alive:' .. id, ARGV[2] .. ':' .. ARGV[3] ..\n"
	"    ':' .. ARGV[4], 'PX', tonumber(ARGV[10]))\n"
	"redis.call('HSET', 'p2p:node:' .. id, 'epoch', ARGV[2], 'hb',\n"
	"    ARGV[5], 'peers', ARGV[6], 'relay', ARGV[7], 'udp', ARGV[8],\n"
	"    'tcp', ARGV[9], 'node', ARGV[11], 'drain', ARGV[12],\n"
	"    'aead', ARGV[2] .. ':' .. (ARGV[13] or ''), 'udp6',\n"
	"    ARGV[14] or '', 'tcp6', ARGV[15] or '')\n"
	"return {rc, 0}\n";

/*
 * The nodes: {slot, id, alive-or-'', udp, tcp, peers, relay, hb, epoch,
 * node, drain, aead, udp6, tcp6} flattened, one group of 14 per known node.
 */
const char cluster_lua_nodes[] =
	"local out = {}\n"
	"local all = redis.call('HGETALL', 'p2p:nodes')\n"
	"for i = 1, #all, 2 do\n"
	"  local slot, id = all[i], all[i + 1]\n"
	"  local a = redis.call('GET', 'p2p:alive:' .. id) or ''\n"
	"  local h = redis.call('HMGET', 'p2p:node:' .. id, 'udp', 'tcp',\n"
	"      'peers', 'relay', 'hb', 'epoch', 'node', 'drain', 'aead',\n"
	"      'udp6', 'tcp6')\n"
	"  out[#out + 1] = slot\n"
	"  out[#out + 1] = id\n"
	"  out[#out + 1] = a\n"
	"  for j = 1, 11 do out[#out + 1] = h[j] or '' end\n"
	"end\n"
	"return out\n";

/*
 * ARGV: kind cursor. A page of the state as events (seq 1): kind "peer"
 * (R), "intro" (I), "group" (GC then MA per member). {next cursor, seq
 * now, events...}.
 */
const char cluster_lua_dump[] =
	"local kind, cursor = ARGV[1], ARGV[2]\n"
	"local pat = kind == 'peer' and 'p2p:peer:*' or kind == 'intro' and\n"
	"    'p2p:intro:*' or kind == 'ticket' and 'p2p:t:*' or 'p2p:g:*'\n"
	"local r = redis.call('SCAN', cursor, 'MATCH', pat, 'COUNT', 500)\n"
	"local out = {r[1], redis.call('GET', 'p2p:seq') or '0'}\n"
	"for _, k in ipairs(r[2]) do\n"
	"  if kind == 'peer' then\n"
	"    local h = redis.call('HMGET', k, 'node', 'reg', 'key', 'iat',\n"
	"        'exp', 'aesni', 'tr', 'pub', 'loc', 'grp', 'nat', 'pm',\n"
	"        'oth', 'rtt')\n"
	"    if h[2] and h[2] ~= '0' then\n"
	"      local ev = {'1', 'R', string.sub(k, 10),\n"
	"          h[1] or '0', h[2], h[3] or '', h[4] or '0', h[5] or '0',\n"
	"          h[6] or '0', h[7] or '0', h[8] or '', h[9] or '',\n"
	"          h[10] or '', h[11] or 'unknown', h[12] or '',\n"
	"          h[13] or '', h[14] or '0'}\n"
	"      out[#out + 1] = table.concat(ev, '\\n')\n"
	"    end\n"
	"  elseif kind == 'ticket' then\n"
	"    local peer = string.sub(k, 7)\n"
	"    local h = redis.call('HMGET', k, 'id', 'size', 'node', 'kind',\n"
	"        'dl', 'attrs', 'group')\n"
	"    local ev = table.concat({'1', 'TA', peer, h[1] or '0',\n"
	"        h[2] or '0', h[3] or '0', h[4] or '0', h[5] or '0'}, '\\n')\n"
	"    if h[6] and h[6] ~= '' then ev = ev .. '\\n' .. h[6] end\n"
	"    out[#out + 1] = ev\n"
	"    if h[7] and h[7] ~= '' then\n"
	"      out[#out + 1] = table.concat({'1', 'TG', peer, h[1] or '0',\n"
	"          h[7], h[5] or '0'}, '\\n')\n"
	"    end\n"
	"  elseif kind == 'intro' then\n"
	"    local a = string.sub(k, 11)\n"
	"    for _, b in ipairs(redis.call('SMEMBERS', k)) do\n"
	"      if a < b then\n"
	"        out[#out + 1] = table.concat({'1', 'I', a, b, '0'}, '\\n')\n"
	"      end\n"
	"    end\n"
	"  else\n"
	"    local name = string.sub(k, 7)\n"
	"    local h = redis.call('HMGET', k, 'mesh', 'attrs', 'exp')\n"
	"    local ev = '1\\nGC\\n' .. name .. '\\n' .. (h[1] or '1') ..\n"
	"        '\\n0'\n"
	"    if h[2] and h[2] ~= '' then ev = ev .. '\\n' .. h[2] end\n"
	"    out[#out + 1] = ev\n"
	"    if h[3] then\n"
	"      out[#out + 1] = table.concat({'1', 'GL', name, h[3]}, '\\n')\n"
	"    end\n"
	"    for _, m in ipairs(redis.call('LRANGE', 'p2p:m:' .. name, 0,\n"
	"        -1)) do\n"
	"      out[#out + 1] = table.concat({'1', 'MA', name, m, '0'}, '\\n')\n"
	"    end\n"
	"  end\n"
	"end\n"
	"return out\n";
