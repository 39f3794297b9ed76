/* SPDX-License-Identifier: ISC */
/*
 * cluster_lua_match.c: the scripts of matchmaking tickets in Redis
 * (cluster_lua.h, docs/CLUSTER.md). A ticket is the hash p2p:t:PEER (id,
 * size, node, kind, dl, pool, attrs, group), listed in the set p2p:tickets;
 * a waiting ticket is also in the list p2p:pool:POOL, oldest first. The add
 * that fills a pool makes the match in the same script: the group (with its
 * lifetime), its members and the tickets marked matched, so two nodes
 * adding the last two tickets of a pool at once make one match, never two
 * half ones. Ticket ids stay strings here (Lua numbers are doubles).
 *
 * Events (cluster_ev.h): TA (a ticket waits), TD (a ticket ended), GC, GL
 * (the group's lifetime) and MA for the match group, then TM (the match:
 * the group and its tickets, in the group's order).
 */
#include "config.h"

#include "cluster_lua.h"

/*
 * ARGV: peer id size node kind dl pool group gexp keep origin tmax gmax
 * pgmax [key value]... Answers {rc, seq}: 0, -3 (a cap), -4 (this very
 * ticket exists), -5 (the device holds another waiting ticket).
 */
const char cluster_lua_match_add[] =
	LUA_PUBLISH
	"local peer, id, size = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
	"local pool, group, keep = ARGV[7], ARGV[8], tonumber(ARGV[10])\n"
	"local tk = 'p2p:t:' .. peer\n"
	"local cur = redis.call('HMGET', tk, 'id', 'group')\n"
	"if cur[1] then\n"
	"  if cur[1] == id then return {-4, 0} end\n"
	"  if (cur[2] or '') == '' then return {-5, 0} end\n"
	"  redis.call('DEL', tk)\n"
	"  redis.call('SREM', 'p2p:tickets', peer)\n"
	"  publish({'TD', peer, cur[1], 'replaced'})\n"
	"end\n"
	"local pk = 'p2p:pool:' .. pool\n"
	"local waiting = redis.call('LLEN', pk)\n"
	"if redis.call('SCARD', 'p2p:tickets') >= tonumber(ARGV[12]) or\n"
	"    redis.call('SCARD', 'p2p:pg:' .. peer) >= tonumber(ARGV[14]) or\n"
	"    (waiting + 1 >= size and\n"
	"    (redis.call('SCARD', 'p2p:groups') >= tonumber(ARGV[13]) or\n"
	"    redis.call('SISMEMBER', 'p2p:groups', group) == 1)) then\n"
	"  return {-3, 0}\n"
	"end\n"
	"local attrs = {}\n"
	"for i = 15, #ARGV do attrs[#attrs + 1] = ARGV[i] end\n"
	"redis.call('HSET', tk, 'id', id, 'size', ARGV[3], 'node', ARGV[4],\n"
	"    'kind', ARGV[5], 'dl', ARGV[6], 'pool', pool, 'attrs',\n"
	"    table.concat(attrs, '\\n'), 'group', '')\n"
	"redis.call('SADD', 'p2p:tickets', peer)\n"
	"redis.call('RPUSH', pk, peer)\n"
	"local ev = {'TA', peer, id, ARGV[3], ARGV[4], ARGV[5], ARGV[6]}\n"
	"for _, v in ipairs(attrs) do ev[#ev + 1] = v end\n"
	"local seq = publish(ev)\n"
	"if waiting + 1 < size then return {0, seq} end\n"
	"local members = redis.call('LRANGE', pk, 0, size - 1)\n"
	"redis.call('LTRIM', pk, size, -1)\n"
	"redis.call('HSET', 'p2p:g:' .. group, 'mesh', '1', 'attrs',\n"
	"    table.concat(attrs, '\\n'), 'exp', ARGV[9])\n"
	"redis.call('SADD', 'p2p:groups', group)\n"
	"ev = {'GC', group, '1', ARGV[11]}\n"
	"for _, v in ipairs(attrs) do ev[#ev + 1] = v end\n"
	"publish(ev)\n"
	"publish({'GL', group, ARGV[9]})\n"
	"local tm = {'TM', group, ARGV[10]}\n"
	"for _, m in ipairs(members) do\n"
	"  redis.call('RPUSH', 'p2p:m:' .. group, m)\n"
	"  redis.call('SADD', 'p2p:pg:' .. m, group)\n"
	"  publish({'MA', group, m, ARGV[11]})\n"
	"  local mk = 'p2p:t:' .. m\n"
	"  local h = redis.call('HMGET', mk, 'id', 'kind', 'dl')\n"
	"  tm[#tm + 1] = m\n"
	"  tm[#tm + 1] = h[1] or '0'\n"
	"  if h[2] == '0' then\n"
	"    redis.call('DEL', mk)\n"
	"    redis.call('SREM', 'p2p:tickets', m)\n"
	"  else\n"
	"    local dl = tonumber(h[3] or 0)\n"
	"    if dl < keep then dl = keep end\n"
	"    redis.call('HSET', mk, 'group', group, 'dl', string.format('%d', dl))\n"
	"  end\n"
	"end\n"
	"return {0, publish(tm)}\n";

/* ARGV: peer id (0: any) why. {rc, seq}: 0 or -1 (no such ticket). */
const char cluster_lua_match_del[] =
	LUA_PUBLISH
	"local peer = ARGV[1]\n"
	"local tk = 'p2p:t:' .. peer\n"
	"local cur = redis.call('HMGET', tk, 'id', 'group', 'pool')\n"
	"if not cur[1] or (ARGV[2] ~= '0' and cur[1] ~= ARGV[2]) then\n"
	"  return {-1, 0}\n"
	"end\n"
	"if (cur[2] or '') == '' then\n"
	"  redis.call('LREM', 'p2p:pool:' .. (cur[3] or ''), 0, peer)\n"
	"end\n"
	"redis.call('DEL', tk)\n"
	"redis.call('SREM', 'p2p:tickets', peer)\n"
	"return {0, publish({'TD', peer, cur[1], ARGV[3]})}\n";
