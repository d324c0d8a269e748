/**
 * A change to an existing record, with its domain event, written once: the record is read, the
 * caller decides what to write from what it read, and the write is a compare-and-set on the
 * version it read, carrying the event (sequence = the new version) in the record's outbox in the
 * same single-document write. A change made meanwhile by anyone else makes the write miss: the
 * record is read again and the caller decides again, so no concurrent change is lost and no
 * event is written twice. After the write the relay is hinted.
 */
import {
  hintOutbox,
  recordEvent,
  withEvent,
  type Collections,
  type Logger,
  type RecordDocument,
  type RecordEventInput,
  type Redis,
} from '@steadfast/commons';
import type { UpdateFilter } from 'mongodb';

export interface RecordChangeDeps {
  db: Collections;
  redis: Redis;
  logger?: Logger;
}

/** What to write: the update (without the version bump, added here) and the event's content. */
export interface RecordWrite<T> {
  update: UpdateFilter<RecordDocument>;
  event: Omit<RecordEventInput, 'recordId' | 'sequence'>;
  /** After a successful write: the answer, from the record as read and its new version. */
  after: (read: RecordDocument, version: number) => T | Promise<T>;
}

/** The caller's decision on the record as read: nothing to write (`{ done }`), or a write. */
export type RecordDecision<T> = { done: T } | RecordWrite<T>;

export interface ChangeOptions<T> {
  /** The answer when there is no such record. */
  missing: () => T | Promise<T>;
  /** The answer (or throw) when the record kept changing for every round. */
  exhausted: () => T;
  rounds?: number;
  /** Fields to read, when the decision needs only some (`version` is always read). */
  projection?: Partial<Record<keyof RecordDocument, 1>>;
  /**
   * The record as the caller holds it (just written or read): the first round decides on it
   * instead of reading it again. Safe: a stale copy makes the write miss, and the next round reads.
   */
  first?: RecordDocument;
}

export async function changeRecord<T>(
  deps: RecordChangeDeps,
  recordId: string,
  decide: (record: RecordDocument) => RecordDecision<T> | Promise<RecordDecision<T>>,
  options: ChangeOptions<T>,
): Promise<T> {
  const findOptions = options.projection ? { projection: { ...options.projection, version: 1 } } : {};
  for (let round = 0; round < (options.rounds ?? 5); round++) {
    const record = round === 0 && options.first ? options.first : await deps.db.records.findOne({ _id: recordId }, findOptions);
    if (!record) return options.missing();
    const decision = await decide(record);
    if ('done' in decision) return decision.done;
    const version = record.version + 1;
    const event = recordEvent({ ...decision.event, recordId, sequence: version });
    const result = await deps.db.records.updateOne(
      { _id: recordId, version: record.version },
      withEvent<RecordDocument>({ ...decision.update, $inc: { version: 1 } }, event),
    );
    if (result.matchedCount === 1) {
      await hintOutbox(deps.redis, deps.db.records, recordId, deps.logger);
      return decision.after(record, version);
    }
    // The record changed between the read and the write: read it again and decide again.
  }
  return options.exhausted();
}
