/**
 * Steps 3 and 4: the search document and the duplicate check. The record is indexed first and
 * made visible, then the query runs: of two similar records processed at the same time, the
 * one that queries later always sees the other, and marks both, so the outcome does not
 * depend on the order in which they were processed.
 */
import type { RecordDocument } from '@steadfast/commons';
import type { StepContext, WorkflowDeps } from '../context.js';
import { reload } from '../context.js';
import { changeRecord } from '../records/change.js';

export async function indexRecord(ctx: StepContext): Promise<void> {
  await ctx.deps.search.project(ctx.record, { visible: true });
}

/**
 * Adds `ids` to the record's potential duplicates, with a `record.duplicates-flagged` event;
 * a compare-and-set on the version, so a concurrent change is never overwritten. Returns the
 * record as written, or undefined when it already had them all (or does not exist).
 */
export async function flagDuplicates(
  deps: WorkflowDeps,
  recordId: string,
  ids: readonly string[],
  correlationId?: string,
): Promise<RecordDocument | undefined> {
  return changeRecord<RecordDocument | undefined>(
    deps,
    recordId,
    (record) => {
      const duplicates = [...new Set([...record.duplicates, ...ids])].sort();
      if (duplicates.length === record.duplicates.length && record.hasPotentialDuplicates) return { done: undefined };
      const now = new Date();
      return {
        update: { $set: { duplicates, hasPotentialDuplicates: true, updatedAt: now } },
        event: {
          type: 'record.duplicates-flagged',
          changes: { duplicates, hasPotentialDuplicates: true, updatedAt: now.toISOString() },
          at: now,
          ...(correlationId ? { correlationId } : {}),
        },
        after: (read, version) => ({ ...read, duplicates, hasPotentialDuplicates: true, updatedAt: now, version }),
      };
    },
    {
      rounds: 10,
      missing: () => undefined,
      exhausted: () => {
        throw new Error(`record ${recordId} kept changing while its duplicates were flagged; retrying`);
      },
    },
  );
}

export async function checkDuplicates(ctx: StepContext): Promise<void> {
  const { search } = ctx.deps;
  const found = await search.findDuplicates(ctx.record);
  if (found.length === 0) return;
  const me = ctx.record._id;
  for (const other of found) {
    const updated = await flagDuplicates(ctx.deps, other, [me], ctx.data.correlationId);
    if (updated) await search.project(updated);
  }
  await flagDuplicates(ctx.deps, me, found, ctx.data.correlationId);
  await search.project(await reload(ctx));
  ctx.log.info({ duplicates: found }, 'potential duplicates found');
}
