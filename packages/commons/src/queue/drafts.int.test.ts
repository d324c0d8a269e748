/**
 * `claimDraftAndLook` against the real Redis and BullMQ, under this test's own queue: the claim
 * and, for a repeat, the job's fields and state read in one script from BullMQ's own keys.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { UnrecoverableError } from 'bullmq';
import { storeConfigFrom, storeEnvSchema } from '../config.js';
import { createLogger } from '../logger.js';
import { redisOptions } from '../redis-connection.js';
import { createRedis } from '../stores.js';
import { claimDraftAndLook, releaseDraft } from './drafts.js';
import { RecordQueue, registerRecordWorker, type RecordJob } from './record-queue.js';
import type { RecordJobData, RecordJobResult } from './record-jobs.js';

const config = storeConfigFrom(storeEnvSchema.parse(process.env)).redis;
const redis = createRedis(config);
const queueName = `drafts-test-${randomBytes(4).toString('hex')}`;
const queue = new RecordQueue(redisOptions(config), { attempts: 1, backoffMs: 10, backoffMaxMs: 10 }, queueName);
const claimed: string[] = [];

after(async () => {
  for (const draftId of claimed) await releaseDraft(redis, draftId);
  await queue.queue.obliterate({ force: true });
  await queue.close();
  redis.disconnect();
});

const data = (draftId: string, fingerprint: string): RecordJobData => ({
  draftId,
  operation: 'create',
  action: 'declare',
  userId: 'u-1',
  fingerprint,
  correlationId: 'c-1',
  acceptedAt: new Date().toISOString(),
  details: {},
  attachments: [],
});

const claim = (draftId: string, fingerprint: string) => {
  claimed.push(draftId);
  return claimDraftAndLook(redis, draftId, fingerprint, queue.keysOf(draftId));
};

/** Runs the queue's jobs until `count` have finished: a draft whose id starts with `fail` fails for good. */
async function work(count: number): Promise<void> {
  let finished = 0;
  let resolve: () => void = () => undefined;
  const all = new Promise<void>((r) => (resolve = r));
  const worker = registerRecordWorker(
    (job: RecordJob): Promise<RecordJobResult> =>
      job.data.draftId.startsWith('fail')
        ? Promise.reject(new UnrecoverableError('invalid'))
        : Promise.resolve({ outcome: 'processed', recordId: `r-${job.data.draftId}` }),
    { connection: redisOptions(config), logger: createLogger('test', { level: 'silent' }), queueName },
  );
  const done = () => {
    if (++finished === count) resolve();
  };
  worker.on('completed', done).on('failed', done);
  await all;
  await worker.close();
}

test('new, then reused for another payload; same without a job reads no job', async () => {
  const draftId = randomUUID();
  assert.deepEqual(await claim(draftId, 'fp-1'), { claim: 'new' });
  assert.deepEqual(await claim(draftId, 'fp-2'), { claim: 'reused' });
  assert.deepEqual(await claim(draftId, 'fp-1'), { claim: 'same', job: null });
});

test('a repeat reads its job in flight, completed with its result, failed for good', async () => {
  const waiting = randomUUID();
  const completed = randomUUID();
  const failed = `fail-${randomUUID()}`;
  for (const draftId of [waiting, completed, failed]) {
    await claim(draftId, 'fp-1');
  }
  await queue.add(data(completed, 'fp-1'));
  await queue.add(data(failed, 'fp-1'));
  await work(2);
  await queue.add(data(waiting, 'fp-1'));

  const inFlight = await claim(waiting, 'fp-1');
  assert.equal(inFlight.claim, 'same');
  assert.equal(inFlight.job?.state, 'in-flight');
  assert.equal(inFlight.job?.finishedOn, '');
  assert.equal((JSON.parse(inFlight.job?.data ?? '{}') as RecordJobData).userId, 'u-1');

  const done = await claim(completed, 'fp-1');
  assert.equal(done.job?.state, 'completed');
  assert.notEqual(done.job?.finishedOn, '');
  assert.deepEqual(JSON.parse(done.job?.returnvalue ?? 'null'), { outcome: 'processed', recordId: `r-${completed}` });

  const exhausted = await claim(failed, 'fp-1');
  assert.equal(exhausted.job?.state, 'failed');
  assert.notEqual(exhausted.job?.finishedOn, '');
});
