/**
 * Step 5, audit: one entry per action per draftId. The entry's id is `<draftId>:<action>` and
 * a unique index covers the pair, so writing it again is a duplicate-key no-op.
 */
import type { StepContext } from '../context.js';

export async function writeAudit(ctx: StepContext): Promise<void> {
  const { data, record } = ctx;
  // Inserted with the other jobs' entries; a duplicate key means this entry is there already.
  await ctx.deps.batches.insertAudit.add({
      _id: `${data.draftId}:${data.action}`,
      draftId: data.draftId,
      action: data.action,
      recordId: record._id,
      userId: data.userId,
      status: record.history.find((h) => h.draftId === data.draftId)?.status ?? record.status,
      correlationId: data.correlationId,
    at: new Date(),
  });
}
