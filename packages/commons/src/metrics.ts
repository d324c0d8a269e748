/**
 * Prometheus metrics: one registry per service with the process's default metrics, the record
 * queue's depth by state (read from Redis at scrape time), and the counters and histograms the
 * services add. Served at `GET /metrics` on an internal address only.
 */
import type Hapi from '@hapi/hapi';
import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed', 'waiting-children'] as const;

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * `steadfast_batch_size{store,op}`: items sent in one store request, as each service that groups
 * its store calls reports them (the bench's batch table reads it from every service's /metrics).
 */
export function batchSizeHistogram(registry: Registry, help: string): Histogram<'store' | 'op'> {
  return new Histogram({
    name: 'steadfast_batch_size',
    help,
    labelNames: ['store', 'op'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [registry],
  });
}

/** `steadfast_queue_jobs{queue,state}`: how many jobs each queue holds in each state. */
export function registerQueueDepth(registry: Registry, queues: Queue[]): void {
  new Gauge({
    name: 'steadfast_queue_jobs',
    help: 'Jobs in each queue by state (failed = exhausted, waiting for an admin).',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const queue of queues) {
        // A scrape while Redis is down reports no depth rather than failing the whole scrape.
        const counts = await queue.getJobCounts(...QUEUE_STATES).catch(() => undefined);
        if (!counts) continue;
        for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });
}

export function metricsRoute(registry: Registry): Hapi.ServerRoute {
  return {
    method: 'GET',
    path: '/metrics',
    options: { auth: false },
    handler: async (_request, h) => h.response(await registry.metrics()).type(registry.contentType),
  };
}
