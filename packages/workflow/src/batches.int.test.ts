/**
 * Group commit against the real stores: concurrent jobs share their store requests, and an item
 * the store refuses inside a shared request fails only the job it belongs to, which its retry
 * then finishes (the steps before the failure find their work done).
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { createElasticsearch, insertBatcher, recordIdFor, sampleBirth, STEPS, storeConfigFrom, type AuditEntry, type RecordJob, type RecordJobData, type RecordJobResult } from '@steadfast/commons';
import { SearchIndex } from '@steadfast/records';
import { workflowBatches } from './batches.js';
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

  // The audit entries go to MongoDB as the workflow sends them, but one record's carries an id
  // MongoDB refuses (an array) in the same unordered insert: MongoDB refuses that item only.
  const real = batches.insertAudit;
  const sabotage = (entry: AuditEntry): AuditEntry => (entry.draftId === victim.draftId ? { ...entry, _id: [entry._id] as unknown as string } : entry);
  const collection = { insertMany: (entries: AuditEntry[], options: object) => db.audit.insertMany(entries.map(sabotage), options) };
  batches.insertAudit = insertBatcher(collection as unknown as typeof db.audit, { maxSize: 64, maxWaitMs: 5 });
  const process = createRecordProcessor(workflow.deps);
  let results: Array<PromiseSettledResult<unknown>>;
  try {
    results = await Promise.allSettled(jobs.map((data) => process(asJob(data))));
  } finally {
    batches.insertAudit = real;
  }

  // Their reads and writes went out together: the 50 look-ups of the drafts as one request.
  assert.ok((await batchesLargerThan('find-drafts', 32)) >= 1, 'the draft look-ups shared one request');
  assert.ok((await batchesLargerThan('bulk', 1)) >= 1, 'search documents shared a bulk request');
  assert.ok((await batchesLargerThan('add-notifications', 1)) >= 1, 'notifications shared a job');

  results.forEach((result, i) => {
    if (jobs[i] === victim) {
      assert.equal(result.status, 'rejected');
      // A refusal of the request itself is not retried (classify.ts): to the failed set, alerted.
      assert.match(String((result).reason), /^UnrecoverableError: audit step failed: .*\(not retryable\)$/);
    } else {
      assert.equal(result.status, 'fulfilled');
      const value = (result as PromiseFulfilledResult<RecordJobResult>).value;
      assert.ok(value.outcome === 'processed' && value.recordId === recordIdFor(jobs[i]!.draftId), JSON.stringify(value));
      // With the record as the job left it (what a held status request is told).
      assert.equal(value.record?.registrationStatus, 'DECLARED');
    }
  });
  // The victim's draft is not decided, and its record keeps the mark of its insert only.
  assert.equal(await db.drafts.findOne({ _id: victim.draftId }), null);
  const before = await db.records.findOne({ _id: victimId });
  assert.deepEqual(Object.keys(before?.actions[victim.draftId]?.steps ?? {}), ['metadata']);
  // The others were not written again after their insert either (their outcomes end their
  // work), but for a record whose own check found a duplicate: its flag goes out with every mark.
  let writtenOnce = 0;
  for (const data of jobs.filter((d) => d !== victim)) {
    const record = await db.records.findOne({ _id: recordIdFor(data.draftId) });
    const steps = Object.keys(record?.actions[data.draftId]?.steps ?? {}).sort();
    if (steps.length === 1) {
      assert.deepEqual(steps, ['metadata']);
      writtenOnce++;
    } else {
      assert.deepEqual(steps, [...STEPS].sort(), 'a record written at the end has every mark');
      assert.equal(record?.hasPotentialDuplicates, true, 'only a duplicate flag is written at the end');
    }
    assert.equal((await db.drafts.findOne({ _id: data.draftId }))?.status, 'processed');
  }
  assert.ok(writtenOnce >= 40, `${writtenOnce} of 49 records written once (random people: a few may be alike)`);

  // Its retry (an admin's, from Bull Board) redoes the steps, which find their work done but the audit entry's: the record is
  // not written again, its draft is decided, and there is one of everything.
  const retried = await process(asJob(victim));
  assert.ok(retried.outcome === 'processed' && retried.recordId === victimId, JSON.stringify(retried));
  assert.equal((await db.drafts.findOne({ _id: victim.draftId }))?.status, 'processed');
  const after = await db.records.findOne({ _id: victimId });
  assert.equal(after?.version, before?.version);
  assert.deepEqual(after?.actions[victim.draftId]?.steps, before?.actions[victim.draftId]?.steps);

  // Each record's notification queued once, the victim's with its retry; fewer jobs than records.
  const notificationJobs = await workflow.deps.notifications!.queue.getJobs(['waiting', 'active', 'completed', 'delayed']);
  const notified = notificationJobs.flatMap((job) => (job.data as { notifications: Array<{ recordId: string }> }).notifications.map((n) => n.recordId));
  const ids = jobs.map((data) => recordIdFor(data.draftId));
  assert.deepEqual([...notified].sort(), [...ids].sort(), 'each record\'s notification queued once');
  assert.ok(notificationJobs.length < ids.length / 4, `${notificationJobs.length} notification jobs for ${ids.length} records`);
  const claims = db.records.db.collection<{ _id: string; recordId: string; status: string }>('notifications');
  for (let tries = 0; (await claims.countDocuments({ recordId: { $in: ids }, status: 'sent' })) < ids.length && tries < 300; tries += 1) await sleep(100);
  assert.equal(await claims.countDocuments({ recordId: { $in: ids } }), ids.length, 'one claim per record: every notification sent once');
  assert.equal(await claims.countDocuments({ recordId: { $in: ids }, status: 'sent' }), ids.length);
  for (const data of jobs) {
    assert.equal(await db.records.countDocuments({ draftId: data.draftId }), 1);
    assert.equal(await db.audit.countDocuments({ draftId: data.draftId }), 1);
    assert.ok(await search.get(recordIdFor(data.draftId)));
  }
});

test("a duplicate flag's search write does not wait for the refresh a new record's write waits for", async () => {
  const process = createRecordProcessor(workflow.deps);
  const [first, second] = await Promise.all([stagedJob(), stagedJob()]);
  for (const data of [first, second]) await process(asJob(data));
  const [a, b] = await Promise.all([first, second].map((d) => workflow.deps.db.records.findOne({ _id: recordIdFor(d.draftId) })));
  // A scratch index under the run's name whose next refresh is 30 s away (dropped with the run's).
  const es = createElasticsearch(storeConfigFrom(env).elasticsearch);
  const search = new SearchIndex(es, `${env.ES_INDEX}-flags`, '30s');
  try {
    await search.ensure();
    await search.projectMany([{ record: b! }]);
    const batches = workflowBatches(workflow.deps.db, search, { minio: workflow.deps.minio, bucket: workflow.deps.buckets.staging }, { maxSize: 64, maxWaitMs: 5 });
    let visibleDone = false;
    // A new record's document, made visible: its bulk waits for the refresh.
    const visible = batches.project.add({ record: a!, visible: true }).then(() => (visibleDone = true));
    // Meanwhile a check flags b (a later version of a document already visible).
    assert.equal(await batches.reproject.add({ record: { ...b!, hasPotentialDuplicates: true, version: b!.version + 1 } }), true);
    assert.equal(visibleDone, false, 'the new record still waits for the refresh; the flag did not');
    assert.equal((await search.get(b!._id))?.hasPotentialDuplicates, true, 'the flag is written (read in real time)');
    // Released by a refresh (asked until the bulk, sent after its batch's wait, has seen one).
    while (!visibleDone) {
      await es.indices.refresh({ index: search.alias });
      await Promise.race([visible, sleep(100)]);
    }
  } finally {
    await es.close();
  }
});
