import assert from 'node:assert/strict';
import { test } from 'node:test';
import { duplicateKeysOf, nameEdits } from './duplicate-keys.js';
import { dayOf, keySetsOf, keysMeet, KEYLESS, meetsQuery, queryTermsOf, splitUnion, unionable, unionGroups, type UnionQuery } from './duplicate-union.js';

test('unionGroups: consecutive records while their sizes fit; a record too big for any union searches alone', () => {
  assert.deepEqual(unionGroups([200, 200, 200], 500), [[0, 1], [2]]);
  assert.deepEqual(unionGroups([100, 100, 100, 100, 100], 500), [[0, 1, 2, 3, 4]]);
  assert.deepEqual(unionGroups([600, 100, 100], 500), [[0], [1, 2]]);
  assert.deepEqual(unionGroups([]), []);
  // The workflow's cap of 20 candidates reads 200 hits a record: ten records a union.
  assert.deepEqual(unionGroups(Array.from({ length: 25 }, () => 200)).map((g) => g.length), [10, 10, 5]);
});

test('dayOf: strict dates only, as Elasticsearch takes them', () => {
  assert.equal(dayOf('1970-01-02'), 1);
  assert.equal(dayOf('2024-02-29')! - dayOf('2024-02-26')!, 3);
  for (const bad of ['2023-02-29', '2024-13-01', '2024-1-01', '2024-01-01T00:00:00Z', '', undefined]) assert.equal(dayOf(bad), undefined, String(bad));
  assert.equal(unionable({ eventDate: '2023-02-29' }), false, 'a window Elasticsearch would refuse: asked alone, to fail alone');
  assert.equal(unionable({}), true);
});

const names = (firstNames: string, familyName: string, related?: string) => ({ subject: { firstNames, familyName }, related: related === undefined ? {} : { familyName: related } });

test('keysMeet: alike names meet (whatever the edits, nameEdits sorts them out later); each first name and the related name must too', () => {
  const ada = queryTermsOf(names('Ada', 'Lovelace', 'Byron'));
  for (const [candidate, meets] of [
    [names('Ada', 'Lovelace', 'Byron'), true],
    [names('Adda', 'Lovelase', 'Byron'), true],
    [names('Ada', 'Hopper', 'Byron'), false],
    [names('Ada', 'Lovelace', 'Moss'), false],
    [names('Ada', 'Lovelace'), false],
    [names('Grace', 'Lovelace', 'Byron'), false],
  ] as const) {
    assert.equal(keysMeet(ada, keySetsOf(duplicateKeysOf(candidate))), meets, JSON.stringify(candidate));
    // Within the allowed edits is always within the keys (the symmetric-deletion guarantee).
    if (nameEdits(names('Ada', 'Lovelace', 'Byron'), candidate) !== undefined) assert.ok(meets);
  }
  // Without a related name, the related clause is not asked; two first names must both meet.
  assert.equal(keysMeet(queryTermsOf(names('Ada', 'Lovelace')), keySetsOf(duplicateKeysOf(names('Ada', 'Lovelace', 'Moss')))), true);
  assert.equal(keysMeet(queryTermsOf(names('Ada Mary', 'Lovelace')), keySetsOf(duplicateKeysOf(names('Ada', 'Lovelace')))), false);
  // A clause with no keys meets nothing, as a `terms` query with none.
  assert.equal(keysMeet(queryTermsOf(names('Ada', '--')), keySetsOf(duplicateKeysOf(names('Ada', '--')))), false);
});

const query = (overrides: Partial<UnionQuery> = {}): UnionQuery => ({
  recordId: 'me',
  event: 'birth',
  eventDate: '2026-03-10',
  terms: queryTermsOf(names('Ada', 'Lovelace', 'Byron')),
  size: 2,
  ...overrides,
});
const hit = (id: string, eventDate: string | undefined, who = names('Ada', 'Lovelace', 'Byron'), event = 'birth', matched?: string[]) => ({
  _id: id,
  _source: { event, ...(eventDate ? { eventDate } : {}), ...who },
  ...(matched ? { matched_queries: matched } : {}),
});

test('meetsQuery: the same event, within three days either side, not the record itself, the keys or no family keys', () => {
  const me = query();
  assert.equal(meetsQuery(me, hit('a', '2026-03-10')), true);
  assert.equal(meetsQuery(me, hit('a', '2026-03-07')), true, 'three days before, included');
  assert.equal(meetsQuery(me, hit('a', '2026-03-13')), true, 'three days after, included');
  assert.equal(meetsQuery(me, hit('a', '2026-03-06')), false);
  assert.equal(meetsQuery(me, hit('a', '2026-03-14')), false);
  assert.equal(meetsQuery(me, hit('a', undefined)), false, 'no date: outside any window');
  assert.equal(meetsQuery(query({ eventDate: undefined }), hit('a', undefined)), true, 'no window asked');
  assert.equal(meetsQuery(me, hit('me', '2026-03-10')), false, 'itself');
  assert.equal(meetsQuery(me, hit('a', '2026-03-10', names('Ada', 'Lovelace', 'Byron'), 'death')), false);
  assert.equal(meetsQuery(me, hit('a', '2026-03-10', names('Grace', 'Hopper'))), false);
  assert.equal(meetsQuery(me, hit('a', '2026-03-10', names('Grace', 'Hopper'), 'birth', [KEYLESS])), true, 'no family keys: compared');
  assert.equal(meetsQuery(me, { _source: hit('a', '2026-03-10')._source }), false, 'no id');
});

test('splitUnion: each record gets its own hits, in the union order, at most its size, with its own total', () => {
  // Newest first, as every duplicate search sorts.
  const hits = [
    hit('a', '2026-03-10'),
    hit('b', '2026-03-12', names('Grace', 'Hopper', 'Murray')),
    hit('c', '2026-03-09'),
    hit('d', '2026-03-11'),
    hit('e', '2026-03-12', names('Grace', 'Hopper', 'Murray')),
  ];
  const grace = query({ recordId: 'g', eventDate: '2026-03-13', terms: queryTermsOf(names('Grace', 'Hopper', 'Murray')), size: 20 });
  const split = splitUnion(hits, { value: 5, relation: 'eq' }, [query(), grace, query({ recordId: 'x', event: 'death' })]);
  assert.ok(split);
  assert.deepEqual(split[0]!.hits.map((h) => h._id), ['a', 'c'], 'its first two, as its own search of size 2 reads');
  assert.equal(split[0]!.total, 3, 'every one it matched counted');
  assert.deepEqual(split[1]!.hits.map((h) => h._id), ['b', 'e']);
  assert.equal(split[1]!.total, 2);
  assert.deepEqual(split[2], { hits: [], total: 0 });
});

test('splitUnion: a union that matched more than it returned, or whose total is not exact, answers for nobody', () => {
  const hits = [hit('a', '2026-03-10'), hit('b', '2026-03-10')];
  assert.equal(splitUnion(hits, { value: 3, relation: 'eq' }, [query()]), undefined);
  assert.equal(splitUnion(hits, { value: 2, relation: 'gte' }, [query()]), undefined);
  assert.equal(splitUnion(hits, undefined, [query()]), undefined);
  assert.deepEqual(splitUnion(hits, 2, [query()])?.map((s) => s.total), [2]);
});
