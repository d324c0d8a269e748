/**
 * Events travel in batches: one BullMQ job carries the ordered events of one partition from one
 * relay round, so a round costs one job per partition instead of one per event. The decisions
 * around a batch are pure and live here: how a round's events are cut into jobs, a job's id, what
 * a job holds (a batch, or one event: jobs written before batching, and dead letters), and what
 * to do with a batch once every projection has answered for each of its events.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DomainEvent, partitionOf } from './domain-event.js';

/** A job's data: the partition's events of one round, each aggregate's in sequence order. */
export const EventBatch = z.strictObject({ events: z.array(DomainEvent).min(1) });
export type EventBatch = z.infer<typeof EventBatch>;

/** What a job carries, read from its data: a batch, or one event (a dead letter, or a job from before batching). */
export type JobEvents = { kind: 'batch'; events: DomainEvent[] } | { kind: 'single'; events: [DomainEvent] };

export function eventsOfJob(data: unknown): JobEvents | { kind: 'invalid'; reason: string } {
  if (data !== null && typeof data === 'object' && 'events' in data) {
    const batch = EventBatch.safeParse(data);
    return batch.success ? { kind: 'batch', events: batch.data.events } : { kind: 'invalid', reason: batch.error.issues[0]?.message ?? 'invalid batch' };
  }
  const single = DomainEvent.safeParse(data);
  return single.success ? { kind: 'single', events: [single.data] } : { kind: 'invalid', reason: single.error.issues[0]?.message ?? 'invalid event' };
}

/** BullMQ refuses `:` in custom job ids. */
export const eventJobId = (event: Pick<DomainEvent, 'id'>): string => event.id.replaceAll(':', '.');

/**
 * A batch's job id, from all of its events: the same events (a round published again after a
 * crash before the outboxes were cleared) give the same id, so the second add is a no-op while
 * the job is kept. Readable in the dashboard: the first event, how many follow, and a digest of
 * every id (first and last alone could hide a different middle).
 */
export function batchJobId(events: readonly Pick<DomainEvent, 'id'>[]): string {
  const first = events[0];
  if (!first) throw new Error('a batch holds at least one event');
  const digest = createHash('sha256')
    .update(events.map((e) => e.id).join('\n'))
    .digest('base64url')
    .slice(0, 16);
  return `batch.${eventJobId(first)}.n${events.length}.${digest}`;
}

/**
 * A round's events cut into jobs: per partition, in the order given (each aggregate's events must
 * come in sequence order), at most `maxPerJob` events per job. An aggregate's events all go to
 * its partition, and the jobs of a partition are listed in order, so adding them in that order
 * keeps each aggregate's events in sequence in its FIFO queue.
 */
export function partitionBatches(events: readonly DomainEvent[], partitions: number, maxPerJob: number): Map<number, DomainEvent[][]> {
  if (!(maxPerJob >= 1)) throw new Error('a job holds at least one event');
  const byPartition = new Map<number, DomainEvent[][]>();
  for (const event of events) {
    const p = partitionOf(event.aggregateId, partitions);
    const jobs = byPartition.get(p) ?? [];
    const last = jobs[jobs.length - 1];
    if (last && last.length < maxPerJob) last.push(event);
    else jobs.push([event]);
    byPartition.set(p, jobs);
  }
  return byPartition;
}

/** What one projection made of one event. A `failed` event was refused on its own (the rest of its batch was not). */
export type EventOutcome = 'applied' | 'duplicate' | 'waiting' | { failed: unknown };

export interface BatchVerdict {
  /** Events every projection has (applied now or before): done. */
  done: number;
  /** Events at least one projection could not apply yet (an earlier event is missing): the job waits with these. */
  waiting: number[];
  /** Events a projection refused on their own, none waiting: each goes out as its own job, to retry and dead-letter alone. */
  failed: Array<{ index: number; error: unknown }>;
}

/**
 * The batch's fate from each projection's outcomes (one array per projection, indexed like the
 * batch's events; an event a projection does not handle is `undefined` there). A refused event
 * is split out; an event that waits for an earlier one keeps the job waiting. An event both
 * refused by one projection and waiting in another waits: it is split out, if still refused,
 * once its predecessor arrives.
 */
export function batchVerdict(count: number, outcomes: ReadonlyArray<ReadonlyArray<EventOutcome | undefined>>): BatchVerdict {
  const verdict: BatchVerdict = { done: 0, waiting: [], failed: [] };
  for (let i = 0; i < count; i++) {
    const mine = outcomes.map((o) => o[i]);
    const failed = mine.find((o): o is { failed: unknown } => typeof o === 'object');
    if (mine.includes('waiting')) verdict.waiting.push(i);
    else if (failed) verdict.failed.push({ index: i, error: failed.failed });
    else verdict.done++;
  }
  return verdict;
}
