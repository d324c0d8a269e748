import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleBirth } from './fixtures.js';
import { BirthRegistrationInput, recordInputSchemas } from './inputs.js';
import { recordInputLimits } from './limits.js';

test('the default limits are 5 MiB, 10 attachments, JPEG, PNG and PDF', () => {
  assert.deepEqual(recordInputLimits(), {
    maxAttachmentBytes: 5 * 1024 * 1024,
    maxAttachments: 10,
    allowedContentTypes: ['image/jpeg', 'image/png', 'application/pdf'],
  });
});

test('bad limits fail when the schemas are built, not on every request', () => {
  assert.throws(() => recordInputSchemas({ maxAttachmentBytes: 0 }), /maxAttachmentBytes/);
  assert.throws(() => recordInputSchemas({ maxAttachmentBytes: 1.5 }), /maxAttachmentBytes/);
  assert.throws(() => recordInputSchemas({ maxAttachments: -1 }), /maxAttachments/);
  assert.throws(() => recordInputSchemas({ allowedContentTypes: [] }), /allowedContentTypes/);
  assert.throws(() => recordInputSchemas({ allowedContentTypes: ['Image/PNG'] }), /allowedContentTypes/);
});

test('the default schemas are usable directly with zod', () => {
  const sample = sampleBirth('3f2b8c1e-6d4a-4f7b-9a0c-2e5d8b1f4c7a');
  assert.deepEqual(BirthRegistrationInput.parse(sample), sample);
  assert.equal(BirthRegistrationInput.safeParse({ ...sample, extra: 1 }).success, false);
});
