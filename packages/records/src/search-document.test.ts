/**
 * The fold law the search projection rests on: applying a record's event data in order gives,
 * at every version, the same document as deriving it from the record at that version.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordStateOf, type RecordDocument, type RecordState } from '@steadfast/commons';
import { applyChanges, toSearchDocument, type SearchDocument } from './search-index.js';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 23, 8, minute));

function birthRecord(): RecordDocument {
  return {
    _id: 'rec-1',
    draftId: 'draft-1',
    trackingId: 'B1234567890',
    event: 'birth',
    status: 'DECLARED',
    data: {
      child: { firstNames: 'Chanda', familyName: 'Mulenga', birthDate: '2026-11-01' },
      mother: { firstNames: 'Mwila', familyName: 'Mulenga' },
      eventDate: '2026-11-01',
      eventLocation: { country: 'ZMB', district: 'Ibombo' },
    },
    attachments: [],
    hasPotentialDuplicates: false,
    version: 1,
    createdBy: 'user-a',
    createdAt: at(0),
    updatedAt: at(0),
    actions: {},
    history: [],
    actors: { 'user-a': { name: 'Kalusha Bwalya', office: 'Ibombo District Office', sequence: 1 } },
  };
}

/** Each change as the workflow writes it: the record after it, and the event's data. */
const changes: Array<(r: RecordDocument) => Partial<RecordState>> = [
  (r) => {
    // The duplicate check: the flag, and the overflow of a capped check (not in the document).
    r.hasPotentialDuplicates = true;
    r.duplicateOverflow = 12;
    r.updatedAt = at(1);
    return { hasPotentialDuplicates: true, duplicateOverflow: 12, updatedAt: r.updatedAt.toISOString() };
  },
  (r) => {
    // A correction that drops the district and renames the child, by a second user.
    r.data = { ...r.data, child: { firstNames: 'Chanda Grace', familyName: 'Mulenga' }, eventLocation: { country: 'ZMB' } };
    r.status = 'CORRECTED';
    r.updatedAt = at(2);
    r.actors = { ...r.actors, 'user-b': { sequence: 0 } };
    return { status: r.status, data: r.data, updatedAt: r.updatedAt.toISOString(), actors: r.actors };
  },
  (r) => {
    r.status = 'REGISTERED';
    r.registrationNumber = '2026-B-0000000001';
    r.updatedAt = at(3);
    return { status: r.status, registrationNumber: r.registrationNumber, updatedAt: r.updatedAt.toISOString() };
  },
  (r) => {
    // A copy refresh: no business change, so updatedAt stays.
    r.actors = { ...r.actors, 'user-a': { name: 'Kalusha B. Bwalya', office: 'Chongwe District Office', sequence: 2 } };
    return { actors: r.actors };
  },
];

test('folding the event data in order equals the document derived from the record, at every version', () => {
  const record = birthRecord();
  let folded: SearchDocument = applyChanges(undefined, record._id, recordStateOf(record), 1);
  assert.deepEqual(folded, toSearchDocument(record));
  for (const change of changes) {
    const data = change(record);
    record.version += 1;
    folded = applyChanges(folded, record._id, data, record.version);
    assert.deepEqual(folded, toSearchDocument(record), `at version ${record.version}`);
  }
  assert.equal(folded.district, undefined, 'a correction that drops a field clears it');
  assert.deepEqual(folded.actors.map((a) => a.name), ['Kalusha B. Bwalya', undefined]);
  assert.equal(folded.hasPotentialDuplicates, true);
});

test('a search document never carries keys whose value is undefined (Elasticsearch would drop them)', () => {
  const record = birthRecord();
  record.data = { child: { familyName: 'Mulenga' } };
  const doc = toSearchDocument(record);
  for (const [key, value] of Object.entries(doc)) assert.notEqual(value, undefined, key);
  assert.deepEqual(doc.subject, { familyName: 'Mulenga' });
});

test('a document of a release that copied the candidate list loses the list at its next change', () => {
  const record = birthRecord();
  const old = { ...toSearchDocument(record), duplicates: ['rec-3'] } as SearchDocument;
  const next = applyChanges(old, record._id, { hasPotentialDuplicates: true }, 2);
  assert.equal('duplicates' in next, false);
  record.hasPotentialDuplicates = true;
  record.version = 2;
  assert.deepEqual(next, toSearchDocument(record));
});
