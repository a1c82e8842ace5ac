// Client matrix: node-redis (npm package `redis`) with its default settings (RESP3 since
// node-redis 6).
//
// The scenario every client in tests/clients runs (see python_redis.py), through
// node-redis's own API and its typed replies (objects for XREAD, XPENDING, XINFO).
// Prints `PASS protocol=N`.
'use strict';
const { createClient } = require('redis');
const assert = require('assert/strict');

const port = Number(process.env.RUNNEL_PORT);

async function connect() {
  const client = createClient({ socket: { port } });
  client.on('error', (err) => { console.error(err); process.exit(1); });
  await client.connect();
  return client;
}

// Polls INFO until n clients are blocked: the observable state, not a sleep.
async function waitBlocked(r, n) {
  const deadline = Date.now() + 10000;
  while (Number(/blocked_clients:(\d+)/.exec(await r.info('clients'))[1]) < n) {
    assert.ok(Date.now() < deadline, 'the XREAD never blocked');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const entry = (id, message) => ({ id, message });

// Pub/Sub through node-redis's subscriber API, on a duplicate of the main connection.
async function pubsub(r) {
  const sub = r.duplicate();
  await sub.connect();
  const got = [];
  await sub.subscribe('news', (message, channel) => got.push(['message', channel, message]));
  await sub.pSubscribe('n*', (message, channel) => got.push(['pmessage', channel, message]));
  assert.equal(await r.publish('news', 'hello'), 2);
  const deadline = Date.now() + 5000;
  while (got.length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.deepEqual(got.sort(), [['message', 'news', 'hello'], ['pmessage', 'news', 'hello']]);
  assert.deepEqual(await r.pubSubNumSub(['news', 'none']), { news: 1, none: 0 });
  assert.deepEqual(await r.pubSubChannels(), ['news']);
  assert.equal(await r.pubSubNumPat(), 1);
  await sub.unsubscribe('news');
  await sub.pUnsubscribe('n*');
  assert.equal(await r.publish('news', 'nobody'), 0);
  await sub.quit();
}

// Keyspace notifications of stream events, through node-redis's pattern subscription.
async function keyspaceNotifications(r) {
  await r.configSet('notify-keyspace-events', 'Et');
  const sub = r.duplicate();
  await sub.connect();
  try {
    const got = [];
    await sub.pSubscribe('__keyevent@0__:xgroup-*',
      (message, channel) => got.push([channel, message]));
    await r.xAdd('events', '*', { f: 'v' });
    await r.xGroupCreate('events', 'g', '0');
    await r.xGroupCreateConsumer('events', 'g', 'c');
    const deadline = Date.now() + 5000;
    while (got.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(got, [['__keyevent@0__:xgroup-create', 'events'],
                           ['__keyevent@0__:xgroup-createconsumer', 'events']]);
  } finally {
    await r.configSet('notify-keyspace-events', '');
    await r.del('events');
    await sub.quit();
  }
}

async function main() {
  const r = await connect();
  await r.del(['s', 't', 'p']);

  const id1 = await r.xAdd('s', '*', { n: '1' });
  const id2 = await r.xAdd('s', '*', { n: '2' });
  assert.equal(await r.xLen('s'), 2);
  assert.deepEqual(await r.xRange('s', '-', '+'), [entry(id1, { n: '1' }), entry(id2, { n: '2' })]);

  // XREAD BLOCK on a second connection, woken by an XADD on the first.
  const reader = await connect();
  const blocked = reader.xRead({ key: 's', id: '$' }, { BLOCK: 10000 });
  await waitBlocked(r, 1);
  const id3 = await r.xAdd('s', '*', { n: '3' });
  assert.deepEqual(await blocked, [{ name: 's', messages: [entry(id3, { n: '3' })] }]);
  await reader.quit();

  // Consumer groups.
  assert.equal(await r.xGroupCreate('s', 'g', '0'), 'OK');
  assert.deepEqual(await r.xReadGroup('g', 'c1', { key: 's', id: '>' }, { COUNT: 2 }),
    [{ name: 's', messages: [entry(id1, { n: '1' }), entry(id2, { n: '2' })] }]);
  assert.equal(await r.xAck('s', 'g', id1), 1);
  assert.deepEqual(await r.xPending('s', 'g'), {
    pending: 1, firstId: id2, lastId: id2, consumers: [{ name: 'c1', deliveriesCounter: 1 }],
  });
  assert.deepEqual(await r.xClaim('s', 'g', 'c2', 0, id2), [entry(id2, { n: '2' })]);
  assert.deepEqual(await r.xAutoClaim('s', 'g', 'c3', 0, '0-0'),
    { nextId: '0-0', messages: [entry(id2, { n: '2' })], deletedMessages: [] });
  const [pending] = await r.xPendingRange('s', 'g', '-', '+', 10);
  assert.equal(pending.consumer, 'c3');
  assert.equal(pending.deliveriesCounter, 3);

  const info = await r.xInfoStream('s');
  assert.equal(info.length, 3);
  assert.equal(info.groups, 1);
  assert.equal(info['last-generated-id'], id3);
  const groups = await r.xInfoGroups('s');
  assert.equal(groups.length, 1);
  assert.equal(groups[0].name, 'g');
  assert.equal(groups[0].pending, 1);
  const consumers = await r.xInfoConsumers('s', 'g');
  assert.deepEqual(consumers.map((c) => c.name).sort(), ['c1', 'c2', 'c3']);

  // MULTI/EXEC, then the same kind of batch as a plain pipeline.
  const tx = await r.multi().xAdd('t', '*', { a: '1' }).xAdd('t', '*', { a: '2' }).xLen('t').exec();
  assert.equal(tx.length, 3);
  assert.equal(tx[2], 2);
  const pipe = r.multi();
  for (let i = 0; i < 100; i++) pipe.xAdd('p', '*', { i: String(i) });
  pipe.xLen('p');
  const results = await pipe.execAsPipeline();
  assert.equal(results.length, 101);
  assert.equal(results[100], 100);

  await pubsub(r);
  await keyspaceNotifications(r);

  const { resp } = await r.clientInfo();
  await r.quit();
  console.log(`PASS protocol=${resp}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
