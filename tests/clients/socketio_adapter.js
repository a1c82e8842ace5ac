// The Socket.IO Redis Streams adapter (@socket.io/redis-streams-adapter), the most used Node.js
// library built on Redis streams, with its default settings, against Runnel: two Socket.IO
// servers share rooms through one Runnel. Broadcasts travel by XADD / XREAD BLOCK; requests
// between servers (fetchSockets, serverSideEmit with acknowledgements, broadcasts with acks)
// by PUBLISH / SUBSCRIBE, with PUBSUB NUMSUB counting the servers that must answer; connection
// state recovery by SET / GETDEL / XRANGE. Every result is checked here; run by run_client.py.
'use strict';

const assert = require('node:assert/strict');
const http = require('node:http');
const { createClient } = require('redis');
const { Server } = require('socket.io');
const { io: connect } = require('socket.io-client');
const { createAdapter } = require('@socket.io/redis-streams-adapter');

const redisUrl = `redis://127.0.0.1:${process.env.RUNNEL_PORT}`;
const cleanups = [];

function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Polls `check` (async) until it holds: the observable state, never a fixed sleep.
async function eventually(what, check) {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// A Socket.IO server on its own HTTP port, with the adapter on its own Runnel connection.
async function startServer(options = {}) {
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  const httpServer = http.createServer();
  const io = new Server(httpServer, {
    adapter: createAdapter(redis, { blockTimeInMs: 200 }),
    ...options,
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    io.close();
    await redis.quit().catch(() => {});
  });
  return { io, redis, port: httpServer.address().port };
}

function connectClient(port, options = {}) {
  const socket = connect(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    reconnection: false,
    ...options,
  });
  cleanups.push(async () => socket.disconnect());
  return within(5000, 'client connects', new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  }));
}

async function main() {
  const a = await startServer();
  const b = await startServer();
  b.io.on('connection', (socket) => socket.join('room1'));
  b.io.on('ping-servers', (n, ack) => ack(`b saw ${n}`));
  a.io.on('ping-servers', (n, ack) => ack(`a saw ${n}`));
  const client = await connectClient(b.port);

  // A broadcast from server A reaches a client of server B through the stream. B's reader
  // starts at the stream's end once it first polls, so A repeats until one arrives.
  const got = new Promise((resolve) => client.once('news', resolve));
  const repeat = setInterval(() => a.io.to('room1').emit('news', { n: 1 }), 100);
  try {
    assert.deepEqual(await within(5000, 'broadcast across servers', got), { n: 1 });
  } finally {
    clearInterval(repeat);
  }

  // Requests answered by the other server, over Pub/Sub.
  const sockets = await within(5000, 'fetchSockets', a.io.in('room1').fetchSockets());
  assert.equal(sockets.length, 1, 'A sees B\'s socket');
  assert.equal(sockets[0].id, client.id);
  const replies = await within(5000, 'serverSideEmit with ack',
    a.io.serverSideEmitWithAck('ping-servers', 7));
  assert.deepEqual(replies, ['b saw 7'], 'the other server acknowledged');
  const numsub = await a.redis.sendCommand(['PUBSUB', 'NUMSUB', 'socket.io#/#']);
  assert.ok(Number(numsub[1]) >= 2, `both servers subscribed: ${numsub}`);

  // A broadcast with acknowledgements, answered by the client on the other server.
  client.on('ask', (x, ack) => ack(x * 2));
  const answers = await within(5000, 'broadcast with acks',
    a.io.timeout(3000).to('room1').emitWithAck('ask', 21));
  assert.deepEqual(answers, [42]);

  // Socket joins and leaves requested by A are carried out by B.
  a.io.in(client.id).socketsJoin('room2');
  await eventually('socketsJoin across servers',
    async () => (await a.io.in('room2').fetchSockets()).length === 1);

  // Connection state recovery: a client that drops comes back with the packets it missed.
  const r = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 60000 } });
  const c = await connectClient(r.port);
  assert.equal(c.recovered, false);
  const first = new Promise((resolve) => c.once('tick', resolve));
  r.io.emit('tick', 1);  // a local client: delivered directly, and recorded in the stream
  await within(5000, 'first tick', first);
  const id = c.id;
  c.io.engine.close();  // a network drop, not a clean disconnect
  await eventually('the server sees the drop', () => r.io.sockets.sockets.size === 0);
  const length = await r.redis.xLen('socket.io');
  r.io.emit('tick', 2);  // missed while away
  await eventually('the missed tick is in the stream',
    async () => (await r.redis.xLen('socket.io')) > length);
  const missed = new Promise((resolve) => c.once('tick', resolve));
  c.connect();
  await within(5000, 'reconnect', new Promise((resolve) => c.once('connect', resolve)));
  assert.equal(c.recovered, true, 'the session was restored');
  assert.equal(c.id, id);
  assert.equal(await within(5000, 'missed tick', missed), 2);

  const info = await a.redis.sendCommand(['CLIENT', 'INFO']);
  const protocol = /resp=(\d)/.exec(info)[1];
  console.log(`PASS protocol=${protocol}`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref();
  });
