import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { RecordJobData, stagingKeyFor } from './record-jobs.js';

const sha256 = 'a'.repeat(64);
const draftId = randomUUID();
const attachment = { index: 0, type: 'BIRTH_NOTIFICATION', subject: 'CHILD', contentType: 'image/png', size: 69, sha256 };
const job = {
  draftId,
  operation: 'create',
  event: 'birth',
  action: 'declare',
  userId: 'user-1',
  fingerprint: 'b'.repeat(64),
  correlationId: randomUUID(),
  acceptedAt: new Date().toISOString(),
  details: { registration: { draftId } },
  attachments: [attachment],
};

test('the staging key follows from the draft, the index and the digest', () => {
  assert.equal(stagingKeyFor(draftId, attachment), `${draftId}/0-${sha256}`);
});

test('a job queued by an earlier release (with scopes and staging keys) still parses, without them', () => {
  const earlier = { ...job, scopes: ['declare'], attachments: [{ ...attachment, stagingKey: stagingKeyFor(draftId, attachment) }] };
  const parsed = RecordJobData.parse(earlier);
  assert.deepEqual(parsed, job);
});
