/**
 * Consumers: projections applied to the events of the channel. One worker per partition with
 * concurrency 1, so a partition's jobs are taken in the order they were published. A job is a
 * batch of events (or one event: a split-out event, or a job from before batching); each
 * projection applies the batch's events it handles in one go, batching its store calls, and
 * answers for each event idempotently by its sequence: an event it already has (sequence ≤ what
 * it applied) is a duplicate and changes nothing; an event whose predecessor it has not applied
 * yet waits, and so does every later event of that aggregate in the batch.
 *
 * What becomes of the job (see `batchVerdict`):
 * - an event a projection refused on its own (a store refused that item, or the event is
 *   malformed) is published again alone (`EventChannel.publishAlone`), retried with backoff and,
 *   after its last attempt, left in the failed set (the dead-letter queue, one alert per event)
 *   while its batch-mates are applied: one bad event never dead-letters a batch;
 * - events that wait keep the job, shrunk to them, delayed (without spending an attempt) until
 *   their predecessor arrives;
 * - a failure of a whole store call fails the job, retried with backoff; after the last attempt
 *   the batch's events go on alone, each with its own attempts.
 * The job is acknowledged once every event is applied, a duplicate, or split out.
 */
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { errorLine } from '../alerts.js';
import { workerBase } from '../redis-connection.js';
import type { Counter, Histogram } from 'prom-client';
import type { Logger } from '../logger.js';
import { batchVerdict, eventsOfJob, type BatchVerdict, type EventOutcome } from './batch.js';
import { eventQueueNames, type EventChannel, type EventChannelConfig, type EventJobData } from './channel.js';
import type { DomainEvent } from './domain-event.js';

export type ApplyResult = 'applied' | 'duplicate';

export interface Projection {
  /** A short stable name: used in logs and metrics. */
  name: string;
  handles(event: DomainEvent): boolean;
  /**
   * Applies the events (those it handles, in the job's order), answering for each. Throws when a
   * store call failed as a whole (nothing says which event is at fault): the job is retried.
   */
  applyMany(events: readonly DomainEvent[]): Promise<EventOutcome[]>;
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

/** An error about the event itself (not the store): no retry of the batch can fix it. */
const isEventRefusal = (error: unknown): boolean =>
  error instanceof UnrecoverableError || (error as { name?: unknown } | undefined)?.name === 'ZodError';

export interface SingleEventProjection {
  name: string;
  handles(event: DomainEvent): boolean;
  /** Applies one event; throws `OutOfOrder` when its predecessor is missing. */
  apply(event: DomainEvent): Promise<ApplyResult>;
}

/**
 * A projection that applies one event at a time, as a batch projection: in order, an aggregate's
 * later events waiting behind one that waits or is refused. A store error fails the batch.
 */
export function oneAtATime<P extends SingleEventProjection>(projection: P): P & Projection {
  return {
    ...projection,
    async applyMany(events) {
      const held = new Set<string>();
      const outcomes: EventOutcome[] = [];
      for (const event of events) {
        if (held.has(event.aggregateId)) {
          outcomes.push('waiting');
          continue;
        }
        try {
          outcomes.push(await projection.apply(event));
        } catch (error) {
          if (!(error instanceof OutOfOrder) && !isEventRefusal(error)) throw error;
          held.add(event.aggregateId);
          outcomes.push(error instanceof OutOfOrder ? 'waiting' : { failed: error });
        }
      }
      return outcomes;
    },
  };
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
  /** Where refused events are published again alone. Without it, a refused event fails its whole job. */
  channel?: Pick<EventChannel, 'publishAlone'>;
  /** A killed consumer's job is taken up again after this long. */
  lockDurationMs?: number;
  /** Called when a job is dead-lettered (left in the failed set for good): raise the alert. */
  onDeadLetter?: (queueName: string, job: Job<EventJobData>) => Promise<void>;
}

/**
 * How long an event waits for its predecessor before looking again: short while young (the
 * predecessor is usually a moment behind, or held by a consumer that died and whose lock is
 * about to expire), up to 5 s while it stays parked behind a dead letter.
 */
export function outOfOrderWait(ageMs: number): number {
  return Math.min(5_000, Math.max(50, Math.round(ageMs / 10)));
}

const isLastAttempt = (job: Job): boolean => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/** Ids only in logs: event data holds personal details. */
const idsOf = (events: readonly DomainEvent[]): string[] => events.map((e) => e.id);

export interface ProcessedBatch {
  /** Events every projection has now. */
  done: number;
  /** Events published again alone. */
  splitOut: number;
}

/** What the projections made of some events: each one's verdict, or a store call that failed as a whole. */
export type ProjectionsAnswer =
  | { kind: 'answered'; verdict: BatchVerdict }
  | { kind: 'failed'; projection: string; error: unknown };

/**
 * Applies the events to every projection that handles them, in turn, and weighs their answers
 * (`batchVerdict`). A projection whose store call failed as a whole (nothing says which event is
 * at fault) ends it: `failed`, with that projection's error. Counted in `metrics` either way.
 */
export async function applyToProjections(
  projections: readonly Projection[],
  events: readonly DomainEvent[],
  metrics?: ConsumerMetrics,
): Promise<ProjectionsAnswer> {
  const outcomes: Array<Array<EventOutcome | undefined>> = [];
  for (const projection of projections) {
    const mine = events.flatMap((event, i) => (projection.handles(event) ? [i] : []));
    if (mine.length === 0) continue;
    let answered: EventOutcome[];
    try {
      answered = await projection.applyMany(mine.map((i) => events[i]!));
    } catch (error) {
      metrics?.events.inc({ projection: projection.name, outcome: 'failed' }, mine.length);
      return { kind: 'failed', projection: projection.name, error };
    }
    const row = new Array<EventOutcome | undefined>(events.length);
    mine.forEach((index, k) => {
      const outcome = answered[k] ?? { failed: new Error(`${projection.name} answered ${answered.length} of ${mine.length} events`) };
      row[index] = outcome;
      const label = typeof outcome === 'object' ? 'failed' : outcome;
      metrics?.events.inc({ projection: projection.name, outcome: label });
      if (outcome === 'applied') {
        metrics?.propagation.observe({ projection: projection.name }, (Date.now() - Date.parse(events[index]!.occurredAt)) / 1000);
      }
    });
    outcomes.push(row);
  }
  return { kind: 'answered', verdict: batchVerdict(events.length, outcomes) };
}

export function createEventProcessor(projections: readonly Projection[], options: Pick<ConsumerOptions, 'logger' | 'metrics' | 'channel'>) {
  const log = options.logger;
  return async (job: Job<EventJobData>, token?: string): Promise<ProcessedBatch> => {
    const read = eventsOfJob(job.data);
    if (read.kind === 'invalid') throw new UnrecoverableError(`not a domain event: ${read.reason}`);
    const { events } = read;
    const answer = await applyToProjections(projections, events, options.metrics);
    if (answer.kind === 'failed') {
      if (read.kind === 'batch' && options.channel && isLastAttempt(job)) {
        // Nothing says which event is at fault: each goes on alone, with its own attempts, so
        // a bad one is dead-lettered by itself and the others are applied.
        await options.channel.publishAlone(events);
        log.warn({ queue: job.queueName, jobId: job.id, events: events.length, projection: answer.projection, err: errorLine((answer.error as Error).message) }, 'event batch failed on its last attempt; its events go on alone');
        return { done: 0, splitOut: events.length };
      }
      throw answer.error;
    }

    const { verdict } = answer;
    if (verdict.failed.length > 0) {
      const first = verdict.failed[0]!;
      // A job of one event is that event's own: it is retried, then dead-lettered, as it is.
      if (read.kind === 'single' || !options.channel) throw first.error;
      const refused = verdict.failed.map((f) => events[f.index]!);
      await options.channel.publishAlone(refused);
      log.warn(
        { queue: job.queueName, jobId: job.id, events: idsOf(refused), err: errorLine((first.error as Error).message ?? String(first.error)) },
        'events refused in their batch; each published alone, to retry and dead-letter on its own',
      );
    }
    if (verdict.waiting.length > 0) {
      const waiting = verdict.waiting.map((i) => events[i]!);
      if (!token) throw new OutOfOrder('batch', waiting[0]!.sequence - 1, waiting[0]!.sequence);
      // The job waits with its waiting events only: the others are done or split out.
      if (read.kind === 'batch' && waiting.length < events.length) await job.updateData({ events: waiting });
      await job.moveToDelayed(Date.now() + outOfOrderWait(Date.now() - job.timestamp), token);
      throw new DelayedError();
    }
    return { done: verdict.done, splitOut: verdict.failed.length };
  };
}

export interface RunningConsumers {
  workers: Worker[];
  close(): Promise<void>;
}

/** What a job is, for logs: one event's ids, or the batch's size. No event data. */
function describeJob(job: Job<EventJobData>): Record<string, unknown> {
  const read = eventsOfJob(job.data);
  if (read.kind === 'single') {
    const event = read.events[0];
    return { eventId: event.id, aggregate: event.aggregate, aggregateId: event.aggregateId, type: event.type };
  }
  return read.kind === 'batch' ? { jobId: job.id, events: read.events.length } : { jobId: job.id };
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
    const worker = new Worker<EventJobData>(name, process, {
      ...workerBase(options.connection, 'events'),
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
      const fields = { queue: name, ...describeJob(job), attempts: job.attemptsMade, err: errorLine(error.message) };
      if (!final) {
        log.warn(fields, 'events not applied; will retry');
        return;
      }
      log.error(fields, 'event dead-lettered: left in the failed set for an admin to replay');
      options.onDeadLetter?.(name, job).catch((error: unknown) =>
        log.warn({ queue: name, jobId: job.id, err: (error as Error).message }, 'dead-letter alert not raised; the sweep will'),
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
