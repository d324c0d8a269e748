/**
 * Step 2, attachments: server-side copies from the staging bucket to `<recordId>/…` in the
 * attachments bucket. Keys are deterministic, so a copy already made is seen and skipped. A job
 * whose uploads the gateway placed at the record's keys (`placed`) has nothing to copy.
 */
import { recordIdFor, recordKeyFor, stagingKeyFor, type AttachmentRef, type RecordJobData } from '@steadfast/commons';
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

/** Where a job's upload is: staged by the gateway, or placed at the record's key. */
export function uploadOf(deps: Pick<WorkflowDeps, 'buckets'>, data: RecordJobData, a: AttachmentRef): { bucket: string; key: string } {
  return data.placed
    ? { bucket: deps.buckets.attachments, key: recordKeyFor(recordIdFor(data.draftId), data, a) }
    : { bucket: deps.buckets.staging, key: stagingKeyFor(data.draftId, a) };
}

export async function moveAttachments(ctx: StepContext): Promise<void> {
  if (ctx.data.placed) return;
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
 * The uploads of a draft that is not (or not by this payload) the record's: rejected, or found
 * decided already (a repeat queued while MongoDB was down). Staged ones go with the other jobs'
 * keys, in one multi-object delete. Placed ones (only a rejected or repeated create has them to
 * remove: rare) after a read of the record: a key the record lists stays, whatever the job says
 * (a retry of the job that made the record, or a job added to the queue by hand that copies a
 * real one). Removing a key that is gone already is not an error, so a retry or a second call is
 * harmless.
 */
export async function discardUploads(deps: Pick<WorkflowDeps, 'batches' | 'buckets' | 'db' | 'minio'>, data: RecordJobData): Promise<void> {
  if (data.attachments.length === 0) return;
  if (data.placed) {
    const record = await deps.db.records.findOne({ _id: recordIdFor(data.draftId) }, { projection: { attachments: 1 } });
    const listed = new Set((record?.attachments ?? []).map((a) => a.key));
    const unlisted = data.attachments.map((a) => uploadOf(deps, data, a).key).filter((key) => !listed.has(key));
    if (unlisted.length > 0) await deps.minio.removeObjects(deps.buckets.attachments, unlisted);
    return;
  }
  await Promise.all(data.attachments.map((a) => deps.batches.removeStaged.add(stagingKeyFor(data.draftId, a))));
}

/**
 * The final step's housekeeping: the staged copies are no longer needed once the record lists
 * its own. Placed uploads are the record's own objects: nothing to remove.
 */
export const removeStaged = (ctx: StepContext): Promise<void> => (ctx.data.placed ? Promise.resolve() : discardUploads(ctx.deps, ctx.data));
