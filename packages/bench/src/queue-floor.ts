/**
 * The queue's floor: the least Redis cost per record of any pipeline that gives each submission
 * one BullMQ job. One no-op job per record, added one `add` at a time at the same open-loop rate
 * as the system's cost measurement, taken by a no-op worker of the workflow's concurrency, both
 * through a counting proxy. At a rate where the worker keeps up, each job also pays for the
 * worker waking (BZPOPMIN) and finding the queue empty again, which a saturated queue (baseline
 * (a)) does not show. Executed commands are read from INFO commandstats of the shared Redis, less
 * the traffic of the idle system over an equal window just before.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { queueBase } from '@steadfast/commons';
import type { Redis } from 'ioredis';
import { runOpenLoop } from './open-loop.js';
import { commandStats, statsDelta } from './redis-info.js';
import { CountingProxy, countsDelta } from './redis-proxy.js';

export interface QueueFloor {
  jobs: number;
  ratePerS: number;
  workerConcurrency: number;
  roundTripsPerJob: number;
  /** As sent by the clients (an EVALSHA is one). */
  clientCommandsPerJob: number;
  /** As executed by Redis, the commands inside BullMQ's scripts included. */
  executedCommandsPerJob: number;
  /** The idle system's own commands per second, subtracted from the above. */
  idleCommandsPerS: number;
  byCommand: Record<string, number>;
}

export async function queueFloor(options: {
  redis: { host: string; port: number };
  /** A direct connection, for INFO commandstats. */
  stats: Redis;
  proxyPort: number;
  queueName: string;
  ratePerS: number;
  durationMs: number;
  workerConcurrency: number;
  scriptNames: ReadonlyMap<string, string>;
}): Promise<QueueFloor> {
  const idleBefore = await commandStats(options.stats);
  const idleStarted = performance.now();
  await sleep(options.durationMs);
  const idle = statsDelta(await commandStats(options.stats), idleBefore).total / ((performance.now() - idleStarted) / 1000);

  const proxy = new CountingProxy(options.redis, options.scriptNames);
  const port = await proxy.listen(options.proxyPort);
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const queue = new Queue(options.queueName, queueBase(connection));
  const done = new Set<string>();
  let allDone: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  let expected = Infinity;
  const worker = new Worker(options.queueName, () => Promise.resolve(), { ...queueBase(connection), concurrency: options.workerConcurrency });
  worker.on('completed', (job) => {
    if (job.id) done.add(job.id);
    if (done.size >= expected) allDone();
  });
  try {
    await queue.waitUntilReady();
    await worker.waitUntilReady();
    await sleep(500); // the worker settles into its blocking wait
    const proxyBefore = proxy.snapshot();
    const statsBefore = await commandStats(options.stats);
    const started = performance.now();
    const load = await runOpenLoop({
      ratePerS: options.ratePerS,
      durationMs: options.durationMs,
      fire: () => queue.add('noop', {}, { jobId: randomUUID(), removeOnComplete: { count: 1_000 }, removeOnFail: false }),
    });
    const jobs = load.results.filter((r) => r.status === 'fulfilled').length;
    expected = jobs;
    if (done.size >= jobs) allDone();
    await Promise.race([finished, sleep(30_000)]);
    const elapsedS = (performance.now() - started) / 1000;
    const executed = statsDelta(await commandStats(options.stats), statsBefore);
    const counts = countsDelta(proxy.snapshot(), proxyBefore);
    const n = Math.max(1, done.size);
    return {
      jobs: done.size,
      ratePerS: options.ratePerS,
      workerConcurrency: options.workerConcurrency,
      roundTripsPerJob: counts.roundTrips / n,
      clientCommandsPerJob: counts.commands / n,
      executedCommandsPerJob: Math.max(0, executed.total - idle * elapsedS) / n,
      idleCommandsPerS: idle,
      byCommand: Object.fromEntries(Object.entries(counts.byCommand).map(([k, v]) => [k, v / n])),
    };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await proxy.close();
  }
}
