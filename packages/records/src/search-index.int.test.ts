/**
 * The search index against the real Elasticsearch, under its own aliases: an index made by an
 * earlier release is brought up to the current mapping at start, and one whose mapping cannot be
 * changed in place says to rebuild it; start waits for the index's shard to be started; the
 * duplicate search finds and orders its candidates.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { createElasticsearch, Population, sampleBirth, storeConfigFrom, type RecordDocument } from '@steadfast/commons';
import { readEnv, storeEnvSchema } from '@steadfast/commons';
import { KEYED_TOKEN_MAX } from './duplicate-keys.js';
import { SEARCH_INDEX_META, SEARCH_MAPPINGS, SEARCH_REFRESH_INTERVAL, SearchIndex, SearchMappingConflict, toSearchDocument, type SearchDocument } from './search-index.js';

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
  assert.deepEqual(Object.values(mapping)[0]?.mappings._meta, SEARCH_INDEX_META, 'every document in it has its duplicate keys');
});

test('start waits for the index\'s shard: one that cannot start fails the start naming the index; once it can, start returns and writes land', async () => {
  const alias = `${prefix}-unstarted`;
  // A shard that no node may hold stays unassigned, as one still allocating or recovering does.
  await es.indices.create({
    index: `${alias}-v1`,
    aliases: { [alias]: { is_write_index: true } },
    settings: { number_of_shards: 1, number_of_replicas: 0, 'index.routing.allocation.require._name': 'no-such-node' },
    mappings: { ...SEARCH_MAPPINGS, _meta: SEARCH_INDEX_META },
    wait_for_active_shards: 0,
  });
  const search = new SearchIndex(es, alias);
  // Longer than the client's request timeout (10 s): the wait must not be cut short by it.
  await assert.rejects(search.ensure({ readyTimeoutMs: 11_000 }), (error: Error) => {
    assert.match(error.message, new RegExp(`search index ${alias}: its shard is not started after 11000 ms \\(status red, 1 unassigned`));
    return true;
  });
  await es.indices.putSettings({ index: `${alias}-v1`, settings: { 'index.routing.allocation.require._name': null } });
  await search.ensure();
  assert.equal(await search.write(doc('r-started'), { visible: true }), true, 'the first write after start lands');
});

/** The client, with the searches of each `_msearch` it sends kept. */
function spying(): { client: typeof es; searches: unknown[] } {
  const searches: unknown[] = [];
  const client = Object.create(es) as typeof es;
  const msearch = (request: { searches?: unknown[] }) => {
    searches.push(...(request.searches ?? []).filter((_, i) => i % 2 === 1));
    return es.msearch(request as Parameters<typeof es.msearch>[0]);
  };
  client.msearch = msearch as unknown as typeof es.msearch;
  return { client, searches };
}

const fuzzy = (search: unknown): boolean => JSON.stringify(search).includes('"fuzziness"');

test("the index takes the refresh interval it is given, at creation and at every start after", async () => {
  const alias = `${prefix}-refresh`;
  const intervalOf = async () => Object.values(await es.indices.getSettings({ index: alias }))[0]?.settings?.index?.refresh_interval;
  await new SearchIndex(es, alias).ensure();
  assert.equal(await intervalOf(), SEARCH_REFRESH_INTERVAL, 'the default');
  // A start under another ES_REFRESH_INTERVAL changes the index in place.
  await new SearchIndex(es, alias, '1s').ensure();
  assert.equal(await intervalOf(), '1s');
});

/** A record as the workflow stores it, with the child's and the mother's names and the event date given. */
function birthRecord(recordId: string, child: { firstNames: string; familyName: string }, motherFamily: string, eventDate: string, createdAt: string, event: 'birth' | 'death' = 'birth'): RecordDocument {
  const { attachments, ...details } = sampleBirth(recordId);
  const subject = { ...details.child, ...child, birthDate: eventDate };
  const related = { ...details.mother, familyName: motherFamily };
  // A death record with the same people where a death keeps them (the deceased, the informant).
  const data = event === 'birth' ? { ...details, eventDate, child: subject, mother: related } : { eventDate, deceased: subject, informant: related };
  return {
    _id: recordId,
    draftId: recordId,
    trackingId: `B${recordId.slice(0, 7)}`,
    event,
    status: 'DECLARED',
    data,
    attachments: [],
    hasPotentialDuplicates: false,
    version: 1,
    createdBy: 'u1',
    createdAt: new Date(createdAt),
    updatedAt: new Date(createdAt),
    actions: {},
    history: [],
  };
}

test('the duplicate search: alike names of the same event within three days, the best match first and the newest among equals; another event or a date outside the window never', async () => {
  const { client, searches } = spying();
  const search = new SearchIndex(client, `${prefix}-dups`);
  await search.ensure();
  const ada = { firstNames: 'Ada', familyName: 'Lovelace' };
  const me = birthRecord('me', ada, 'Byron', '2026-03-10', '2026-03-12T00:00:00Z');
  const others = [
    birthRecord('exact-old', ada, 'Byron', '2026-03-10', '2026-03-11T00:00:00Z'),
    birthRecord('exact-new', ada, 'Byron', '2026-03-11', '2026-03-11T12:00:00Z'),
    birthRecord('typo', { firstNames: 'Ada', familyName: 'Lovelase' }, 'Byron', '2026-03-10', '2026-03-11T18:00:00Z'),
    birthRecord('two-typos', { firstNames: 'Adda', familyName: 'Lovelase' }, 'Byron', '2026-03-10', '2026-03-11T19:00:00Z'),
    birthRecord('late', ada, 'Byron', '2026-03-14', '2026-03-11T00:00:00Z'),
    birthRecord('other-name', { firstNames: 'Grace', familyName: 'Hopper' }, 'Byron', '2026-03-10', '2026-03-11T00:00:00Z'),
    birthRecord('near-miss', { firstNames: 'Ada', familyName: 'Lovelace' }, 'Bryne', '2026-03-10', '2026-03-11T00:00:00Z'),
    birthRecord('other-event', ada, 'Byron', '2026-03-10', '2026-03-11T00:00:00Z', 'death'),
  ];
  for (const record of [me, ...others]) await search.write(toSearchDocument(record), { visible: true });

  const found = await search.findDuplicates(me, 20);
  assert.deepEqual(found.candidates.map((c) => c.recordId), ['exact-new', 'exact-old', 'typo', 'two-typos']);
  assert.equal(found.total, 4);
  const [many] = await search.findDuplicatesMany([{ record: me, limit: 2 }]);
  assert.ok(many?.ok);
  assert.deepEqual([many.value.candidates.map((c) => c.recordId), many.value.total], [['exact-new', 'exact-old'], 4]);
  assert.equal(searches.length, 2);
  assert.ok(!searches.some(fuzzy), 'asked by keys, no fuzzy query');

  // A name token too long for keys is asked with the fuzzy query, and finds its typo all the same.
  const long = 'Wolfeschlegelsteinhausen';
  assert.ok(long.length > KEYED_TOKEN_MAX);
  const lengthy = birthRecord('lengthy', { firstNames: 'Hubert', familyName: long }, 'Byron', '2026-03-10', '2026-03-12T00:00:00Z');
  await search.write(toSearchDocument(birthRecord('lengthy-typo', { firstNames: 'Hubert', familyName: `${long}n` }, 'Byron', '2026-03-10', '2026-03-11T00:00:00Z')), { visible: true });
  assert.deepEqual((await search.findDuplicates(lengthy, 20)).candidates.map((c) => c.recordId), ['lengthy-typo']);
  assert.ok(fuzzy(searches.at(-1)));

  // A document written without keys into this index (an earlier release still running during a
  // rolling upgrade) is compared all the same.
  const { duplicateKeys: _, ...unkeyed } = toSearchDocument(birthRecord('unkeyed', { firstNames: 'Ada', familyName: 'Lovelac' }, 'Byron', '2026-03-10', '2026-03-11T20:00:00Z'));
  await es.index({ index: `${prefix}-dups`, id: 'unkeyed', document: unkeyed, refresh: true });
  const again = await search.findDuplicates(me, 20);
  assert.deepEqual(again.candidates.map((c) => c.recordId), ['exact-new', 'exact-old', 'unkeyed', 'typo', 'two-typos']);
  assert.ok(!fuzzy(searches.at(-1)));
});

test('the duplicate search on an index an earlier release made (documents without keys) uses the fuzzy query until the index is rebuilt', async () => {
  const alias = `${prefix}-unkeyed`;
  const earlier: MappingProperties = { ...SEARCH_MAPPINGS.properties };
  delete earlier['duplicateKeys'];
  await olderIndex(alias, earlier);
  const ada = { firstNames: 'Ada', familyName: 'Lovelace' };
  const old = [birthRecord('old-twin', ada, 'Byron', '2026-03-10', '2026-03-11T00:00:00Z'), birthRecord('old-typo', { ...ada, familyName: 'Lovelase' }, 'Byron', '2026-03-11', '2026-03-11T01:00:00Z')];
  // Written as the earlier release wrote them: no keys.
  for (const record of old) {
    const { duplicateKeys: _, ...unkeyed } = toSearchDocument(record);
    await es.index({ index: alias, id: record._id, document: unkeyed, refresh: true });
  }
  const { client, searches } = spying();
  const search = new SearchIndex(client, alias);
  await search.ensure();
  const me = birthRecord('me', ada, 'Byron', '2026-03-10', '2026-03-12T00:00:00Z');
  await search.write(toSearchDocument(me), { visible: true });
  assert.deepEqual((await search.findDuplicates(me, 20)).candidates.map((c) => c.recordId), ['old-twin', 'old-typo']);
  assert.equal(searches.length, 1);
  assert.ok(fuzzy(searches[0]), 'the fuzzy query: the keys would miss the old documents');

  // Rebuilt (an index made by this release, every document written again): asked by keys.
  await search.createIndex(`${alias}-v2`);
  await es.indices.updateAliases({ actions: [{ remove: { index: `${alias}-v1`, alias } }, { add: { index: `${alias}-v2`, alias, is_write_index: true } }] });
  for (const record of [...old, me]) await search.write(toSearchDocument(record), { visible: true });
  await search.ensure();
  assert.deepEqual((await search.findDuplicates(me, 20)).candidates.map((c) => c.recordId), ['old-twin', 'old-typo']);
  assert.equal(searches.length, 2);
  assert.ok(!fuzzy(searches[1]));
});

test('a running workflow takes up a rebuild once its mode is old, without a restart; a failed read of the mapping keeps the last answer', async () => {
  const alias = `${prefix}-remode`;
  const earlier: MappingProperties = { ...SEARCH_MAPPINGS.properties };
  delete earlier['duplicateKeys'];
  await olderIndex(alias, earlier);
  const { client, searches } = spying();
  let mappingReads = 0;
  let mappingDown = false;
  const indices = Object.create(es.indices) as typeof es.indices;
  indices.getMapping = ((request: Parameters<typeof es.indices.getMapping>[0]) => {
    mappingReads += 1;
    return mappingDown ? Promise.reject(new Error('mapping not read')) : es.indices.getMapping(request);
  }) as typeof es.indices.getMapping;
  Object.defineProperty(client, 'indices', { value: indices });
  const ada = { firstNames: 'Ada', familyName: 'Lovelace' };
  const me = birthRecord('remode-me', ada, 'Byron', '2026-03-10', '2026-03-12T00:00:00Z');

  // The default: read once, kept a minute.
  const kept = new SearchIndex(client, alias);
  assert.equal(await kept.keyedDuplicateSearch(), false);
  assert.equal(await kept.keyedDuplicateSearch(), false);
  assert.equal(mappingReads, 1);

  // Its mode read again at every search (kept 0 ms): the rebuild below is the only change.
  const search = new SearchIndex(client, alias, SEARCH_REFRESH_INTERVAL, 0);
  await search.ensure();
  await search.write(toSearchDocument(me), { visible: true });
  await search.findDuplicates(me, 20);
  assert.ok(fuzzy(searches.at(-1)), 'an earlier release\'s index: fuzzy');

  // Rebuilt by another process (npm run search:rebuild), this instance not restarted.
  const rebuild = new SearchIndex(es, alias);
  await rebuild.createIndex(`${alias}-v2`);
  await rebuild.write(toSearchDocument(me), { visible: true });
  await es.indices.updateAliases({ actions: [{ remove: { index: `${alias}-v1`, alias } }, { add: { index: `${alias}-v2`, alias, is_write_index: true } }] });
  await search.findDuplicates(me, 20);
  assert.ok(!fuzzy(searches.at(-1)), 'the rebuilt index: asked by keys');

  // The mapping unreadable for a moment: the last answer holds and the search goes on.
  mappingDown = true;
  const before = mappingReads;
  await search.findDuplicates(me, 20);
  assert.ok(mappingReads > before, 'read again');
  assert.ok(!fuzzy(searches.at(-1)), 'the last answer kept');
  // Never read, a failure fails the search (nothing to fall back on).
  await assert.rejects(new SearchIndex(client, alias, SEARCH_REFRESH_INTERVAL, 0).keyedDuplicateSearch(), /mapping not read/);
  mappingDown = false;
});

test("several records' keyed searches go as one search, and each record's answer is the one its own search gives; a union that matched more than it returned is asked again record by record", async () => {
  const { client, searches } = spying();
  const msearches: number[] = [];
  const msearch = client.msearch.bind(client);
  client.msearch = ((request: { searches?: unknown[] }) => {
    msearches.push((request.searches ?? []).length / 2);
    return msearch(request as Parameters<typeof es.msearch>[0]);
  }) as unknown as typeof es.msearch;
  const search = new SearchIndex(client, `${prefix}-union`);
  await search.ensure();
  const ada = { firstNames: 'Ada', familyName: 'Lovelace' };
  const grace = { firstNames: 'Grace', familyName: 'Hopper' };
  const stored = [
    birthRecord('u-ada-1', ada, 'Byron', '2026-03-10', '2026-03-11T00:00:00Z'),
    birthRecord('u-ada-2', { ...ada, familyName: 'Lovelase' }, 'Byron', '2026-03-11', '2026-03-11T01:00:00Z'),
    birthRecord('u-ada-3', ada, 'Byron', '2026-03-09', '2026-03-11T02:00:00Z'),
    birthRecord('u-grace-1', grace, 'Murray', '2026-03-10', '2026-03-11T03:00:00Z'),
    birthRecord('u-grace-2', { ...grace, firstNames: 'Grase' }, 'Murray', '2026-03-12', '2026-03-11T04:00:00Z'),
    // A near miss of both: shares keys, too many edits.
    birthRecord('u-near', { firstNames: 'Adda', familyName: 'Hoper' }, 'Bryne', '2026-03-10', '2026-03-11T05:00:00Z'),
  ];
  for (const record of stored) await search.write(toSearchDocument(record), { visible: true });
  // Written without keys (an earlier release, during a rolling upgrade): every keyed search of
  // the event and window compares it, whatever its names.
  const { duplicateKeys: _, ...unkeyed } = toSearchDocument(birthRecord('u-unkeyed', { firstNames: 'Ada', familyName: 'Lovelac' }, 'Byron', '2026-03-11', '2026-03-11T07:00:00Z'));
  await es.index({ index: `${prefix}-union`, id: 'u-unkeyed', document: unkeyed, refresh: true });
  const long = 'Wolfeschlegelsteinhausen';
  await search.write(toSearchDocument(birthRecord('u-long-typo', { firstNames: 'Hubert', familyName: `${long}n` }, 'Byron', '2026-03-10', '2026-03-11T06:00:00Z')), { visible: true });
  const asked = [
    // One of the stored: never its own candidate, the others' all the same.
    { record: stored[0]!, limit: 20 },
    { record: birthRecord('u-me-ada', ada, 'Byron', '2026-03-10', '2026-03-12T00:00:00Z'), limit: 1 },
    { record: birthRecord('u-me-grace', grace, 'Murray', '2026-03-11', '2026-03-12T00:00:00Z'), limit: 20 },
    { record: birthRecord('u-me-nobody', { firstNames: 'Zawadi', familyName: 'Quenneville' }, 'Byron', '2026-03-10', '2026-03-12T00:00:00Z'), limit: 20 },
    // A name too long for keys: the fuzzy query, on its own.
    { record: birthRecord('u-me-long', { firstNames: 'Hubert', familyName: long }, 'Byron', '2026-03-10', '2026-03-12T00:00:00Z'), limit: 20 },
  ];
  const own = [];
  for (const { record, limit } of asked) own.push(await search.findDuplicates(record, limit));
  assert.deepEqual(own.map((o) => o.candidates.map((c) => c.recordId)), [['u-ada-3', 'u-unkeyed', 'u-ada-2'], ['u-ada-3'], ['u-grace-1', 'u-grace-2'], [], ['u-long-typo']]);
  assert.deepEqual(own.map((o) => o.total), [3, 4, 2, 0, 1]);
  assert.deepEqual(own.map((o) => o.read), [4, 5, 4, 2, 1], 'documents without family keys (the unkeyed one, the long name) read by every keyed search');

  searches.length = 0;
  msearches.length = 0;
  const heard: Array<[string, number]> = [];
  const together = await search.findDuplicatesMany(asked, { onSearch: (kind, records) => heard.push([kind, records]) });
  assert.deepEqual(together, own.map((value) => ({ ok: true, value })));
  assert.deepEqual(heard, [['union', 4]]);
  assert.deepEqual(msearches, [2], 'one request: one search for the four keyed records, the fuzzy one alone');
  assert.match(JSON.stringify(searches[0]), /"_name":"keyless"/);
  assert.ok(fuzzy(searches[1]));

  // Two records that each match 25 stored ones, reading 10 each: the union of 20 hits cannot
  // hold them all, so both are asked again on their own, and answer as they would alone.
  const zed = { firstNames: 'Zed', familyName: 'Quinn' };
  for (let i = 0; i < 25; i++) {
    await search.write(toSearchDocument(birthRecord(`u-zed-${String(i).padStart(2, '0')}`, zed, 'Moss', '2026-04-10', `2026-04-11T00:${String(i).padStart(2, '0')}:00Z`)), { visible: i === 24 });
  }
  const twins = [
    { record: birthRecord('u-me-zed-1', zed, 'Moss', '2026-04-10', '2026-04-12T00:00:00Z'), limit: 1 },
    { record: birthRecord('u-me-zed-2', zed, 'Moss', '2026-04-11', '2026-04-12T00:00:00Z'), limit: 1 },
  ];
  const alone = [];
  for (const { record, limit } of twins) alone.push(await search.findDuplicates(record, limit));
  assert.deepEqual(alone.map((a) => [a.candidates.map((c) => c.recordId), a.total, a.read]), [[['u-zed-24'], 25, 10], [['u-zed-24'], 25, 10]]);
  msearches.length = 0;
  heard.length = 0;
  assert.deepEqual(await search.findDuplicatesMany(twins, { onSearch: (kind, records) => heard.push([kind, records]) }), alone.map((value) => ({ ok: true, value })));
  assert.deepEqual(msearches, [1, 2], 'the union, then each record on its own');
  assert.deepEqual(heard, [['union', 2], ['again', 2]]);
});

test('records of common names asked together answer as each does alone (300 stored, 120 asked ten at a time)', async () => {
  const search = new SearchIndex(es, `${prefix}-union-many`);
  await search.ensure();
  const people = new Population({ mode: 'skewed', seed: 11, days: 20 });
  const record = (i: number): RecordDocument => {
    const p = people.next();
    const created = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
    return birthRecord(`m-${String(i).padStart(4, '0')}`, { firstNames: p.firstNames, familyName: p.familyName }, p.relatedFamilyName, p.eventDate, created);
  };
  const stored = Array.from({ length: 300 }, (_, i) => record(i));
  await search.writeMany(stored.map((r) => ({ doc: toSearchDocument(r) })));
  await es.indices.refresh({ index: `${prefix}-union-many` });
  // Half of them stored (each must not find itself), half new; caps of 20 (the workflow's) and 2.
  const asked = [...stored.slice(0, 60), ...Array.from({ length: 60 }, (_, i) => record(300 + i))].map((r, i) => ({ record: r, limit: i % 3 === 0 ? 2 : 20 }));
  let withCandidates = 0;
  for (let i = 0; i < asked.length; i += 10) {
    const batch = asked.slice(i, i + 10);
    const own = [];
    for (const { record: r, limit } of batch) own.push(await search.findDuplicates(r, limit));
    assert.deepEqual(await search.findDuplicatesMany(batch), own.map((value) => ({ ok: true, value })));
    withCandidates += own.filter((o) => o.candidates.length > 0).length;
  }
  assert.ok(withCandidates > 20, `common names meet (${withCandidates} of 120 records with candidates)`);
});
