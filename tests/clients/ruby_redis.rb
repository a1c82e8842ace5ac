# Client matrix: redis-rb (Debian's ruby-redis) with its default settings.
#
# The scenario every client in tests/clients runs (see python_redis.py), through redis-rb's
# own API and its reply shapes (hashes for XREAD, XPENDING, XINFO). Prints `PASS protocol=N`.
require 'redis'

PORT = Integer(ENV.fetch('RUNNEL_PORT'))

def check(cond, what)
  raise "FAIL #{what}" unless cond
end

# Polls INFO until n clients are blocked: the observable state, not a sleep.
def wait_blocked(r, n)
  deadline = Time.now + 10
  until r.info('clients')['blocked_clients'].to_i >= n
    check(Time.now < deadline, 'the XREAD never blocked')
    sleep 0.005
  end
end

r = Redis.new(port: PORT)
r.del('s', 't', 'p')

id1 = r.xadd('s', { n: '1' })
id2 = r.xadd('s', { n: '2' })
check(r.xlen('s') == 2, 'XLEN')
check(r.xrange('s') == [[id1, { 'n' => '1' }], [id2, { 'n' => '2' }]], 'XRANGE')

# XREAD BLOCK on a second connection (in a thread), woken by an XADD on the first.
reader = Thread.new { Redis.new(port: PORT).xread('s', '$', block: 10_000) }
wait_blocked(r, 1)
id3 = r.xadd('s', { n: '3' })
got = reader.value
check(got == { 's' => [[id3, { 'n' => '3' }]] }, "XREAD BLOCK #{got.inspect}")

# Consumer groups.
check(r.xgroup(:create, 's', 'g', '0') == 'OK', 'XGROUP CREATE')
read = r.xreadgroup('g', 'c1', 's', '>', count: 2)
check(read == { 's' => [[id1, { 'n' => '1' }], [id2, { 'n' => '2' }]] }, 'XREADGROUP')
check(r.xack('s', 'g', id1) == 1, 'XACK')
pending = r.xpending('s', 'g')
check(pending == { 'size' => 1, 'min_entry_id' => id2, 'max_entry_id' => id2,
                   'consumers' => { 'c1' => '1' } }, "XPENDING #{pending.inspect}")
claimed = r.xclaim('s', 'g', 'c2', 0, id2)
check(claimed == [[id2, { 'n' => '2' }]], "XCLAIM #{claimed.inspect}")
auto = r.xautoclaim('s', 'g', 'c3', 0, '0-0')
check(auto == { 'next' => '0-0', 'entries' => [[id2, { 'n' => '2' }]] },
      "XAUTOCLAIM #{auto.inspect}")
detail = r.xpending('s', 'g', '-', '+', 10)
check(detail.size == 1 && detail[0]['consumer'] == 'c3' && detail[0]['count'] == 3,
      "XPENDING - + 10 #{detail.inspect}")

info = r.xinfo(:stream, 's')
check(info['length'] == 3 && info['groups'] == 1 && info['last-generated-id'] == id3,
      "XINFO STREAM #{info.inspect}")
groups = r.xinfo(:groups, 's')
check(groups.size == 1 && groups[0]['name'] == 'g' && groups[0]['pending'] == 1,
      "XINFO GROUPS #{groups.inspect}")
consumers = r.xinfo(:consumers, 's', 'g').map { |c| c['name'] }.sort
check(consumers == %w[c1 c2 c3], 'XINFO CONSUMERS')

# MULTI/EXEC and a plain pipeline.
results = r.multi do |tx|
  tx.xadd('t', { a: '1' })
  tx.xadd('t', { a: '2' })
  tx.xlen('t')
end
check(results.size == 3 && results[2] == 2, "MULTI/EXEC #{results.inspect}")
results = r.pipelined do |pipe|
  100.times { |i| pipe.xadd('p', { i: i.to_s }) }
  pipe.xlen('p')
end
check(results.size == 101 && results[-1] == 100, 'pipeline')

resp = r.call('CLIENT', 'INFO')[/ resp=(\d)/, 1]
puts "PASS protocol=#{resp}"
