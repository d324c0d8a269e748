import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DirectoryCopies } from './directory-copies.js';

const entry = (_id: string, version: number) => ({ _id, name: `${_id} v${version}`, office: 'office-1', version });

test('the last entry read for a user, never an older one', () => {
  const copies = new DirectoryCopies();
  assert.equal(copies.get('u1'), undefined);
  copies.remember(entry('u1', 2));
  copies.remember(entry('u1', 1));
  assert.deepEqual(copies.get('u1'), entry('u1', 2));
  copies.remember(entry('u1', 3));
  assert.deepEqual(copies.get('u1'), entry('u1', 3));
  copies.remember(undefined);
  assert.deepEqual(copies.get('u1'), entry('u1', 3));
});

test('bounded: the users read least recently go first', () => {
  const copies = new DirectoryCopies(2);
  copies.remember(entry('u1', 1));
  copies.remember(entry('u2', 1));
  copies.remember(entry('u1', 2));
  copies.remember(entry('u3', 1));
  assert.equal(copies.get('u2'), undefined);
  assert.deepEqual(copies.get('u1'), entry('u1', 2));
  assert.deepEqual(copies.get('u3'), entry('u3', 1));
});
