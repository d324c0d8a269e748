import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REGISTRATION_STATUSES } from '@steadfast/commons';
import { Rejection } from '../errors.js';
import { correctionRefusal, initialStatus, toCorrected, toCorrectionRequested } from './state.js';

test('a record waiting for external validation refuses corrections, with a reason that says when to retry', () => {
  const refusal = correctionRefusal('WAITING_EXTERNAL_VALIDATION');
  assert.equal(refusal?.code, 'AWAITING_EXTERNAL_VALIDATION');
  assert.match(refusal?.reason ?? '', /waiting for external validation .*once the country has registered it/);
  for (const to of [toCorrected, toCorrectionRequested]) {
    assert.throws(
      () => to('WAITING_EXTERNAL_VALIDATION'),
      (error: unknown) => error instanceof Rejection && error.code === 'AWAITING_EXTERNAL_VALIDATION',
    );
  }
});

test('a rejected record is closed; every other living record may be corrected', () => {
  assert.equal(correctionRefusal('REJECTED')?.code, 'INVALID_STATE');
  assert.throws(() => toCorrected('REJECTED'), Rejection);
  const open = REGISTRATION_STATUSES.filter((status) => correctionRefusal(status) === undefined);
  assert.deepEqual([...open].sort(), ['CORRECTED', 'CORRECTION_REQUESTED', 'DECLARED', 'REGISTERED', 'VALIDATED']);
  for (const status of open) {
    assert.equal(toCorrected(status), 'CORRECTED');
    assert.equal(toCorrectionRequested(status), 'CORRECTION_REQUESTED');
  }
});

test("a new record's status follows the action its submitter's scopes allow", () => {
  assert.equal(initialStatus('declare'), 'DECLARED');
  assert.equal(initialStatus('validate'), 'VALIDATED');
  assert.equal(initialStatus('register'), 'WAITING_EXTERNAL_VALIDATION');
  assert.throws(() => initialStatus('correct'), Rejection);
});
