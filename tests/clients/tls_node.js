// ioredis and node-redis over TLS (run by tls_test.py): each library connects to Runnel's
// tls-port with the test's CA and client certificate, runs a consumer-group round (XADD,
// XREADGROUP, XACK), a 1,000-command pipeline, a 4 MB value, and a blocking XREAD that another
// TLS connection wakes. Then a connection without a client certificate must be refused.
//
//   node tls_node.js PORT CA CERT KEY     prints `PASS ioredis` and `PASS node-redis`
'use strict';
const fs = require('fs');
const assert = require('assert/strict');
const IORedis = require('ioredis');
const { createClient } = require('redis');

const [port, caFile, certFile, keyFile] = process.argv.slice(2);
const ca = fs.readFileSync(caFile);
const cert = fs.readFileSync(certFile);
const key = fs.readFileSync(keyFile);
const tls = { ca, cert, key, servername: 'localhost' };

// Commands as both libraries take them: a function of an argument array.
async function scenario(name, call, makeSecond) {
  const stream = `tls:${name}`;
  assert.equal(await call(['PING']), 'PONG');
  assert.equal(await call(['XGROUP', 'CREATE', stream, 'g', '$', 'MKSTREAM']), 'OK');
  const id = await call(['XADD', stream, '*', 'job', '1']);
  const read = await call(['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', stream, '>']);
  assert.equal(JSON.stringify(read).includes(id), true);
  assert.equal(await call(['XACK', stream, 'g', id]), 1);

  const many = [];
  for (let i = 0; i < 1000; i++) many.push(call(['XADD', stream, '*', 'n', String(i)]));
  assert.equal((await Promise.all(many)).length, 1000);
  assert.equal(await call(['XLEN', stream]), 1001);

  const big = 'x'.repeat(4 << 20);
  assert.equal(await call(['SET', `${stream}:big`, big]), 'OK');
  assert.equal((await call(['GET', `${stream}:big`])).length, big.length);

  // A blocked read on a second TLS connection, woken by an XADD on this one.
  const second = await makeSecond();
  const blocked = second.call(['XREAD', 'BLOCK', '5000', 'STREAMS', `${stream}:wake`, '$']);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const woke = await call(['XADD', `${stream}:wake`, '*', 'f', 'v']);
  assert.equal(JSON.stringify(await blocked).includes(woke), true);
  await second.close();
  console.log(`PASS ${name}`);
}

async function withIoredis() {
  const open = async () => {
    const r = new IORedis({ port: Number(port), host: '127.0.0.1', tls, maxRetriesPerRequest: 0 });
    return { call: (args) => r.call(...args), close: () => r.quit(), raw: r };
  };
  const main = await open();
  await scenario('ioredis', main.call, open);
  await main.close();
  // No client certificate: the handshake fails and the command never succeeds.
  const bare = new IORedis({
    port: Number(port), host: '127.0.0.1', tls: { ca, servername: 'localhost' },
    maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true,
  });
  bare.on('error', () => {});
  await assert.rejects(async () => { await bare.connect(); await bare.ping(); });
  bare.disconnect();
}

async function withNodeRedis() {
  const open = async () => {
    const r = createClient({
      socket: { port: Number(port), host: '127.0.0.1', tls: true, ...tls, reconnectStrategy: false },
    });
    r.on('error', () => {});
    await r.connect();
    return { call: (args) => r.sendCommand(args), close: () => r.quit() };
  };
  const main = await open();
  await scenario('node-redis', main.call, open);
  await main.close();
  const bare = createClient({
    socket: { port: Number(port), host: '127.0.0.1', tls: true, ca, servername: 'localhost',
              reconnectStrategy: false },
  });
  bare.on('error', () => {});
  await assert.rejects(async () => { await bare.connect(); await bare.ping(); });
}

(async () => {
  await withIoredis();
  await withNodeRedis();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
