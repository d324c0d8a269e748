import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { recordInputSchemas, sampleBirth, sampleCorrection, sampleDeath, type RecordJobData } from '@steadfast/commons';
import { declarationJob } from '../testing.js';
import { checkJob } from './job-check.js';

const schemas = recordInputSchemas();
const sha256 = 'a'.repeat(64);
const png = { index: 0, type: 'BIRTH_NOTIFICATION', subject: 'CHILD', contentType: 'image/png', size: 69, sha256 };

/** A birth declaration as the gateway queues it: details without their attachments. */
function birthJob(overrides: Partial<RecordJobData> = {}, details: Record<string, unknown> = {}): RecordJobData {
  return { ...declarationJob({ ...withoutAttachments(sampleBirth(randomUUID())), ...details }, [png]), ...overrides };
}

/** Details as a job holds them: the files are staged, referred to apart. */
function withoutAttachments<T extends { attachments?: unknown }>(details: T): Omit<T, 'attachments'> {
  const copy = { ...details };
  delete copy.attachments;
  return copy;
}

const reasonOf = (data: RecordJobData): string => {
  const checked = checkJob(data, schemas);
  assert.equal(checked.ok, false, 'expected the job to be refused');
  return checked.ok ? '' : checked.reason;
};

test('a job as the gateway queues it passes, its details as the schema leaves them', () => {
  const data = birthJob();
  const checked = checkJob(data, schemas);
  assert.ok(checked.ok, checked.ok ? '' : checked.reason);
  assert.deepEqual(checked.details, data.details, 'no attachments default is added to what is stored');
  const untrimmed = birthJob({}, { child: { firstNames: '  Ame\u0301lie ', familyName: 'Otieno' } });
  const normalised = checkJob(untrimmed, schemas);
  assert.ok(normalised.ok);
  assert.deepEqual(normalised.details['child'], { firstNames: 'Amélie', familyName: 'Otieno' });
});

test('details that break a submission rule are refused with the field and the rule', () => {
  const nul = birthJob({}, { child: { firstNames: 'A\u0000', familyName: 'B' } });
  assert.match(reasonOf(nul), /^invalid job: the details break the submission rules: details\.child\.firstNames: .*U\+0000.*\(no control characters\)$/);
  const bidi = birthJob({}, { informant: { ...sampleBirth(randomUUID()).informant, familyName: 'x\u202ey' } });
  assert.match(reasonOf(bidi), /details\.informant\.familyName: .*\(no bidi controls\)/);
  const long = birthJob({}, { eventLocation: { country: 'KEN', facility: 'x'.repeat(1_000_000) } });
  const reason = reasonOf(long);
  assert.match(reason, /details\.eventLocation\.facility: must be at most 200 characters/);
  assert.ok(reason.length < 300, 'a huge value is not quoted');
  assert.match(reasonOf(birthJob({}, { extra: true })), /details\.extra: unknown field/);
  assert.match(reasonOf(birthJob({ event: 'death' })), /details\.deceased: is required/, 'the schema follows the event');
});

test('staged attachments are held to the same limits and lists', () => {
  assert.match(reasonOf(birthJob({ attachments: [{ ...png, contentType: 'image/svg+xml' }] })), /attachments\[0\]\.contentType: .*\(allowed content type\)/);
  assert.match(reasonOf(birthJob({ attachments: [{ ...png, type: 'MALWARE' }] })), /attachments\[0\]\.type/);
  assert.match(reasonOf(birthJob({ attachments: [{ ...png, size: 6 * 1024 * 1024 }] })), /attachments\[0\]\.size/);
  assert.match(reasonOf(birthJob({ attachments: [png, { ...png, index: 0 }] })), /attachments\[1\]\.index: attachment 1 has index 0/);
  assert.match(reasonOf(birthJob({ attachments: Array.from({ length: 11 }, (_, index) => ({ ...png, index })) })), /at most 10 attachments/);
  const small = recordInputSchemas({ maxAttachmentBytes: 50 });
  assert.equal(checkJob(birthJob(), small).ok, false, "the deployment's limit applies");
  assert.match(reasonOf(birthJob({}, { attachments: [] })), /attachments must not be in a job/);
});

test('the parts of a job must agree as the gateway writes them', () => {
  assert.match(reasonOf(birthJob({ action: 'correct' })), /action correct does not belong to the operation create/);
  assert.match(reasonOf(birthJob({ recordId: randomUUID() })), /a new record names no existing record/);
  const withoutEvent = birthJob();
  delete withoutEvent.event;
  assert.match(reasonOf(withoutEvent), /does not say which event/);
  assert.match(reasonOf(birthJob({ draftId: randomUUID() })), /another draftId than the job/);

  const correctionDraft = randomUUID();
  const correction = withoutAttachments(sampleCorrection(correctionDraft));
  const request: RecordJobData = { ...birthJob(), draftId: correctionDraft, operation: 'request-correction', action: 'request-correction', recordId: randomUUID(), details: correction, attachments: [] };
  delete request.event;
  const ok = checkJob(request, schemas);
  assert.ok(ok.ok, ok.ok ? '' : ok.reason);
  assert.match(reasonOf({ ...request, event: 'birth' }), /a correction request names no event/);
  assert.match(reasonOf({ ...request, recordId: undefined }), /must name the record it corrects/);

  const death = withoutAttachments(sampleDeath(randomUUID()));
  const correct: RecordJobData = { ...declarationJob(death), event: 'death', operation: 'correct', action: 'correct', recordId: randomUUID() };
  assert.ok(checkJob(correct, schemas).ok);
  assert.match(reasonOf({ ...correct, action: 'register' }), /action register does not belong to the operation correct/);
});
