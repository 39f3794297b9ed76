// SPDX-License-Identifier: ISC
// The C# binding against two real agents, alice and bob, that share the
// group g (tests/integration/csharp.sh starts them; P2P_SOCK_ALICE and
// P2P_SOCK_BOB name their sockets). Prints "N passed, N failed".
using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using P2P;

static class TestP2PClient
{
	static int passed, failed;

	static void Check(bool ok, string what)
	{
		if (ok) {
			passed++;
		} else {
			failed++;
			Console.WriteLine("FAIL: " + what);
		}
	}

	static void Run(string name, Action t)
	{
		try {
			t();
			Console.WriteLine("ok: " + name);
		} catch (Exception e) {
			failed++;
			Console.WriteLine("FAIL: " + name + ": " + e);
		}
	}

	static int Main()
	{
		string sa = Environment.GetEnvironmentVariable("P2P_SOCK_ALICE");
		string sb = Environment.GetEnvironmentVariable("P2P_SOCK_BOB");
		if (sa == null || sb == null) {
			Console.WriteLine("SKIP: needs P2P_SOCK_ALICE and P2P_SOCK_BOB");
			return 77;
		}
		using (var a = new Client(sa))
		using (var b = new Client(sb)) {
			Run("version", () => Check(Client.Version.StartsWith("1."), "version " + Client.Version));
			Run("status", () => {
				var st = a.Status();
				Check(st.PeerId == "alice", "peer id " + st.PeerId);
				Check(st.ServerState == "registered", "state " + st.ServerState);
				Check(st.Version.Length > 0, "version '" + st.Version + "'");
				Check(st.UptimeS > 0, "uptime " + st.UptimeS);
				Check(st.ServerAddr != null && st.ServerAddr.StartsWith("127.0.0.1:"), "server_addr " + st.ServerAddr);
				Check(st.ServerNode == null, "server_node on one server: " + st.ServerNode);
			});
			Run("metrics and log level", () => {
				var ms = a.Metrics();
				var paths = new HashSet<string>();
				double up = 0;
				foreach (var m in ms) {
					if (m.Name == "p2pd_sessions" && m.Labels.ContainsKey("path"))
						paths.Add(m.Labels["path"]);
					if (m.Name == "p2pd_uptime_seconds")
						up = m.Value;
				}
				Check(paths.Contains("direct") && paths.Contains("relay"), "p2pd_sessions paths: " + string.Join(",", paths));
				Check(up > 0, "uptime metric " + up);
				Check(a.LogLevel("debug") == "debug", "log level debug");
				Check(a.LogLevel() == "debug", "log level kept");
				Check(a.LogLevel("info") == "info", "log level info");
				bool refused = false;
				try { a.LogLevel("loud"); } catch (P2PException) { refused = true; }
				Check(refused, "log level 'loud' was accepted");
			});
			Run("send and recv", () => {
				a.Send("bob", "jump", "game", Mode.Sequenced, 1, Priority.High);
				a.Send("bob", Encoding.UTF8.GetBytes("gg"), "game", Mode.Reliable, 2);
				var got = new Message[2];
				for (int i = 0; i < 2; i++) {
					var m = b.Recv("game", 10);
					got[m.Channel - 1] = m;
				}
				Check(got[0].Peer == "alice", "sender " + got[0].Peer);
				Check(Encoding.UTF8.GetString(got[0].Data) == "jump", "data");
				Check(got[0].Mode == Mode.Sequenced, "mode " + got[0].Mode);
				Check(got[1].Mode == Mode.Reliable && got[1].Channel == 2, "reliable on 2");
				Check(got[1].Group == null && got[1].Service == "game", "group/service");
			});
			Run("recv timeout", () => {
				try {
					b.Recv("nothing", 0.2);
					Check(false, "no timeout");
				} catch (P2PTimeoutException e) {
					Check(e.Code == Client.ETIMEDOUT, "code " + e.Code);
				}
			});
			Run("errors", () => {
				try {
					a.Send("bad peer!", "x");
					Check(false, "bad name accepted");
				} catch (P2PException e) {
					Check(e.Code == Client.EINVAL && e.Message.Contains("peer id"), e.Message);
				}
				try {
					new Client("/nonexistent/p2pd.sock");
					Check(false, "opened a missing socket");
				} catch (NotRunningException e) {
					Check(e.Code == Client.ENOTRUNNING, "code " + e.Code);
				}
			});
			Run("peers and stats", () => {
				a.Connect("bob");
				Check(a.Ping("bob") > 0, "ping");
				bool found = false;
				foreach (var p in a.Peers())
					if (p.Peer == "bob" && p.State == "up")
						found = true;
				Check(found, "bob up in peers");
				var s = a.PeerStats("bob");
				Check(s.Peer == "bob" && s.RttMs > 0 && s.AgeMs != null, "stats");
				try {
					a.PeerStats("carol");
					Check(false, "stats of no session");
				} catch (NotFoundException) {
					passed++;
				}
			});
			Run("groups", () => {
				a.GroupJoin("g");
				try {
					b.GroupJoin("g");
				} catch (P2PException e) {
					Check(e.Code == Client.EEXISTS, e.Message);
				}
				Check(a.GroupSend("g", Encoding.UTF8.GetBytes("all"), "gs") == 1, "group send");
				var m = b.Recv("gs", 10);
				Check(m.Group == "g" && Encoding.UTF8.GetString(m.Data) == "all", "group message");
				b.Subscribe();
				a.GroupLeave("g");
				GroupEvent ev;
				do {
					ev = b.NextGroupEvent(10);
				} while (ev != null && ev.Event != "member_leave");
				Check(ev != null && ev.Peer == "alice" && ev.Group == "g", "member_leave");
			});
			Run("match", () => {
				var want = new Dictionary<string, string> { { "map", "dunes" }, { "mode", "duel" } };
				GroupInfo ga = null;
				var t = new Thread(() => { ga = a.Match(want, 2, 20); });
				t.Start();
				Thread.Sleep(300);
				var gb = b.Match(want, 2, 20);
				t.Join(25000);
				Check(ga != null && ga.Name == gb.Name && ga.Name.StartsWith("m-"), "one match group");
				Check(ga.Members.Count == 2 && ga.Members.Contains("alice") && ga.Members.Contains("bob"), "members");
				Check(ga.Attributes.Count == 2 && ga.Attributes["map"] == "dunes" && ga.Attributes["mode"] == "duel", "attributes");
				Check(ga.ExpiresAt > 0, "expires_at");
				bool found = false;
				foreach (var g in a.GroupSearch(new Dictionary<string, string> { { "map", "dunes" } }))
					if (g.Name == ga.Name && g.Attributes["mode"] == "duel")
						found = true;
				Check(found, "group search");
				a.GroupLeave(ga.Name);
				b.GroupLeave(ga.Name);
				try {
					a.Match(new Dictionary<string, string> { { "map", "alone" } }, 2, 1);
					Check(false, "a lone ticket matched");
				} catch (P2PTimeoutException e) {
					Check(e.Message.Contains("no match within 1 s"), e.Message);
				}
				try {
					a.Match(new Dictionary<string, string> { { "m ap", "x" } }, 2, 5);
					Check(false, "a bad attribute accepted");
				} catch (P2PException e) {
					Check(e.Code == Client.EINVAL && e.Message.Contains("m ap"), e.Message);
				}
				try {
					a.MatchCancel();
					Check(false, "cancel without a ticket");
				} catch (NotFoundException) {
					passed++;
				}
			});
		}
		Console.WriteLine(passed + " passed, " + failed + " failed");
		return failed == 0 ? 0 : 1;
	}
}
