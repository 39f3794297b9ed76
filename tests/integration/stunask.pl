#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# stunask.pl HOST PORT [ip|port|both]: one STUN Binding request (RFC 5389),
# with a CHANGE-REQUEST (RFC 5780) when asked; prints the XOR-MAPPED-ADDRESS
# and the address the answer came from, "MAPPED_IP MAPPED_PORT FROM_IP
# FROM_PORT", or exits 1 after 3 tries of 1 s. Independent of p2pd's code.
use strict;
use warnings;
use IO::Socket::IP;
use Socket qw(getnameinfo inet_ntop AF_INET6 NI_NUMERICHOST NI_NUMERICSERV);

my ($host, $port, $change) = @ARGV;
die "usage: stunask.pl HOST PORT [ip|port|both]\n" unless defined $port;
my $s = IO::Socket::IP->new(PeerHost => $host, PeerPort => $port,
    Proto => 'udp') or die "stunask: $host $port: $@\n";
my $cookie = pack('N', 0x2112A442);
my $tid = join('', map { chr(int(rand(256))) } 1 .. 12);
my $attrs = '';
if (defined $change) {
	my $f = { ip => 4, port => 2, both => 6 }->{$change};
	die "stunask: change '$change': ip, port or both\n" unless defined $f;
	$attrs = pack('nnN', 0x0003, 4, $f);
}
my $req = pack('nn', 0x0001, length($attrs)) . $cookie . $tid . $attrs;
my $rin = '';
vec($rin, fileno($s), 1) = 1;
for my $try (1 .. 3) {
	# Connected: answers from another address need an unconnected socket.
	my $u = IO::Socket::IP->new(Proto => 'udp',
	    Family => $s->sockdomain) or die "stunask: socket: $@\n";
	$u->send($req, 0, $s->peername) or die "stunask: send: $!\n";
	my $r = '';
	vec($r, fileno($u), 1) = 1;
	next unless select($r, undef, undef, 1);
	my $from = $u->recv(my $buf, 2048, 0);
	next unless defined $from && length($buf) >= 20;
	next unless substr($buf, 8, 12) eq $tid;
	my ($err, $fh, $fp) = getnameinfo($from, NI_NUMERICHOST | NI_NUMERICSERV);
	my $i = 20;
	while ($i + 4 <= length($buf)) {
		my ($t, $l) = unpack('nn', substr($buf, $i, 4));
		my $v = substr($buf, $i + 4, $l);
		if ($t == 0x0020) {
			my ($fam, $xp) = unpack('xCn', $v);
			my $p = $xp ^ 0x2112;
			my $ip;
			if ($fam == 1) {
				$ip = join('.', unpack('C4', substr($v, 4, 4) ^ $cookie));
			} else {
				my $a = substr($v, 4, 16) ^ ($cookie . $tid);
				$ip = inet_ntop(AF_INET6, $a);
			}
			print "$ip $p $fh $fp\n";
			exit 0;
		}
		$i += 4 + (($l + 3) & ~3);
	}
}
exit 1;
