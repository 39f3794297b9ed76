// SPDX-License-Identifier: ISC
// P2PClient.cs: C# bindings for libp2pclient (p2pd's application library),
// P/Invoke over the C library for .NET and Unity: the same surface as the
// Python module p2pclient. The library must be on the loader's path
// (libp2pclient.so.1; LD_LIBRARY_PATH, or Unity's Plugins folder).
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace P2P
{
	public enum Mode { Reliable = 0, Unordered = 1, Sequenced = 2, Unreliable = 3 }
	public enum Priority { Normal = 0, High = 1, Low = 2 }

	// A failure: Code is the library's P2PCLIENT_E* value (negative).
	public class P2PException : Exception
	{
		public readonly int Code;
		public P2PException(int code, string message) : base(message) { Code = code; }
	}
	public class P2PTimeoutException : P2PException
	{
		public P2PTimeoutException(int code, string message) : base(code, message) { }
	}
	public class NotRunningException : P2PException
	{
		public NotRunningException(int code, string message) : base(code, message) { }
	}
	public class NotFoundException : P2PException
	{
		public NotFoundException(int code, string message) : base(code, message) { }
	}

	public class Message
	{
		public string Peer;	// the sender
		public byte[] Data;
		public string Service;
		public int Channel;
		public Mode Mode;
		public string Group;	// null unless sent to a group
	}

	public class PeerInfo
	{
		public string Peer, State, Path, RemoteAddr, PathDetail, Congestion;
		public double RttMs;
		public ulong TxBytes, RxBytes, CwndBytes, LostPackets, RetransmittedBytes, MaxMessage;
		// Since libp2pclient 1.1 (null with an older library).
		public double? RttVarMs, MinRttMs, AgeMs;
		public ulong? TxPackets, QueuedBytes, InFlightBytes;
	}

	public class Status
	{
		public string PeerId, ServerState, PublicAddr, ServerError, NatType;
		public uint LocalPort;
		// Since libp2pclient 1.3 ("" / 0 / null / empty with an older library).
		public string Version = "";
		public double UptimeS;
		public string ServerAddr, ServerNode;	// ServerNode: null on a single server
		public List<ServerNode> ServerNodes = new List<ServerNode>();
	}

	public class ServerNode
	{
		public string Id, Udp, Tcp;
	}

	// One sample of the agent's metrics (docs/METRICS.md), libp2pclient 1.3.
	public class Metric
	{
		public string Name, Type = "", Help = "";
		public Dictionary<string, string> Labels = new Dictionary<string, string>();
		public double Value;
	}

	// A server-managed group: a match group carries its attributes.
	public class GroupInfo
	{
		public string Name;
		public bool Mesh;
		public List<string> Members = new List<string>();
		public uint MemberCount;
		// Since libp2pclient 1.2 (empty / 0 with an older library).
		public Dictionary<string, string> Attributes = new Dictionary<string, string>();
		public ulong ExpiresAt;	// unix s; 0: none
	}

	public class GroupEvent
	{
		public string Event, Group, Peer;	// Event: member_join, member_leave, ...
	}

	public sealed class Client : IDisposable
	{
		public const int ETIMEDOUT = -6, ENOTFOUND = -3, EEXISTS = -11,
		    ENOTRUNNING = -20, EINVAL = -24;
		const string Lib = "libp2pclient.so.1";

		// The structs the library fills start with their size (docs/ABI.md).
		[StructLayout(LayoutKind.Sequential)]
		struct Event
		{
			public UIntPtr size; public int type;
			public IntPtr peer_id, service, group, state, path, reason;
			public uint pipe_id; public int eof, ok;
			public IntPtr data; public UIntPtr len;
			public uint channel, mode;
			public IntPtr ev, missing; public UIntPtr nmissing; public uint missing_count;
		}
		[StructLayout(LayoutKind.Sequential)]
		struct PeerC
		{
			public UIntPtr size;
			public IntPtr peer_id, path, remote_addr, state;
			public double rtt_ms; public ulong tx_bytes, rx_bytes;
			public IntPtr path_detail; public uint path_changes;
			public IntPtr congestion;
			public ulong cwnd_bytes, lost_packets, retransmitted_bytes, max_message;
			public double rttvar_ms, min_rtt_ms;
			public ulong tx_packets, queued_bytes, in_flight_bytes;
			public double age_ms;
		}
		[StructLayout(LayoutKind.Sequential)]
		struct PeersC { public UIntPtr size, n; public IntPtr v; }
		[StructLayout(LayoutKind.Sequential)]
		struct GroupMemberC { public UIntPtr size; public IntPtr peer_id; public int online; }
		[StructLayout(LayoutKind.Sequential)]
		struct GroupC
		{
			public UIntPtr size; public IntPtr name; public int mesh;
			public uint member_count; public UIntPtr n; public IntPtr members;
			public UIntPtr nattrs; public IntPtr attrs; public ulong expires_at;	// since 1.2
		}
		[StructLayout(LayoutKind.Sequential)]
		struct GroupsC { public UIntPtr size, n; public IntPtr v; public int truncated; }
		[StructLayout(LayoutKind.Sequential)]
		struct StatusC
		{
			public UIntPtr size;
			public IntPtr peer_id, server_state, public_addr, server_error,
			    server_transport, nat_type, nat_mapping, nat_filtering;
			public uint local_port;
			public ulong packets_in, packets_out, dropped, retransmitted, bytes_in, bytes_out;
			public IntPtr version; public double uptime_s;	// since 1.3
			public IntPtr server_addr, server_node, server_nodes; public UIntPtr n_server_nodes;
		}
		[StructLayout(LayoutKind.Sequential)]
		struct ServerNodeC { public UIntPtr size; public IntPtr id, udp, tcp; }
		[StructLayout(LayoutKind.Sequential)]
		struct MetricC
		{
			public UIntPtr size; public IntPtr name, type, help;
			public UIntPtr nlabels; public IntPtr labels; public double value;
		}
		[StructLayout(LayoutKind.Sequential)]
		struct MetricsC { public UIntPtr size, n; public IntPtr v; }

		[DllImport(Lib)] static extern IntPtr p2pclient_version();
		[DllImport(Lib)] static extern IntPtr p2pclient_open_ex(string path, out int code, StringBuilder err, UIntPtr errlen);
		[DllImport(Lib)] static extern void p2pclient_close(IntPtr c);
		[DllImport(Lib)] static extern IntPtr p2pclient_errmsg(IntPtr c);
		[DllImport(Lib)] static extern int p2pclient_fd(IntPtr c);
		[DllImport(Lib)] static extern int p2pclient_send(IntPtr c, string peer, string service, byte[] data, UIntPtr len, int flags);
		[DllImport(Lib)] static extern int p2pclient_bind(IntPtr c, string service);
		[DllImport(Lib)] static extern int p2pclient_recv(IntPtr c, string service, uint count, int timeout_ms, IntPtr cb, IntPtr arg, IntPtr[] outv);
		[DllImport(Lib)] static extern int p2pclient_subscribe(IntPtr c);
		[DllImport(Lib)] static extern int p2pclient_next_event(IntPtr c, int timeout_ms, out IntPtr ev);
		[DllImport(Lib)] static extern void p2pclient_event_free(IntPtr ev);
		[DllImport(Lib)] static extern int p2pclient_connect(IntPtr c, string peer, int timeout_ms);
		[DllImport(Lib)] static extern int p2pclient_ping(IntPtr c, string peer, int timeout_ms, out double rtt);
		[DllImport(Lib)] static extern int p2pclient_status(IntPtr c, out IntPtr st);
		[DllImport(Lib)] static extern void p2pclient_status_free(IntPtr st);
		[DllImport(Lib)] static extern int p2pclient_metrics(IntPtr c, out IntPtr ms);
		[DllImport(Lib)] static extern void p2pclient_metrics_free(IntPtr ms);
		[DllImport(Lib)] static extern int p2pclient_log_level(IntPtr c, string level, StringBuilder out_, UIntPtr outlen);
		[DllImport(Lib)] static extern int p2pclient_peers(IntPtr c, out IntPtr ps);
		[DllImport(Lib)] static extern void p2pclient_peers_free(IntPtr ps);
		[DllImport(Lib)] static extern int p2pclient_watch_peers(IntPtr c, uint interval_ms);
		[DllImport(Lib)] static extern int p2pclient_peer_stats(IntPtr c, string peer, out IntPtr p);
		[DllImport(Lib)] static extern void p2pclient_peer_free(IntPtr p);
		[DllImport(Lib)] static extern int p2pclient_group(IntPtr c, int op, string group);
		[DllImport(Lib)] static extern void p2pclient_groups_free(IntPtr gs);
		[DllImport(Lib)] static extern int p2pclient_match(IntPtr c, string[] attrs, UIntPtr nattrs, uint size, uint timeout_s, out IntPtr gs);
		[DllImport(Lib)] static extern int p2pclient_match_cancel(IntPtr c);
		[DllImport(Lib)] static extern int p2pclient_group_search(IntPtr c, string[] attrs, UIntPtr nattrs, out IntPtr gs);
		[DllImport(Lib)] static extern int p2pclient_group_send(IntPtr c, string group, string service, byte[] data, UIntPtr len, int flags, out UIntPtr nsent);

		IntPtr h;
		readonly HashSet<string> bound = new HashSet<string>();

		public static string Version { get { return Str(p2pclient_version()); } }

		// socket null: $P2PD_SOCKET, else /run/p2pd/p2pd.sock.
		public Client(string socket = null)
		{
			var err = new StringBuilder(512);
			int code;
			h = p2pclient_open_ex(socket, out code, err, (UIntPtr)err.Capacity);
			if (h == IntPtr.Zero)
				throw Error(code, err.ToString());
		}

		public void Dispose()
		{
			if (h != IntPtr.Zero) {
				p2pclient_close(h);
				h = IntPtr.Zero;
			}
		}

		// The library's fd, for an event loop.
		public int Fd { get { return p2pclient_fd(Handle); } }

		IntPtr Handle {
			get {
				if (h == IntPtr.Zero)
					throw new ObjectDisposedException("P2P.Client");
				return h;
			}
		}

		static string Str(IntPtr p) { return p == IntPtr.Zero ? null : Marshal.PtrToStringAnsi(p); }

		static P2PException Error(int code, string msg)
		{
			switch (code) {
			case ETIMEDOUT: return new P2PTimeoutException(code, msg);
			case ENOTRUNNING: return new NotRunningException(code, msg);
			case ENOTFOUND: return new NotFoundException(code, msg);
			default: return new P2PException(code, msg);
			}
		}

		int Check(int rc)
		{
			if (rc < 0)
				throw Error(rc, Str(p2pclient_errmsg(h)));
			return rc;
		}

		static int Ms(double? seconds) { return seconds == null ? -1 : (int)Math.Max(0, seconds.Value * 1000); }

		public static int Flags(Mode mode, int channel, Priority priority)
		{
			if (channel < 0 || channel > 255)
				throw new ArgumentOutOfRangeException("channel", "0..255");
			return ((int)mode << 1) | (channel << 8) | ((int)priority << 16);
		}

		public void Send(string peer, byte[] data, string service = null,
		    Mode mode = Mode.Reliable, int channel = 0, Priority priority = Priority.Normal)
		{
			Check(p2pclient_send(Handle, peer, service, data, (UIntPtr)data.Length,
			    Flags(mode, channel, priority)));
		}

		public void Send(string peer, string text, string service = null,
		    Mode mode = Mode.Reliable, int channel = 0, Priority priority = Priority.Normal)
		{
			Send(peer, Encoding.UTF8.GetBytes(text), service, mode, channel, priority);
		}

		public void Bind(string service = null)
		{
			string key = service ?? "default";
			if (bound.Contains(key))
				return;
			Check(p2pclient_bind(Handle, service));
			bound.Add(key);
		}

		static Message ToMessage(Event e)
		{
			var m = new Message();
			m.Peer = Str(e.peer_id);
			m.Service = Str(e.service);
			m.Group = Str(e.group);
			if (m.Group == "")
				m.Group = null;
			m.Channel = (int)e.channel;
			m.Mode = (Mode)e.mode;
			m.Data = new byte[(int)e.len];
			if (m.Data.Length > 0)
				Marshal.Copy(e.data, m.Data, 0, m.Data.Length);
			return m;
		}

		// The next message for service (bound first); P2PTimeoutException
		// when none came within timeout seconds (null: wait forever).
		public Message Recv(string service = null, double? timeout = null)
		{
			Bind(service);
			var outv = new IntPtr[1];
			int n = Check(p2pclient_recv(Handle, service, 1, Ms(timeout), IntPtr.Zero, IntPtr.Zero, outv));
			if (n == 0)
				throw new P2PTimeoutException(ETIMEDOUT, "no message for " +
				    (service ?? "default") + " within " + timeout + " s");
			try {
				return ToMessage(Marshal.PtrToStructure<Event>(outv[0]));
			} finally {
				p2pclient_event_free(outv[0]);
			}
		}

		// The group events the agent sends (after Subscribe), or null after
		// timeout seconds without one.
		public void Subscribe() { Check(p2pclient_subscribe(Handle)); }

		public GroupEvent NextGroupEvent(double? timeout = null)
		{
			for (;;) {
				IntPtr p;
				int rc = p2pclient_next_event(Handle, Ms(timeout), out p);
				if (rc == ETIMEDOUT)
					return null;
				Check(rc);
				try {
					var e = Marshal.PtrToStructure<Event>(p);
					if (e.type != 5)
						continue;	// other kinds: not asked for here
					return new GroupEvent { Event = Str(e.ev), Group = Str(e.group), Peer = Str(e.peer_id) };
				} finally {
					p2pclient_event_free(p);
				}
			}
		}

		public void Connect(string peer, double timeout = 10) { Check(p2pclient_connect(Handle, peer, Ms(timeout))); }

		public double Ping(string peer, double timeout = 5)
		{
			double rtt;
			Check(p2pclient_ping(Handle, peer, Ms(timeout), out rtt));
			return rtt;
		}

		public Status Status()
		{
			IntPtr p;
			Check(p2pclient_status(Handle, out p));
			try {
				var s = Marshal.PtrToStructure<StatusC>(p);
				var st = new Status { PeerId = Str(s.peer_id), ServerState = Str(s.server_state),
				    PublicAddr = Str(s.public_addr), ServerError = Str(s.server_error),
				    NatType = Str(s.nat_type), LocalPort = s.local_port };
				if ((long)s.size.ToUInt64() >= Marshal.SizeOf<StatusC>()) {
					st.Version = Str(s.version) ?? "";
					st.UptimeS = s.uptime_s;
					st.ServerAddr = Str(s.server_addr);
					st.ServerNode = Str(s.server_node);
					for (long i = 0; i < (long)s.n_server_nodes.ToUInt64(); i++) {
						var n = Marshal.PtrToStructure<ServerNodeC>(
						    Marshal.ReadIntPtr(s.server_nodes, (int)(i * IntPtr.Size)));
						st.ServerNodes.Add(new ServerNode { Id = Str(n.id), Udp = Str(n.udp), Tcp = Str(n.tcp) });
					}
				}
				return st;
			} finally {
				p2pclient_status_free(p);
			}
		}

		// Every sample of the agent's metrics (libp2pclient 1.3).
		public List<Metric> Metrics()
		{
			IntPtr p;
			Check(p2pclient_metrics(Handle, out p));
			try {
				var ms = Marshal.PtrToStructure<MetricsC>(p);
				var list = new List<Metric>();
				for (long i = 0; i < (long)ms.n.ToUInt64(); i++) {
					var m = Marshal.PtrToStructure<MetricC>(
					    Marshal.ReadIntPtr(ms.v, (int)(i * IntPtr.Size)));
					var x = new Metric { Name = Str(m.name), Type = Str(m.type) ?? "",
					    Help = Str(m.help) ?? "", Value = m.value };
					for (long j = 0; j < (long)m.nlabels.ToUInt64(); j++)
						x.Labels[Str(Marshal.ReadIntPtr(m.labels, (int)(2 * j * IntPtr.Size)))] =
						    Str(Marshal.ReadIntPtr(m.labels, (int)((2 * j + 1) * IntPtr.Size)));
					list.Add(x);
				}
				return list;
			} finally {
				p2pclient_metrics_free(p);
			}
		}

		// Set the agent's log level (error, warning, info, debug) until its next
		// change or reload; null leaves it. The level in force (libp2pclient 1.3).
		public string LogLevel(string level = null)
		{
			var sb = new StringBuilder(16);
			Check(p2pclient_log_level(Handle, level, sb, (UIntPtr)sb.Capacity));
			return sb.ToString();
		}

		static bool Has(PeerC p, string field)
		{
			long off = Marshal.OffsetOf(typeof(PeerC), field).ToInt64();
			return (long)p.size.ToUInt64() >= off + 8;
		}

		static PeerInfo ToPeer(IntPtr ptr)
		{
			var p = Marshal.PtrToStructure<PeerC>(ptr);
			var i = new PeerInfo { Peer = Str(p.peer_id), State = Str(p.state), Path = Str(p.path),
			    RemoteAddr = Str(p.remote_addr), PathDetail = Str(p.path_detail),
			    Congestion = Str(p.congestion), RttMs = p.rtt_ms, TxBytes = p.tx_bytes,
			    RxBytes = p.rx_bytes, CwndBytes = p.cwnd_bytes, LostPackets = p.lost_packets,
			    RetransmittedBytes = p.retransmitted_bytes, MaxMessage = p.max_message };
			if (Has(p, "age_ms")) {
				i.RttVarMs = p.rttvar_ms; i.MinRttMs = p.min_rtt_ms; i.AgeMs = p.age_ms;
				i.TxPackets = p.tx_packets; i.QueuedBytes = p.queued_bytes;
				i.InFlightBytes = p.in_flight_bytes;
			}
			return i;
		}

		public List<PeerInfo> Peers()
		{
			IntPtr p;
			Check(p2pclient_peers(Handle, out p));
			try {
				var ps = Marshal.PtrToStructure<PeersC>(p);
				var l = new List<PeerInfo>();
				for (int i = 0; i < (int)ps.n; i++)
					l.Add(ToPeer(Marshal.ReadIntPtr(ps.v, i * IntPtr.Size)));
				return l;
			} finally {
				p2pclient_peers_free(p);
			}
		}

		// Ask for pushed figures every interval seconds (true: the agent pushes).
		public bool WatchPeers(double interval) { return Check(p2pclient_watch_peers(Handle, (uint)(interval * 1000))) == 1; }

		// RTT, loss, queued bytes of the session with peer; NotFoundException without one.
		public PeerInfo PeerStats(string peer)
		{
			IntPtr p;
			Check(p2pclient_peer_stats(Handle, peer, out p));
			try {
				return ToPeer(p);
			} finally {
				p2pclient_peer_free(p);
			}
		}

		public void GroupCreate(string g) { Check(p2pclient_group(Handle, 1, g)); }
		public void GroupDestroy(string g) { Check(p2pclient_group(Handle, 2, g)); }
		public void GroupJoin(string g) { Check(p2pclient_group(Handle, 3, g)); }
		public void GroupLeave(string g) { Check(p2pclient_group(Handle, 4, g)); }

		// To every other member of the group; returns how many got it.
		public int GroupSend(string g, byte[] data, string service = null)
		{
			UIntPtr n;
			Check(p2pclient_group_send(Handle, g, service, data, (UIntPtr)data.Length, 0, out n));
			return (int)n;
		}

		static string[] Attrs(IDictionary<string, string> attrs)
		{
			var kv = new List<string>();
			foreach (var p in attrs)
				kv.Add(p.Key + "=" + p.Value);
			return kv.ToArray();
		}

		static List<GroupInfo> ToGroups(IntPtr gs)
		{
			var list = new List<GroupInfo>();
			try {
				var g = Marshal.PtrToStructure<GroupsC>(gs);
				for (int i = 0; i < (int)g.n; i++) {
					IntPtr gp = Marshal.ReadIntPtr(g.v, i * IntPtr.Size);
					var gc = Marshal.PtrToStructure<GroupC>(gp);
					var info = new GroupInfo { Name = Str(gc.name), Mesh = gc.mesh != 0, MemberCount = gc.member_count };
					for (int j = 0; j < (int)gc.n; j++) {
						var m = Marshal.PtrToStructure<GroupMemberC>(Marshal.ReadIntPtr(gc.members, j * IntPtr.Size));
						info.Members.Add(Str(m.peer_id));
					}
					if ((ulong)gc.size >= (ulong)Marshal.SizeOf<GroupC>()) {
						for (int j = 0; j < (int)gc.nattrs; j++) {
							string kv = Str(Marshal.ReadIntPtr(gc.attrs, j * IntPtr.Size));
							int eq = kv.IndexOf('=');
							if (eq > 0)
								info.Attributes[kv.Substring(0, eq)] = kv.Substring(eq + 1);
						}
						info.ExpiresAt = gc.expires_at;
					}
					list.Add(info);
				}
			} finally {
				p2pclient_groups_free(gs);
			}
			return list;
		}

		// Matchmaking (since libp2pclient 1.2): a group of size devices whose
		// attributes all equal these, waiting up to timeout seconds (null:
		// the server's 60). P2PTimeoutException when no match came.
		public GroupInfo Match(IDictionary<string, string> attrs, int size, int? timeout = null)
		{
			IntPtr gs;
			var kv = Attrs(attrs);
			if (size < 0 || (timeout != null && timeout.Value < 1))
				throw new ArgumentOutOfRangeException(size < 0 ? "size" : "timeout");
			Check(p2pclient_match(Handle, kv, (UIntPtr)kv.Length, (uint)size,
			    timeout == null ? 0u : (uint)timeout.Value, out gs));
			var list = ToGroups(gs);
			if (list.Count != 1)
				throw new P2PException(-22, "p2pd answered without the match group");
			return list[0];
		}

		// Cancel this device's waiting ticket (NotFoundException if none).
		public void MatchCancel() { Check(p2pclient_match_cancel(Handle)); }

		// The groups this peer may see having all these attributes (no members).
		public List<GroupInfo> GroupSearch(IDictionary<string, string> attrs)
		{
			IntPtr gs;
			var kv = Attrs(attrs);
			Check(p2pclient_group_search(Handle, kv, (UIntPtr)kv.Length, out gs));
			return ToGroups(gs);
		}
	}
}
