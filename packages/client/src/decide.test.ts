import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RecordStatus } from './answers.js';
import { afterStatus, afterSubmit } from './decide.js';
import type { StoredDraft } from './drafts.js';

const T0 = '2026-12-01T00:00:00.000Z';
const T1 = '2026-12-01T00:00:01.000Z';

function draft(overrides: Partial<StoredDraft> = {}): StoredDraft {
  return {
    draftId: 'd-1',
    mutation: 'createBirthRegistration',
    state: 'pending',
    payload: { details: { registration: { draftId: 'd-1' }, attachments: [{ data: 'iVBOR' }] } },
    attempts: 0,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

const processed: RecordStatus = {
  __typename: 'RecordProcessed',
  draftId: 'd-1',
  recordId: 'r-1',
  trackingId: 'B123456789',
  registrationStatus: 'DECLARED',
  registrationNumber: null,
};

describe('afterSubmit', () => {
  test('queued: the payload stays, the attempt is counted, an old error is cleared', () => {
    const next = afterSubmit(draft({ lastError: 'HTTP 503' }), { kind: 'queued' }, T1);
    assert.equal(next.state, 'queued');
    assert.equal(next.attempts, 1);
    assert.ok(next.payload);
    assert.equal(next.lastError, undefined);
    assert.equal(next.updatedAt, T1);
  });

  test('IDEMPOTENCY_KEY_REUSED is a conflict that keeps its payload', () => {
    const next = afterSubmit(draft(), { kind: 'conflict', message: 'draftId d-1 was already used' }, T1);
    assert.equal(next.state, 'conflict');
    assert.equal(next.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.match(next.reason ?? '', /already used/);
    assert.deepEqual(next.payload, draft().payload);
  });

  test('a refused payload is rejected with the server code, payload kept for its user', () => {
    const next = afterSubmit(draft(), { kind: 'refused', code: 'BAD_USER_INPUT', message: 'eventDate: in the future' }, T1);
    assert.equal(next.state, 'rejected');
    assert.equal(next.code, 'BAD_USER_INPUT');
    assert.ok(next.payload);
  });

  test('a transient failure leaves it pending with the error, counting the attempt', () => {
    const next = afterSubmit(draft({ attempts: 2 }), { kind: 'transient', message: 'no answer: fetch failed' }, T1);
    assert.equal(next.state, 'pending');
    assert.equal(next.attempts, 3);
    assert.equal(next.lastError, 'no answer: fetch failed');
    assert.ok(next.payload);
  });

  test('a draft no longer pending is not changed by a late answer', () => {
    for (const state of ['queued', 'processed', 'rejected', 'conflict'] as const) {
      const before = draft({ state });
      assert.equal(afterSubmit(before, { kind: 'conflict', message: 'x' }, T1), before, state);
    }
  });
});

describe('afterStatus', () => {
  test('RecordProcessed purges the payload and keeps the outcome', () => {
    const next = afterStatus(draft({ state: 'queued', attempts: 1 }), { ...processed, registrationNumber: 'REG-1' }, T1);
    assert.equal(next.state, 'processed');
    assert.equal('payload' in next, false);
    assert.equal(next.recordId, 'r-1');
    assert.equal(next.trackingId, 'B123456789');
    assert.equal(next.registrationStatus, 'DECLARED');
    assert.equal(next.registrationNumber, 'REG-1');
    assert.equal(next.attempts, 1);
  });

  test('only RecordProcessed removes a payload', () => {
    const statuses: RecordStatus[] = [
      { __typename: 'RecordProcessing', draftId: 'd-1', attempts: 2, step: 'search', lastError: 'es down' },
      { __typename: 'RecordRejected', draftId: 'd-1', reason: 'no record', code: 'RECORD_NOT_FOUND' },
      { __typename: 'RecordUnknown', draftId: 'd-1' },
    ];
    for (const status of statuses) {
      for (const state of ['pending', 'queued'] as const) {
        assert.ok(afterStatus(draft({ state }), status, T1).payload, `${state} + ${status.__typename}`);
      }
    }
  });

  test('RecordUnknown after a queued answer: the acknowledgement was lost, send again', () => {
    const next = afterStatus(draft({ state: 'queued', attempts: 1 }), { __typename: 'RecordUnknown', draftId: 'd-1' }, T1);
    assert.equal(next.state, 'pending');
    assert.ok(next.payload);
  });

  test('RecordProcessing of a pending draft: it was received (the answer was lost), follow it', () => {
    const next = afterStatus(draft({ lastError: 'timeout' }), { __typename: 'RecordProcessing', draftId: 'd-1', attempts: 0, step: 'metadata', lastError: null }, T1);
    assert.equal(next.state, 'queued');
    assert.equal(next.lastError, undefined);
  });

  test('RecordProcessing keeps a queued draft, with the server-side error when there is one', () => {
    const queued = draft({ state: 'queued' });
    const failing = afterStatus(queued, { __typename: 'RecordProcessing', draftId: 'd-1', attempts: 3, step: 'search', lastError: 'es down' }, T1);
    assert.equal(failing.state, 'queued');
    assert.equal(failing.lastError, 'es down');
    const same = afterStatus(failing, { __typename: 'RecordProcessing', draftId: 'd-1', attempts: 4, step: 'search', lastError: 'es down' }, T1);
    assert.equal(same, failing, 'no change, no write');
  });

  test('RecordRejected is terminal with its reason', () => {
    const next = afterStatus(draft({ state: 'queued' }), { __typename: 'RecordRejected', draftId: 'd-1', reason: 'no record', code: 'RECORD_NOT_FOUND' }, T1);
    assert.equal(next.state, 'rejected');
    assert.equal(next.reason, 'no record');
    assert.equal(next.code, 'RECORD_NOT_FOUND');
  });

  test('a decided draft never changes again', () => {
    for (const state of ['processed', 'rejected', 'conflict'] as const) {
      const before = draft({ state });
      assert.equal(afterStatus(before, { __typename: 'RecordUnknown', draftId: 'd-1' }, T1), before, state);
      assert.equal(afterStatus(before, processed, T1), before, state);
    }
  });
});
