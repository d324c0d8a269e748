import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stagedUploadVerdict } from './verdict.js';

const limits = { graceMs: 60_000, maxAgeMs: 24 * 3_600_000 };

test('a decided draft’s upload past the grace period is removed, whatever its age', () => {
  assert.equal(stagedUploadVerdict({ ageMs: 61_000, decided: true, jobState: 'completed' }, limits), 'remove');
  assert.equal(stagedUploadVerdict({ ageMs: 61_000, decided: true, jobState: undefined }, limits), 'remove');
});

test('an upload younger than the grace period is kept, even for a decided draft (its request may be in flight)', () => {
  assert.equal(stagedUploadVerdict({ ageMs: 59_000, decided: true, jobState: undefined }, limits), 'keep');
});

test('an upload a job may still read is kept, however old', () => {
  for (const jobState of ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed']) {
    assert.equal(stagedUploadVerdict({ ageMs: limits.maxAgeMs * 2, decided: true, jobState }, limits), 'keep', jobState);
  }
});

test('an undecided draft’s upload is kept until the maximum age, then removed when no job holds it', () => {
  assert.equal(stagedUploadVerdict({ ageMs: limits.maxAgeMs - 1, decided: false, jobState: undefined }, limits), 'keep');
  assert.equal(stagedUploadVerdict({ ageMs: limits.maxAgeMs, decided: false, jobState: undefined }, limits), 'remove');
  assert.equal(stagedUploadVerdict({ ageMs: limits.maxAgeMs, decided: false, jobState: 'completed' }, limits), 'remove');
});
