// Adds jobs to the stream `jobs`.   node producer.js [COUNT]
// Uses node-redis (`npm install redis`); RUNNEL_PORT picks the port (default 6379). Prints
// the ID of every job it adds.
'use strict';
const { createClient } = require('redis');

async function main() {
  const client = createClient({ socket: { port: Number(process.env.RUNNEL_PORT || 6379) } });
  await client.connect();
  const count = Number(process.argv[2] || 10);
  for (let i = 0; i < count; i++) {
    // MAXLEN ~ keeps the stream bounded; `~` lets the server trim whole blocks cheaply.
    const id = await client.xAdd('jobs', '*', { task: `resize-${i}`, size: String(100 + i) },
      { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: 1000000 } });
    console.log(id);
  }
  await client.quit();
}

main().catch((err) => { console.error(err); process.exit(1); });
