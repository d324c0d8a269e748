/**
 * Domain events: what changed in one aggregate (a record, a user), told to whoever keeps a copy.
 *
 * An event names its source module, its type, the aggregate and the aggregate's per-aggregate
 * sequence number (the aggregate's version after the change: 1, 2, 3, … with no gaps), and the
 * changed data. Its id is derived from the aggregate and the sequence, so a repeat is the same
 * event, and a consumer applies it at most once by comparing sequences.
 */
import type { Document, UpdateFilter } from 'mongodb';
import { z } from 'zod';

export const AGGREGATES = ['record', 'user'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export const DomainEvent = z.strictObject({
  id: z.string().min(1),
  source: z.string().min(1),
  aggregate: z.enum(AGGREGATES),
  type: z.string().regex(/^[a-z]+\.[a-z-]+$/, 'must look like <aggregate>.<what-happened>'),
  aggregateId: z.string().min(1),
  sequence: z.number().int().positive(),
  data: z.record(z.string(), z.unknown()),
  /** When the change was written to the source (ISO 8601). */
  occurredAt: z.iso.datetime(),
  correlationId: z.string().optional(),
});
export type DomainEvent = z.infer<typeof DomainEvent>;

export const eventId = (aggregate: Aggregate, aggregateId: string, sequence: number): string =>
  `${aggregate}:${aggregateId}:${sequence}`;

export interface EventInput {
  source: string;
  aggregate: Aggregate;
  type: string;
  aggregateId: string;
  sequence: number;
  data: Record<string, unknown>;
  at?: Date;
  correlationId?: string;
}

export function domainEvent(input: EventInput): DomainEvent {
  return DomainEvent.parse({
    id: eventId(input.aggregate, input.aggregateId, input.sequence),
    source: input.source,
    aggregate: input.aggregate,
    type: input.type,
    aggregateId: input.aggregateId,
    sequence: input.sequence,
    data: input.data,
    occurredAt: (input.at ?? new Date()).toISOString(),
    ...(input.correlationId ? { correlationId: input.correlationId } : {}),
  });
}

/** The fields an aggregate document carries for its outbox. */
export interface Outboxed {
  /** Events written with the change in the same single-document write, not yet published. */
  outbox?: DomainEvent[];
  /** Set with every event written; cleared by the relay once the outbox is empty. Indexed. */
  outboxPending?: true;
}

/**
 * Adds the event to an update, so the change and its event are one atomic write: the update
 * must also move the aggregate's `version` to `event.sequence` (callers `$inc` or `$set` it).
 */
export function withEvent<T extends Document>(update: UpdateFilter<T>, event: DomainEvent): UpdateFilter<T> {
  return {
    ...update,
    $set: { ...(update.$set ?? {}), outboxPending: true },
    $push: { ...(update.$push ?? {}), outbox: event },
  } as unknown as UpdateFilter<T>;
}

/** Which partition (0‥partitions-1) carries an aggregate's events: all of one aggregate in one. */
export function partitionOf(aggregateId: string, partitions: number): number {
  // FNV-1a, 32 bits: stable across processes and versions, no crypto needed.
  let hash = 0x811c9dc5;
  for (let i = 0; i < aggregateId.length; i++) {
    hash ^= aggregateId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
