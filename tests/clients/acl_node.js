// ioredis and node-redis with ACL users (run by acl_clients_test.py): each library logs in as
// `worker`, reads and acknowledges through a consumer group, subscribes where it may, and gets
// its own rejection for a command, a key and a channel outside the user's rights, and for a
// wrong password.
//
//   node acl_node.js PORT      prints `PASS ioredis` and `PASS node-redis`
'use strict';
const assert = require('assert/strict');
const IORedis = require('ioredis');
const { createClient } = require('redis');

const port = Number(process.argv[2]);

async function rejects(promise, pattern) {
  await assert.rejects(promise, (e) => pattern.test(String(e.message)));
}

async function scenario(name, call) {
  const stream = `jobs:${name}`;
  assert.equal(await call(['ACL', 'WHOAMI']), 'worker');
  await rejects(call(['XADD', stream, '*', 'f', 'v']), /^NOPERM .*'xadd' command/);
  await rejects(call(['XLEN', 'other']), /^NOPERM .*keys used as arguments/);
  await rejects(call(['PUBLISH', 'news', 'x']), /^NOPERM .*channels used as arguments/);
  assert.equal(await call(['PUBLISH', 'jobs.done', 'x']), 0);
  assert.equal(await call(['XGROUP', 'CREATE', stream, 'g', '$', 'MKSTREAM']), 'OK');
  assert.equal(await call(['XLEN', stream]), 0);
  const read = await call(['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', stream, '>']);
  assert.equal(read, null);
}

async function ioredis() {
  const r = new IORedis({ port, username: 'worker', password: 'work-pw', lazyConnect: true,
                          maxRetriesPerRequest: 0 });
  await r.connect();
  await scenario('ioredis', (args) => r.call(...args));
  r.disconnect();
  // ioredis reports the refused AUTH as an 'error' event, then fails the connect.
  const wrong = new IORedis({ port, username: 'worker', password: 'nope', lazyConnect: true,
                              maxRetriesPerRequest: 0, retryStrategy: () => null });
  const errors = [];
  wrong.on('error', (e) => errors.push(String(e.message)));
  await assert.rejects(wrong.connect());
  assert.ok(errors.some((m) => /^WRONGPASS/.test(m)), errors.join('; '));
  wrong.disconnect();
  console.log('PASS ioredis');
}

async function nodeRedis() {
  const c = createClient({ socket: { port }, username: 'worker', password: 'work-pw' });
  c.on('error', () => {});
  await c.connect();
  await scenario('node-redis', (args) => c.sendCommand(args));
  const sub = c.duplicate();
  await sub.connect();
  await sub.subscribe('jobs.events', () => {});
  await rejects(sub.subscribe('other', () => {}), /NOPERM/);
  await sub.quit().catch(() => {});
  await c.quit();
  const wrong = createClient({ socket: { port, reconnectStrategy: false }, username: 'worker',
                               password: 'nope' });
  wrong.on('error', () => {});
  await rejects(wrong.connect(), /WRONGPASS/);
  console.log('PASS node-redis');
}

(async () => {
  await ioredis();
  await nodeRedis();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
