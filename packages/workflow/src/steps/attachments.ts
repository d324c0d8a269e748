/**
 * Step 2, attachments: server-side copies from the staging bucket to `<recordId>/…` in the
 * attachments bucket. Keys are deterministic, so a copy already made is seen and skipped.
 */
import { stagingKeyFor, type RecordJobData } from '@steadfast/commons';
import type { StepContext, WorkflowDeps } from '../context.js';

export const isNotFound = (error: unknown): boolean => {
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
    const staged = ctx.data.attachments.find((a) => a.index === stored.index);
    if (!staged) throw new Error(`attachment ${stored.index} of draft ${ctx.data.draftId} has no staged object`);
    // Copied straight away (copying again writes the same bytes to the same key): one request,
    // not a look first. Only a missing staged object needs a second look: a retry after the
    // cleanup step removed it finds the copy in place.
    try {
      await minio.copyObject(buckets.attachments, stored.key, `/${buckets.staging}/${stagingKeyFor(ctx.data.draftId, staged)}`);
    } catch (error) {
      if (!isNotFound(error) || !(await exists(ctx, buckets.attachments, stored.key))) throw error;
    }
    // A staged object missing with no copy is retried: it is an operator's problem (a lifecycle
    // rule that expired it, a restored bucket), never a reason to lose the rest of the submission.
  }
}

/**
 * The staged copies are no longer needed once the draft is decided: processed (the final step's
 * housekeeping), rejected, or found decided already (a repeat queued while MongoDB was down).
 * Removing a key that is gone already is not an error, so a retry or a second call is harmless.
 */
export async function discardStaged(deps: Pick<WorkflowDeps, 'batches'>, data: RecordJobData): Promise<void> {
  // With the other jobs' keys, in one multi-object delete.
  await Promise.all(data.attachments.map((a) => deps.batches.removeStaged.add(stagingKeyFor(data.draftId, a))));
}

export const removeStaged = (ctx: StepContext): Promise<void> => discardStaged(ctx.deps, ctx.data);
