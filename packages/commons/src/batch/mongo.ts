/**
 * MongoDB calls as batches: an unordered `insertMany`, an unordered `bulkWrite`, one
 * `find({_id: {$in}})`. An unordered write tries every item; the error it throws lists the items
 * that failed by index, and every other item was written. A duplicate key on insert means the
 * document is there already (ids are derived from the work, so a repeat inserts the same id):
 * reported as `'duplicate'`, not as a failure.
 */
import { MongoServerError, type AnyBulkWriteOperation, type Collection, type Document, type Filter, type OptionalUnlessRequiredId } from 'mongodb';
import { Batcher, itemFailed, itemOk, type BatchOptions, type ItemResult } from './batcher.js';

interface WriteErrorLike {
  index?: unknown;
  code?: unknown;
  errmsg?: unknown;
  message?: unknown;
}

/** The per-item errors of an unordered write's error; undefined when it is not such an error (the call failed). */
export function writeErrorsOf(error: unknown): WriteErrorLike[] | undefined {
  const raw = (error as { writeErrors?: unknown } | undefined)?.writeErrors;
  const list = (Array.isArray(raw) ? raw : raw ? [raw] : []) as WriteErrorLike[];
  if (list.length === 0 || !list.every((e) => typeof e.index === 'number')) return undefined;
  // A write concern error too: what was written may not be durable; the whole call failed.
  if ((error as { writeConcernError?: unknown }).writeConcernError) return undefined;
  return list;
}

/** An item's own error, as the driver would have thrown it for a single write. */
function itemError(e: WriteErrorLike): Error {
  const message = typeof e.errmsg === 'string' ? e.errmsg : typeof e.message === 'string' ? e.message : 'write failed';
  return new MongoServerError({ message, errmsg: message, ...(typeof e.code === 'number' ? { code: e.code } : {}) });
}

export type InsertOutcome = 'inserted' | 'duplicate';

/**
 * Each item's result of an unordered write of `count` items that answered `error` (undefined:
 * every item written). A duplicate key is `'duplicate'` when `duplicateOk`, else the item fails.
 */
export function unorderedOutcomes(count: number, error: unknown, { duplicateOk }: { duplicateOk: boolean }): ItemResult<InsertOutcome>[] {
  if (error === undefined) return Array.from({ length: count }, () => itemOk<InsertOutcome>('inserted'));
  const errors = writeErrorsOf(error);
  if (!errors) return Array.from({ length: count }, () => itemFailed(error));
  const byIndex = new Map(errors.map((e) => [e.index as number, e]));
  return Array.from({ length: count }, (_unused, i) => {
    const e = byIndex.get(i);
    if (!e) return itemOk<InsertOutcome>('inserted');
    if (duplicateOk && e.code === 11000) return itemOk<InsertOutcome>('duplicate');
    return itemFailed(itemError(e));
  });
}

/** Documents inserted together: each answers `'inserted'` or `'duplicate'` (already there). */
export function insertBatcher<T extends Document>(collection: Collection<T>, options: BatchOptions): Batcher<OptionalUnlessRequiredId<T>, InsertOutcome> {
  return new Batcher(async (docs) => {
    try {
      await collection.insertMany([...docs], { ordered: false });
      return unorderedOutcomes(docs.length, undefined, { duplicateOk: true });
    } catch (error) {
      return unorderedOutcomes(docs.length, error, { duplicateOk: true });
    }
  }, options);
}

/**
 * Writes (updates, upserts) sent together as one unordered bulkWrite. Only for writes whose
 * caller needs no per-item count (a mark, an upsert that only inserts): a bulk write reports
 * matched and modified counts for the whole call.
 */
export function bulkWriteBatcher<T extends Document>(collection: Collection<T>, options: BatchOptions): Batcher<AnyBulkWriteOperation<T>, void> {
  const settle = (count: number, error: unknown): ItemResult<void>[] =>
    unorderedOutcomes(count, error, { duplicateOk: false }).map((r) => (r.ok ? itemOk(undefined) : r));
  return new Batcher(async (ops) => {
    try {
      await collection.bulkWrite([...ops], { ordered: false });
      return settle(ops.length, undefined);
    } catch (error) {
      return settle(ops.length, error);
    }
  }, options);
}

/** Each id's document (or undefined), in the order asked. */
export function matchById<T extends { _id: unknown }>(ids: readonly unknown[], docs: readonly T[]): ItemResult<T | undefined>[] {
  const byId = new Map(docs.map((d) => [String(d._id), d]));
  return ids.map((id) => itemOk(byId.get(String(id))));
}

/** Reads by id sent together as one `find({_id: {$in}})`. */
export function findByIdBatcher<T extends Document & { _id: string }>(collection: Collection<T>, options: BatchOptions): Batcher<string, T | undefined> {
  return new Batcher(async (ids) => {
    const unique = [...new Set(ids)];
    const docs = (await collection.find({ _id: { $in: unique } } as Filter<T>).toArray()) as unknown as T[];
    return matchById(ids, docs);
  }, options);
}
