import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registeringUser } from './outcomes.js';

const at = new Date();

test("the country's answer acts for the user of the record's creating submission", () => {
  const record = {
    draftId: 'd1',
    actions: { d1: { operation: 'create', action: 'register', fingerprint: 'f', userId: 'u-registrar', acceptedAt: at, appliedAt: at, steps: {} } },
    history: [],
  } as const;
  assert.equal(registeringUser(record as never), 'u-registrar');
});

test('without that action, the user whose change made the record wait for the country', () => {
  const history = [
    { draftId: 'd1', action: 'declare', userId: 'u-agent', at, status: 'DECLARED' },
    { draftId: 'd2', action: 'register', userId: 'u-registrar', at, status: 'WAITING_EXTERNAL_VALIDATION' },
  ];
  assert.equal(registeringUser({ draftId: 'd1', actions: {}, history } as never), 'u-registrar');
  assert.throws(() => registeringUser({ draftId: 'd1', actions: {}, history: [] }), /no user who asked/);
});
