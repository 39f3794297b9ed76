/* SPDX-License-Identifier: ISC */
/* cluster_lua.h: the Redis scripts of the cluster (cluster_lua.c). */
#ifndef P2P_CLUSTER_LUA_H
#define P2P_CLUSTER_LUA_H

extern const char cluster_lua_register[];
extern const char cluster_lua_unregister[];
extern const char cluster_lua_nat[];
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

#endif /* P2P_CLUSTER_LUA_H */
