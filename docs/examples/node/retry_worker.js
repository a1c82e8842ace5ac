// A worker whose failed jobs are retried, and dead-lettered by the server when hopeless.
//     node retry_worker.js NAME JOBS
// Sets the group's policy (docs/queues.md): at most 3 deliveries per job, then the dead-letter
// stream `jobs:dead`; 100 ms before the 2nd delivery, 200 ms before the 3rd. Reads with
// XREADGROUP ... CLAIM, which hands out released (XNACKed) jobs whose backoff has passed before
// new ones. A job whose field `fail` is `always`, or a number N, fails (XNACK ... FAIL) on every
// delivery, or on its first N; the others are done (XACK). One line per event:
//     NAME done TASK (ID) delivery N at UNIX-MS
//     NAME failed TASK (ID) delivery N at UNIX-MS
// Exits once the group has read JOBS entries and holds none pending (each one done or
// dead-lettered, by any worker), printing the dead letters:
//     NAME dead TASK (ID) deliveries N reason REASON
'use strict';
const { createClient } = require('redis');

function fails(job, delivery) {
  return job.fail === 'always' || (job.fail !== undefined && delivery <= Number(job.fail));
}

async function main() {
  const [name, jobs] = [process.argv[2], Number(process.argv[3])];
  const client = createClient({ socket: { port: Number(process.env.RUNNEL_PORT || 6379) } });
  await client.connect();
  try {
    await client.xGroupCreate('jobs', 'workers', '0', { MKSTREAM: true });
  } catch (err) {
    if (!String(err.message).startsWith('BUSYGROUP')) throw err; // it exists: fine
  }
  // node-redis has no SETPOLICY: send it as a generic command.
  await client.sendCommand(['XGROUP', 'SETPOLICY', 'jobs', 'workers', 'MAXDELIVERIES', '3',
    'DEADLETTER', 'jobs:dead', 'BACKOFF', '100', '200']);

  // Every job read by the group and none pending: all done or dead-lettered.
  const finished = async () => {
    const group = (await client.xInfoGroups('jobs')).find((g) => g.name === 'workers');
    return (group['entries-read'] ?? 0) >= jobs && group.pending === 0;
  };

  for (;;) {
    // CLAIM 60000: take over a job another worker has held for a minute (it crashed). A job
    // released by XNACK is offered as soon as its backoff has passed, whatever this value.
    const reply = await client.xReadGroup('workers', name, { key: 'jobs', id: '>' },
      { COUNT: 10, BLOCK: 200, CLAIM: 60000 });
    if (!reply) {
      if (await finished()) break;
      continue;
    }
    for (const stream of reply) {
      // With CLAIM, deliveriesCounter is the number of deliveries before this one.
      for (const { id, message, deliveriesCounter } of stream.messages) {
        const [delivery, now] = [Number(deliveriesCounter) + 1, Date.now()];
        if (fails(message, delivery)) {
          console.log(`${name} failed ${message.task} (${id}) delivery ${delivery} at ${now}`);
          // Back to the group, to be offered again after the backoff; the server
          // dead-letters it instead when this was its last delivery.
          await client.xNack('jobs', 'workers', 'FAIL', id);
        } else {
          console.log(`${name} done ${message.task} (${id}) delivery ${delivery} at ${now}`);
          await client.xAck('jobs', 'workers', id);
        }
      }
    }
  }
  for (const { message: dead } of await client.xRange('jobs:dead', '-', '+')) {
    console.log(`${name} dead ${dead.task} (${dead['dlq-id']}) deliveries ` +
      `${dead['dlq-deliveries']} reason ${dead['dlq-reason']}`);
  }
  await client.quit();
}

main().catch((err) => { console.error(err); process.exit(1); });
