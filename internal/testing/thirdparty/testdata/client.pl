#!/usr/bin/perl
# Perl's Net::Stomp (Debian libnet-stomp-perl) runs the suite's scenario and prints its transcript.
#
# Usage: perl client.pl HOST PORT LOGIN PASSCODE PREFIX   (LOGIN "" for none)
# The scenario and the transcript's lines are described in clients_test.go.
# It speaks STOMP 1.1 (ACK/NACK by message-id and subscription), and reads one
# frame at a time, so the transcript shows the wire order.
use strict;
use warnings;
use Net::Stomp;
use Net::Stomp::Frame;
use Time::HiRes qw(time);

my ($host, $port, $login, $passcode, $prefix) = @ARGV;
my ($qa, $qb) = ("/queue/$prefix-a", "/queue/$prefix-b");
$| = 1;

my $stomp = Net::Stomp->new({ hostname => $host, port => $port, reconnect_attempts => 1 });
my %connect = ('accept-version' => '1.1', host => '/');
%connect = (%connect, login => $login, passcode => $passcode) if $login ne '';
my $c = $stomp->connect(\%connect);
die "no CONNECTED: " . ($c ? $c->as_string : 'nothing') . "\n" unless $c && $c->command eq 'CONNECTED';
print "CONNECTED\n";

# frame sends a frame that Net::Stomp has no method for.
sub frame {
    my ($command, %headers) = @_;
    $stomp->send_frame(Net::Stomp::Frame->new({ command => $command, headers => \%headers }));
}

# collect prints frames until RECEIPT $receipt and $messages messages came, or
# TIMEOUT; it returns the messages.
sub collect {
    my ($receipt, $messages, $timeout) = @_;
    $messages //= 0;
    $timeout //= 5;
    my @got;
    my $seen = !defined $receipt;
    my $deadline = time + $timeout;
    until ($seen && @got >= $messages) {
        my $left = $deadline - time;
        my $f = $left > 0 ? $stomp->receive_frame({ timeout => $left }) : undef;
        if (!$f) {
            print "TIMEOUT\n";
            return @got;
        }
        my $cmd = $f->command;
        if ($cmd eq 'RECEIPT') {
            my $id = $f->headers->{'receipt-id'};
            print "RECEIPT $id\n";
            $seen = 1 if defined $receipt && $id eq $receipt;
        } elsif ($cmd eq 'MESSAGE') {
            my $r = ($f->headers->{redelivered} // '') eq 'true' ? ' redelivered' : '';
            print "MESSAGE ", $f->body, "$r\n";
            push @got, $f;
        } else {
            print "$cmd ", ($f->headers->{message} // ''), "\n";
        }
    }
    return @got;
}

$stomp->send({ destination => $qa, body => 'one', receipt => 'send-1' });
collect('send-1');
$stomp->send({ destination => $qa, body => 'two', receipt => 'send-2' });
collect('send-2');

$stomp->subscribe({ destination => $qa, id => 'sub-a', ack => 'client-individual', receipt => 'sub-a' });
my @got = collect('sub-a', 2);
if (@got == 2) {
    frame('BEGIN', transaction => 'tx-ack');
    $stomp->ack({ frame => $got[0], subscription => 'sub-a', transaction => 'tx-ack' });
    frame('ABORT', transaction => 'tx-ack');
    $stomp->nack({ frame => $got[1], subscription => 'sub-a' });
    my @again = collect(undef, 1, 1.5);
    if (@again) {
        $stomp->ack({ frame => $again[0], subscription => 'sub-a', receipt => 'ack-again' });
        collect('ack-again');
    }
}
$stomp->unsubscribe({ destination => $qa, id => 'sub-a', receipt => 'unsub-a' });
collect('unsub-a');

$stomp->subscribe({ destination => $qa, id => 'sub-c', ack => 'client-individual', receipt => 'sub-c' });
@got = collect('sub-c', 1, 1.5);
if (@got) {
    frame('BEGIN', transaction => 'tx-ack2');
    $stomp->ack({ frame => $got[0], subscription => 'sub-c', transaction => 'tx-ack2' });
    frame('COMMIT', transaction => 'tx-ack2');
}
$stomp->unsubscribe({ destination => $qa, id => 'sub-c', receipt => 'unsub-c' });
collect('unsub-c');
$stomp->send({ destination => $qa, body => 'end', receipt => 'send-end' });
collect('send-end');
$stomp->subscribe({ destination => $qa, id => 'sub-d', ack => 'auto', receipt => 'sub-d' });
collect('sub-d', 1);

frame('BEGIN', transaction => 'tx-1');
$stomp->send({ destination => $qb, body => 'tx-committed', transaction => 'tx-1' });
frame('COMMIT', transaction => 'tx-1');
frame('BEGIN', transaction => 'tx-2');
$stomp->send({ destination => $qb, body => 'tx-aborted', transaction => 'tx-2' });
frame('ABORT', transaction => 'tx-2');
$stomp->send({ destination => $qb, body => 'after', receipt => 'send-after' });
collect('send-after');
$stomp->subscribe({ destination => $qb, id => 'sub-b', ack => 'auto', receipt => 'sub-b' });
collect('sub-b', 2);

# Net::Stomp's disconnect asks for no receipt: send the frame ourselves.
frame('DISCONNECT', receipt => 'disconnect');
collect('disconnect', 0, 2);
print "DONE\n";
