import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobResult, LongPoll } from './long-poll.js';
import type { RecordStatus } from './status.js';
import { StatusWaiters } from './waiters.js';

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

test('a batch status held on one request signal is not taken for a listener leak', async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.name);
  process.on('warning', onWarning);
  try {
    const inFlight = (draftId: string): RecordStatus => ({ __typename: 'RecordProcessing', draftId, attempts: 1, step: 'queued', lastError: null });
    const reader = {
      unlessInFlight: (draftId: string) => Promise.resolve(inFlight(draftId)),
      status: (draftId: string) => Promise.resolve(inFlight(draftId)),
    };
    const longPoll = new LongPoll(reader, new StatusWaiters(1_000));
    const draftIds = Array.from({ length: 40 }, (_, i) => `draft-${i}`);
    const request = new AbortController();
    const held = longPoll.statuses(draftIds, 30_000, { userId: 'u1', scopes: [] }, request.signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    request.abort();
    assert.equal((await held).length, 40);
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings.filter((name) => name === 'MaxListenersExceededWarning'), []);
  } finally {
    process.off('warning', onWarning);
  }
});
