/**
 * Steps 3 and 4: the search document and the duplicate check. The record is indexed first and
 * made visible, then the check searches (duplicates/check.ts): of two similar records processed
 * at the same time, the one that searches later always sees the other, so the pair is found
 * whatever the order in which they were processed.
 */
import type { StepContext } from '../context.js';

export { checkDuplicates } from '../duplicates/check.js';

export async function indexRecord(ctx: StepContext): Promise<void> {
  // With the other jobs' documents, in one bulk request that waits for one refresh.
  await ctx.deps.batches.project.add({ record: ctx.record, visible: true });
}
