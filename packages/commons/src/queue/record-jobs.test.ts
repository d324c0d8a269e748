import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { mustLookUpDraft, placedDraftOf, RecordJobData, recordKeyFor, stagingKeyFor } from './record-jobs.js';
import { recordIdFor } from '../ids.js';

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

test("a record's key names the payload when the gateway placed the object, and only then does it tell the draft", () => {
  const recordId = recordIdFor(draftId);
  const data = RecordJobData.parse(job);
  const copied = recordKeyFor(recordId, data, attachment);
  assert.equal(copied, `${recordId}/${draftId}-0-${sha256.slice(0, 16)}`);
  const placed = recordKeyFor(recordId, { ...data, placed: true }, attachment);
  assert.equal(placed, `${recordId}/${draftId}-${'b'.repeat(16)}-0-${sha256.slice(0, 16)}`);
  assert.notEqual(recordKeyFor(recordId, { ...data, placed: true, fingerprint: 'c'.repeat(64) }, attachment), placed, 'another payload, another key');
  assert.equal(placedDraftOf(placed), draftId);
  assert.equal(placedDraftOf(copied), undefined, 'a copied key is listed by its record before it is written');
  // A key under another record's prefix is nobody's placement.
  assert.equal(placedDraftOf(placed.replace(recordId, recordIdFor(randomUUID()))), undefined);
  assert.equal(placedDraftOf('junk'), undefined);
});
