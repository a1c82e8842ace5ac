// Adds delayed jobs to the stream `jobs` and watches them arrive.
//     node delayed_producer.js [COUNT]
// Schedules COUNT jobs (`XADD jobs DELAY ms * ...`, the first one `XADD jobs AT unix-ms * ...`),
// the later ones with the shorter delays so that due order is not the order they were added in;
// schedules one more and cancels it (XSCHEDULE CANCEL); lists the schedule (XSCHEDULE LIST);
// then reads the stream until every job has arrived. An XADD with DELAY or AT replies with a
// handle, `due-ms`-`sequence`, not an entry ID: the entry gets its ID when it is due. Prints:
//     scheduled TASK delay MS handle HANDLE
//     cancelled TASK handle HANDLE
//     listed TASK handle HANDLE
//     arrived TASK (ID) delay MS late MS
// Lateness is the time this program saw the entry minus its due time, so it assumes the
// server's clock is this machine's. Exits 1 if a job arrives early or out of due order, the
// cancelled one arrives, or one does not arrive within 10 s of its due time.
'use strict';
const { createClient } = require('redis');

// A handle as [due ms, sequence]; dueMs() is its due time.
const parse = (handle) => handle.split('-').map(Number);
const dueMs = (handle) => parse(handle)[0];
function dueOrder(a, b) {
  const [x, y] = [parse(a), parse(b)];
  return x[0] - y[0] || x[1] - y[1];
}
// Whether `list` is in due order, taking each item's handle with handleOf.
const sorted = (list, handleOf) =>
  list.every((v, i) => i === 0 || dueOrder(handleOf(list[i - 1]), handleOf(v)) <= 0);

async function main() {
  const client = createClient({ socket: { port: Number(process.env.RUNNEL_PORT || 6379) } });
  await client.connect();
  const count = Number(process.argv[2] || 5);
  const violations = [];
  // XADD with DELAY/AT and XSCHEDULE are not in node-redis: send them as generic commands.
  const call = (...args) => client.sendCommand(args.map(String));

  // Read from the stream's last entry as it is now: every job arrives after it.
  const last = await client.xRevRange('jobs', '+', '-', { COUNT: 1 });
  let start = last.length ? last[0].id : '0-0';

  const delays = {}; const handles = {}; // task -> ms asked; task -> handle
  for (let i = 0; i < count; i++) {
    const task = `delayed-${i}`;
    delays[task] = 200 + 150 * (count - i);
    if (i === 0) { // AT takes the due time itself, in Unix ms
      const at = Date.now() + delays[task];
      handles[task] = await call('XADD', 'jobs', 'AT', at, '*', 'task', task);
      if (dueMs(handles[task]) !== at) {
        violations.push(`${task}: AT ${at} but handle ${handles[task]}`);
      }
    } else {
      handles[task] = await call('XADD', 'jobs', 'DELAY', delays[task], '*', 'task', task);
    }
    console.log(`scheduled ${task} delay ${delays[task]} handle ${handles[task]}`);
  }

  // Due before the last job: if the cancel did not take, it would arrive while we wait.
  const extra = await call('XADD', 'jobs', 'DELAY', 200 + Math.floor(150 * count / 2), '*',
    'task', 'delayed-cancelled');
  if (await call('XSCHEDULE', 'CANCEL', 'jobs', extra) !== 1) {
    violations.push(`XSCHEDULE CANCEL of ${extra} did not cancel it`);
  }
  if (await call('XSCHEDULE', 'CANCEL', 'jobs', extra) !== 0) {
    violations.push(`${extra} was cancelled twice`);
  }
  console.log(`cancelled delayed-cancelled handle ${extra}`);

  const listed = await call('XSCHEDULE', 'LIST', 'jobs', '-', '+', 'COUNT', 1000);
  const listedAt = Date.now();
  for (const [handle, fields] of listed) {
    console.log(`listed ${fields[fields.indexOf('task') + 1]} handle ${handle}`);
  }
  const listedHandles = listed.map(([handle]) => handle);
  if (!sorted(listedHandles, (h) => h)) {
    violations.push(`XSCHEDULE LIST not in due order: ${listedHandles}`);
  }
  if (listedHandles.includes(extra)) violations.push('the cancelled job is still listed');
  // A job due by the time LIST answered may have left the schedule; a later one must be listed.
  for (const [task, handle] of Object.entries(handles)) {
    if (dueMs(handle) > listedAt && !listedHandles.includes(handle)) {
      violations.push(`${task} (${handle}) is not listed`);
    }
  }

  const arrived = []; // tasks in the order they arrived
  const deadline = Math.max(...Object.values(handles).map(dueMs)) + 10000;
  while (arrived.length < count && Date.now() < deadline) {
    const reply = await client.xRead({ key: 'jobs', id: start }, { COUNT: 100, BLOCK: 1000 });
    const seen = Date.now();
    for (const stream of reply || []) {
      for (const { id, message } of stream.messages) {
        start = id;
        const task = message.task;
        if (task === 'delayed-cancelled') violations.push(`the cancelled job arrived as ${id}`);
        if (!(task in handles)) continue; // another producer's job
        if (arrived.includes(task)) violations.push(`${task} arrived twice`);
        const late = seen - dueMs(handles[task]);
        console.log(`arrived ${task} (${id}) delay ${delays[task]} late ${late}`);
        if (late < 0) violations.push(`${task} arrived ${-late} ms before its due time`);
        arrived.push(task);
      }
    }
  }
  await client.quit();

  if (arrived.length < count) violations.push(`only ${arrived.length} of ${count} jobs arrived`);
  if (!sorted(arrived, (task) => handles[task])) {
    violations.push(`jobs arrived out of due order: ${arrived}`);
  }
  for (const v of violations) console.error('violation:', v);
  process.exit(violations.length ? 1 : 0);
}

main().catch((err) => { console.error(err); process.exit(1); });
