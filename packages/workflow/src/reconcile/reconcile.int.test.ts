/**
 * Reconciliation against the real MongoDB, Elasticsearch, MinIO and Redis, under its own
 * database, alias, buckets and queue: every kind of drift made here is reported by a dry run
 * (which changes nothing), fixed by a repair, and absent from a second run; work in flight is
 * left alone throughout.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import {
  collections,
  createElasticsearch,
  createLogger,
  createMinio,
  createMongo,
  ensureBucket,
  newTrackingId,
  RecordQueue,
  placedDraftOf,
  recordIdFor,
  recordKeyFor,
  redisOptions,
  sampleBirth,
  storeConfigFrom,
  type RecordDocument,
  type RecordJobData,
} from '@steadfast/commons';
import { readEnvironment } from '../environment.js';
import { SearchIndex, toSearchDocument } from '@steadfast/records';
import type { ReconcileDeps } from './drift.js';
import { stagingKeyOf } from './object-drift.js';
import { reconcile, type ReconcileReport } from './reconcile.js';

const id = randomBytes(4).toString('hex');
const env = {
  ...process.env,
  MONGO_DB: `rc_test_${id}`,
  ES_INDEX: `rc-test-${id}`,
  MINIO_BUCKET: `rc-test-${id}`,
  MINIO_STAGING_BUCKET: `rc-test-${id}-staging`,
  RECORD_QUEUE_NAME: `rc-test-${id}`,
};
const stores = storeConfigFrom(readEnvironment(env));
const mongo = createMongo(stores.mongo);
const es = createElasticsearch(stores.elasticsearch);
const minio = createMinio(stores.minio);
const queue = new RecordQueue(redisOptions(stores.redis), undefined, env.RECORD_QUEUE_NAME);
const records = collections(mongo.db(stores.mongo.dbName)).records;
const search = new SearchIndex(es, stores.elasticsearch.index);
const buckets = { attachments: stores.minio.bucket, staging: stores.minio.stagingBucket };
const deps: ReconcileDeps = {
  es,
  alias: stores.elasticsearch.index,
  db: collections(mongo.db(stores.mongo.dbName)),
  minio,
  buckets,
  jobState: async (draftId) => (await queue.getJob(draftId))?.getState(),
  logger: createLogger('reconcile-test', { level: 'silent' }),
};
const HOUR = 3_600_000;
// The run's clock is an hour ahead: everything made here is "old" unless made to look recent.
const options = { graceMs: 10 * 60_000, stagingMaxAgeMs: 30 * 60_000, now: Date.now() + HOUR };

/** A record with one attachment stored in MinIO, its copy step done, an hour and a half ago. */
async function storedRecord(): Promise<RecordDocument> {
  const draftId = randomUUID();
  const recordId = recordIdFor(draftId);
  const bytes = randomBytes(64);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = `${recordId}/${draftId}-0-${sha256.slice(0, 16)}`;
  const at = new Date(Date.now() - HOUR / 2);
  const data: Record<string, unknown> = { ...sampleBirth(draftId) };
  delete data['attachments'];
  const record: RecordDocument = {
    _id: recordId,
    draftId,
    trackingId: newTrackingId('birth'),
    event: 'birth',
    status: 'DECLARED',
    data,
    attachments: [{ key, draftId, index: 0, type: 'BIRTH_NOTIFICATION', subject: 'CHILD', contentType: 'application/octet-stream', size: bytes.length, sha256 }],
    hasPotentialDuplicates: false,
    duplicates: [],
    version: 2,
    createdBy: 'user-1',
    createdAt: at,
    updatedAt: at,
    actions: { [draftId]: { operation: 'create', action: 'declare', fingerprint: 'f', userId: 'user-1', acceptedAt: at, appliedAt: at, steps: { metadata: at, attachments: at, search: at } } },
    history: [],
  };
  await records.insertOne(record);
  await minio.putObject(buckets.attachments, key, bytes, bytes.length);
  await minio.putObject(buckets.staging, stagingKeyOf(record.attachments[0]!), bytes, bytes.length);
  return record;
}

async function listKeys(bucket: string): Promise<string[]> {
  const names: string[] = [];
  for await (const o of minio.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string }>) if (o.name) names.push(o.name);
  return names.sort();
}

async function state(): Promise<unknown> {
  await es.indices.refresh({ index: deps.alias });
  const docs = await es.search({ index: deps.alias, size: 100, version: true, sort: [{ recordId: 'asc' }] });
  return {
    docs: docs.hits.hits.map((h) => [h._id, h._version, h._source]),
    objects: await listKeys(buckets.attachments),
    staged: await listKeys(buckets.staging),
  };
}

const found = (report: ReconcileReport): Record<string, number> =>
  Object.fromEntries(Object.entries(report.summary).filter(([, v]) => v.found > 0).map(([k, v]) => [k, v.found]));

let inFlight: RecordDocument;
let held: RecordJobData;
let placedWaiting: string;

before(async () => {
  await Promise.all([ensureBucket(minio, buckets.attachments), ensureBucket(minio, buckets.staging), search.ensure()]);
  const good = await Promise.all([storedRecord(), storedRecord(), storedRecord()]);
  for (const r of good) await search.project(r);
  // Staged copies of finished jobs are the workflow's cleanup's; these three were cleaned up.
  await minio.removeObjects(buckets.staging, good.map((r) => stagingKeyOf(r.attachments[0]!)));

  const [missingDoc, behind, differs, missingObject] = await Promise.all([storedRecord(), storedRecord(), storedRecord(), storedRecord()]);
  for (const r of [missingDoc, behind, differs, missingObject]) await minio.removeObject(buckets.staging, stagingKeyOf(r.attachments[0]!));
  // search-stale: a document one version behind, and one with the right version but other content.
  await search.project({ ...behind, version: 1 });
  await es.index({ index: deps.alias, id: differs._id, document: { ...toSearchDocument(differs), status: 'REGISTERED' }, version: differs.version, version_type: 'external' });
  await search.project(missingObject);
  // attachment-missing, repairable: the object is gone but its staged upload is still there.
  const attachment = missingObject.attachments[0]!;
  await minio.copyObject(buckets.staging, stagingKeyOf(attachment), `/${buckets.attachments}/${attachment.key}`);
  await minio.removeObject(buckets.attachments, attachment.key);
  // search-orphaned: a document whose record does not exist.
  const ghost = { ...good[0], _id: randomUUID(), draftId: randomUUID() };
  await search.project(ghost);
  // attachment-orphaned: an object not listed on its record, and one under no record at all.
  await minio.putObject(buckets.attachments, `${good[1]._id}/stray-object`, Buffer.from('x'));
  await minio.putObject(buckets.attachments, `${randomUUID()}/no-record`, Buffer.from('y'));
  // staging-expired: an upload with no job.
  await minio.putObject(buckets.staging, `${randomUUID()}/0-abandoned`, Buffer.from('z'));

  // Work in flight, to be left alone: a record written "just now" (by the run's clock) whose
  // document and object are not there yet, and an old upload whose job is still waiting.
  inFlight = await storedRecord();
  const recent = new Date(options.now - 60_000);
  await records.updateOne({ _id: inFlight._id }, { $set: { updatedAt: recent, [`actions.${inFlight.draftId}.appliedAt`]: recent }, $unset: { [`actions.${inFlight.draftId}.steps.attachments`]: '' } });
  await minio.removeObject(buckets.attachments, inFlight.attachments[0]!.key);
  await queue.queue.add('create', { draftId: inFlight.draftId } as RecordJobData, { jobId: inFlight.draftId });
  held = { draftId: randomUUID() } as RecordJobData;
  await queue.queue.add('create', held, { jobId: held.draftId });
  await minio.putObject(buckets.staging, `${held.draftId}/0-waiting`, Buffer.from('w'));
  // Uploads the gateway placed at a create's record keys, listed by no record yet: one whose job
  // still waits (the queue may be hours behind), left alone; one whose job is gone, an orphan.
  const placedAt = (draftId: string) => recordKeyFor(recordIdFor(draftId), { draftId, fingerprint: 'a'.repeat(64), placed: true }, { index: 0, sha256: 'b'.repeat(64) });
  placedWaiting = placedAt(randomUUID());
  const waitingDraft = placedDraftOf(placedWaiting)!;
  await queue.queue.add('create', { draftId: waitingDraft } as RecordJobData, { jobId: waitingDraft });
  await minio.putObject(buckets.attachments, placedWaiting, Buffer.from('p'));
  await minio.putObject(buckets.attachments, placedAt(randomUUID()), Buffer.from('q'));
});

after(async () => {
  await queue.queue.obliterate({ force: true });
  await queue.close();
  for (const bucket of [buckets.attachments, buckets.staging]) {
    await minio.removeObjects(bucket, await listKeys(bucket));
    await minio.removeBucket(bucket);
  }
  await es.indices.delete({ index: `${deps.alias}-v*` }, { ignore: [404] });
  await records.db.dropDatabase();
  await Promise.all([mongo.close(), es.close()]);
});

const EXPECTED = {
  'search-missing': 1,
  'search-stale': 2,
  'search-orphaned': 1,
  'attachment-missing': 1,
  'attachment-orphaned': 3, // and the placed upload whose job is gone
  'staging-expired': 2, // the abandoned upload, and the missing object's staged copy
};

test('a dry run reports every kind of drift and changes nothing', async () => {
  const before = await state();
  const report = await reconcile(deps, { ...options, repair: false });
  assert.deepEqual(found(report), EXPECTED, JSON.stringify(report.drift, null, 2));
  assert.equal(report.remaining, Object.values(EXPECTED).reduce((a, b) => a + b));
  assert.equal(report.inFlight, 5); // its document, its object, its upload, the held upload, the waiting placed one
  assert.ok(!report.drift.some((d) => [inFlight._id, inFlight.draftId, held.draftId, placedWaiting].some((prefix) => d.id.startsWith(prefix))));
  assert.deepEqual(await state(), before);
});

test('the command exits 1 on drift in a dry run and prints JSON', async () => {
  const cli = fileURLToPath(new URL('../cli/reconcile.js', import.meta.url));
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = execFile(process.execPath, [cli, '--dry-run', '--json'], { env: { ...env, LOG_LEVEL: 'silent' } }, (_error, stdout) => resolve({ code: child.exitCode, stdout }));
  });
  assert.equal(code, 1);
  const report = JSON.parse(stdout) as ReconcileReport;
  assert.equal(report.mode, 'dry-run');
  // With the real clock, fresh objects and uploads are in flight; the search drift is not.
  assert.equal(report.summary['search-missing'].found, 1);
  assert.equal(report.summary['search-orphaned'].found, 1);
});

test('a repair fixes every drift, and a second run finds none', async () => {
  const repair = await reconcile(deps, { ...options, repair: true });
  assert.deepEqual(found(repair), EXPECTED);
  assert.equal(repair.remaining, 0, JSON.stringify(repair.drift.filter((d) => !d.repaired), null, 2));

  const again = await reconcile(deps, { ...options, repair: false });
  assert.deepEqual(found(again), {}, JSON.stringify(again.drift, null, 2));
  assert.equal(again.remaining, 0);

  // Every record's document is its projection; work in flight was not touched.
  await es.indices.refresh({ index: deps.alias });
  for await (const record of records.find({ _id: { $ne: inFlight._id } })) {
    const doc = await es.get({ index: deps.alias, id: record._id });
    assert.equal(doc._version, record.version);
    assert.deepEqual(doc._source, JSON.parse(JSON.stringify(toSearchDocument(record))));
    for (const a of record.attachments) await minio.statObject(buckets.attachments, a.key);
  }
  assert.equal(await search.get(inFlight._id), undefined);
  assert.ok((await listKeys(buckets.staging)).includes(`${held.draftId}/0-waiting`));
  assert.ok((await listKeys(buckets.attachments)).includes(placedWaiting), 'a placed upload whose job waits is kept');
});
