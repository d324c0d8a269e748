/**
 * MongoDB calls as batches: an unordered `insertMany`, an unordered `bulkWrite`, one
 * `find({_id: {$in}})`. An unordered write tries every item; the error it throws lists the items
 * that failed by index, and every other item was written. A duplicate key on insert means the
 * document is there already (ids are derived from the work, so a repeat inserts the same id):
 * reported as `'duplicate'`, not as a failure.
 */
import { MongoServerError, type AnyBulkWriteOperation, type Collection, type Document, type Filter, type OptionalUnlessRequiredId } from 'mongodb';
export type { AnyBulkWriteOperation };

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

/** An item sent on its own: its result, with a refused write as its own error. */
async function alone<R>(send: () => Promise<R>): Promise<ItemResult<R>> {
  try {
    return itemOk(await send());
  } catch (error) {
    const own = writeErrorsOf(error)?.[0];
    return itemFailed(own ? itemError(own) : error);
  }
}

/**
 * Documents inserted together: each answers `'inserted'` or `'duplicate'` (already there).
 * An item refused for another reason than a duplicate key: the items are inserted again one by
 * one (a document the batch wrote answers `'duplicate'` then), so each answers for itself
 * whatever the server reported for the batch.
 */
export function insertBatcher<T extends Document>(collection: Collection<T>, options: BatchOptions): Batcher<OptionalUnlessRequiredId<T>, InsertOutcome> {
  return new Batcher(async (docs) => {
    try {
      await collection.insertMany([...docs], { ordered: false });
      return unorderedOutcomes(docs.length, undefined, { duplicateOk: true });
    } catch (error) {
      const outcomes = unorderedOutcomes(docs.length, error, { duplicateOk: true });
      if (!writeErrorsOf(error) || outcomes.every((o) => o.ok)) return outcomes;
      return Promise.all(docs.map((doc) => alone(() => collection.insertMany([doc]).then((): InsertOutcome => 'inserted')).then(duplicateAsOutcome)));
    }
  }, options);
}

const duplicateAsOutcome = (result: ItemResult<InsertOutcome>): ItemResult<InsertOutcome> =>
  !result.ok && (result.error as { code?: unknown }).code === 11000 ? itemOk('duplicate') : result;

/**
 * Writes (updates, upserts) sent together as one unordered bulkWrite. Only for idempotent
 * writes whose caller needs no per-item count (a mark, an upsert that only inserts): a bulk
 * write reports counts for the whole call. When the server refuses an item, the batch's items
 * are sent again one by one, each answering for itself: FerretDB stops an unordered update
 * batch at its first refused item, reports it as index 0 and the items after it as written
 * (they are not), so the batch's own report cannot say which items were written.
 */
export function bulkWriteBatcher<T extends Document>(collection: Collection<T>, options: BatchOptions): Batcher<AnyBulkWriteOperation<T>, void> {
  return new Batcher(async (ops) => {
    try {
      await collection.bulkWrite([...ops], { ordered: false });
      return ops.map(() => itemOk(undefined));
    } catch (error) {
      if (!writeErrorsOf(error)) return ops.map(() => itemFailed(error));
      return Promise.all(ops.map((op) => alone(async () => void (await collection.bulkWrite([op])))));
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

/**
 * Ids in one `$in` at most: the reply then fits in the first batch of the cursor (101 documents),
 * so no cursor stays open on the server, and the query stays small. The relay and the projections
 * read by id in chunks of this size.
 */
export const MAX_IDS_PER_FIND = 100;

/** Cuts ids into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
