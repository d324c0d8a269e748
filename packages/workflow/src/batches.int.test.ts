/**
 * Group commit against the real stores: concurrent jobs share their store requests, and an item
 * the store refuses inside a shared request fails only the job it belongs to, which its retry
 * then finishes from its last checkpoint.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { bulkWriteBatcher, recordIdFor, sampleBirth, type AnyBulkWriteOperation, type RecordDocument, type RecordJob, type RecordJobData, type RecordJobResult } from '@steadfast/commons';
import { createRecordProcessor } from './process-record.js';
import type { Workflow } from './server.js';
import { declarationJob, isolatedEnvironment, workflowPerFile } from './testing.js';

const env = isolatedEnvironment('batches');
let workflow: Workflow;

workflowPerFile(env, (started) => (workflow = started));

async function stagedJob(): Promise<RecordJobData> {
  const { attachments, ...rest } = sampleBirth(randomUUID());
  const bytes = Buffer.from(attachments[0]!.data, 'base64');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await workflow.deps.minio.putObject(workflow.deps.buckets.staging, `${rest.registration.draftId}/0-${sha256}`, bytes, bytes.length);
  return declarationJob(rest, [{ index: 0, type: 'BIRTH_NOTIFICATION', subject: 'CHILD', contentType: 'image/png', size: bytes.length, sha256 }]);
}

const asJob = (data: RecordJobData) => ({ id: data.draftId, data, attemptsMade: 0, updateProgress: () => Promise.resolve() }) as unknown as RecordJob;

/** How many requests of one kind carried more than `size` items (from the workflow's histogram). */
async function batchesLargerThan(op: string, size: 1 | 2 | 4 | 8 | 16 | 32): Promise<number> {
  const { values } = await workflow.deps.metrics!.batchSize.get();
  const count = values.find((v) => v.metricName === 'steadfast_batch_size_count' && v.labels['op'] === op)?.value ?? 0;
  const within = values.find((v) => v.metricName === 'steadfast_batch_size_bucket' && v.labels['op'] === op && (v.labels as Record<string, unknown>)['le'] === size)?.value ?? 0;
  return count - within;
}

test("50 concurrent jobs share their store requests; an item the store refuses fails only its job, whose retry finishes it", async () => {
  const jobs = await Promise.all(Array.from({ length: 50 }, () => stagedJob()));
  const victim = jobs[17]!;
  const victimId = recordIdFor(victim.draftId);
  const { db, search, batches } = workflow.deps;

  // The records' writes go to MongoDB as the workflow sends them, but one record's only
  // checkpoint after its insert (a declaration's: every step's mark, at the end) carries a
  // conflicting update in the same unordered bulk write: MongoDB refuses that item only.
  const real = batches.writeRecord;
  const sabotage = (op: AnyBulkWriteOperation<RecordDocument>): AnyBulkWriteOperation<RecordDocument> => {
    const set = 'updateOne' in op ? ((op.updateOne.update as { $set?: Record<string, unknown> }).$set ?? {}) : {};
    if (!('updateOne' in op) || (op.updateOne.filter as { _id?: string })._id !== victimId || !(`actions.${victim.draftId}.steps.finish` in set)) return op;
    return { updateOne: { ...op.updateOne, update: { $set: { ...set, actions: {} } } } };
  };
  const collection = { bulkWrite: (ops: Array<AnyBulkWriteOperation<RecordDocument>>, options: object) => db.records.bulkWrite(ops.map(sabotage), options) };
  batches.writeRecord = bulkWriteBatcher(collection as unknown as typeof db.records, { maxSize: 64, maxWaitMs: 5 });
  const process = createRecordProcessor(workflow.deps);
  let results: Array<PromiseSettledResult<unknown>>;
  try {
    results = await Promise.allSettled(jobs.map((data) => process(asJob(data))));
  } finally {
    batches.writeRecord = real;
  }

  // Their reads and writes went out together: the 50 look-ups of the drafts as one request.
  assert.ok((await batchesLargerThan('find-drafts', 32)) >= 1, 'the draft look-ups shared one request');
  assert.ok((await batchesLargerThan('bulk', 1)) >= 1, 'search documents shared a bulk request');
  // Their notifications too: fewer notification jobs than records, each record's listed once.
  assert.ok((await batchesLargerThan('add-notifications', 1)) >= 1, 'notifications shared a job');
  const notificationJobs = await workflow.deps.notifications!.queue.getJobs(['waiting', 'active', 'completed', 'delayed']);
  const notified = notificationJobs.flatMap((job) => (job.data as { notifications: Array<{ recordId: string }> }).notifications.map((n) => n.recordId));
  // The victim's too: it failed at its last step, after notifying.
  const processedIds = jobs.map((data) => recordIdFor(data.draftId));
  assert.deepEqual([...notified].sort(), [...processedIds].sort(), 'each record\'s notification queued once');
  assert.ok(notificationJobs.length < processedIds.length / 4, `${notificationJobs.length} notification jobs for ${processedIds.length} records`);

  results.forEach((result, i) => {
    if (jobs[i] === victim) {
      assert.equal(result.status, 'rejected');
      assert.match(String((result).reason), /^StepFailed: finish step failed: Updating the path 'actions' would create a conflict/);
    } else {
      assert.equal(result.status, 'fulfilled');
      const value = (result as PromiseFulfilledResult<RecordJobResult>).value;
      assert.ok(value.outcome === 'processed' && value.recordId === recordIdFor(jobs[i]!.draftId), JSON.stringify(value));
      // With the record as the job left it (what a held status request is told).
      assert.equal(value.record?.registrationStatus, 'DECLARED');
    }
  });
  // The draft's outcome went out beside the refused marks (another collection, its own batch):
  // the draft is decided, and the record keeps the mark of its insert only.
  assert.equal((await db.drafts.findOne({ _id: victim.draftId }))?.status, 'processed');
  const before = await db.records.findOne({ _id: victimId });
  assert.deepEqual(Object.keys(before?.actions[victim.draftId]?.steps ?? {}), ['metadata']);

  // Its retry is answered from the decided outcome (every step ran before the last write): the
  // record is not written again, and there is one of everything.
  assert.deepEqual(await process(asJob(victim)), { outcome: 'processed', recordId: victimId });
  const after = await db.records.findOne({ _id: victimId });
  assert.equal(after?.version, before?.version);
  assert.deepEqual(after?.actions[victim.draftId]?.steps, before?.actions[victim.draftId]?.steps);
  const claims = db.records.db.collection<{ _id: string; recordId: string; status: string }>('notifications');
  const ids = jobs.map((data) => recordIdFor(data.draftId));
  for (let tries = 0; (await claims.countDocuments({ recordId: { $in: ids }, status: 'sent' })) < ids.length && tries < 300; tries += 1) await sleep(100);
  assert.equal(await claims.countDocuments({ recordId: { $in: ids } }), ids.length, 'one claim per record: every notification sent once');
  assert.equal(await claims.countDocuments({ recordId: { $in: ids }, status: 'sent' }), ids.length);
  for (const data of jobs) {
    assert.equal(await db.records.countDocuments({ draftId: data.draftId }), 1);
    assert.equal(await db.audit.countDocuments({ draftId: data.draftId }), 1);
    assert.ok(await search.get(recordIdFor(data.draftId)));
  }
});
