# SPDX-License-Identifier: ISC
"""asyncio on the library's fd: the event loop watches p2pclient_fd(); when
it is readable the library reads and calls back, and the messages and
events it delivers go to asyncio queues.

    c = await p2pclient.aio.AsyncClient.open()
    await c.send("bob", b"jump", service="game", mode="sequenced")
    m = await c.recv(service="game", timeout=1.0)

Each service read with recv() is bound and kept under a standing receive
request, renewed as the agent answers it; messages wait in a queue per
service. Sends are queued without waiting (the library's window); a full
window waits for the fd.
"""
import asyncio
import ctypes

from . import (_lib, Client, Timeout, Error, error, send_flags, _b, _event,
               _message, EAGAIN, ETIMEDOUT)

_FOREVER = 0xffffffff


class AsyncClient:
    def __init__(self, socket=None, loop=None):
        self._c = Client(socket)
        self._loop = loop or asyncio.get_event_loop()
        self._queues = {}           # service -> asyncio.Queue of Message
        self._events = asyncio.Queue()
        self._recv_ids = {}         # request id -> service
        self._failure = None
        self._writing = False
        cb = _lib.Callbacks()
        cb.size = ctypes.sizeof(cb)
        cb.on_message_ex = _lib.ON_EVENT(self._on_message)
        cb.on_response = _lib.ON_RESPONSE(self._on_response)
        cb.on_peer_state = _lib.ON_PEER_STATE(self._on_peer_state)
        cb.on_group_event = _lib.ON_EVENT(self._on_group)
        self._cb = cb               # the C side keeps pointers into it
        self._c._check(_lib.set_callbacks(self._c.handle, ctypes.byref(cb),
                                          None))
        self._loop.add_reader(self._c.fileno(), self._readable)

    @classmethod
    async def open(cls, socket=None):
        return cls(socket, asyncio.get_running_loop())

    @property
    def client(self):
        """The blocking Client underneath (status, peers, groups...)."""
        return self._c

    def close(self):
        if self._c.handle:
            self._loop.remove_reader(self._c.fileno())
            if self._writing:
                self._loop.remove_writer(self._c.fileno())
            self._c.close()

    # -- the library's callbacks --
    def _on_message(self, h, ev, arg):
        m = _message(ev.contents)
        self._queue(m.service).put_nowait(m)

    def _on_peer_state(self, h, peer, state, path, reason, arg):
        from . import Event, _s
        self._events.put_nowait(Event(type="peer_state", peer=_s(peer),
                                      state=_s(state), path=_s(path),
                                      reason=_s(reason)))

    def _on_group(self, h, ev, arg):
        self._events.put_nowait(_event(ev.contents))

    def _on_response(self, h, res, arg):
        r = res.contents
        service = self._recv_ids.pop(r.id, None)
        if r.code != 0 and self._failure is None:
            self._failure = error(r.code, r.error.decode("utf-8", "replace")
                                  if r.error else None)
        if service is not None and r.code == 0:
            self._arm(service)      # the standing receive ended: renew it

    # -- the fd --
    def _readable(self):
        rc = _lib.on_readable(self._c.handle)
        if rc < 0 and self._failure is None:
            self._failure = error(rc, _lib.errmsg(self._c.handle).decode())
        self._want_write()
        if self._failure is not None:
            for q in list(self._queues.values()) + [self._events]:
                q.put_nowait(self._failure)

    def _writable(self):
        _lib.on_writable(self._c.handle)
        self._want_write()

    def _want_write(self):
        w = bool(_lib.want_write(self._c.handle))
        if w and not self._writing:
            self._loop.add_writer(self._c.fileno(), self._writable)
        elif not w and self._writing:
            self._loop.remove_writer(self._c.fileno())
        self._writing = w

    def _queue(self, service):
        key = service or "default"
        if key not in self._queues:
            self._queues[key] = asyncio.Queue()
        return self._queues[key]

    def _arm(self, service):
        rid = _lib.recv_async(self._c.handle, _b(service), 1024, _FOREVER)
        if rid < 0:
            self._failure = error(int(rid))
            return
        self._recv_ids[rid] = service
        self._want_write()

    # -- the API --
    async def send(self, peer, data, service=None, mode="reliable",
                   channel=0, priority="normal"):
        d = _b(data)
        flags = send_flags(mode, channel, priority)
        while True:
            rc = _lib.send_async(self._c.handle, _b(peer), _b(service), d,
                                 len(d), flags)
            if rc != EAGAIN:
                break
            await asyncio.sleep(0.001)      # the window drains as we read
        if rc < 0:
            raise error(int(rc), _lib.errmsg(self._c.handle).decode())
        self._want_write()
        if self._failure is not None:
            f, self._failure = self._failure, None
            raise f

    async def recv(self, service=None, timeout=None):
        """The next Message for service; Timeout after timeout seconds."""
        key = service or "default"
        if key not in self._queues:
            self._c.bind(service)
            self._queue(service)
            self._arm(service)
        try:
            m = await asyncio.wait_for(self._queue(service).get(), timeout)
        except asyncio.TimeoutError:
            raise Timeout(ETIMEDOUT, "no message for %s within %ss" %
                          (key, timeout)) from None
        if isinstance(m, Error):
            raise m
        return m

    async def event(self, timeout=None):
        """The next peer_state or group Event (after subscribe())."""
        try:
            e = await asyncio.wait_for(self._events.get(), timeout)
        except asyncio.TimeoutError:
            raise Timeout(ETIMEDOUT, "no event within %ss" % timeout) \
                from None
        if isinstance(e, Error):
            raise e
        return e

    def subscribe(self):
        self._c._check(_lib.subscribe(self._c.handle))
