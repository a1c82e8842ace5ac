# Client matrix: Redis.pm (Debian's libredis-perl) with its default settings.
#
# The scenario every client in tests/clients runs (see python_redis.py), through Redis.pm's
# own API: method calls named after the commands, callbacks plus wait_all_responses for the
# blocked XREAD (sent, then waited for after another connection's XADD) and for the
# pipeline. Prints `PASS protocol=N`.
use strict;
use warnings;
use Redis;
use Time::HiRes qw(sleep time);

my $server = "127.0.0.1:$ENV{RUNNEL_PORT}";

sub check { my ($cond, $what) = @_; die "FAIL $what\n" unless $cond; }

# An entry reply [id, [field, value, ...]] as "id:field=value,...", for easy comparison.
sub entry { my ($e) = @_; my %f = @{ $e->[1] }; "$e->[0]:" . join(',', map {"$_=$f{$_}"} sort keys %f) }

# Polls INFO until n clients are blocked: the observable state, not a sleep.
sub wait_blocked {
  my ($r, $n) = @_;
  my $deadline = time + 10;
  until ($r->info('clients')->{blocked_clients} >= $n) {
    check(time < $deadline, 'the XREAD never blocked');
    sleep 0.005;
  }
}

my $r = Redis->new(server => $server);
$r->del('s', 't', 'p');

my $id1 = $r->xadd('s', '*', n => 1);
my $id2 = $r->xadd('s', '*', n => 2);
check($r->xlen('s') == 2, 'XLEN');
my @range = $r->xrange('s', '-', '+');
check(@range == 2 && entry($range[0]) eq "$id1:n=1" && entry($range[1]) eq "$id2:n=2", 'XRANGE');

# XREAD BLOCK on a second connection, sent with a callback and waited for after the XADD.
my $blocked = Redis->new(server => $server);
my @got;
$blocked->xread('BLOCK', 10000, 'STREAMS', 's', '$', sub { my ($reply, $err) = @_; die $err if $err; @got = @$reply });
wait_blocked($r, 1);
my $id3 = $r->xadd('s', '*', n => 3);
$blocked->wait_all_responses;
check(@got == 1 && $got[0][0] eq 's' && entry($got[0][1][0]) eq "$id3:n=3", 'XREAD BLOCK');

# Consumer groups.
check($r->xgroup('CREATE', 's', 'g', '0') eq 'OK', 'XGROUP CREATE');
my @read = $r->xreadgroup('GROUP', 'g', 'c1', 'COUNT', 2, 'STREAMS', 's', '>');
my @entries = @{ $read[0][1] };
check(@entries == 2 && entry($entries[0]) eq "$id1:n=1" && entry($entries[1]) eq "$id2:n=2", 'XREADGROUP');
check($r->xack('s', 'g', $id1) == 1, 'XACK');
my @pending = $r->xpending('s', 'g');
check($pending[0] == 1 && $pending[1] eq $id2 && $pending[3][0][0] eq 'c1', 'XPENDING');
my @claimed = $r->xclaim('s', 'g', 'c2', 0, $id2);
check(@claimed == 1 && entry($claimed[0]) eq "$id2:n=2", 'XCLAIM');
my @auto = $r->xautoclaim('s', 'g', 'c3', 0, '0-0');
check($auto[0] eq '0-0' && @{ $auto[1] } == 1 && entry($auto[1][0]) eq "$id2:n=2", 'XAUTOCLAIM');
my @detail = $r->xpending('s', 'g', '-', '+', 10);
check(@detail == 1 && $detail[0][1] eq 'c3' && $detail[0][3] == 3, 'XPENDING - + 10');
my %info = $r->xinfo('STREAM', 's');
check($info{length} == 3 && $info{groups} == 1 && $info{'last-generated-id'} eq $id3, 'XINFO STREAM');
my @groups = $r->xinfo('GROUPS', 's');
my %group = @{ $groups[0] };
check(@groups == 1 && $group{name} eq 'g' && $group{pending} == 1, 'XINFO GROUPS');

# MULTI/EXEC, then a plain pipeline (callbacks, then one wait).
$r->multi;
$r->xadd('t', '*', a => 1);
$r->xadd('t', '*', a => 2);
$r->xlen('t');
my @results = $r->exec;
check(@results == 3 && $results[2] == 2, 'MULTI/EXEC');
my @replies;
$r->xadd('p', '*', i => $_, sub { push @replies, $_[0] }) for 1 .. 100;
$r->xlen('p', sub { push @replies, $_[0] });
$r->wait_all_responses;
check(@replies == 101 && $replies[-1] == 100, 'pipeline');

my ($resp) = $r->client('INFO') =~ / resp=(\d)/;
print "PASS protocol=$resp\n";
