import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { RecordDocument, RecordJobData, Step } from '@steadfast/commons';
import type { StepContext } from './context.js';
import { checkpointAfter } from './process-record.js';

const job = (operation: RecordJobData['operation'], action: RecordJobData['action']) => ({ operation, action }) as RecordJobData;
const record = (externalValidation?: object) => ({ _id: randomUUID(), ...(externalValidation ? { externalValidation } : {}) }) as unknown as RecordDocument;
const after = (step: Step, data: RecordJobData, rec: RecordDocument, effect: void | 'nothing' = undefined, pending?: StepContext['pending']) =>
  checkpointAfter(step, effect, { data, record: rec, ...(pending ? { pending } : {}) });
const flags: StepContext['pending'] = () => Promise.resolve(true);

test("a declaration's record is not written after its insert, unless a change waits for the end", () => {
  const data = job('create', 'declare');
  for (const step of ['attachments', 'search', 'duplicates', 'audit', 'notify', 'cleanup'] as const) assert.equal(after(step, data, record()), false, step);
  assert.equal(after('validation', data, record(), 'nothing'), false);
  assert.equal(after('finish', data, record()), false, 'the draft\'s outcome ends the work');
  assert.equal(after('finish', data, record(), undefined, flags), true, 'duplicate flags go out with the marks');
});

test("a registrar's new record is marked before the country is asked, and after it answered", () => {
  const data = job('create', 'register');
  assert.equal(after('duplicates', data, record()), false);
  assert.equal(after('audit', data, record()), true, 'the country may be down for hours: its retries start here');
  assert.equal(after('validation', data, record()), true, 'the call is not repeated');
  assert.equal(after('finish', data, record()), false);
});

test('a record already sent to the country is not marked before validation again', () => {
  assert.equal(after('audit', job('create', 'register'), record({ requestedAt: new Date() })), false);
  assert.equal(after('audit', job('correct', 'register'), record()), false, 'a correction is never sent');
});
