/**
 * Fault drills of the pipeline: a store stopped while clients keep resubmitting, and a worker
 * killed with SIGKILL in the middle of 200 concurrent submissions sent several times each.
 * Afterwards every store holds exactly one of everything.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { createRedis, QUEUE_PREFIX, recordIdFor, sampleBirth, storeConfigFrom, storeEnvSchema } from '@steadfast/commons';
import type { System } from '@steadfast/launcher';
import { expectProcessedOnce, fetchStatus, gql, isolatedStores, login, MUTATIONS, storesOf } from './client.js';
import { eventually, infra, startSystem } from './support.js';

const env = {
  ...isolatedStores(),
  RECORD_BACKOFF_MS: '500',
  RECORD_BACKOFF_MAX_MS: '4000',
  WORKFLOW_LOCK_MS: '4000',
};
const stores = storesOf(env);
let system: System;
let token: string;

before(async () => {
  system = startSystem(env);
  await system.start();
  token = await login('registrar');
});

after(async () => {
  await infra('start', 'elasticsearch');
  await system?.stop();
  await stores.drop();
  await stores.close();
});

const submit = (details: ReturnType<typeof sampleBirth>) => gql(MUTATIONS.birth, { details }, token);

test('Elasticsearch down: 10 submissions, then up: 6 more; one of everything', { timeout: 300_000 }, async () => {
  const draftId = randomUUID();
  const details = sampleBirth(draftId);
  const recordId = recordIdFor(draftId);
  assert.equal((await infra('stop', 'elasticsearch')).code, 0);
  try {
    for (let i = 0; i < 10; i++) {
      const result = await submit(details);
      assert.equal(result.errors, undefined, `submission ${i + 1} while Elasticsearch is down is accepted`);
    }
    // The client sees the work waiting on the search step, with the error, never a false success.
    await eventually('the status shows the failing search step', async () => {
      const status = await fetchStatus(draftId, token);
      return status.__typename === 'RecordProcessing' && status.step === 'search' && (status.attempts ?? 0) >= 1 && !!status.lastError;
    }, 60_000);

    // The job payload in Redis holds the user id and references, never a token or the bytes.
    const redis = createRedis(storeConfigFrom(storeEnvSchema.parse(process.env)).redis);
    const raw = await redis.hget(`${QUEUE_PREFIX}:${env.RECORD_QUEUE_NAME}:${draftId}`, 'data');
    redis.disconnect();
    assert.ok(raw, 'the job is in Redis');
    assert.ok(!raw.includes(details.attachments[0]!.data), 'no attachment bytes in the job');
    assert.ok(!raw.includes(token.slice(0, 40)), 'no token in the job');
    assert.match(raw, /"userId":"[^"]+"/);
  } finally {
    assert.equal((await infra('start', 'elasticsearch')).code, 0);
  }

  assert.equal((await submit(details)).errors, undefined);
  await eventually('processed after Elasticsearch is back', async () =>
    (await fetchStatus(draftId, token)).__typename === 'RecordProcessed', 120_000);
  for (let i = 0; i < 5; i++) assert.equal((await submit(details)).errors, undefined);

  assert.equal(await stores.records.countDocuments({ draftId }), 1);
  assert.equal(await stores.searchCount({ term: { draftId } }), 1);
  assert.equal(await stores.audit.countDocuments({ draftId, action: 'register' }), 1);
  assert.deepEqual(await stores.attachments(), (await stores.attachments(`${recordId}/`)));
  assert.equal((await stores.attachments(`${recordId}/`)).length, 1);
  assert.deepEqual(await stores.staged(), []);
});

test('200 submissions, each sent 3 more times, a worker SIGKILLed twice: 200 of everything', { timeout: 600_000 }, async () => {
  const drafts = Array.from({ length: 200 }, (_, i) => sampleBirth(randomUUID(), {}, `load-${i}`));
  const sends = drafts.flatMap((d) => [0, 1, 2, 3].map(() => ({ details: d, at: Math.random() * 8_000 })));
  let failures = 0;
  const sending = Promise.all(
    sends.map(async ({ details, at }) => {
      await sleep(at);
      // A client whose request failed (the gateway answers 503 while a store is away) retries.
      for (let attempt = 0; attempt < 20; attempt++) {
        const result = await submit(details).catch((error: Error) => ({ errors: [{ message: error.message }] }));
        if (!result.errors) return;
        failures++;
        await sleep(500);
      }
      throw new Error(`submission of ${details.registration.draftId} never accepted`);
    }),
  );
  // Kill the worker twice, each time while it holds jobs mid-step.
  const redis = createRedis(storeConfigFrom(storeEnvSchema.parse(process.env)).redis);
  let killedWhileActive = 0;
  for (const at of [2_500, 3_500]) {
    await sleep(at);
    await eventually('the worker has active jobs', async () => (await redis.llen(`${QUEUE_PREFIX}:${env.RECORD_QUEUE_NAME}:active`)) > 0, 20_000);
    killedWhileActive += await redis.llen(`${QUEUE_PREFIX}:${env.RECORD_QUEUE_NAME}:active`);
    await system.stopService('workflow', 'SIGKILL');
    await system.startService('workflow');
  }
  redis.disconnect();
  await sending;

  const draftIds = drafts.map((d) => d.registration.draftId);
  await expectProcessedOnce(stores, draftIds, token, 'register', 300_000);
  const objects = await stores.attachments();
  const expected = new Set(draftIds.map((id) => `${recordIdFor(id)}/`));
  const forThese = objects.filter((name) => expected.has(name.slice(0, name.indexOf('/') + 1)));
  assert.equal(forThese.length, 200, 'one attachment per record');
  assert.deepEqual(await stores.staged(), []);
  console.log(`# ${sends.length} sends, ${failures} retried by the client, ${killedWhileActive} jobs active at the kills`);
});
