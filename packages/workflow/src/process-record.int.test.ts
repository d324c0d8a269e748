/**
 * The record processor against the real stores, each test run under its own database, index,
 * buckets and queue: a job run many times leaves one of everything, and similar records are
 * paired as potential duplicates whatever order they are processed in.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mock, test } from 'node:test';
import {
  stagingKeyFor,
  createElasticsearch,
  recordIdFor,
  recordKeyFor,
  sampleBirth,
  sampleCorrection,
  storeConfigFrom,
  candidatesOf,
  jobSeal,
  pairIdOf,
  type RecordJob,
  type RecordJobData,
} from '@steadfast/commons';
import { UnrecoverableError } from 'bullmq';
import { createRecordProcessor } from './process-record.js';
import type { Workflow } from './server.js';
import { declarationJob, isolatedEnvironment, workflowPerFile } from './testing.js';

const env = isolatedEnvironment('test');
let workflow: Workflow;

workflowPerFile(env, (started) => (workflow = started));

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

test("a declaration's record is not written after its insert: its draft's outcome ends the work; a retry before it redoes the stores' steps, which find their work done", async () => {
  const data = await stagedJob();
  const { db, search, notifications } = workflow.deps;
  assert.ok(notifications);
  const process = createRecordProcessor(workflow.deps);
  // Record writes go out in bulk writes (batches.ts); the driver's insertMany is one too.
  const updates = mock.method(db.records, 'bulkWrite');
  const recordUpdates = () => updates.mock.calls.flatMap((call) => call.arguments[0]).filter((op) => 'updateOne' in op).length;
  const enqueue = mock.method(notifications, 'enqueue', () => Promise.reject(new Error('notification queue down')));
  try {
    const reported: unknown[] = [];
    const job = { ...asJob(data), updateProgress: (progress: unknown) => Promise.resolve(void reported.push(progress)) } as unknown as RecordJob;
    await assert.rejects(process(job), /notify step failed/);
    // The status names the failed step from the job, since the record does not remember it.
    assert.deepEqual(reported, [{ failedStep: 'notify' }]);
    const recordId = recordIdFor(data.draftId);
    const marked = (await db.records.findOne({ _id: recordId }))?.actions[data.draftId]?.steps ?? {};
    // Nobody outside is asked about a declaration: no checkpoint before the end.
    assert.deepEqual(Object.keys(marked).sort(), ['metadata']);
    assert.equal(recordUpdates(), 0);

    enqueue.mock.restore();
    updates.mock.resetCalls();
    const projected = mock.method(search, 'projectMany');
    const result = await process(asJob(data));
    assert.ok(projected.mock.callCount() >= 1, 'the search step runs again');
    // The result carries the record as the job left it: what a held status request is told.
    const stored = await db.records.findOne({ _id: recordId });
    assert.deepEqual(result, {
      outcome: 'processed',
      recordId,
      record: { trackingId: stored?.trackingId, hasPotentialDuplicates: false, registrationStatus: stored?.status, registrationNumber: null },
    });
    projected.mock.restore();
    assert.equal(recordUpdates(), 0, 'no write of the record for its marks alone');
    assert.equal((await db.records.findOne({ _id: recordId }))?.version, stored?.version);
    assert.deepEqual(Object.keys(stored?.actions[data.draftId]?.steps ?? {}), ['metadata']);
    assert.equal((await db.drafts.findOne({ _id: data.draftId }))?.status, 'processed', 'the outcome says it is done');
    // A later start is answered from the outcome, without running a step again.
    const again = mock.method(search, 'projectMany');
    assert.deepEqual(await process(asJob(data)), { outcome: 'processed', recordId });
    assert.equal(again.mock.callCount(), 0);
    again.mock.restore();
    assert.equal(await db.audit.countDocuments({ draftId: data.draftId }), 1, 'the audit step found its entry there');
    assert.equal((await search.get(recordId))?.trackingId, (await db.records.findOne({ _id: recordId }))?.trackingId);
  } finally {
    enqueue.mock.restore();
    updates.mock.restore();
  }
});

test("a registrar's record is marked once it is in every store, before the country is asked; a retry resumes there", async () => {
  const data = { ...(await stagedJob()), action: 'register' as const };
  const { db, search } = workflow.deps;
  const process = createRecordProcessor(workflow.deps);
  // The country config (or auth, asked for its token) is unreachable.
  const fetched = mock.method(globalThis, 'fetch', () => Promise.reject(new TypeError('fetch failed')));
  try {
    await assert.rejects(process(asJob(data)), /validation step failed/);
    const recordId = recordIdFor(data.draftId);
    const marked = (await db.records.findOne({ _id: recordId }))?.actions[data.draftId]?.steps ?? {};
    assert.deepEqual(Object.keys(marked).sort(), ['attachments', 'audit', 'duplicates', 'metadata', 'search']);
    const projected = mock.method(search, 'projectMany');
    await assert.rejects(process(asJob(data)), /validation step failed/);
    assert.equal(projected.mock.callCount(), 0, 'the search step is not run again');
    projected.mock.restore();
  } finally {
    fetched.mock.restore();
  }
});

test('the first start of a job the gateway found undecided does not read the draft; a later start does', async () => {
  const data = { ...(await stagedJob()), undecided: true as const };
  const { db } = workflow.deps;
  const process = createRecordProcessor(workflow.deps);
  const reads = mock.method(db.drafts, 'find');
  try {
    const started = (attemptsStarted: number) => ({ ...asJob(data), attemptsStarted }) as unknown as RecordJob;
    assert.equal((await process(started(1))).outcome, 'processed');
    assert.equal(reads.mock.callCount(), 0);
    // A re-run after a worker died once the outcome was written: answered from the outcome.
    assert.equal((await process(started(2))).outcome, 'processed');
    assert.equal(reads.mock.callCount(), 1);
  } finally {
    reads.mock.restore();
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
  // Elasticsearch refuses a write to an index blocked for writes (403): no retry can change that.
  const es = createElasticsearch(storeConfigFrom(env).elasticsearch);
  const block = (on: boolean) => es.indices.putSettings({ index: env.ES_INDEX, settings: { 'index.blocks.write': on } });
  await block(true);
  try {
    await assert.rejects(createRecordProcessor(workflow.deps)(asJob(data)), (error: unknown) =>
      error instanceof UnrecoverableError && error.message === 'search step failed: cluster_block_exception (not retryable)',
    );
  } finally {
    await block(false);
    await es.close();
  }
});

/** What the stores hold of one draft: the record, its search document, audit entries, files. */
async function footprint(data: RecordJobData) {
  const { db, search, minio, buckets } = workflow.deps;
  const recordId = data.recordId ?? recordIdFor(data.draftId);
  const objects: string[] = [];
  for await (const o of minio.listObjectsV2(buckets.attachments, `${recordId}/`, true) as AsyncIterable<{ name?: string }>) if (o.name) objects.push(o.name);
  return {
    record: await db.records.findOne({ _id: recordId }, { projection: { version: 1, status: 1, data: 1 } }),
    search: (await search.get(recordId)) ?? null,
    audit: await db.audit.countDocuments({ draftId: data.draftId }),
    objects,
  };
}

const noFootprint = { record: null, search: null, audit: 0, objects: [] };

/** The job fails for good (not retried), rejected as INVALID_JOB, its staged files removed. */
async function expectInvalidJob(data: RecordJobData, reason: RegExp): Promise<void> {
  await assert.rejects(createRecordProcessor(workflow.deps)(asJob(data)), (error: unknown) => {
    assert.ok(error instanceof UnrecoverableError, String(error));
    assert.match(error.message, /^rejected: invalid job: /);
    return true;
  });
  const draft = await workflow.deps.db.drafts.findOne({ _id: data.draftId });
  assert.equal(draft?.status, 'rejected');
  assert.equal(draft?.status === 'rejected' ? draft.code : undefined, 'INVALID_JOB');
  assert.match(draft?.status === 'rejected' ? draft.reason : '', reason);
  for (const attachment of data.attachments) {
    await assert.rejects(workflow.deps.minio.statObject(workflow.deps.buckets.staging, stagingKeyFor(data.draftId, attachment)), 'staged file removed');
  }
}

test('a job queued around the gateway with invalid details is rejected before anything is written', async () => {
  const data = await stagedJob();
  const child = { ...(data.details['child'] as object), firstNames: 'Ami\u0000na', familyName: 'Otieno\u202eonreT' };
  const forged = { ...data, details: { ...data.details, child } };
  await expectInvalidJob(forged, /details\.child\.firstNames: .*U\+0000.*details\.child\.familyName: .*U\+202E/);
  assert.deepEqual(await footprint(forged), noFootprint);
  // Run again (Bull Board's retry): the decision stands, still nothing written.
  assert.equal((await createRecordProcessor(workflow.deps)(asJob(forged))).outcome, 'rejected');
  assert.deepEqual(await footprint(forged), noFootprint);
});

test('a job whose staged file is not what it declares (an SVG as image/png) is rejected, nothing written', async () => {
  const details = sampleBirth(randomUUID());
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  const sha256 = createHash('sha256').update(svg).digest('hex');
  const ref = { index: 0, type: 'BIRTH_NOTIFICATION', subject: 'CHILD', contentType: 'image/png', size: svg.length, sha256 };
  await workflow.deps.minio.putObject(workflow.deps.buckets.staging, stagingKeyFor(details.registration.draftId, ref), svg, svg.length);
  const data = declarationJob({ ...details, attachments: undefined }, [ref]);
  delete data.details['attachments'];
  await expectInvalidJob(data, /staged attachment 0 is not a PNG image .*markup text such as SVG/);
  assert.deepEqual(await footprint(data), noFootprint);

  // A staged file of another size than the job says is refused too.
  const other = await stagedJob();
  const resized = { ...other, attachments: [{ ...other.attachments[0]!, size: 70 }] };
  await expectInvalidJob(resized, /staged attachment 0 is 69 bytes, the job says 70/);
  assert.deepEqual(await footprint(resized), noFootprint);
});

test('a correction of a record waiting for external validation is rejected and changes nothing', async () => {
  const created = await stagedJob();
  const process = createRecordProcessor(workflow.deps);
  await process(asJob(created));
  const recordId = recordIdFor(created.draftId);
  // As a registrar's record stands once the country has been asked and has not yet answered.
  await workflow.deps.db.records.updateOne({ _id: recordId }, { $set: { status: 'WAITING_EXTERNAL_VALIDATION' } });
  const before = await footprint(created);

  const draftId = randomUUID();
  const correction: Record<string, unknown> = { ...sampleCorrection(draftId) };
  delete correction['attachments'];
  const request: RecordJobData = { ...declarationJob({ registration: { draftId } }), operation: 'request-correction', action: 'request-correction', recordId, details: correction };
  delete request.event;
  assert.deepEqual(await process(asJob(request)), {
    outcome: 'rejected',
    reason:
      'a correction cannot be requested: the record is waiting for external validation by the country ' +
      '(WAITING_EXTERNAL_VALIDATION); submit the correction once the country has registered it',
  });
  const draft = await workflow.deps.db.drafts.findOne({ _id: draftId });
  assert.equal(draft?.status === 'rejected' ? draft.code : undefined, 'AWAITING_EXTERNAL_VALIDATION');
  assert.deepEqual(await footprint(created), before, 'the record is as it was, still waiting');
  assert.equal(await workflow.deps.db.audit.countDocuments({ draftId }), 0);
});

test("a new record copies its creator as the directory holds them, a rename since the worker's last read included", async () => {
  const { db } = workflow.deps;
  const process = createRecordProcessor(workflow.deps);
  await db.directory.updateOne({ _id: 'user-1' }, { $set: { name: 'Before Rename', office: 'office-1', version: 1 } }, { upsert: true });
  const first = await stagedJob();
  await process(asJob(first));
  assert.deepEqual((await db.records.findOne({ _id: recordIdFor(first.draftId) }))?.actors?.['user-1'], { name: 'Before Rename', office: 'office-1', sequence: 1 });

  // Renamed (as the events service keeps the directory): the next record ends with the new copy.
  await db.directory.updateOne({ _id: 'user-1' }, { $set: { name: 'After Rename', version: 2 } });
  const second = await stagedJob();
  await process(asJob(second));
  assert.deepEqual((await db.records.findOne({ _id: recordIdFor(second.draftId) }))?.actors?.['user-1'], { name: 'After Rename', office: 'office-1', sequence: 2 });
});

/** A create as the gateway queues one it found undecided: its attachment placed at the record's key. */
async function placedJob(details = sampleBirth(randomUUID())): Promise<{ data: RecordJobData; key: string }> {
  const { attachments, ...rest } = details;
  const bytes = Buffer.from(attachments[0]!.data, 'base64');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const ref = { index: 0, type: 'BIRTH_NOTIFICATION', subject: 'CHILD', contentType: 'image/png', size: bytes.length, sha256 };
  const data: RecordJobData = { ...declarationJob(rest, [ref]), undecided: true, placed: true };
  const key = recordKeyFor(recordIdFor(data.draftId), data, ref);
  await workflow.deps.minio.putObject(workflow.deps.buckets.attachments, key, bytes, bytes.length);
  return { data, key };
}

const started = (data: RecordJobData, attemptsStarted: number) => ({ ...asJob(data), attemptsStarted }) as unknown as RecordJob;

test("a create the gateway placed is processed with no copy and no clean-up: its object is the record's, and stays through a retry", async () => {
  const { data, key } = await placedJob();
  const { db, minio, buckets } = workflow.deps;
  const copies = mock.method(minio, 'copyObject');
  const removals = mock.method(minio, 'removeObjects');
  try {
    const process = createRecordProcessor(workflow.deps);
    assert.equal((await process(started(data, 1))).outcome, 'processed');
    // A second start (a worker died before it acknowledged): it finds the draft decided by itself.
    assert.equal((await process(started(data, 2))).outcome, 'processed');
    assert.equal(copies.mock.callCount(), 0, 'nothing copied');
    assert.equal(removals.mock.callCount(), 0, 'nothing removed');
  } finally {
    copies.mock.restore();
    removals.mock.restore();
  }
  const record = await db.records.findOne({ _id: recordIdFor(data.draftId) });
  assert.deepEqual(record?.attachments.map((a) => a.key), [key]);
  assert.equal((await minio.statObject(buckets.attachments, key)).size, data.attachments[0]!.size);
  assert.deepEqual((await footprint(data)).objects, [key], 'one object under the record');
});

test("a rejected placed create takes its object with it; a job copying a processed one never removes the record's", async () => {
  const { minio, buckets } = workflow.deps;
  // Rejected (a create cannot be a correction's action): nothing lists its object, which goes.
  const rejected = await placedJob();
  await expectInvalidJob({ ...rejected.data, action: 'correct' }, /the action correct does not belong to the operation create/);
  await assert.rejects(minio.statObject(buckets.attachments, rejected.key), 'the rejected draft’s object is removed');

  // A processed one, then a job added by hand that copies it with another action, at its first
  // start (so the draft is not looked up) and at a later one: both rejected, the record intact.
  const { data, key } = await placedJob();
  const process = createRecordProcessor(workflow.deps);
  assert.equal((await process(started(data, 1))).outcome, 'processed');
  const forged = { ...data, action: 'register' as const, operation: 'correct' as const, recordId: recordIdFor(data.draftId) };
  await assert.rejects(process(started(forged, 1)), UnrecoverableError);
  assert.equal((await process(started(forged, 2))).outcome, 'processed', 'a later start answers from the decided draft');
  assert.equal((await minio.statObject(buckets.attachments, key)).size, data.attachments[0]!.size, "the record's object stays");
  assert.deepEqual((await footprint(data)).objects, [key]);
});

test("a job the gateway sealed is not read again; one whose seal does not hold (another key, a fact changed since) is, and is refused", async () => {
  const secret = workflow.deps.jobSealSecret;
  assert.ok(secret, 'the test environment seals with the development key');
  const { minio } = workflow.deps;
  const reads = mock.method(minio, 'getPartialObject');
  try {
    const { data } = await placedJob();
    assert.equal((await createRecordProcessor(workflow.deps)(started({ ...data, seal: jobSeal(secret, data) }, 1))).outcome, 'processed');
    assert.equal(reads.mock.callCount(), 0, 'a sealed job: its file is not read');

    // An SVG declared as a PNG, sealed under a key that is not the workflow's: read, refused.
    const details = sampleBirth(randomUUID());
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const ref = { index: 0, type: 'BIRTH_NOTIFICATION', subject: 'CHILD', contentType: 'image/png', size: svg.length, sha256: createHash('sha256').update(svg).digest('hex') };
    await minio.putObject(workflow.deps.buckets.staging, stagingKeyFor(details.registration.draftId, ref), svg, svg.length);
    const forged = declarationJob({ ...details, attachments: undefined }, [ref]);
    delete forged.details['attachments'];
    await expectInvalidJob({ ...forged, seal: jobSeal(`${secret}-not-it`, forged) }, /staged attachment 0 is not a PNG image/);
    assert.equal(reads.mock.callCount(), 1);

    // A sealed job whose size was changed after the seal: read, refused.
    const other = await stagedJob();
    const resized = { ...other, seal: jobSeal(secret, other), attachments: [{ ...other.attachments[0]!, size: 70 }] };
    await expectInvalidJob(resized, /staged attachment 0 is 69 bytes, the job says 70/);
    assert.equal(reads.mock.callCount(), 2);
  } finally {
    reads.mock.restore();
  }
});

test('a placed create whose object is missing fails to be retried, and writes nothing', async () => {
  const { data, key } = await placedJob();
  await workflow.deps.minio.removeObject(workflow.deps.buckets.attachments, key);
  await assert.rejects(createRecordProcessor(workflow.deps)(started(data, 1)), (error: unknown) => {
    assert.ok(!(error instanceof UnrecoverableError), 'retried: an operator can put it back');
    assert.match(String(error), /placed attachment 0 of draft .* is missing/);
    return true;
  });
  assert.deepEqual(await footprint(data), noFootprint);
  assert.equal(await workflow.deps.db.drafts.findOne({ _id: data.draftId }), null, 'not decided');
});
