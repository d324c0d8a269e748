/**
 * Baselines (a) and (b): the queue's ceiling (BullMQ no-op jobs through the same Redis, through
 * a counting proxy) and the stores' ceiling (the record's writes, batched, no HTTP, no queue).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { queueBase } from '@steadfast/commons';
import { CountingProxy, countsDelta } from './redis-proxy.js';
import { writeBatch, type DirectStores } from './direct-writes.js';

export interface QueueBaseline {
  jobs: number;
  jobsPerS: number;
  roundTripsPerJob: number;
  commandsPerJob: number;
}

/** Adds `jobs` jobs one `add` each (as the gateway does), `addConcurrency` at a time; a no-op worker runs them. */
export async function queueBaseline(options: {
  redis: { host: string; port: number };
  proxyPort: number;
  queueName: string;
  jobs: number;
  addConcurrency: number;
  workerConcurrency: number;
  scriptNames: ReadonlyMap<string, string>;
}): Promise<QueueBaseline> {
  const proxy = new CountingProxy(options.redis, options.scriptNames);
  const port = await proxy.listen(options.proxyPort);
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const queue = new Queue(options.queueName, queueBase(connection));
  let done = 0;
  let finished: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const worker = new Worker(options.queueName, () => Promise.resolve(), { ...queueBase(connection), concurrency: options.workerConcurrency });
  worker.on('completed', () => {
    if (++done === options.jobs) finished();
  });
  await queue.waitUntilReady();
  await worker.waitUntilReady();
  const before = proxy.snapshot();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: options.addConcurrency }, async () => {
      while (next < options.jobs) {
        const i = next++;
        await queue.add('noop', { i }, { jobId: randomUUID(), removeOnComplete: { count: 1_000 }, removeOnFail: false });
      }
    }),
  );
  await allDone;
  const elapsedS = (performance.now() - started) / 1000;
  const delta = countsDelta(proxy.snapshot(), before);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await proxy.close();
  return {
    jobs: options.jobs,
    jobsPerS: options.jobs / elapsedS,
    roundTripsPerJob: delta.roundTrips / options.jobs,
    commandsPerJob: delta.commands / options.jobs,
  };
}

export interface StoresBaseline {
  records: number;
  recordsPerS: number;
  batchSize: number;
}

/** Writes `records` records in batches of `batchSize`, `concurrency` batches at a time. */
export async function storesBaseline(
  stores: DirectStores,
  options: { records: number; batchSize: number; concurrency: number },
): Promise<StoresBaseline> {
  const batches: string[][] = [];
  for (let i = 0; i < options.records; i += options.batchSize) {
    batches.push(Array.from({ length: Math.min(options.batchSize, options.records - i) }, () => randomUUID()));
  }
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < batches.length) await writeBatch(stores, batches[next++] as string[]);
    }),
  );
  return {
    records: options.records,
    recordsPerS: options.records / ((performance.now() - started) / 1000),
    batchSize: options.batchSize,
  };
}
