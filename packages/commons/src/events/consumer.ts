/**
 * Consumers: projections applied to the events of the channel. One worker per partition with
 * concurrency 1, so a partition's events are taken in the order they were published. Each
 * projection applies an event idempotently by its sequence number: an event it already has
 * (sequence ≤ what it applied) is a duplicate and changes nothing; an event whose predecessor
 * it has not applied yet throws `OutOfOrder`, and the job waits (without spending an attempt)
 * until the predecessor arrives. The job is acknowledged only after every projection is done.
 * Any other failure is retried with backoff; after the last attempt the event stays in the
 * failed set (the dead-letter queue) while the partition's other events flow past it.
 */
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { queueBase } from '../redis-connection.js';
import type { Counter, Histogram } from 'prom-client';
import type { Logger } from '../logger.js';
import { eventQueueNames, type EventChannelConfig } from './channel.js';
import { DomainEvent } from './domain-event.js';

export type ApplyResult = 'applied' | 'duplicate';

export interface Projection {
  /** A short stable name: used in logs and metrics. */
  name: string;
  handles(event: DomainEvent): boolean;
  apply(event: DomainEvent): Promise<ApplyResult>;
}

/** The projection has not applied the event's predecessor yet: wait, do not count an attempt. */
export class OutOfOrder extends Error {
  constructor(
    readonly projection: string,
    readonly expected: number,
    readonly got: number,
  ) {
    super(`${projection}: event ${got} waits for event ${expected}`);
    this.name = 'OutOfOrder';
  }
}

export interface ConsumerMetrics {
  events: Counter<'projection' | 'outcome'>;
  /** Change written to the source → applied by the projection. */
  propagation: Histogram<'projection'>;
}

export interface ConsumerOptions {
  connection: ConnectionOptions;
  logger: Logger;
  metrics?: ConsumerMetrics;
  /** A killed consumer's job is taken up again after this long. */
  lockDurationMs?: number;
  /** Called when an event is dead-lettered (left in the failed set for good): raise the alert. */
  onDeadLetter?: (queueName: string, job: Job<DomainEvent>) => Promise<void>;
}

/**
 * How long an event waits for its predecessor before looking again: short while young (the
 * predecessor is usually a moment behind, or held by a consumer that died and whose lock is
 * about to expire), up to 5 s while it stays parked behind a dead letter.
 */
export function outOfOrderWait(ageMs: number): number {
  return Math.min(5_000, Math.max(50, Math.round(ageMs / 10)));
}

export function createEventProcessor(projections: readonly Projection[], options: Pick<ConsumerOptions, 'logger' | 'metrics'>) {
  return async (job: Job<DomainEvent>, token?: string): Promise<Record<string, ApplyResult>> => {
    const parsed = DomainEvent.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`not a domain event: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const event = parsed.data;
    const outcome: Record<string, ApplyResult> = {};
    for (const projection of projections) {
      if (!projection.handles(event)) continue;
      try {
        outcome[projection.name] = await projection.apply(event);
      } catch (error) {
        if (error instanceof OutOfOrder && token) {
          options.metrics?.events.inc({ projection: projection.name, outcome: 'waiting' });
          await job.moveToDelayed(Date.now() + outOfOrderWait(Date.now() - job.timestamp), token);
          throw new DelayedError();
        }
        options.metrics?.events.inc({ projection: projection.name, outcome: 'failed' });
        throw error;
      }
      options.metrics?.events.inc({ projection: projection.name, outcome: outcome[projection.name] });
      if (outcome[projection.name] === 'applied') {
        options.metrics?.propagation.observe({ projection: projection.name }, (Date.now() - Date.parse(event.occurredAt)) / 1000);
      }
    }
    return outcome;
  };
}

export interface RunningConsumers {
  workers: Worker[];
  close(): Promise<void>;
}

export function startEventConsumers(
  config: EventChannelConfig,
  projections: readonly Projection[],
  options: ConsumerOptions,
): RunningConsumers {
  const process = createEventProcessor(projections, options);
  const log = options.logger;
  const lockDuration = options.lockDurationMs ?? 10_000;
  const workers = eventQueueNames(config).map((name) => {
    const worker = new Worker<DomainEvent>(name, process, {
      ...queueBase(options.connection),
      concurrency: 1,
      lockDuration,
      stalledInterval: Math.max(1_000, Math.round(lockDuration / 2)),
      maxStalledCount: 100,
      settings: {
        backoffStrategy: (attemptsMade: number) =>
          Math.min(config.backoffMaxMs, config.backoffMs * 2 ** Math.max(0, attemptsMade - 1)),
      },
    });
    worker.on('failed', (job, error) => {
      if (!job || error.name === 'DelayedError') return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError';
      const fields = { queue: name, eventId: job.data.id, aggregate: job.data.aggregate, aggregateId: job.data.aggregateId, type: job.data.type, attempts: job.attemptsMade, err: error.message.split('\n', 1)[0] };
      if (!final) {
        log.warn(fields, 'event not applied; will retry');
        return;
      }
      log.error(fields, 'event dead-lettered: left in the failed set for an admin to replay');
      options.onDeadLetter?.(name, job).catch((error: unknown) =>
        log.warn({ queue: name, eventId: job.data.id, err: (error as Error).message }, 'dead-letter alert not raised; the sweep will'),
      );
    });
    worker.on('error', (error) => log.warn({ queue: name, err: error.message }, 'event worker error'));
    return worker;
  });
  return {
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
