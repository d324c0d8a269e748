/**
 * The record processor against the real stores, each test run under its own database, index,
 * buckets and queue: a job run many times leaves one of everything, and similar records are
 * paired as potential duplicates whatever order they are processed in.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, mock, test } from 'node:test';
import {
  stagingKeyFor,
  createLogger,
  STEPS,
  recordIdFor,
  sampleBirth,
  candidatesOf,
  pairIdOf,
  type RecordJob,
  type RecordJobData,
} from '@steadfast/commons';
import { UnrecoverableError } from 'bullmq';
import { createRecordProcessor } from './process-record.js';
import { createWorkflow, type Workflow } from './server.js';
import { declarationJob, dropIsolated, isolatedEnvironment } from './testing.js';

const env = isolatedEnvironment('test');
let workflow: Workflow;

before(async () => {
  workflow = await createWorkflow(env, createLogger('workflow', { level: 'silent' }));
  await workflow.ready();
});

after(async () => {
  await workflow.close();
  await dropIsolated(env);
});

/** A job as the gateway would queue it, with its attachment staged. */
async function stagedJob(details = sampleBirth(randomUUID())): Promise<RecordJobData> {
  const { attachments, ...rest } = details;
  const bytes = Buffer.from(attachments[0]!.data, 'base64');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const stagingKey = `${details.registration.draftId}/0-${sha256}`;
  await workflow.deps.minio.putObject(workflow.deps.buckets.staging, stagingKey, bytes, bytes.length);
  return declarationJob(rest, [{ index: 0, type: 'BIRTH_NOTIFICATION', subject: 'CHILD', contentType: 'image/png', size: bytes.length, sha256 }]);
}

const asJob = (data: RecordJobData) => ({ id: data.draftId, data, attemptsMade: 0 }) as unknown as RecordJob;

test('a job processed three times, twice at once, leaves one record, document, audit entry and object', async () => {
  const data = await stagedJob();
  const process = createRecordProcessor(workflow.deps);
  const results = await Promise.allSettled([process(asJob(data)), process(asJob(data))]);
  // Two at once may collide on a step; the loser fails and is retried, like a real retry.
  assert.ok(results.some((r) => r.status === 'fulfilled'));
  assert.deepEqual(await process(asJob(data)), { outcome: 'processed', recordId: recordIdFor(data.draftId) });

  const { db, search, minio, buckets } = workflow.deps;
  const recordId = recordIdFor(data.draftId);
  assert.equal(await db.records.countDocuments({ draftId: data.draftId }), 1);
  assert.equal(await db.audit.countDocuments({ draftId: data.draftId }), 1);
  assert.equal((await db.drafts.findOne({ _id: data.draftId }))?.status, 'processed');
  assert.equal((await search.get(recordId))?.trackingId, (await db.records.findOne({ _id: recordId }))?.trackingId);
  const stat = await minio.statObject(buckets.attachments, `${recordId}/${data.draftId}-0-${data.attachments[0]!.sha256.slice(0, 16)}`);
  assert.equal(stat.size, data.attachments[0]!.size);
  await assert.rejects(minio.statObject(buckets.staging, stagingKeyFor(data.draftId, data.attachments[0]!)));
});

test('a record is written at the checkpoints only, and a retry resumes at the last one', async () => {
  const data = await stagedJob();
  const { db, search, notifications } = workflow.deps;
  assert.ok(notifications);
  const process = createRecordProcessor(workflow.deps);
  const updates = mock.method(db.records, 'updateOne');
  const enqueue = mock.method(notifications, 'enqueue', () => Promise.reject(new Error('notification queue down')));
  try {
    const reported: unknown[] = [];
    const job = { ...asJob(data), updateProgress: (progress: unknown) => Promise.resolve(void reported.push(progress)) } as unknown as RecordJob;
    await assert.rejects(process(job), /notify step failed/);
    // The status names the failed step from the job, since the record does not remember it.
    assert.deepEqual(reported, [{ failedStep: 'notify' }]);
    const recordId = recordIdFor(data.draftId);
    const marked = (await db.records.findOne({ _id: recordId }))?.actions[data.draftId]?.steps ?? {};
    // The stores' steps are marked together; a declaration makes no validation call, so its
    // mark waits for the next checkpoint, which the failure did not reach.
    assert.deepEqual(Object.keys(marked).sort(), ['attachments', 'audit', 'duplicates', 'metadata', 'search']);
    assert.equal(updates.mock.callCount(), 1);

    enqueue.mock.restore();
    updates.mock.resetCalls();
    const projected = mock.method(search, 'project');
    assert.deepEqual(await process(asJob(data)), { outcome: 'processed', recordId });
    assert.equal(projected.mock.callCount(), 0, 'the search step is not run again');
    projected.mock.restore();
    assert.equal(updates.mock.callCount(), 1, 'one write marks validation, notify, cleanup and finish');
    const steps = (await db.records.findOne({ _id: recordId }))?.actions[data.draftId]?.steps ?? {};
    assert.deepEqual(Object.keys(steps).sort(), [...STEPS].sort());
  } finally {
    enqueue.mock.restore();
    updates.mock.restore();
  }
});

test('the same draftId carrying a different payload is rejected and changes nothing', async () => {
  const data = await stagedJob();
  const process = createRecordProcessor(workflow.deps);
  await process(asJob(data));
  const other = { ...data, fingerprint: 'f'.repeat(64), details: { ...data.details, weightAtBirthKg: 9 } };
  const result = await process(asJob(other));
  assert.equal(result.outcome, 'rejected');
  const record = await workflow.deps.db.records.findOne({ draftId: data.draftId });
  assert.equal(record?.data['weightAtBirthKg'], data.details['weightAtBirthKg']);
});

test('a repeat of a decided draft, staged again while MongoDB could not be asked, leaves no staged copy', async () => {
  const data = await stagedJob();
  const process = createRecordProcessor(workflow.deps);
  await process(asJob(data));
  // The gateway stages the upload again when its look-up of the decided draft fails.
  const bytes = Buffer.from('staged again');
  await workflow.deps.minio.putObject(workflow.deps.buckets.staging, stagingKeyFor(data.draftId, data.attachments[0]!), bytes, bytes.length);
  assert.deepEqual(await process(asJob(data)), { outcome: 'processed', recordId: recordIdFor(data.draftId) });
  await assert.rejects(workflow.deps.minio.statObject(workflow.deps.buckets.staging, stagingKeyFor(data.draftId, data.attachments[0]!)));

  // So does a repeat carrying a different payload, which is refused.
  await workflow.deps.minio.putObject(workflow.deps.buckets.staging, stagingKeyFor(data.draftId, data.attachments[0]!), bytes, bytes.length);
  const other = { ...data, fingerprint: 'e'.repeat(64) };
  assert.equal((await process(asJob(other))).outcome, 'rejected');
  await assert.rejects(workflow.deps.minio.statObject(workflow.deps.buckets.staging, stagingKeyFor(data.draftId, data.attachments[0]!)));
});

test('two similar records become one pair and are both flagged, whichever is processed first', async () => {
  const process = createRecordProcessor(workflow.deps);
  for (const order of [[0, 1], [1, 0]]) {
    const seed = `twins-${randomUUID()}`;
    const jobs = [await stagedJob(sampleBirth(randomUUID(), {}, seed)), await stagedJob(sampleBirth(randomUUID(), {}, seed))];
    for (const i of order) await process(asJob(jobs[i]!));
    const [a, b] = jobs.map((j) => recordIdFor(j.draftId)) as [string, string];
    const { db, search } = workflow.deps;
    assert.equal(await db.duplicatePairs.countDocuments({ _id: pairIdOf(a, b) }), 1, `order ${order.join(',')}`);
    for (const id of [a, b]) {
      assert.equal((await db.records.findOne({ _id: id }))?.hasPotentialDuplicates, true, `order ${order.join(',')}`);
      assert.equal((await search.get(id))?.hasPotentialDuplicates, true);
      const { candidates } = await candidatesOf(db.duplicatePairs, id, 10);
      assert.deepEqual(candidates.map((c) => c.recordId), [id === a ? b : a]);
    }
  }
});

test('a write the store refuses as such fails the job at once instead of retrying', async () => {
  const data = await stagedJob();
  // Elasticsearch refuses a date it cannot parse (400): no retry can change that.
  const bad = { ...data, details: { ...data.details, eventDate: 'the day before yesterday' } };
  await assert.rejects(createRecordProcessor(workflow.deps)(asJob(bad)), (error: unknown) =>
    error instanceof UnrecoverableError &&
    error.message === 'search step failed: document_parsing_exception (not retryable)',
  );
});
