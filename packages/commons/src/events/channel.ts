/**
 * The channel events travel on: a BullMQ queue per partition (`<prefix>-p<N>`), an aggregate's
 * events always in the same partition, published in sequence order. Events go in batches: a
 * relay round's events of one partition are one job (at most `batchMax` events; see batch.ts),
 * whose id is derived from its events, so publishing the same round again while the job is
 * still kept is a no-op. A consumer must still expect repeats (a round published again with a
 * new event in it is a new job; a job may run twice when its worker dies).
 *
 * An event its batch could not apply on its own is published again alone (`publishAlone`, job
 * id derived from the event's id), and retried alone: when it exhausts its attempts it stays in
 * its queue's failed set, the dead-letter queue, visible (and replayable with "retry") in the
 * admin dashboard.
 */
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { queueBase } from '../redis-connection.js';
import { batchJobId, eventJobId, partitionBatches, type EventBatch } from './batch.js';
import type { DomainEvent } from './domain-event.js';

export interface EventChannelConfig {
  /** Queue name prefix; each deployment (or test) picks its own. */
  prefix: string;
  partitions: number;
  /** Attempts before an event is dead-lettered (waiting for earlier events costs none). */
  attempts: number;
  /** First retry delay; doubles per attempt up to `backoffMaxMs`. */
  backoffMs: number;
  backoffMaxMs: number;
  /** Events in one job at most (default 100). */
  batchMax?: number;
}

export const eventQueueName = (prefix: string, partition: number): string => `${prefix}-p${partition}`;

export const eventQueueNames = (config: Pick<EventChannelConfig, 'prefix' | 'partitions'>): string[] =>
  Array.from({ length: config.partitions }, (_, p) => eventQueueName(config.prefix, p));

/** A job's data: a batch, or one event (a split-out event, and every job from before batching). */
export type EventJobData = EventBatch | DomainEvent;

export class EventChannel {
  readonly queues: Queue<EventJobData>[];

  constructor(
    readonly config: EventChannelConfig,
    connection: ConnectionOptions,
    /** Called with the number of events of each batch job added (a metric). */
    private readonly onBatch?: (events: number) => void,
  ) {
    this.queues = eventQueueNames(config).map((name) => new Queue<EventJobData>(name, queueBase(connection)));
  }

  private jobOptions(jobId: string): JobsOptions {
    return {
      jobId,
      attempts: this.config.attempts,
      backoff: { type: 'exponential', delay: this.config.backoffMs },
      // Kept a while so a republished batch is recognised without running it.
      removeOnComplete: { age: 3_600, count: 50_000 },
      removeOnFail: false,
    };
  }

  /**
   * Publishes events as batch jobs, one `addBulk` per partition; each aggregate's events must be
   * given in sequence order. Returns the number of jobs added.
   */
  async publish(events: readonly DomainEvent[]): Promise<number> {
    const byPartition = partitionBatches(events, this.config.partitions, this.config.batchMax ?? 100);
    await Promise.all(
      [...byPartition].map(([p, jobs]) => {
        for (const batch of jobs) this.onBatch?.(batch.length);
        return this.queues[p]!.addBulk(jobs.map((batch) => ({ name: 'events', data: { events: batch }, opts: this.jobOptions(batchJobId(batch)) })));
      }),
    );
    return [...byPartition.values()].reduce((n, jobs) => n + jobs.length, 0);
  }

  /**
   * Publishes events each as its own job (id from the event: a second publish while the job is
   * kept, even failed, is a no-op), to be retried and, if it comes to that, dead-lettered alone.
   */
  async publishAlone(events: readonly DomainEvent[]): Promise<void> {
    // Cut as the batches are, one event per job.
    const byPartition = partitionBatches(events, this.config.partitions, 1);
    await Promise.all(
      [...byPartition].map(([p, jobs]) =>
        this.queues[p]!.addBulk(jobs.flat().map((event) => ({ name: event.type, data: event, opts: this.jobOptions(eventJobId(event)) }))),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
  }
}
