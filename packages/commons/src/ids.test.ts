import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newTrackingId, recordIdFor } from './ids.js';

test('a record id is a UUID derived from the draft id, case-insensitively', () => {
  const draftId = '0b7e4f5c-6a1d-4c2e-8f3a-9d5b1c7e2a40';
  const id = recordIdFor(draftId);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(recordIdFor(draftId.toUpperCase()), id);
  assert.notEqual(recordIdFor('0b7e4f5c-6a1d-4c2e-8f3a-9d5b1c7e2a41'), id);
});

test('tracking ids start with the event letter and avoid ambiguous characters', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newTrackingId('death')));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, /^D[0-9A-HJKMNP-TV-Z]{9}$/);
  assert.match(newTrackingId('birth'), /^B/);
  assert.match(newTrackingId('marriage'), /^M/);
});
