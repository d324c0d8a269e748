/**
 * The search index against the real Elasticsearch, under its own aliases: an index made by an
 * earlier release is brought up to the current mapping at start, and one whose mapping cannot be
 * changed in place says to rebuild it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { createElasticsearch, storeConfigFrom } from '@steadfast/commons';
import { readEnv, storeEnvSchema } from '@steadfast/commons';
import { SEARCH_MAPPINGS, SEARCH_REFRESH_INTERVAL, SearchIndex, SearchMappingConflict, type SearchDocument } from './search-index.js';

const id = randomBytes(4).toString('hex');
const stores = storeConfigFrom(readEnv(storeEnvSchema, process.env));
const es = createElasticsearch(stores.elasticsearch);
const prefix = `si-test-${id}`;

after(async () => {
  await es.indices.delete({ index: `${prefix}-*` }, { ignore: [404] });
  await es.close();
});

type CreateRequest = Extract<Parameters<typeof es.indices.create>[0], { mappings?: unknown }>;
type MappingProperties = NonNullable<NonNullable<CreateRequest['mappings']>['properties']>;

/** An index as an earlier release made it: `properties` instead of the current ones. */
async function olderIndex(alias: string, properties: MappingProperties): Promise<void> {
  await es.indices.create({
    index: `${alias}-v1`,
    aliases: { [alias]: { is_write_index: true } },
    settings: { number_of_shards: 1, number_of_replicas: 0 },
    mappings: { dynamic: 'strict', properties },
  });
}

const doc = (recordId: string): SearchDocument => ({
  recordId,
  draftId: recordId,
  trackingId: 'B1234567',
  event: 'birth',
  status: 'REGISTERED',
  subject: { firstNames: 'Ada', familyName: 'Lovelace', birthDate: '2026-01-02' },
  related: {},
  hasPotentialDuplicates: false,
  actors: [{ userId: 'u1', name: 'Field Agent', office: 'Ibombo' }],
  createdAt: '2026-01-02T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  version: 1,
});

test('an index made before a field was added gets the field at start, and takes documents with it', async () => {
  const alias = `${prefix}-added`;
  const earlier: MappingProperties = { ...SEARCH_MAPPINGS.properties };
  delete earlier['actors'];
  await olderIndex(alias, earlier);
  const search = new SearchIndex(es, alias);
  await assert.rejects(search.write(doc('r1')), /strict_dynamic_mapping_exception/, 'the old mapping refuses the new field');
  await search.ensure();
  assert.equal(await search.write(doc('r1'), { visible: true }), true);
  assert.deepEqual((await search.get('r1'))?.actors, doc('r1').actors);
  await search.ensure(); // again: nothing to change
});

test('an index whose field changed type is not touched, and the error says to rebuild', async () => {
  const alias = `${prefix}-changed`;
  await olderIndex(alias, { ...SEARCH_MAPPINGS.properties, status: { type: 'text' as const } });
  const search = new SearchIndex(es, alias);
  await assert.rejects(search.ensure(), (error: unknown) => {
    assert.ok(error instanceof SearchMappingConflict);
    assert.match(error.message, /npm run search:rebuild/);
    return true;
  });
  const mapping = await es.indices.getMapping({ index: alias });
  assert.deepEqual(Object.values(mapping)[0]?.mappings.properties?.['status'], { type: 'text' });
});

test('a new alias gets its first index with the current mapping', async () => {
  const alias = `${prefix}-new`;
  const search = new SearchIndex(es, alias);
  await search.ensure();
  const mapping = await es.indices.getMapping({ index: alias });
  assert.deepEqual(Object.keys(mapping), [`${alias}-v1`]);
  assert.ok(Object.values(mapping)[0]?.mappings.properties?.['actors']);
});

test("the index takes the refresh interval it is given, at creation and at every start after", async () => {
  const alias = `${prefix}-refresh`;
  const intervalOf = async () => Object.values(await es.indices.getSettings({ index: alias }))[0]?.settings?.index?.refresh_interval;
  await new SearchIndex(es, alias).ensure();
  assert.equal(await intervalOf(), SEARCH_REFRESH_INTERVAL, 'the default');
  // A start under another ES_REFRESH_INTERVAL changes the index in place.
  await new SearchIndex(es, alias, '1s').ensure();
  assert.equal(await intervalOf(), '1s');
});
