// A consumer-group worker.   node worker.js NAME
// Joins the group `workers` on the stream `jobs` (creating both if needed), handles new jobs
// and acknowledges each one after handling it. A job it read but did not acknowledge
// (because it crashed) stays pending, for reclaimer.js. Exits after 1 s without new jobs so
// that the example ends; a real worker would loop forever.
'use strict';
const { createClient } = require('redis');

async function main() {
  const name = process.argv[2];
  const client = createClient({ socket: { port: Number(process.env.RUNNEL_PORT || 6379) } });
  await client.connect();
  try {
    await client.xGroupCreate('jobs', 'workers', '0', { MKSTREAM: true });
  } catch (err) {
    if (!String(err.message).startsWith('BUSYGROUP')) throw err; // it exists: fine
  }
  for (;;) {
    const reply = await client.xReadGroup('workers', name, { key: 'jobs', id: '>' },
      { COUNT: 10, BLOCK: 1000 });
    if (!reply) break; // nothing new for a second
    for (const stream of reply) {
      for (const { id, message } of stream.messages) {
        console.log(`${name} handled ${message.task} (${id})`);
        await client.xAck('jobs', 'workers', id);
      }
    }
  }
  await client.quit();
}

main().catch((err) => { console.error(err); process.exit(1); });
