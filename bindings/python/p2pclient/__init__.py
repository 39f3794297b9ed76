# SPDX-License-Identifier: ISC
"""p2pclient: Python bindings for libp2pclient, the application side of p2pd.

A thin layer over the C library (ctypes, no other dependency): the library
speaks to the agent; this module turns its structs into Python objects and
its error codes into exceptions.

    import p2pclient
    with p2pclient.Client() as c:             # $P2PD_SOCKET or the default
        c.send("bob", b"hello", service="game", mode="sequenced", channel=1)
        m = c.recv(service="game", timeout=5)  # raises p2pclient.Timeout
        print(m.peer, m.data, m.channel, m.mode, m.group)

Asyncio: p2pclient.aio.AsyncClient, driven by the library's fd.
"""
import ctypes
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from . import _lib

__all__ = ["Client", "Message", "Event", "PeerInfo", "Status", "GroupInfo",
           "Error", "Timeout", "NotRunning", "NotFound", "Policy", "Closed",
           "MODES", "PRIORITIES", "version"]

MODES = ("reliable", "unordered", "sequenced", "unreliable")
PRIORITIES = {"normal": 0x00000, "high": 0x10000, "low": 0x20000}
SYNC = 0x01
FOREVER = -1

# libp2pclient's error codes (p2pclient.h, enum p2pclient_error).
EFAILED, EUSAGE, ENOTFOUND, ENOTREGISTERED, EPOLICY, ETIMEDOUT = range(-1, -7,
                                                                       -1)
EBUSY, ECLOSED, ELAGGED, EVERSION, EEXISTS = range(-7, -12, -1)
ENOTRUNNING, EIO, EPROTO, ENOMEM, EINVAL, EAGAIN = range(-20, -26, -1)


class Error(Exception):
    """A failure: code is the library's P2PCLIENT_E* value (negative),
    message the reason, in the agent's words where the agent refused."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class Timeout(Error):
    pass


class NotRunning(Error):
    pass


class NotFound(Error):
    pass


class Policy(Error):
    pass


class Closed(Error):
    pass


_ERRORS = {ETIMEDOUT: Timeout, ENOTRUNNING: NotRunning, ENOTFOUND: NotFound,
           EPOLICY: Policy, ECLOSED: Closed}


def _s(b):
    return b.decode("utf-8", "replace") if b is not None else None


def _b(s):
    if s is None:
        return None
    return s.encode() if isinstance(s, str) else bytes(s)


def version():
    """The version of the C library in use, e.g. "1.3.0"."""
    return _s(_lib.version())


def error(code, message=None):
    return _ERRORS.get(code, Error)(code, message or
                                    _s(_lib.strerror(code)))


@dataclass
class Message:
    peer: str               # the sender (p2pctl --json recv: "from")
    data: bytes
    service: str
    channel: int
    mode: str               # reliable | unordered | sequenced | unreliable
    group: Optional[str]    # the group it was sent to, or None


@dataclass
class Event:
    type: str               # message | peer_state | group | pipe_data | ...
    peer: Optional[str] = None
    state: Optional[str] = None
    path: Optional[str] = None
    reason: Optional[str] = None
    group: Optional[str] = None
    event: Optional[str] = None     # group: member_join, member_leave, ...
    missing: Optional[List[str]] = None
    message: Optional[Message] = None


@dataclass
class PeerInfo:
    peer: str
    state: str
    path: str
    remote_addr: str
    path_detail: str
    rtt_ms: float
    tx_bytes: int
    rx_bytes: int
    congestion: str
    cwnd_bytes: int
    lost_packets: int
    retransmitted_bytes: int
    max_message: int
    rttvar_ms: Optional[float] = None       # None: an older library
    min_rtt_ms: Optional[float] = None
    tx_packets: Optional[int] = None
    queued_bytes: Optional[int] = None
    in_flight_bytes: Optional[int] = None
    age_ms: Optional[float] = None

    @property
    def loss(self):
        """Packets declared lost per packet sent (None if unknown)."""
        if not self.tx_packets:
            return None
        return self.lost_packets / self.tx_packets


@dataclass
class ServerNode:
    id: str
    udp: str
    tcp: Optional[str]


@dataclass
class Status:
    peer_id: str
    server_state: str
    public_addr: Optional[str]
    server_error: str
    nat_type: str
    local_port: int
    # since libp2pclient 1.3 ("" / 0 / None / [] from an older library)
    version: str = ""
    uptime_s: float = 0.0
    server_addr: Optional[str] = None
    server_node: Optional[str] = None   # None on a single server
    server_nodes: List[ServerNode] = field(default_factory=list)


@dataclass
class Metric:
    name: str
    labels: Dict[str, str]
    value: float
    type: str = ""      # counter | gauge, on the first sample of a name
    help: str = ""


@dataclass
class GroupInfo:
    name: str
    mesh: bool
    members: List[str]
    online: List[str]
    member_count: int
    # a match group's (since libp2pclient 1.2): {"map": "dunes", ...}
    attributes: Dict[str, str] = field(default_factory=dict)
    expires_at: int = 0     # unix s; 0: none


def _group(g):
    ms = [g.members[j].contents for j in range(g.n)]
    info = GroupInfo(name=_s(g.name), mesh=bool(g.mesh),
                     members=[_s(m.peer_id) for m in ms],
                     online=[_s(m.peer_id) for m in ms if m.online],
                     member_count=g.member_count)
    if g.size >= ctypes.sizeof(_lib.Group):
        for i in range(g.nattrs):
            k, _, v = _s(g.attrs[i]).partition("=")
            info.attributes[k] = v
        info.expires_at = g.expires_at
    return info


def _group_list(gs):
    try:
        return [_group(gs.contents.v[i].contents)
                for i in range(gs.contents.n)]
    finally:
        _lib.groups_free(gs)


def _attrs(attrs):
    """{"map": "dunes"} or ["map=dunes", ...] as a C array of KEY=VALUE."""
    if isinstance(attrs, dict):
        kv = ["%s=%s" % (k, v) for k, v in attrs.items()]
    else:
        kv = list(attrs)
    arr = (ctypes.c_char_p * max(len(kv), 1))(*[_b(x) for x in kv])
    return arr, len(kv)


_EVENT_TYPES = {1: "message", 2: "peer_state", 3: "pipe_data",
                4: "pipe_closed", 5: "group"}
_NEW_FIELDS = ("rttvar_ms", "min_rtt_ms", "tx_packets", "queued_bytes",
               "in_flight_bytes", "age_ms")


def _message(ev):
    data = ctypes.string_at(ev.data, ev.len) if ev.len else b""
    group = _s(ev.group)
    return Message(peer=_s(ev.peer_id), data=data, service=_s(ev.service),
                   channel=ev.channel,
                   mode=MODES[ev.mode] if ev.mode < 4 else str(ev.mode),
                   group=group or None)


def _event(ev):
    t = _EVENT_TYPES.get(ev.type, str(ev.type))
    if t == "message":
        return Event(type=t, peer=_s(ev.peer_id), message=_message(ev))
    if t == "group":
        return Event(type=t, event=_s(ev.event), group=_s(ev.group),
                     peer=_s(ev.peer_id) or None,
                     missing=[_s(ev.missing[i])
                              for i in range(ev.nmissing)])
    return Event(type=t, peer=_s(ev.peer_id), state=_s(ev.state),
                 path=_s(ev.path), reason=_s(ev.reason))


def _peer(p):
    info = PeerInfo(peer=_s(p.peer_id), state=_s(p.state), path=_s(p.path),
                    remote_addr=_s(p.remote_addr),
                    path_detail=_s(p.path_detail), rtt_ms=p.rtt_ms,
                    tx_bytes=p.tx_bytes, rx_bytes=p.rx_bytes,
                    congestion=_s(p.congestion), cwnd_bytes=p.cwnd_bytes,
                    lost_packets=p.lost_packets,
                    retransmitted_bytes=p.retransmitted_bytes,
                    max_message=p.max_message)
    for f in _NEW_FIELDS:
        if _lib.has(p, f):
            setattr(info, f, getattr(p, f))
    return info


def send_flags(mode="reliable", channel=0, priority="normal", sync=False):
    """The flags word of p2pclient_send for these options."""
    if mode not in MODES:
        raise ValueError("mode %r: one of %s" % (mode, ", ".join(MODES)))
    if priority not in PRIORITIES:
        raise ValueError("priority %r: one of %s" %
                         (priority, ", ".join(PRIORITIES)))
    if not isinstance(channel, int) or not 0 <= channel <= 255:
        raise ValueError("channel %r: an int from 0 to 255" % (channel,))
    return ((MODES.index(mode) << 1) | (channel << 8) |
            PRIORITIES[priority] | (SYNC if sync else 0))


def _ms(timeout):
    if timeout is None:
        return FOREVER
    return max(0, int(timeout * 1000))


class Client:
    """A connection to the local p2pd (socket None: $P2PD_SOCKET, else
    /run/p2pd/p2pd.sock). Not thread-safe: one Client per thread."""

    def __init__(self, socket=None):
        code = ctypes.c_int(0)
        err = ctypes.create_string_buffer(512)
        self._h = _lib.open_ex(_b(socket), ctypes.byref(code), err,
                               len(err))
        if not self._h:
            raise error(code.value, _s(err.value))
        self._bound = set()

    # -- plumbing --
    def _check(self, rc):
        if rc < 0:
            raise error(rc, _s(_lib.errmsg(self._h)))
        return rc

    @property
    def handle(self):
        if not self._h:
            raise Closed(ECLOSED, "the client is closed")
        return self._h

    def close(self):
        if self._h:
            _lib.close(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def fileno(self):
        """The library's fd, for select/poll/asyncio."""
        return _lib.fd(self.handle)

    # -- messages --
    def send(self, peer, data, service=None, mode="reliable", channel=0,
             priority="normal", sync=False):
        """Send data (bytes or str) to peer; opens a session if needed."""
        d = _b(data)
        flags = send_flags(mode, channel, priority, sync)
        self._check(_lib.send(self.handle, _b(peer), _b(service), d, len(d),
                              flags))

    def bind(self, service=None):
        """Take service's inbox for this client (recv does it itself)."""
        key = service or "default"
        if key not in self._bound:
            self._check(_lib.bind(self.handle, _b(service)))
            self._bound.add(key)

    def unbind(self, service=None):
        self._check(_lib.unbind(self.handle, _b(service)))
        self._bound.discard(service or "default")

    def recv(self, service=None, timeout=None):
        """The next message for service (binding it first); raises Timeout
        when none came within timeout seconds (None: wait forever)."""
        self.bind(service)
        out = (ctypes.POINTER(_lib.Event) * 1)()
        n = self._check(_lib.recv(self.handle, _b(service), 1, _ms(timeout),
                                  None, None, out))
        if n == 0:
            raise Timeout(ETIMEDOUT, "no message for %s within %ss" %
                          (service or "default", timeout))
        try:
            return _message(out[0].contents)
        finally:
            _lib.event_free(out[0])

    def events(self, timeout=None):
        """Yield the agent's events (peer states, group events, ...) as they
        come; stops after timeout seconds without one (None: never)."""
        self._check(_lib.subscribe(self.handle))
        ev = ctypes.POINTER(_lib.Event)()
        while True:
            rc = _lib.next_event(self.handle, _ms(timeout), ctypes.byref(ev))
            if rc == ETIMEDOUT:
                return
            self._check(rc)
            try:
                e = _event(ev.contents)
            finally:
                _lib.event_free(ev)
            yield e

    # -- sessions --
    def connect(self, peer, timeout=10.0):
        self._check(_lib.connect(self.handle, _b(peer), _ms(timeout)))

    def disconnect(self, peer):
        self._check(_lib.disconnect(self.handle, _b(peer)))

    def ping(self, peer, timeout=5.0):
        """Round-trip time to peer in milliseconds."""
        rtt = ctypes.c_double()
        self._check(_lib.ping(self.handle, _b(peer), _ms(timeout),
                              ctypes.byref(rtt)))
        return rtt.value

    def status(self):
        st = ctypes.POINTER(_lib.Status)()
        self._check(_lib.status(self.handle, ctypes.byref(st)))
        try:
            s = st.contents
            out = Status(peer_id=_s(s.peer_id),
                         server_state=_s(s.server_state),
                         public_addr=_s(s.public_addr),
                         server_error=_s(s.server_error),
                         nat_type=_s(s.nat_type), local_port=s.local_port)
            if s.size >= ctypes.sizeof(_lib.Status):
                out.version = _s(s.version) or ""
                out.uptime_s = s.uptime_s
                out.server_addr = _s(s.server_addr)
                out.server_node = _s(s.server_node)
                for i in range(s.n_server_nodes):
                    n = s.server_nodes[i].contents
                    out.server_nodes.append(ServerNode(
                        id=_s(n.id), udp=_s(n.udp), tcp=_s(n.tcp)))
            return out
        finally:
            _lib.status_free(st)

    def metrics(self):
        """Every sample of the agent's metrics (docs/METRICS.md), as
        Metric(name, labels, value, type, help); libp2pclient 1.3."""
        ms = ctypes.POINTER(_lib.Metrics)()
        self._check(_lib.metrics(self.handle, ctypes.byref(ms)))
        try:
            out = []
            for i in range(ms.contents.n):
                m = ms.contents.v[i].contents
                lab = [_s(m.labels[j]) for j in range(2 * m.nlabels)]
                out.append(Metric(name=_s(m.name),
                                  labels=dict(zip(lab[0::2], lab[1::2])),
                                  value=m.value, type=_s(m.type) or "",
                                  help=_s(m.help) or ""))
            return out
        finally:
            _lib.metrics_free(ms)

    def log_level(self, level=None):
        """Set the agent's log level (error, warning, info, debug) until
        its next change or reload; None leaves it. Returns the level in
        force; libp2pclient 1.3."""
        buf = ctypes.create_string_buffer(16)
        self._check(_lib.log_level(self.handle, _b(level) if level else None,
                                   buf, len(buf)))
        return buf.value.decode()

    def peers(self):
        ps = ctypes.POINTER(_lib.Peers)()
        self._check(_lib.peers(self.handle, ctypes.byref(ps)))
        try:
            return [_peer(ps.contents.v[i].contents)
                    for i in range(ps.contents.n)]
        finally:
            _lib.peers_free(ps)

    def watch_peers(self, interval=0.5):
        """Ask the agent to push the session figures every interval seconds
        (0 stops); True when it will (peer_stats then needs no round
        trip), False for an agent that cannot."""
        return self._check(_lib.watch_peers(self.handle,
                                            int(interval * 1000))) == 1

    def peer_stats(self, peer):
        """RTT, loss, queued bytes, ... of the session with peer (PeerInfo);
        raises NotFound without a session."""
        p = ctypes.POINTER(_lib.Peer)()
        self._check(_lib.peer_stats(self.handle, _b(peer), ctypes.byref(p)))
        try:
            return _peer(p.contents)
        finally:
            _lib.peer_free(p)

    # -- groups --
    def group_create(self, name):
        self._check(_lib.group(self.handle, 1, _b(name)))

    def group_destroy(self, name):
        self._check(_lib.group(self.handle, 2, _b(name)))

    def group_join(self, name):
        self._check(_lib.group(self.handle, 3, _b(name)))

    def group_leave(self, name):
        self._check(_lib.group(self.handle, 4, _b(name)))

    def groups(self, name=None):
        """This peer's groups (or the one named) as GroupInfo."""
        gs = ctypes.POINTER(_lib.Groups)()
        self._check(_lib.groups(self.handle, _b(name), ctypes.byref(gs)))
        return _group_list(gs)

    def group_search(self, attrs):
        """The groups this peer may see having all these attributes (a dict
        or "KEY=VALUE" strings), as GroupInfo without members."""
        arr, n = _attrs(attrs)
        gs = ctypes.POINTER(_lib.Groups)()
        self._check(_lib.group_search(self.handle, arr, n, ctypes.byref(gs)))
        return _group_list(gs)

    # -- matchmaking --
    def match(self, attrs, size, timeout=None):
        """Ask the server for a match of size devices whose attributes are
        all these (a dict or "KEY=VALUE" strings); waits up to timeout
        seconds (None: the server's 60) and returns the match group
        (GroupInfo). Raises Timeout when no match came, Closed when the
        ticket was cancelled, Error (EINVAL) for a bad attribute."""
        arr, n = _attrs(attrs)
        t = 0 if timeout is None else int(timeout)
        if timeout is not None and t < 1:
            raise ValueError("timeout: at least 1 second")
        gs = ctypes.POINTER(_lib.Groups)()
        self._check(_lib.match(self.handle, arr, n, int(size), t,
                               ctypes.byref(gs)))
        groups = _group_list(gs)
        if len(groups) != 1:
            raise Error(EPROTO, "p2pd answered without the match group")
        return groups[0]

    def match_cancel(self):
        """Cancel this device's waiting ticket (NotFound if none)."""
        self._check(_lib.match_cancel(self.handle))

    def group_send(self, name, data, service=None, mode="reliable",
                   channel=0, priority="normal"):
        """Send data to every other member of the group; returns how many
        members got it."""
        d = _b(data)
        n = ctypes.c_size_t(0)
        self._check(_lib.group_send(self.handle, _b(name), _b(service), d,
                                    len(d), send_flags(mode, channel,
                                                       priority),
                                    ctypes.byref(n)))
        return n.value

