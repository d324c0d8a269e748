import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { mustLookUpDraft, RecordJobData, stagingKeyFor } from './record-jobs.js';

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

test("a worker reads the draft's outcome unless it is the first start of a job the gateway found undecided", () => {
  const undecided = RecordJobData.parse({ ...job, undecided: true });
  assert.equal(mustLookUpDraft(undecided, 1), false, 'first start after the gateway looked');
  assert.equal(mustLookUpDraft(undecided, 2), true, 'a retry, or a re-run after a worker died: the outcome may be written');
  assert.equal(mustLookUpDraft(undecided, undefined), true, 'a start count nobody gave');
  assert.equal(mustLookUpDraft(RecordJobData.parse(job), 1), true, 'queued while MongoDB could not be asked');
  assert.equal(RecordJobData.safeParse({ ...job, undecided: false }).success, false, 'only true is said');
});
