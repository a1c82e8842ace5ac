// Takes over jobs a dead worker left pending.   node reclaimer.js NAME MIN_IDLE_MS
// Walks the group's pending entries with XAUTOCLAIM, claiming those idle for at least
// MIN_IDLE_MS for consumer NAME, and handles and acknowledges each. IDs whose entries were
// deleted from the stream come back in deletedMessages; XAUTOCLAIM drops them from the PEL.
'use strict';
const { createClient } = require('redis');

async function main() {
  const [name, minIdle] = [process.argv[2], Number(process.argv[3])];
  const client = createClient({ socket: { port: Number(process.env.RUNNEL_PORT || 6379) } });
  await client.connect();
  let cursor = '0-0';
  do {
    const { nextId, messages, deletedMessages } =
      await client.xAutoClaim('jobs', 'workers', name, minIdle, cursor, { COUNT: 10 });
    for (const { id, message } of messages) {
      console.log(`${name} took over ${message.task} (${id})`);
      await client.xAck('jobs', 'workers', id);
    }
    for (const id of deletedMessages) console.log(`${name} dropped ${id}: deleted from the stream`);
    cursor = nextId;
  } while (cursor !== '0-0'); // 0-0: the whole PEL has been scanned
  await client.quit();
}

main().catch((err) => { console.error(err); process.exit(1); });
