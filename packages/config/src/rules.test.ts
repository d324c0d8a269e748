import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide, parseRequiredFields, registrationNumber } from './rules.js';

test('a record with every required field is confirmed, with a stable number', () => {
  const rules = parseRequiredFields('birth:father.familyName, death:causeOfDeath');
  const decision = decide(rules, 'rec-1', 'birth', { father: { familyName: 'Otieno' } });
  assert.deepEqual(decision, { outcome: 'confirm', registrationNumber: registrationNumber('rec-1', 'birth') });
  assert.match(registrationNumber('rec-1', 'birth'), /^\d{4}-B-[0-9A-Z]{10}$/);
  assert.notEqual(registrationNumber('rec-2', 'birth'), registrationNumber('rec-1', 'birth'));
});

test('a missing required field rejects, naming it', () => {
  const rules = parseRequiredFields('birth:father.familyName');
  assert.deepEqual(decide(rules, 'rec-1', 'birth', { father: {} }), { outcome: 'reject', reason: 'required by the country: father.familyName' });
  assert.equal(decide(rules, 'rec-1', 'death', {}).outcome, 'confirm');
});

test('a malformed rule is refused at start', () => {
  assert.throws(() => parseRequiredFields('baptism:name'), /COUNTRY_CONFIG_REQUIRED_FIELDS/);
});
