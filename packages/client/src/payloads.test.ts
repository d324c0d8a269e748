import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidSubmissionError, preparePayload, samePayload } from './payloads.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('a registration gets its draftId in details.registration, set when absent, kept when given', () => {
  const input = { registration: { contact: { phone: '+254712345678' } }, child: { firstNames: 'A' } };
  const { draftId, payload } = preparePayload('createBirthRegistration', input);
  assert.match(draftId, UUID);
  assert.deepEqual(payload, { details: { registration: { contact: { phone: '+254712345678' }, draftId }, child: { firstNames: 'A' } } });
  assert.equal((input.registration as { draftId?: string }).draftId, undefined, "the caller's object is not changed");
  const given = preparePayload('createDeathRegistration', { registration: { draftId: 'D-1' } });
  assert.equal(given.draftId, 'D-1');
});

test('corrections: { id, details }; requestRegistrationCorrection keeps its draftId in details.draftId', () => {
  const request = preparePayload('requestRegistrationCorrection', { id: 'rec-1', details: { reason: 'CLERICAL_ERROR', changes: [] } });
  assert.equal(request.payload.id, 'rec-1');
  assert.equal(request.payload.details['draftId'], request.draftId);
  const full = preparePayload('createMarriageRegistrationCorrection', { id: 'rec-2', details: { registration: {} } });
  assert.equal((full.payload.details['registration'] as { draftId: string }).draftId, full.draftId);
});

test('what cannot be a submission is refused, naming the field', () => {
  assert.throws(() => preparePayload('createBirthRegistration', null), InvalidSubmissionError);
  assert.throws(() => preparePayload('createBirthRegistration', { child: {} }), /details\.registration/);
  assert.throws(() => preparePayload('requestRegistrationCorrection', { details: {} }), /submit: id/);
  assert.throws(() => preparePayload('createBirthRegistration', { registration: { draftId: 7 } }), /draftId/);
});

test('the same payload with its keys in another order is the same', () => {
  assert.ok(samePayload({ details: { a: 1, b: [{ x: 1, y: 2 }] } }, { details: { b: [{ y: 2, x: 1 }], a: 1 } }));
  assert.ok(!samePayload({ details: { a: 1 } }, { details: { a: 2 } }));
  assert.ok(!samePayload(undefined, { details: {} }), 'a purged payload matches nothing');
});
