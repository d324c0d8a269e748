/**
 * The staging sweep against the real MinIO and MongoDB, in a bucket and database of its own: a
 * decided draft's upload left behind is removed once past the grace period; an undecided one,
 * one a job still holds, and a young one stay.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { collections, createLogger, createMinio, createMongo, ensureBucket, storeConfigFrom } from '@steadfast/commons';
import { readEnvironment } from '../environment.js';
import { sweepStaging } from './sweep.js';

const id = randomBytes(4).toString('hex');
const stores = storeConfigFrom(readEnvironment({ ...process.env, NODE_ENV: 'test', MONGO_DB: `staging_sweep_${id}` }));
const mongo = createMongo(stores.mongo);
const db = collections(mongo.db(stores.mongo.dbName));
const minio = createMinio(stores.minio);
const bucket = `staging-sweep-${id}`;
const logger = createLogger('staging-sweep-test', { level: 'silent' });

after(async () => {
  const keys: string[] = [];
  for await (const o of minio.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string }>) if (o.name) keys.push(o.name);
  if (keys.length) await minio.removeObjects(bucket, keys);
  await minio.removeBucket(bucket);
  await mongo.db(stores.mongo.dbName).dropDatabase();
  await mongo.close();
});

async function listed(): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of minio.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string }>) if (o.name) keys.push(o.name);
  return keys.sort();
}

test('a decided draft’s staged upload is removed; undecided, held and young ones stay', async () => {
  await ensureBucket(minio, bucket);
  const bytes = Buffer.from('%PDF-1.4 staged');
  const keys = { decided: 'd-decided/0-aa', undecided: 'd-undecided/0-bb', held: 'd-held/0-cc' };
  for (const key of Object.values(keys)) await minio.putObject(bucket, key, bytes, bytes.length);
  await db.drafts.insertMany([
    { _id: 'd-decided', operation: 'create', fingerprint: 'f', userId: 'u', decidedAt: new Date(), status: 'processed', recordId: 'r1' },
    { _id: 'd-held', operation: 'create', fingerprint: 'f', userId: 'u', decidedAt: new Date(), status: 'processed', recordId: 'r2' },
  ] as never);
  const deps = {
    db,
    minio,
    bucket,
    jobState: (draftId: string) => Promise.resolve(draftId === 'd-held' ? 'active' : draftId === 'd-decided' ? 'completed' : undefined),
    logger,
  };

  // Young: nothing is removed, not even the decided draft's upload.
  assert.deepEqual(await sweepStaging(deps, { graceMs: 60_000, maxAgeMs: 3_600_000 }), []);
  assert.equal((await listed()).length, 3);

  // Past the grace period (read one minute ahead): only the decided, unheld draft's upload goes.
  const removed = await sweepStaging(deps, { graceMs: 60_000, maxAgeMs: 3_600_000 }, Date.now() + 61_000);
  assert.deepEqual(removed, [keys.decided]);
  assert.deepEqual(await listed(), [keys.held, keys.undecided].sort());

  // Past the maximum age: the undecided upload no job holds goes too; the held one stays.
  await sweepStaging(deps, { graceMs: 60_000, maxAgeMs: 3_600_000 }, Date.now() + 3_700_000);
  assert.deepEqual(await listed(), [keys.held]);
});
