import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canSeeDraft } from './visibility.js';

const agent = { userId: 'u-agent', scopes: ['declare'] };

test('the submitter sees their own draft', () => {
  assert.equal(canSeeDraft(agent, 'u-agent'), true);
});

test('another user without validate, register or sysadmin does not', () => {
  assert.equal(canSeeDraft(agent, 'u-registrar'), false);
  assert.equal(canSeeDraft({ userId: 'x', scopes: ['declare', 'correct'] }, 'u-agent'), false);
});

test('validate, register and sysadmin see every draft', () => {
  for (const scope of ['validate', 'register', 'sysadmin']) {
    assert.equal(canSeeDraft({ userId: 'x', scopes: [scope] }, 'u-agent'), true, scope);
  }
});

test('a submitter that cannot be known is seen only by the privileged', () => {
  assert.equal(canSeeDraft(agent, undefined), false);
  assert.equal(canSeeDraft({ userId: 'x', scopes: ['register'] }, undefined), true);
});
