// Client matrix: ioredis (npm) with its default settings (RESP3 since ioredis 6).
//
// The scenario every client in tests/clients runs (see python_redis.py), through ioredis's
// own API: commands as methods, multi().exec() and pipeline().exec(). ioredis hands RESP3
// maps back as flat [key, value, ...] arrays, as it did for RESP2. Prints `PASS protocol=N`.
'use strict';
const Redis = require('ioredis');
const assert = require('assert/strict');

const port = Number(process.env.RUNNEL_PORT);

// Pub/Sub through ioredis's subscriber mode (a second connection) and its events.
async function pubsub(r) {
  const sub = new Redis({ port });
  const got = [];
  sub.on('message', (channel, message) => got.push(['message', channel, message]));
  sub.on('pmessage', (pattern, channel, message) => got.push(['pmessage', pattern, channel, message]));
  assert.equal(await sub.subscribe('news'), 1);
  assert.equal(await sub.psubscribe('n*'), 2);
  assert.equal(await r.publish('news', 'hello'), 2);
  const deadline = Date.now() + 5000;
  while (got.length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.deepEqual(got, [['message', 'news', 'hello'], ['pmessage', 'n*', 'news', 'hello']]);
  assert.deepEqual(await r.pubsub('NUMSUB', 'news', 'none'), ['news', 1, 'none', 0]);
  assert.deepEqual(await r.pubsub('CHANNELS'), ['news']);
  assert.equal(await r.pubsub('NUMPAT'), 1);
  await sub.unsubscribe('news');
  await sub.punsubscribe('n*');
  assert.equal(await r.publish('news', 'nobody'), 0);
  sub.disconnect();
}

// Keyspace notifications of stream events, received through ioredis's pattern subscription.
async function keyspaceNotifications(r) {
  await r.config('SET', 'notify-keyspace-events', 'Kt');
  const sub = new Redis({ port });
  try {
    const got = [];
    sub.on('pmessage', (pattern, channel, message) => got.push([channel, message]));
    await sub.psubscribe('__keyspace@0__:events');
    await r.xadd('events', '*', 'f', 'v');
    await r.xtrim('events', 'MAXLEN', 0);
    const deadline = Date.now() + 5000;
    while (got.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const space = '__keyspace@0__:events';
    assert.deepEqual(got, [[space, 'xadd'], [space, 'xtrim']]);
  } finally {
    await r.config('SET', 'notify-keyspace-events', '');
    await r.del('events');
    sub.disconnect();
  }
}

// Polls INFO until n clients are blocked: the observable state, not a sleep.
async function waitBlocked(r, n) {
  const deadline = Date.now() + 10000;
  while (Number(/blocked_clients:(\d+)/.exec(await r.info('clients'))[1]) < n) {
    assert.ok(Date.now() < deadline, 'the XREAD never blocked');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function main() {
  const r = new Redis({ port });
  await r.del('s', 't', 'p');

  const id1 = await r.xadd('s', '*', 'n', '1');
  const id2 = await r.xadd('s', '*', 'n', '2');
  assert.equal(await r.xlen('s'), 2);
  assert.deepEqual(await r.xrange('s', '-', '+'), [[id1, ['n', '1']], [id2, ['n', '2']]]);

  // XREAD BLOCK on a second connection, woken by an XADD on the first.
  const reader = new Redis({ port });
  const blocked = reader.xread('BLOCK', 10000, 'STREAMS', 's', '$');
  await waitBlocked(r, 1);
  const id3 = await r.xadd('s', '*', 'n', '3');
  assert.deepEqual(await blocked, [['s', [[id3, ['n', '3']]]]]);
  reader.disconnect();

  // Consumer groups.
  assert.equal(await r.xgroup('CREATE', 's', 'g', '0'), 'OK');
  assert.deepEqual(await r.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 2, 'STREAMS', 's', '>'),
    [['s', [[id1, ['n', '1']], [id2, ['n', '2']]]]]);
  assert.equal(await r.xack('s', 'g', id1), 1);
  assert.deepEqual(await r.xpending('s', 'g'), [1, id2, id2, [['c1', '1']]]);
  assert.deepEqual(await r.xclaim('s', 'g', 'c2', 0, id2), [[id2, ['n', '2']]]);
  assert.deepEqual(await r.xautoclaim('s', 'g', 'c3', 0, '0-0'), ['0-0', [[id2, ['n', '2']]], []]);
  const [[pendingId, owner, , deliveries]] = await r.xpending('s', 'g', '-', '+', 10);
  assert.deepEqual([pendingId, owner, deliveries], [id2, 'c3', 3]);

  const info = await r.xinfo('STREAM', 's');
  const field = (flat, name) => flat[flat.indexOf(name) + 1];
  assert.equal(field(info, 'length'), 3);
  assert.equal(field(info, 'groups'), 1);
  assert.equal(field(info, 'last-generated-id'), id3);
  const groups = await r.xinfo('GROUPS', 's');
  assert.equal(groups.length, 1);
  assert.equal(field(groups[0], 'name'), 'g');
  assert.equal(field(groups[0], 'pending'), 1);

  // MULTI/EXEC and a plain pipeline; each result is [error, value].
  const tx = await r.multi().xadd('t', '*', 'a', '1').xadd('t', '*', 'a', '2').xlen('t').exec();
  assert.deepEqual(tx.map(([err]) => err), [null, null, null]);
  assert.equal(tx[2][1], 2);
  const pipe = r.pipeline();
  for (let i = 0; i < 100; i++) pipe.xadd('p', '*', 'i', String(i));
  pipe.xlen('p');
  const results = await pipe.exec();
  assert.equal(results.length, 101);
  assert.deepEqual(results[100], [null, 100]);

  await pubsub(r);
  await keyspaceNotifications(r);

  const resp = /\bresp=(\d)/.exec(await r.client('INFO'))[1];
  await r.quit();
  console.log(`PASS protocol=${resp}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
