/**
 * The alert sweep against the real Redis and MongoDB, under its own queue and database: it
 * raises the alert of a job that failed for good once, with or without delivery channels, and
 * re-delivers an alert a channel did not take.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { Worker, UnrecoverableError } from 'bullmq';
import {
  queueBase,
  collections,
  createLogger,
  createMongo,
  ensureIndexes,
  RecordQueue,
  redisOptions,
  storeConfigFrom,
  type AlertChannel,
  type AlertDocument,
  type RecordJobData,
} from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { Alerter } from './alerts.js';

const id = randomBytes(4).toString('hex');
const stores = storeConfigFrom(readEnvironment({ ...process.env, MONGO_DB: `alerts_test_${id}` }));
const connection = redisOptions(stores.redis);
const mongo = createMongo(stores.mongo);
const db = collections(mongo.db(stores.mongo.dbName));
const queue = new RecordQueue(connection, undefined, `alerts-test-${id}`);
const logger = createLogger('alerts-test', { level: 'silent' });

after(async () => {
  await queue.queue.obliterate({ force: true });
  await queue.close();
  await mongo.db(stores.mongo.dbName).dropDatabase();
  await mongo.close();
});

/** Adds a job and lets a worker fail it for good. */
async function failForGood(draftId: string): Promise<void> {
  const failed = new Promise<void>((resolve) => {
    const worker = new Worker(
      queue.name,
      () => Promise.reject(new UnrecoverableError('search step failed: the test says so (not retryable)')),
      queueBase(connection),
    );
    worker.on('failed', () => void worker.close().then(resolve));
  });
  await queue.queue.add('create', { draftId } as unknown as RecordJobData, { jobId: draftId, attempts: 3 });
  await failed;
}

test('the sweep raises an exhausted job’s alert once, also with no delivery channel', async () => {
  await ensureIndexes(db);
  await failForGood('draft-no-channel');
  let inserts = 0;
  const alerts = new Proxy(db.alerts, {
    get(target, property) {
      if (property === 'insertOne') inserts++;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const alerter = new Alerter({ ...db, alerts }, queue, [], logger);
  await alerter.sweep();
  await alerter.sweep();
  assert.equal(inserts, 1, 'the second sweep knows the alert is raised: no insert per failed job per round');
  const raised = await db.alerts.find({ draftId: 'draft-no-channel' }).toArray();
  assert.equal(raised.length, 1);
  assert.deepEqual([raised[0]!.kind, raised[0]!.kind === 'job-exhausted' && raised[0]!.step], ['job-exhausted', 'search']);
  assert.deepEqual(raised[0]!.delivered, {});
});

test('an alert a channel refused is delivered again by a later sweep', async () => {
  const delivered: string[] = [];
  let refuse = true;
  const channel: AlertChannel = {
    name: 'webhook',
    deliver(alert: AlertDocument) {
      if (refuse) return Promise.reject(new Error('webhook down'));
      delivered.push(alert.kind === 'job-exhausted' ? alert.draftId : alert._id);
      return Promise.resolve();
    },
  };
  const alerter = new Alerter(db, queue, [channel], logger);
  await failForGood('draft-refused');
  await alerter.sweep(); // raises the alert; the channel refuses it
  assert.deepEqual(delivered, []);
  refuse = false;
  await alerter.sweep(); // too fresh to re-deliver: the 'failed' handler may still be at it
  assert.deepEqual(delivered, []);
  await db.alerts.updateMany({ draftId: 'draft-refused' }, { $set: { createdAt: new Date(Date.now() - 60_000) } });
  await alerter.sweep();
  assert.deepEqual(delivered, ['draft-refused']);
  const [alert] = await db.alerts.find({ draftId: 'draft-refused' }).toArray();
  assert.ok(alert?.delivered.webhook instanceof Date);
  await alerter.sweep();
  assert.deepEqual(delivered, ['draft-refused'], 'a delivered alert is not sent again');
});
