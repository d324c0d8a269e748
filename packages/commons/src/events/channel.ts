/**
 * The channel events travel on: a BullMQ queue per partition (`<prefix>-p<N>`), an aggregate's
 * events always in the same partition, published in sequence order. A job's id is derived from
 * the event's id, so publishing an event again while its job is still kept is a no-op; a
 * consumer must still expect repeats (a job may run twice when its worker dies).
 *
 * A job that exhausts its attempts stays in its queue's failed set: the dead-letter queue,
 * visible (and replayable with "retry") in the admin dashboard.
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import { queueBase } from '../redis-connection.js';
import { partitionOf, type DomainEvent } from './domain-event.js';

export interface EventChannelConfig {
  /** Queue name prefix; each deployment (or test) picks its own. */
  prefix: string;
  partitions: number;
  /** Attempts before an event is dead-lettered (waiting for earlier events costs none). */
  attempts: number;
  /** First retry delay; doubles per attempt up to `backoffMaxMs`. */
  backoffMs: number;
  backoffMaxMs: number;
}

export const eventQueueName = (prefix: string, partition: number): string => `${prefix}-p${partition}`;

export const eventQueueNames = (config: Pick<EventChannelConfig, 'prefix' | 'partitions'>): string[] =>
  Array.from({ length: config.partitions }, (_, p) => eventQueueName(config.prefix, p));

/** BullMQ refuses `:` in custom job ids. */
export const eventJobId = (event: Pick<DomainEvent, 'id'>): string => event.id.replaceAll(':', '.');

export class EventChannel {
  readonly queues: Queue<DomainEvent>[];

  constructor(
    readonly config: EventChannelConfig,
    connection: ConnectionOptions,
  ) {
    this.queues = eventQueueNames(config).map((name) => new Queue<DomainEvent>(name, queueBase(connection)));
  }

  /** Publishes events; each aggregate's events must be given in sequence order. */
  async publish(events: readonly DomainEvent[]): Promise<void> {
    const byPartition = new Map<number, DomainEvent[]>();
    for (const event of events) {
      const p = partitionOf(event.aggregateId, this.config.partitions);
      byPartition.set(p, [...(byPartition.get(p) ?? []), event]);
    }
    await Promise.all(
      [...byPartition].map(([p, batch]) =>
        this.queues[p]!.addBulk(
          batch.map((event) => ({
            name: event.type,
            data: event,
            opts: {
              jobId: eventJobId(event),
              attempts: this.config.attempts,
              backoff: { type: 'exponential', delay: this.config.backoffMs },
              // Kept a while so a republished event is recognised without running it.
              removeOnComplete: { age: 3_600, count: 50_000 },
              removeOnFail: false,
            },
          })),
        ),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
  }
}
