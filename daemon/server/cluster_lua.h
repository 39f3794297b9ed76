/* SPDX-License-Identifier: ISC */
/* cluster_lua.h: the Redis scripts of the cluster (cluster_lua.c). */
#ifndef P2P_CLUSTER_LUA_H
#define P2P_CLUSTER_LUA_H

/*
 * The Lua function every writing script starts with: publish(fields) takes
 * the next event number (p2p:seq) and publishes the event on p2p:ev.
 */
#define LUA_PUBLISH \
	"local function publish(fields)\n" \
	"  local seq = redis.call('INCR', 'p2p:seq')\n" \
	"  redis.call('PUBLISH', 'p2p:ev', seq .. '\\n' ..\n" \
	"      table.concat(fields, '\\n'))\n" \
	"  return seq\n" \
	"end\n"

extern const char cluster_lua_register[];
extern const char cluster_lua_unregister[];
extern const char cluster_lua_nat[];
extern const char cluster_lua_quota[];
extern const char cluster_lua_intro_add[];
extern const char cluster_lua_intro_del[];
extern const char cluster_lua_group_create[];
extern const char cluster_lua_group_destroy[];
extern const char cluster_lua_member_add[];
extern const char cluster_lua_member_del[];
extern const char cluster_lua_reap[];
extern const char cluster_lua_node_start[];
extern const char cluster_lua_heartbeat[];
extern const char cluster_lua_nodes[];
extern const char cluster_lua_dump[];
/* cluster_lua_match.c */
extern const char cluster_lua_match_add[];
extern const char cluster_lua_match_del[];

#endif /* P2P_CLUSTER_LUA_H */
