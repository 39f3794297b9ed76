# SPDX-License-Identifier: ISC
"""The C library and its structs, as ctypes sees them (libp2pclient 1.1).

Every struct the library fills starts with its size in that library
(docs/ABI.md); has() tells whether a field is there, as P2PCLIENT_HAS does.
"""
import ctypes
import ctypes.util
import os

from ctypes import (POINTER, CFUNCTYPE, Structure, c_char_p, c_double,
                    c_int, c_int64, c_size_t, c_uint8, c_uint32, c_uint64,
                    c_void_p)


def _load():
    path = os.environ.get("P2PCLIENT_LIBRARY")
    names = [path] if path else []
    found = ctypes.util.find_library("p2pclient")
    if found:
        names.append(found)
    names.append("libp2pclient.so.1")
    err = None
    for n in names:
        try:
            return ctypes.CDLL(n)
        except OSError as e:
            err = e
    raise ImportError("cannot load libp2pclient (set P2PCLIENT_LIBRARY to "
                      "its path): %s" % err)


lib = _load()


def has(s, field):
    """True when the struct s, as filled by the library, has field."""
    f = getattr(type(s), field)
    return s.size >= f.offset + f.size


class Event(Structure):
    _fields_ = [("size", c_size_t), ("type", c_int),
                ("peer_id", c_char_p), ("service", c_char_p),
                ("group", c_char_p), ("state", c_char_p), ("path", c_char_p),
                ("reason", c_char_p), ("pipe_id", c_uint32), ("eof", c_int),
                ("ok", c_int), ("data", POINTER(c_uint8)), ("len", c_size_t),
                ("channel", c_uint32), ("mode", c_uint32),
                ("event", c_char_p), ("missing", POINTER(c_char_p)),
                ("nmissing", c_size_t), ("missing_count", c_uint32)]


class Peer(Structure):
    _fields_ = [("size", c_size_t), ("peer_id", c_char_p),
                ("path", c_char_p), ("remote_addr", c_char_p),
                ("state", c_char_p), ("rtt_ms", c_double),
                ("tx_bytes", c_uint64), ("rx_bytes", c_uint64),
                ("path_detail", c_char_p), ("path_changes", ctypes.c_uint),
                ("congestion", c_char_p), ("cwnd_bytes", c_uint64),
                ("lost_packets", c_uint64), ("retransmitted_bytes", c_uint64),
                ("max_message", c_uint64),
                # since 1.1
                ("rttvar_ms", c_double), ("min_rtt_ms", c_double),
                ("tx_packets", c_uint64), ("queued_bytes", c_uint64),
                ("in_flight_bytes", c_uint64), ("age_ms", c_double)]


class Peers(Structure):
    _fields_ = [("size", c_size_t), ("n", c_size_t),
                ("v", POINTER(POINTER(Peer)))]


class ServerNode(Structure):
    _fields_ = [("size", c_size_t), ("id", c_char_p), ("udp", c_char_p),
                ("tcp", c_char_p)]


class Status(Structure):
    _fields_ = [("size", c_size_t), ("peer_id", c_char_p),
                ("server_state", c_char_p), ("public_addr", c_char_p),
                ("server_error", c_char_p), ("server_transport", c_char_p),
                ("nat_type", c_char_p), ("nat_mapping", c_char_p),
                ("nat_filtering", c_char_p), ("local_port", c_uint32),
                ("packets_in", c_uint64), ("packets_out", c_uint64),
                ("dropped", c_uint64), ("retransmitted", c_uint64),
                ("bytes_in", c_uint64), ("bytes_out", c_uint64),
                # since 1.3
                ("version", c_char_p), ("uptime_s", c_double),
                ("server_addr", c_char_p), ("server_node", c_char_p),
                ("server_nodes", POINTER(POINTER(ServerNode))),
                ("n_server_nodes", c_size_t)]


class Metric(Structure):
    _fields_ = [("size", c_size_t), ("name", c_char_p), ("type", c_char_p),
                ("help", c_char_p), ("nlabels", c_size_t),
                ("labels", POINTER(c_char_p)), ("value", c_double)]


class Metrics(Structure):
    _fields_ = [("size", c_size_t), ("n", c_size_t),
                ("v", POINTER(POINTER(Metric)))]


class GroupMember(Structure):
    _fields_ = [("size", c_size_t), ("peer_id", c_char_p), ("online", c_int)]


class Group(Structure):
    _fields_ = [("size", c_size_t), ("name", c_char_p), ("mesh", c_int),
                ("member_count", c_uint32), ("n", c_size_t),
                ("members", POINTER(POINTER(GroupMember))),
                # since 1.2
                ("nattrs", c_size_t), ("attrs", POINTER(c_char_p)),
                ("expires_at", c_uint64)]


class Groups(Structure):
    _fields_ = [("size", c_size_t), ("n", c_size_t),
                ("v", POINTER(POINTER(Group))), ("truncated", c_int)]


class Response(Structure):
    _fields_ = [("size", c_size_t), ("id", c_uint32), ("code", c_int),
                ("error", c_char_p), ("delivered", c_uint32),
                ("rtt_ms", c_double), ("pipe_id", c_uint32),
                # since 1.2
                ("groups", POINTER(Groups))]


ON_RESPONSE = CFUNCTYPE(None, c_void_p, POINTER(Response), c_void_p)
ON_MESSAGE = CFUNCTYPE(None, c_void_p, c_char_p, c_char_p, POINTER(c_uint8),
                       c_size_t, c_char_p, c_void_p)
ON_PEER_STATE = CFUNCTYPE(None, c_void_p, c_char_p, c_char_p, c_char_p,
                          c_char_p, c_void_p)
ON_PIPE_DATA = CFUNCTYPE(None, c_void_p, c_uint32, POINTER(c_uint8),
                         c_size_t, c_int, c_void_p)
ON_PIPE_CLOSED = CFUNCTYPE(None, c_void_p, c_uint32, c_int, c_char_p,
                           c_void_p)
ON_EVENT = CFUNCTYPE(None, c_void_p, POINTER(Event), c_void_p)
ON_PEERS = CFUNCTYPE(None, c_void_p, POINTER(Peers), c_void_p)


class Callbacks(Structure):
    _fields_ = [("size", c_size_t), ("on_response", ON_RESPONSE),
                ("on_message", ON_MESSAGE), ("on_peer_state", ON_PEER_STATE),
                ("on_pipe_data", ON_PIPE_DATA),
                ("on_pipe_closed", ON_PIPE_CLOSED),
                ("on_group_event", ON_EVENT),
                # since 1.1
                ("on_message_ex", ON_EVENT), ("on_peers", ON_PEERS)]


def _fn(name, res, *args):
    f = getattr(lib, name)
    f.restype = res
    f.argtypes = list(args)
    return f


H = c_void_p    # struct p2pclient *
version = _fn("p2pclient_version", c_char_p)
open_ex = _fn("p2pclient_open_ex", H, c_char_p, POINTER(c_int), c_char_p,
              c_size_t)
close = _fn("p2pclient_close", None, H)
errmsg = _fn("p2pclient_errmsg", c_char_p, H)
strerror = _fn("p2pclient_strerror", c_char_p, c_int)
fd = _fn("p2pclient_fd", c_int, H)
want_write = _fn("p2pclient_want_write", c_int, H)
on_readable = _fn("p2pclient_on_readable", c_int, H)
on_writable = _fn("p2pclient_on_writable", c_int, H)
set_callbacks = _fn("p2pclient_set_callbacks", c_int, H, POINTER(Callbacks),
                    c_void_p)
poll = _fn("p2pclient_poll", c_int, H, c_int)
status = _fn("p2pclient_status", c_int, H, POINTER(POINTER(Status)))
status_free = _fn("p2pclient_status_free", None, POINTER(Status))
peers = _fn("p2pclient_peers", c_int, H, POINTER(POINTER(Peers)))
peers_free = _fn("p2pclient_peers_free", None, POINTER(Peers))
watch_peers = _fn("p2pclient_watch_peers", c_int, H, c_uint32)
peer_stats = _fn("p2pclient_peer_stats", c_int, H, c_char_p,
                 POINTER(POINTER(Peer)))
peer_free = _fn("p2pclient_peer_free", None, POINTER(Peer))
connect = _fn("p2pclient_connect", c_int, H, c_char_p, c_int)
disconnect = _fn("p2pclient_disconnect", c_int, H, c_char_p)
send = _fn("p2pclient_send", c_int, H, c_char_p, c_char_p, c_void_p,
           c_size_t, c_int)
send_async = _fn("p2pclient_send_async", c_int64, H, c_char_p, c_char_p,
                 c_void_p, c_size_t, c_int)
flush = _fn("p2pclient_flush", c_int, H, c_int)
bind = _fn("p2pclient_bind", c_int, H, c_char_p)
unbind = _fn("p2pclient_unbind", c_int, H, c_char_p)
recv = _fn("p2pclient_recv", c_int, H, c_char_p, c_uint32, c_int, c_void_p,
           c_void_p, POINTER(POINTER(Event)))
recv_async = _fn("p2pclient_recv_async", c_int64, H, c_char_p, c_uint32,
                 c_uint32)
subscribe = _fn("p2pclient_subscribe", c_int, H)
next_event = _fn("p2pclient_next_event", c_int, H, c_int,
                 POINTER(POINTER(Event)))
event_free = _fn("p2pclient_event_free", None, POINTER(Event))
ping = _fn("p2pclient_ping", c_int, H, c_char_p, c_int, POINTER(c_double))
group = _fn("p2pclient_group", c_int, H, c_int, c_char_p)
groups = _fn("p2pclient_groups", c_int, H, c_char_p, POINTER(POINTER(Groups)))
groups_free = _fn("p2pclient_groups_free", None, POINTER(Groups))
group_send = _fn("p2pclient_group_send", c_int, H, c_char_p, c_char_p,
                 c_void_p, c_size_t, c_int, POINTER(c_size_t))
# since 1.2: matchmaking
ATTRS = POINTER(c_char_p)
match = _fn("p2pclient_match", c_int, H, ATTRS, c_size_t, c_uint32, c_uint32,
            POINTER(POINTER(Groups)))
match_cancel = _fn("p2pclient_match_cancel", c_int, H)
group_search = _fn("p2pclient_group_search", c_int, H, ATTRS, c_size_t,
                   POINTER(POINTER(Groups)))
# since 1.3: operations
metrics = _fn("p2pclient_metrics", c_int, H, POINTER(POINTER(Metrics)))
metrics_free = _fn("p2pclient_metrics_free", None, POINTER(Metrics))
log_level = _fn("p2pclient_log_level", c_int, H, c_char_p, c_char_p,
                c_size_t)
