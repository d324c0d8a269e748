/**
 * Disaster recovery of the search projection against the real stores: the search index is
 * deleted and rebuilt from MongoDB with identical documents; a rebuild of a live index keeps
 * searches answering through the alias and loses none of the writes made meanwhile.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { collections, createLogger, openStores, storeConfigFrom, storeEnvSchema, type Collections, type StoreClients } from '@steadfast/commons';
import { rebuildSearchIndex, SearchIndex, toSearchDocument } from '@steadfast/records';
import { newRecord, renameChild } from './testing.js';

const id = randomBytes(4).toString('hex');
const logger = createLogger('rebuild-test', { level: 'silent' });
const env = storeEnvSchema.parse({ ...process.env, MONGO_DB: `rb_test_${id}`, ES_INDEX: `rb-test-${id}` });
let stores: StoreClients;
let db: Collections;
let search: SearchIndex;
const ids = Array.from({ length: 2_000 }, (_, i) => `rb-${id}-${i}`);

async function snapshot(): Promise<Map<string, { source: unknown; version: number }>> {
  await stores.es.indices.refresh({ index: env.ES_INDEX });
  const docs = new Map<string, { source: unknown; version: number }>();
  for (let i = 0; i < ids.length; i += 500) {
    const response = await stores.es.mget({ index: env.ES_INDEX, ids: ids.slice(i, i + 500) });
    for (const doc of response.docs) {
      if ('found' in doc && doc.found) docs.set(doc._id, { source: doc._source, version: doc._version ?? 0 });
    }
  }
  return docs;
}

before(async () => {
  stores = openStores(storeConfigFrom(env), logger);
  db = collections(stores.mongo.db(env.MONGO_DB));
  search = new SearchIndex(stores.es, env.ES_INDEX);
  await search.ensure();
  const records = ids.map((recordId, i) => newRecord(recordId, 'user-1', i));
  for (let i = 0; i < records.length; i += 500) await db.records.insertMany(records.slice(i, i + 500));
  await rebuildSearchIndex(stores.es, db, search, logger); // the first fill, as after an import
});

after(async () => {
  await stores.es.indices.delete({ index: `${env.ES_INDEX}-*` }, { ignore: [404] });
  await stores.mongo.db(env.MONGO_DB).dropDatabase();
  await stores.close();
});

test('deleting the search index and rebuilding restores identical documents', async () => {
  const before = await snapshot();
  assert.equal(before.size, ids.length);
  const concrete = Object.keys(await stores.es.indices.getAlias({ name: env.ES_INDEX }));
  await stores.es.indices.delete({ index: concrete });
  assert.equal(await stores.es.indices.exists({ index: env.ES_INDEX }), false, 'the disaster: no index, no alias');
  // A write meanwhile fails (to be retried) instead of creating a stray index under the alias's name.
  await assert.rejects(search.project((await db.records.findOne({ _id: ids[0]! }))!));
  assert.equal(await stores.es.indices.exists({ index: env.ES_INDEX }), false);

  const report = await rebuildSearchIndex(stores.es, db, search, logger);
  console.log(`# rebuilt ${report.copied} documents in ${report.ms} ms (${Math.round((report.copied / report.ms) * 1000)} docs/s)`);
  const after = await snapshot();
  assert.equal(after.size, before.size);
  for (const [recordId, doc] of before) assert.deepEqual(after.get(recordId), doc, recordId);
});

test('during a rebuild searches keep answering through the alias and writes made meanwhile are kept', async () => {
  let searching = true;
  let searches = 0;
  const failures: string[] = [];
  const searcher = (async () => {
    while (searching) {
      try {
        const response = await stores.es.search({ index: env.ES_INDEX, size: 0, track_total_hits: true, query: { term: { event: 'birth' } } });
        const total = typeof response.hits.total === 'number' ? response.hits.total : (response.hits.total?.value ?? 0);
        if (total === 0) failures.push('a search found nothing');
        searches++;
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  })();
  // Writers change records (and write their documents, as the workflow does) during the rebuild.
  let writing = true;
  const changed = new Set<string>();
  const writer = (async () => {
    for (let n = 0; writing; n++) {
      const recordId = ids[(n * 37) % ids.length]!;
      await renameChild(db, stores.redis, recordId, `During${n}`, { hint: false });
      await search.project((await db.records.findOne({ _id: recordId }))!);
      changed.add(recordId);
    }
  })();
  await rebuildSearchIndex(stores.es, db, search, logger);
  writing = false;
  await writer;
  searching = false;
  await searcher;
  assert.deepEqual(failures, []);
  assert.ok(searches > 0 && changed.size > 0);
  const docs = await snapshot();
  for (const recordId of changed) {
    const record = await db.records.findOne({ _id: recordId });
    assert.deepEqual(docs.get(recordId), { source: toSearchDocument(record!), version: record!.version }, recordId);
  }
  console.log(`# ${searches} searches during the rebuild, none failed or empty; ${changed.size} records changed meanwhile, all current`);
});
