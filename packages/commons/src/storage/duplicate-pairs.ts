/**
 * The duplicate pairs: one document per pair of similar records, written by the workflow's
 * duplicate check (the one writer) and read by whoever lists a record's candidates. A pair is
 * keyed by its sorted ids, so storing it is idempotent whatever the order of the two records'
 * checks, and a check never rewrites the other record to remember it.
 */
import type { Collection } from 'mongodb';
import type { EventType } from '../queue/record-jobs.js';
import { isDuplicateKey, type DuplicatePair } from './documents.js';

/** The pair's `_id`: the two ids sorted, so (a, b) and (b, a) are one pair. */
export function pairIdOf(a: string, b: string): string {
  if (a === b) throw new Error(`a record is not a duplicate of itself (${a})`);
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

/** The pair documents a record's check stores: one per candidate, each once. */
export function pairsOf(
  recordId: string,
  candidates: readonly string[],
  event: EventType,
  at: Date,
  correlationId?: string,
): DuplicatePair[] {
  return [...new Set(candidates)].map((other) => ({
    _id: pairIdOf(recordId, other),
    records: (recordId < other ? [recordId, other] : [other, recordId]),
    event,
    foundBy: recordId,
    foundAt: at,
    ...(correlationId ? { correlationId } : {}),
  }));
}

/**
 * Stores the pairs in one unordered insert; a pair already there (the other record's check
 * found it first, or this step ran before) is a duplicate key and left as it is. Returns the
 * pairs this call stored.
 */
export async function storePairs(pairs: Collection<DuplicatePair>, docs: DuplicatePair[]): Promise<DuplicatePair[]> {
  if (docs.length === 0) return [];
  try {
    await pairs.insertMany(docs, { ordered: false });
    return docs;
  } catch (error) {
    const bulk = error as { writeErrors?: unknown };
    const writeErrors = (Array.isArray(bulk.writeErrors) ? bulk.writeErrors : bulk.writeErrors ? [bulk.writeErrors] : []) as Array<{ index?: unknown }>;
    if (writeErrors.length === 0 || !writeErrors.every((e) => isDuplicateKey(e) && typeof e.index === 'number')) throw error;
    const existing = new Set(writeErrors.map((e) => e.index as number));
    return docs.filter((_doc, i) => !existing.has(i));
  }
}

export interface Candidate {
  recordId: string;
  foundAt: Date;
}

/**
 * Up to `limit` candidates of a record, oldest pair first, and whether there are more. Uses the
 * `records` index (on MongoDB; FerretDB scans the collection, see the README).
 */
export async function candidatesOf(
  pairs: Collection<DuplicatePair>,
  recordId: string,
  limit: number,
): Promise<{ candidates: Candidate[]; more: boolean }> {
  const found = await pairs
    .find({ records: recordId }, { projection: { records: 1, foundAt: 1 } })
    .sort({ foundAt: 1, _id: 1 })
    .limit(limit + 1)
    .toArray();
  const candidates = found.slice(0, limit).map((pair) => ({
    recordId: pair.records[0] === recordId ? pair.records[1] : pair.records[0],
    foundAt: pair.foundAt,
  }));
  return { candidates, more: found.length > limit };
}
