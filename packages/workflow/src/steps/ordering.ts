/**
 * Work on an existing record runs after every earlier piece of work on it: the record's own
 * creation, and corrections accepted before this one (the record's pending set in Redis).
 */
import { earlierPendingWork, removePendingWork, type RecordDocument, type RecordJobData } from '@steadfast/commons';
import type { WorkflowDeps } from '../context.js';
import { EarlierWorkPending } from '../errors.js';

export async function ensureEarlierWorkFinished(
  deps: WorkflowDeps,
  record: RecordDocument,
  data: RecordJobData,
): Promise<void> {
  // Its draft's outcome says it is finished, or its last mark (written before the outcome, and
  // only with a change of the record left to the end: process-record.ts).
  if (!record.actions[record.draftId]?.steps.finish && (await deps.batches.draft.add(record.draftId))?.status !== 'processed') {
    throw new EarlierWorkPending(`record ${record._id} is still being created (draft ${record.draftId})`);
  }
  for (const earlier of await earlierPendingWork(deps.redis, record._id, data.draftId)) {
    if (record.actions[earlier]?.steps.finish || (await deps.batches.draft.add(earlier))) {
      await removePendingWork(deps.redis, record._id, earlier); // finished; the entry is stale
      continue;
    }
    if (await deps.queue.getJob(earlier)) {
      throw new EarlierWorkPending(`an earlier submission on record ${record._id} (draft ${earlier}) is unfinished`);
    }
    // Accepted but never queued (the gateway stopped in between): nothing will ever come.
    await removePendingWork(deps.redis, record._id, earlier);
  }
}
