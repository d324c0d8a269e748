/**
 * Steps 3 and 4: the search document and the duplicate check. The record is indexed first and
 * made visible, then the query runs: of two similar records processed at the same time, the
 * one that queries later always sees the other, and marks both, so the outcome does not
 * depend on the order in which they were processed.
 */
import type { StepContext } from '../context.js';
import { reload } from '../context.js';

export async function indexRecord(ctx: StepContext): Promise<void> {
  await ctx.deps.search.project(ctx.record, { visible: true });
}

export async function checkDuplicates(ctx: StepContext): Promise<void> {
  const { db, search } = ctx.deps;
  const found = await search.findDuplicates(ctx.record);
  if (found.length === 0) return;
  const me = ctx.record._id;
  const now = new Date();
  for (const other of found) {
    const result = await db.records.updateOne(
      { _id: other, duplicates: { $ne: me } },
      { $addToSet: { duplicates: me }, $set: { hasPotentialDuplicates: true, updatedAt: now }, $inc: { version: 1 } },
    );
    if (result.modifiedCount === 0) continue;
    const updated = await db.records.findOne({ _id: other });
    if (updated) await search.project(updated);
  }
  const missing = found.filter((id) => !ctx.record.duplicates.includes(id));
  if (missing.length > 0) {
    await db.records.updateOne(
      { _id: me },
      { $addToSet: { duplicates: { $each: missing } }, $set: { hasPotentialDuplicates: true, updatedAt: now }, $inc: { version: 1 } },
    );
  }
  await search.project(await reload(ctx));
  ctx.log.info({ duplicates: found }, 'potential duplicates found');
}
