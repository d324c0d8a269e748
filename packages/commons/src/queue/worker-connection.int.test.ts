/**
 * BullMQ workers on `WORKER_CONNECTION` (auto-pipelined, blocking reads excepted), against the
 * real Redis under this test's own queue names: jobs released together finish in a few writes
 * instead of one each, and every job still completes once with its own result; jobs queued
 * while the worker waits in BZPOPMIN still wake it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { storeConfigFrom, storeEnvSchema } from '../config.js';
import { queueBase, queueConnection, WORKER_CONNECTION } from '../redis-connection.js';

const config = storeConfigFrom(storeEnvSchema.parse(process.env));
const JOBS = 20;
const opened: Array<Queue | Worker> = [];

after(async () => {
  for (const closable of opened) {
    if (closable instanceof Queue) await closable.obliterate({ force: true }).catch(() => undefined);
    await closable.close();
  }
});

/**
 * Runs JOBS jobs through a worker on `connection`, holding each until all have started, then
 * releasing them in one turn of the event loop, as a store batch does; counts the socket writes
 * of the worker's command connection from the release until the last completion.
 */
async function releasedTogether(connection: ConnectionOptions): Promise<{ writes: number; results: string[] }> {
  const name = `worker-connection-test-${randomBytes(4).toString('hex')}`;
  const queue = new Queue(name, queueBase(queueConnection(config.redis)));
  opened.push(queue);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started = 0;
  const worker = new Worker<{ n: number }>(
    name,
    async (job) => {
      if (++started === JOBS) release();
      await released;
      return `done ${job.data.n}`;
    },
    { ...queueBase(connection), concurrency: JOBS },
  );
  opened.push(worker);
  const completed = new Promise<void>((resolve) => {
    let count = 0;
    worker.on('completed', () => {
      if (++count === JOBS) resolve();
    });
  });
  // The worker's command connection (its jobs' moves; the blocking one waits for jobs).
  const client = (await worker.getBackend().client) as unknown as Redis;
  await worker.waitUntilReady();
  await queue.addBulk(Array.from({ length: JOBS }, (_, n) => ({ name: 'n', data: { n }, opts: { jobId: `job-${n}` } })));
  await released;
  let writes = 0;
  const stream = client.stream;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = (...args: unknown[]) => {
    writes++;
    return write(...args);
  };
  await completed;
  stream.write = write;
  const jobs = await Promise.all(Array.from({ length: JOBS }, (_, n) => queue.getJob(`job-${n}`)));
  return { writes, results: jobs.map((job) => String(job?.returnvalue)) };
}

const expected = Array.from({ length: JOBS }, (_, n) => `done ${n}`);

test('jobs released together finish in a few writes, each with its own result', async () => {
  const plain = await releasedTogether(queueConnection(config.redis));
  const pipelined = await releasedTogether(queueConnection(config.redis, WORKER_CONNECTION));
  assert.deepEqual(plain.results, expected);
  assert.deepEqual(pipelined.results, expected);
  assert.ok(plain.writes >= JOBS, `without auto-pipelining, one write a job or more (${plain.writes})`);
  assert.ok(pipelined.writes <= JOBS / 4, `auto-pipelined, ${pipelined.writes} writes for ${JOBS} jobs`);
});

test('a job queued while the worker waits for one (BZPOPMIN) wakes it', async () => {
  const name = `worker-connection-wait-${randomBytes(4).toString('hex')}`;
  const queue = new Queue(name, queueBase(queueConnection(config.redis)));
  opened.push(queue);
  const worker = new Worker<{ n: number }>(name, (job) => Promise.resolve(`woke ${job.data.n}`), { ...queueBase(queueConnection(config.redis, WORKER_CONNECTION)), concurrency: 4 });
  opened.push(worker);
  await worker.waitUntilReady();
  // Long enough for the worker to be blocked waiting on its blocking connection.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const done = new Promise<unknown>((resolve) => worker.once('completed', (_job, result) => resolve(result)));
  await queue.add('n', { n: 7 });
  assert.equal(await done, 'woke 7');
});
