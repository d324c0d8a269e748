/**
 * Accepting submissions and repeats against the real Redis, MinIO and MongoDB, under this test's
 * own queue, buckets and database: a new create's uploads are placed at its record's keys; a
 * repeat of a draft whose job completed is answered from the job when MongoDB cannot be asked,
 * and stages nothing (a staged copy no job would ever remove); no repeat removes a record's object.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, mock, test } from 'node:test';
import {
  collections,
  createLogger,
  createMongo,
  draftClaimKey,
  ensureBucket,
  openStores,
  readEnv,
  recordIdFor,
  recordKeyFor,
  sampleCorrection,
  redisOptions,
  registerRecordWorker,
  RecordQueue,
  releaseDraft,
  sampleBirth,
  sealHolds,
  stagingKeyFor,
  storeConfigFrom,
  storeEnvSchema,
  type RecordJob,
  type RecordJobResult,
  type StoreClients,
} from '@steadfast/commons';
import { Submissions, type Submission, type SubmissionDeps } from './submissions.js';

const id = randomBytes(4).toString('hex');
const env = readEnv(storeEnvSchema, {
  ...process.env,
  MONGO_DB: `gw_test_${id}`,
  MINIO_BUCKET: `gw-test-${id}-attachments`,
  MINIO_STAGING_BUCKET: `gw-test-${id}-staging`,
});
const config = storeConfigFrom(env);
const queueName = `gw-test-${id}`;
const logger = createLogger('gateway', { level: 'silent' });
let stores: StoreClients;
let queue: RecordQueue;
let worker: ReturnType<typeof registerRecordWorker>;

/** Nothing listens on port 1: a MongoDB that refuses every connection. */
const unreachable = createMongo({ ...config.mongo, url: 'mongodb://127.0.0.1:1/' });

before(() => {
  stores = openStores(config, logger);
  queue = new RecordQueue(redisOptions(config.redis), undefined, queueName);
  // Completes a job as the workflow does: the outcome in MongoDB, the claim released, then done.
  worker = registerRecordWorker(
    async (job: RecordJob): Promise<RecordJobResult> => {
      const recordId = recordIdFor(job.data.draftId);
      await collections(stores.mongo.db(config.mongo.dbName)).drafts.updateOne(
        { _id: job.data.draftId },
        { $setOnInsert: { operation: job.data.operation, fingerprint: job.data.fingerprint, decidedAt: new Date(), status: 'processed', recordId } },
        { upsert: true },
      );
      await releaseDraft(stores.redis, job.data.draftId);
      return { outcome: 'processed', recordId };
    },
    { connection: redisOptions(config.redis), logger, queueName },
  );
});

after(async () => {
  await worker.close();
  await queue.queue.obliterate({ force: true });
  await queue.close();
  for (const bucket of [config.minio.stagingBucket, config.minio.bucket]) {
    const names = await listed(bucket, '');
    await stores.minio.removeObjects(bucket, names);
    await stores.minio.removeBucket(bucket).catch(() => undefined);
  }
  await stores.mongo.db(config.mongo.dbName).dropDatabase();
  await Promise.all([stores.mongo.close(), unreachable.close(), stores.redis.quit()]);
});

const SEAL_SECRET = 'a-job-seal-secret-for-this-test-only-0123456789';

function submissions(mongo: 'up' | 'down', jobSealSecret?: string, onBatch?: SubmissionDeps['onBatch']): Submissions {
  return new Submissions({
    ...(jobSealSecret !== undefined ? { jobSealSecret } : {}),
    ...(onBatch ? { onBatch } : {}),
    redis: stores.redis,
    queue,
    db: collections((mongo === 'up' ? stores.mongo : unreachable).db(config.mongo.dbName)),
    minio: stores.minio,
    buckets: { staging: config.minio.stagingBucket, attachments: config.minio.bucket },
    ensureBucket: (bucket) => ensureBucket(stores.minio, bucket),
    logger,
  });
}

function birth(draftId: string = randomUUID()): Submission {
  const details = sampleBirth(draftId) as unknown as Submission['details'];
  return { operation: 'create', event: 'birth', draftId, details, user: { userId: 'user-1', scopes: ['declare'] }, correlationId: randomUUID() };
}

async function listed(bucket: string, prefix: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const o of stores.minio.listObjectsV2(bucket, prefix, true) as AsyncIterable<{ name?: string }>) {
      if (o.name) names.push(o.name);
    }
  } catch (error) {
    if ((error as { code?: string }).code !== 'NoSuchBucket') throw error;
  }
  return names.sort();
}

const staged = (draftId: string): Promise<string[]> => listed(config.minio.stagingBucket, `${draftId}/`);
/** The objects under the record's prefix that a create's draft placed. */
const placed = (draftId: string): Promise<string[]> => listed(config.minio.bucket, `${recordIdFor(draftId)}/`);

async function completed(draftId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await (await queue.getJob(draftId))?.getState()) === 'completed') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`job ${draftId} did not complete`);
}

test("a new create's upload is placed at its record's key, nothing staged; a repeat after it was decided writes and removes nothing", async () => {
  const submission = birth();
  const { draftId } = submission;
  assert.deepEqual(await submissions('up').submit(submission), { draftId });
  const job = await queue.getJob(draftId);
  assert.equal(job?.data.placed, true, 'queued with its upload placed');
  assert.equal(job.data.undecided, true);
  const key = recordKeyFor(recordIdFor(draftId), job.data, job.data.attachments[0]!);
  assert.match(key, new RegExp(`^${recordIdFor(draftId)}/${draftId}-${job.data.fingerprint.slice(0, 16)}-0-[0-9a-f]{16}$`));
  assert.deepEqual(await placed(draftId), [key]);
  assert.deepEqual(await staged(draftId), [], 'nothing staged: the workflow has nothing to copy or remove');
  await completed(draftId);
  await queue.queue.remove(draftId); // the completed job is gone: MongoDB alone knows the outcome

  const repeat = { ...submission, correlationId: randomUUID() };
  assert.deepEqual(await submissions('up').submit(repeat), { draftId, recordId: recordIdFor(draftId) });
  assert.deepEqual(await placed(draftId), [key], "the record's object is left as it was");
  assert.deepEqual(await staged(draftId), []);
  assert.equal(await queue.getJob(draftId), undefined, 'no second job');

  // Another payload under the decided draftId, with other bytes: refused, and it writes nothing.
  const other = birth(draftId);
  other.details = { ...other.details, attachments: [{ ...other.details.attachments![0]!, data: Buffer.from('%PDF-1.4 other').toString('base64') }] };
  await assert.rejects(submissions('up').submit(other), (error: unknown) =>
    (error as { extensions?: { code?: string } }).extensions?.code === 'IDEMPOTENCY_KEY_REUSED',
  );
  assert.deepEqual(await placed(draftId), [key]);
  assert.deepEqual(await staged(draftId), []);
});

test("new drafts submitted together are looked up in MongoDB together, and a decided one among them is still answered from its outcome", async () => {
  const batches: string[] = [];
  const sizes: number[] = [];
  const accepting = submissions('up', undefined, (store, op, size) => {
    batches.push(`${store} ${op}`);
    sizes.push(size);
  });
  const decided = birth();
  await accepting.submit(decided);
  batches.length = 0;
  sizes.length = 0;
  await completed(decided.draftId);
  await queue.queue.remove(decided.draftId); // MongoDB alone knows its outcome
  const fresh = Array.from({ length: 20 }, () => birth());
  const db = collections(stores.mongo.db(config.mongo.dbName));
  const finds = mock.method(db.drafts.constructor.prototype as { find: (...args: unknown[]) => unknown }, 'find');
  try {
    const answers = await Promise.all([...fresh, { ...decided, correlationId: randomUUID() }].map((s) => accepting.submit(s)));
    assert.deepEqual(answers.at(-1), { draftId: decided.draftId, recordId: recordIdFor(decided.draftId) }, 'the decided draft: its outcome');
    for (const [i, s] of fresh.entries()) {
      assert.deepEqual(answers[i], { draftId: s.draftId });
      assert.equal((await queue.getJob(s.draftId))?.data.undecided, true, 'queued as looked up and undecided');
    }
    const draftFinds = finds.mock.calls.filter((call) => (call.this as { collectionName?: string }).collectionName === 'drafts');
    assert.ok(draftFinds.length >= 1 && draftFinds.length < 21 / 2, `21 look-ups in ${draftFinds.length} requests`);
    // Each request is reported as a batch (the bench's batch sizes, steadfast_batch_size), with its drafts.
    assert.deepEqual(new Set(batches), new Set(['mongodb find-drafts']));
    assert.equal(sizes.length, draftFinds.length, 'one batch reported per find');
    assert.equal(sizes.reduce((a, b) => a + b, 0), 21, 'every look-up in a reported batch');
  } finally {
    finds.mock.restore();
  }
});

test('a create queued while MongoDB is down is placed at the same keys as one queued with MongoDB up', async () => {
  // The drills' MongoDB stop met concurrent repeats of one draft, one finding MongoDB down and
  // one up: whichever job is queued first must list what both wrote.
  const down = birth();
  assert.deepEqual(await submissions('down').submit(down), { draftId: down.draftId });
  const job = await queue.getJob(down.draftId);
  assert.equal(job?.data.placed, true);
  assert.equal(job.data.undecided, undefined, 'the workflow asks MongoDB itself');
  const up = birth();
  await submissions('up').submit(up);
  const upJob = await queue.getJob(up.draftId);
  // The same payload gives the same key whichever way it was queued: compare the key's form.
  const form = (draftId: string, data: typeof job.data) => recordKeyFor(recordIdFor(draftId), data, data.attachments[0]!).replace(draftId, '<draft>').replace(recordIdFor(draftId), '<record>');
  assert.equal(form(down.draftId, job.data).replace(job.data.fingerprint.slice(0, 16), '<fp>'), form(up.draftId, upJob!.data).replace(upJob!.data.fingerprint.slice(0, 16), '<fp>'));
  assert.deepEqual(await placed(down.draftId), [recordKeyFor(recordIdFor(down.draftId), job.data, job.data.attachments[0]!)]);
  assert.deepEqual(await staged(down.draftId), []);
});

test('a repeat of a completed draft while MongoDB is down is answered from its job and leaves nothing staged', async () => {
  const submission = birth();
  const { draftId } = submission;
  assert.deepEqual(await submissions('up').submit(submission), { draftId });
  await completed(draftId);
  const objects = await placed(draftId);

  const repeat = { ...submission, correlationId: randomUUID() };
  assert.deepEqual(await submissions('down').submit(repeat), { draftId, recordId: recordIdFor(draftId) });
  assert.deepEqual(await staged(draftId), [], 'nothing left staged for a job that will not run again');
  assert.deepEqual(await placed(draftId), objects, "the record's object is left as it was");
  assert.equal(await stores.redis.exists(draftClaimKey(draftId)), 0, 'the claim of a decided draft is released');
  assert.equal((await queue.getJob(draftId))?.attemptsMade, 1, 'the job did not run again');
});

test('with JOB_SEAL_SECRET a job with uploads is sealed (placed or staged), one without is not; without the secret none is', async () => {
  const placedOne = birth();
  await submissions('up', SEAL_SECRET).submit(placedOne);
  const job = await queue.getJob(placedOne.draftId);
  assert.equal(job?.data.placed, true);
  assert.equal(sealHolds(SEAL_SECRET, job.data), true, 'a placed create is sealed');
  assert.equal(sealHolds(`${SEAL_SECRET}x`, job.data), false);

  const correctionId = randomUUID();
  const stagedOne: Submission = { operation: 'request-correction', recordId: randomUUID(), draftId: correctionId, details: sampleCorrection(correctionId), user: { userId: 'user-1', scopes: ['validate'] }, correlationId: randomUUID() };
  await submissions('up', SEAL_SECRET).submit(stagedOne);
  const staged = await queue.getJob(stagedOne.draftId);
  assert.ok(staged && staged.data.attachments.length > 0 && staged.data.placed === undefined);
  assert.equal(sealHolds(SEAL_SECRET, staged.data), true, 'a staged upload is sealed too');

  const bare = birth();
  delete (bare.details as { attachments?: unknown }).attachments;
  await submissions('up', SEAL_SECRET).submit(bare);
  assert.equal((await queue.getJob(bare.draftId))?.data.seal, undefined, 'no uploads: nothing to seal');

  const unsealed = birth();
  await submissions('up').submit(unsealed);
  assert.equal((await queue.getJob(unsealed.draftId))?.data.seal, undefined, 'no secret: no seal');
  for (const draftId of [placedOne.draftId, stagedOne.draftId, bare.draftId, unsealed.draftId]) await completed(draftId);
});

test("a correction's upload is staged while MongoDB is asked; a repeat after it was decided removes what it staged", async () => {
  const draftId = randomUUID();
  const submission: Submission = {
    operation: 'request-correction',
    recordId: randomUUID(),
    draftId,
    details: sampleCorrection(draftId),
    user: { userId: 'user-1', scopes: ['validate'] },
    correlationId: randomUUID(),
  };
  assert.deepEqual(await submissions('up').submit(submission), { draftId });
  const job = await queue.getJob(draftId);
  assert.equal(job?.data.placed, undefined, 'a correction names any record: its upload is staged');
  assert.deepEqual(await staged(draftId), [stagingKeyFor(draftId, job!.data.attachments[0]!)]);
  await completed(draftId);
  await stores.minio.removeObjects(config.minio.stagingBucket, await staged(draftId));
  await queue.queue.remove(draftId);

  const repeat = { ...submission, correlationId: randomUUID() };
  assert.deepEqual(await submissions('up').submit(repeat), { draftId, recordId: recordIdFor(draftId) });
  assert.deepEqual(await staged(draftId), [], 'the repeat’s staged copy is removed');
  assert.equal(await queue.getJob(draftId), undefined, 'no second job');
});

test('a different payload under a completed draftId is refused while MongoDB is down, and changes nothing', async () => {
  const submission = birth();
  await submissions('up').submit(submission);
  await completed(submission.draftId);
  await stores.minio.removeObjects(config.minio.stagingBucket, await staged(submission.draftId));

  const other = { ...submission, details: { ...submission.details, weightAtBirthKg: 9 } };
  await assert.rejects(submissions('down').submit(other), (error: unknown) =>
    (error as { extensions?: { code?: string } }).extensions?.code === 'IDEMPOTENCY_KEY_REUSED',
  );
  assert.deepEqual(await staged(submission.draftId), []);
  assert.equal(await stores.redis.exists(draftClaimKey(submission.draftId)), 0);
});
