# SPDX-License-Identifier: ISC
"""The Python binding against two real agents, alice and bob, that share the
group g (tests/integration/python.sh starts them: P2P_SOCK_ALICE and
P2P_SOCK_BOB name their sockets)."""
import asyncio
import os
import threading
import time
import unittest

import p2pclient
from p2pclient import aio

A = os.environ.get("P2P_SOCK_ALICE")
B = os.environ.get("P2P_SOCK_BOB")


@unittest.skipUnless(A and B, "needs P2P_SOCK_ALICE and P2P_SOCK_BOB")
class TestClient(unittest.TestCase):
    def setUp(self):
        self.a = p2pclient.Client(A)
        self.b = p2pclient.Client(B)

    def tearDown(self):
        self.a.close()
        self.b.close()

    def test_version(self):
        self.assertRegex(p2pclient.version(), r"^1\.[1-9][0-9]*\.[0-9]+$")

    def test_status(self):
        st = self.a.status()
        self.assertEqual(st.peer_id, "alice")
        self.assertEqual(st.server_state, "registered")
        self.assertGreater(st.local_port, 0)
        # since 1.3
        self.assertRegex(st.version, r"^[0-9]+\.[0-9]+")
        self.assertGreater(st.uptime_s, 0)
        self.assertRegex(st.server_addr or "", r"^127\.0\.0\.1:[0-9]+$")
        self.assertIsNone(st.server_node)   # one server, no cluster

    def test_metrics_and_log_level(self):
        ms = self.a.metrics()
        names = {m.name for m in ms}
        self.assertIn("p2pd_sessions", names)
        up = [m for m in ms if m.name == "p2pd_uptime_seconds"]
        self.assertEqual(len(up), 1)
        self.assertGreater(up[0].value, 0)
        paths = {m.labels.get("path") for m in ms if m.name == "p2pd_sessions"}
        self.assertTrue({"direct", "relay"} <= paths, paths)
        self.assertEqual(self.a.log_level("debug"), "debug")
        self.assertEqual(self.a.log_level(), "debug")
        self.assertEqual(self.a.log_level("info"), "info")
        with self.assertRaises(p2pclient.Error):
            self.a.log_level("loud")

    def test_send_and_recv_each_mode(self):
        sent = [("reliable", 0, b"r0"), ("reliable", 7, "r7 text"),
                ("unordered", 3, b"u3"), ("sequenced", 9, b"s9"),
                ("unreliable", 200, b"x" * 5000)]
        for mode, ch, data in sent:
            self.a.send("bob", data, service="modes", mode=mode, channel=ch)
        got = {}
        for _ in sent:
            m = self.b.recv(service="modes", timeout=10)
            got[m.channel] = m
        for mode, ch, data in sent:
            m = got[ch]
            self.assertEqual(m.peer, "alice")
            self.assertEqual(m.service, "modes")
            self.assertEqual(m.mode, mode)
            self.assertIsNone(m.group)
            self.assertEqual(m.data, data.encode() if isinstance(data, str)
                             else data)
            self.assertIsInstance(m.data, bytes)

    def test_priorities_are_accepted(self):
        for p in ("high", "normal", "low"):
            self.a.send("bob", p, service="prio", priority=p)
        got = sorted(self.b.recv(service="prio", timeout=10).data
                     for _ in range(3))
        self.assertEqual(got, [b"high", b"low", b"normal"])
        with self.assertRaises(ValueError):
            self.a.send("bob", b"x", priority="urgent")

    def test_recv_timeout(self):
        with self.assertRaises(p2pclient.Timeout) as cm:
            self.b.recv(service="nothing", timeout=0.2)
        self.assertEqual(cm.exception.code, p2pclient.ETIMEDOUT)

    def test_errors_carry_code_and_message(self):
        with self.assertRaises(p2pclient.Error) as cm:
            self.a.send("no such peer!", b"x")
        self.assertEqual(cm.exception.code, p2pclient.EINVAL)
        self.assertIn("peer id", cm.exception.message)
        with self.assertRaises(p2pclient.Error) as cm:
            self.a.connect("nobody", timeout=5)
        self.assertIn("nobody", str(cm.exception))
        with self.assertRaises(ValueError):
            self.a.send("bob", b"x", mode="fast")
        with self.assertRaises(ValueError):
            self.a.send("bob", b"x", channel=256)
        with self.assertRaises(p2pclient.NotRunning) as cm:
            p2pclient.Client("/nonexistent/p2pd.sock")
        self.assertEqual(cm.exception.code, p2pclient.ENOTRUNNING)

    def test_peers_and_stats(self):
        self.a.connect("bob", timeout=10)
        self.a.send("bob", b"hello", service="stats")
        self.b.recv(service="stats", timeout=10)
        rtt = self.a.ping("bob")
        self.assertGreater(rtt, 0)
        ps = {p.peer: p for p in self.a.peers()}
        self.assertIn("bob", ps)
        self.assertEqual(ps["bob"].state, "up")
        self.assertIn(ps["bob"].path, ("relay", "direct"))
        self.assertGreater(ps["bob"].tx_bytes, 0)
        st = self.a.peer_stats("bob")
        self.assertEqual(st.peer, "bob")
        self.assertGreater(st.rtt_ms, 0)
        self.assertIsNotNone(st.age_ms)
        with self.assertRaises(p2pclient.NotFound):
            self.a.peer_stats("carol")
        # The agent pushes the figures while watched: the library's copy
        # stays fresh without asking, and carries the transport's figures.
        watching = self.a.watch_peers(0.1)
        self.assertIs(watching, True)
        time.sleep(1.5)
        self.a.ping("bob")      # a round trip reads what was pushed
        st = self.a.peer_stats("bob")
        self.assertEqual(st.peer, "bob")
        self.assertLess(st.age_ms, 1000)
        self.assertGreater(st.tx_packets, 0)
        self.assertGreater(st.min_rtt_ms, 0)
        self.assertIsNotNone(st.in_flight_bytes)
        self.assertIsNotNone(st.queued_bytes)
        self.assertEqual([p.peer for p in self.a.peers()], ["bob"])
        self.assertIs(self.a.watch_peers(0), False)

    def test_groups_and_events(self):
        self.a.group_join("g")
        ev = self.b.events(timeout=0.2)
        for _ in ev:        # drain what was queued before
            pass
        try:
            self.b.group_join("g")
        except p2pclient.Error as e:
            self.assertEqual(e.code, p2pclient.EEXISTS)
        g = self.a.groups("g")[0]
        self.assertEqual(g.name, "g")
        self.assertIn("alice", g.members)
        self.assertIn("bob", g.members)
        # Group messages travel on the group stream: reliable, channel 0.
        self.assertEqual(self.a.group_send("g", b"to all", service="gs"), 1)
        m = self.b.recv(service="gs", timeout=10)
        self.assertEqual(m.group, "g")
        self.assertEqual((m.channel, m.mode), (0, "reliable"))
        self.assertEqual(m.data, b"to all")
        seen = []
        events = self.b.events(timeout=10)
        self.a.group_leave("g")
        for e in events:
            seen.append(e)
            if e.type == "group" and e.event == "member_leave":
                break
        self.assertEqual(seen[-1].peer, "alice")
        self.assertEqual(seen[-1].group, "g")
        self.a.group_join("g")

    def test_match(self):
        got = {}

        def alice():
            got["a"] = self.a.match({"map": "dunes", "mode": "duel"}, 2,
                                    timeout=20)
        t = threading.Thread(target=alice)
        t.start()
        time.sleep(0.3)
        gb = self.b.match(["mode=duel", "map=dunes"], 2, timeout=20)
        t.join(25)
        ga = got["a"]
        self.assertEqual(ga.name, gb.name)
        self.assertTrue(ga.name.startswith("m-"))
        self.assertEqual(sorted(ga.members), ["alice", "bob"])
        self.assertEqual(ga.attributes, {"map": "dunes", "mode": "duel"})
        self.assertGreater(ga.expires_at, time.time())
        found = self.a.group_search({"map": "dunes"})
        self.assertIn(ga.name, [g.name for g in found])
        self.assertEqual([g.attributes for g in found
                          if g.name == ga.name][0]["mode"], "duel")
        self.assertEqual(self.a.groups(ga.name)[0].attributes,
                         {"map": "dunes", "mode": "duel"})
        self.a.group_leave(ga.name)
        self.b.group_leave(ga.name)

    def test_match_timeout_cancel_and_bad_tickets(self):
        with self.assertRaises(p2pclient.Timeout) as cm:
            self.a.match({"map": "alone"}, 2, timeout=1)
        self.assertIn("no match within 1 s", cm.exception.message)
        with self.assertRaises(p2pclient.NotFound):
            self.a.match_cancel()
        for bad, text in (({"m ap": "x"}, "m ap"), ({"map": ""}, "map"),
                          (["map"], "KEY=VALUE")):
            with self.assertRaises(p2pclient.Error) as cm:
                self.a.match(bad, 2, timeout=5)
            self.assertEqual(cm.exception.code, p2pclient.EINVAL)
            self.assertIn(text, cm.exception.message)
        with self.assertRaises(p2pclient.Error) as cm:
            self.a.match({"map": "x"}, 1, timeout=5)
        self.assertIn("size 1", cm.exception.message)


@unittest.skipUnless(A and B, "needs P2P_SOCK_ALICE and P2P_SOCK_BOB")
class TestAsyncio(unittest.TestCase):
    def test_send_recv_on_the_fd(self):
        async def run():
            a = await aio.AsyncClient.open(A)
            b = await aio.AsyncClient.open(B)
            try:
                for i in range(50):
                    await a.send("bob", b"tick %d" % i, service="aio",
                                 mode="reliable", channel=2,
                                 priority="high")
                got = [await b.recv(service="aio", timeout=10)
                       for _ in range(50)]
                with self.assertRaises(p2pclient.Timeout):
                    await b.recv(service="aio", timeout=0.2)
                return got
            finally:
                a.close()
                b.close()
        got = asyncio.run(run())
        self.assertEqual([m.data for m in got],
                         [b"tick %d" % i for i in range(50)])
        self.assertTrue(all(m.peer == "alice" and m.channel == 2
                            for m in got))


if __name__ == "__main__":
    unittest.main()
