import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeRequest, resentDrafts } from './burst-requests.js';

const json = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });

test('a batch status query counts its drafts and its wait', () => {
  const body = json('query($draftIds: [ID!]!, $waitSeconds: Int) { fetchRecordStatuses(draftIds: $draftIds, waitSeconds: $waitSeconds) { __typename } }', {
    draftIds: ['a', 'b', 'c'],
    waitSeconds: 30,
  });
  assert.deepEqual(describeRequest({ body }), { kind: 'status', drafts: 3, waitSeconds: 30 });
});

test('a single status query is one draft; no wait is a plain read', () => {
  const body = json('query($draftId: ID!) { fetchRecordStatus(draftId: $draftId) { __typename } }', { draftId: 'a' });
  assert.deepEqual(describeRequest({ body }), { kind: 'status', drafts: 1, waitSeconds: 0 });
});

test('a write names its draft by the correlation header, else by its details', () => {
  const body = json('mutation($details: BirthRegistrationInput!) { createBirthRegistration(details: $details) { draftId } }', { details: { draftId: 'd-1' } });
  assert.deepEqual(describeRequest({ body, headers: { 'x-correlation-id': 'd-2' } }), { kind: 'submit', draftId: 'd-2' });
  assert.deepEqual(describeRequest({ body, headers: new Headers({ 'x-correlation-id': 'd-3' }) }), { kind: 'submit', draftId: 'd-3' });
  assert.deepEqual(describeRequest({ body }), { kind: 'submit', draftId: 'd-1' });
});

test('anything else is other, never a status or a write', () => {
  assert.deepEqual(describeRequest(undefined), { kind: 'other' });
  assert.deepEqual(describeRequest({ body: 'not json' }), { kind: 'other' });
  assert.deepEqual(describeRequest({ body: json('{ me { id } }', {}) }), { kind: 'other' });
  assert.deepEqual(describeRequest({ body: json('mutation { logout }', {}) }), { kind: 'other' });
});

test("a tenth of an office's drafts, its first included, have their answer lost", () => {
  const ids = Array.from({ length: 25 }, (_, i) => `d${i}`);
  assert.deepEqual([...resentDrafts(ids)], ['d0', 'd10', 'd20']);
  assert.equal(resentDrafts(ids.slice(0, 1)).size, 1);
  assert.equal(resentDrafts([]).size, 0);
});
