import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobResult } from './long-poll.js';

const view = { trackingId: 'B7K2M9Q', hasPotentialDuplicates: false, registrationStatus: 'DECLARED', registrationNumber: null };

test("a completed event's result keeps the record view only when it is whole and well-formed", () => {
  assert.deepEqual(jobResult(JSON.stringify({ outcome: 'processed', recordId: 'r1', record: view })), { outcome: 'processed', recordId: 'r1', record: view });
  // An earlier release's result, and views that are not what this release writes: the id alone
  // (the status is then read from MongoDB).
  assert.deepEqual(jobResult(JSON.stringify({ outcome: 'processed', recordId: 'r1' })), { outcome: 'processed', recordId: 'r1' });
  for (const bad of [
    { ...view, registrationStatus: 'PWNED' },
    { ...view, trackingId: 7 },
    { ...view, hasPotentialDuplicates: 'yes' },
    { ...view, registrationNumber: undefined },
    'B7K2M9Q',
    null,
  ]) {
    assert.deepEqual(jobResult(JSON.stringify({ outcome: 'processed', recordId: 'r1', record: bad })), { outcome: 'processed', recordId: 'r1' }, JSON.stringify(bad));
  }
  assert.deepEqual(jobResult(JSON.stringify({ outcome: 'rejected', reason: 'no' })), { outcome: 'rejected', reason: 'no' });
  assert.equal(jobResult('{not json'), undefined);
  assert.equal(jobResult(undefined), undefined);
});
