/**
 * Step 2, attachments: server-side copies from the staging bucket to `<recordId>/…` in the
 * attachments bucket. Keys are deterministic, so a copy already made is seen and skipped.
 */
import type { StepContext } from '../context.js';

const isNotFound = (error: unknown): boolean => {
  const code = (error as { code?: string }).code;
  return code === 'NotFound' || code === 'NoSuchKey';
};

async function exists(ctx: StepContext, bucket: string, key: string): Promise<boolean> {
  try {
    await ctx.deps.minio.statObject(bucket, key);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export async function moveAttachments(ctx: StepContext): Promise<void> {
  const { buckets, minio } = ctx.deps;
  const mine = ctx.record.attachments.filter((a) => a.draftId === ctx.data.draftId);
  for (const stored of mine) {
    if (await exists(ctx, buckets.attachments, stored.key)) continue;
    const staged = ctx.data.attachments.find((a) => a.index === stored.index);
    if (!staged) throw new Error(`attachment ${stored.index} of draft ${ctx.data.draftId} has no staged object`);
    // A missing staged object is retried: it is an operator's problem (a lifecycle rule that
    // expired it, a restored bucket), never a reason to lose the rest of the submission.
    await minio.copyObject(buckets.attachments, stored.key, `/${buckets.staging}/${staged.stagingKey}`);
  }
}

/** The final step's housekeeping: the staged copies are no longer needed. */
export async function removeStaged(ctx: StepContext): Promise<void> {
  const keys = ctx.data.attachments.map((a) => a.stagingKey);
  if (keys.length > 0) await ctx.deps.minio.removeObjects(ctx.deps.buckets.staging, keys);
}
