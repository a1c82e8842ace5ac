// Failover test helper: ioredis finds the master through Redis Sentinel (its `sentinels` and
// `name` options), appends one entry and reads it back there. Prints {"id", "port"} as JSON:
// the entry's ID and the port of the server ioredis reached (CONFIG GET port).
//
//   SENTINELS='[{"host":"127.0.0.1","port":26400}, ...]' node failover_ioredis.js STREAM
'use strict';
const Redis = require('ioredis');
const assert = require('assert/strict');

async function main() {
  const stream = process.argv[2];
  const r = new Redis({
    sentinels: JSON.parse(process.env.SENTINELS),
    name: 'mq',
    maxRetriesPerRequest: 50,
    sentinelRetryStrategy: (times) => (times > 50 ? null : 200),
  });
  try {
    const id = await r.xadd(stream, '*', 'by', 'ioredis');
    const [, port] = await r.config('GET', 'port');
    assert.equal(await r.wait(1, 5000), 1);  // on a replica too: it holds the entry now
    const range = await r.xrange(stream, id, id);
    assert.equal(range.length, 1);
    console.log(JSON.stringify({id, port: Number(port)}));
  } finally {
    r.disconnect();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
