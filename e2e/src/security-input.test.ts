/**
 * Hostile input against the running system, as issue 17 found it: a file that lies about its
 * type, names with NUL and bidi overrides, oversized values answered with errors bigger than
 * they were, a correction that stranded a record waiting for the country, and a job queued
 * around the gateway. Each is refused, the answer stays small, and nothing lands in a store.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  fingerprint,
  RecordQueue,
  recordIdFor,
  redisOptions,
  sampleBirth,
  sampleCorrection,
  storeConfigFrom,
  storeEnvSchema,
  type RecordJobData,
} from '@steadfast/commons';
import type { System } from '@steadfast/launcher';
import { fetchStatus, GATEWAY, isolatedStores, login, MUTATIONS, storesOf, type Status } from './client.js';
import { eventually, startSystem } from './support.js';
import { assertUnchanged, countStores } from './unchanged.js';

const stores = isolatedStores();
const view = storesOf(stores);
let system: System;
let registrar: string;

/** Long enough to submit and process a correction while the country has not yet answered. */
const COUNTRY_DECISION_MS = 8_000;

before(async () => {
  system = startSystem({ ...stores, COUNTRY_CONFIG_DECISION_DELAY_MS: String(COUNTRY_DECISION_MS) });
  await system.start();
  registrar = await login('registrar');
});

after(async () => {
  await system?.stop();
  await view.drop();
  await view.close();
});

/** A GraphQL request as bytes on the wire: the size of the answer is part of what is tested. */
async function post(query: string, variables: Record<string, unknown>, token = registrar) {
  const response = await fetch(`${GATEWAY}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  const body = JSON.parse(text) as { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  return { status: response.status, bytes: Buffer.byteLength(text), body, error: body.errors?.[0] };
}

/** Submits `details` as a birth and asserts the refusal on `field` by `rule`, with nothing stored. */
async function expectRefused(details: unknown, field: string, rule: string, maxBytes = 4_096) {
  const answer = await assertUnchanged(view, stores, () => post(MUTATIONS.birth, { details }));
  assert.equal(answer.error?.extensions?.['code'], 'BAD_USER_INPUT', JSON.stringify(answer.body).slice(0, 1_000));
  const issues = answer.error?.extensions?.['issues'] as Array<{ field: string; rule: string; message: string }>;
  const issue = issues.find((i) => i.field === field && i.rule === rule);
  assert.ok(issue, `no ${field} / ${rule} in ${JSON.stringify(issues).slice(0, 1_000)}`);
  assert.ok(answer.bytes <= maxBytes, `the answer is ${answer.bytes} bytes`);
  return { answer, issue };
}

const svgAsPng = (draftId: string) =>
  sampleBirth(draftId, {
    attachments: [
      {
        type: 'BIRTH_NOTIFICATION',
        subject: 'CHILD',
        contentType: 'image/png',
        data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"/>').toString('base64'),
      },
    ],
  });

test('an SVG declared image/png is refused on its data, and nothing is staged or queued', async () => {
  const draftId = randomUUID();
  const { issue } = await expectRefused(svgAsPng(draftId), 'details.attachments[0].data', 'bytes match contentType');
  assert.match(issue.message, /is not a PNG image .* markup text such as SVG/);
  assert.equal((await fetchStatus(draftId, registrar)).__typename, 'RecordUnknown');
});

test('names with NUL, a bidi override or an isolate are refused by their rules', async () => {
  const draftId = randomUUID();
  const sample = sampleBirth(draftId);
  await expectRefused({ ...sample, child: { ...sample.child, firstNames: 'Ami\u0000na' } }, 'details.child.firstNames', 'no control characters');
  const spoof = { ...sample.informant, familyName: 'Otieno\u202eonreT' };
  const { issue } = await expectRefused({ ...sample, informant: spoof }, 'details.informant.familyName', 'no bidi controls');
  assert.match(issue.message, /U\+202E \(RIGHT-TO-LEFT OVERRIDE\) at position 7/);
  await expectRefused({ ...sample, mother: { ...sample.mother!, familyName: '\u2067Hassan\u2069' } }, 'details.mother.familyName', 'no bidi controls');
  assert.equal((await fetchStatus(draftId, registrar)).__typename, 'RecordUnknown');
});

test('an oversized field, a 2 MB contentType and a 2 MB enum value get small errors', async () => {
  const sample = sampleBirth(randomUUID());
  const long = { ...sample, eventLocation: { ...sample.eventLocation, facility: 'Hospital '.repeat(20_000) } };
  await expectRefused(long, 'details.eventLocation.facility', 'max length 200');

  const huge = 'x'.repeat(2 * 1024 * 1024);
  const contentType = sampleBirth(randomUUID(), { attachments: [{ ...sample.attachments[0]!, contentType: `image/png${huge}` }] });
  const { answer } = await expectRefused(contentType, 'details.attachments[0].contentType', 'max length 100');
  assert.doesNotMatch(JSON.stringify(answer.body), /x{41}/, 'not even 41 characters of it come back');

  // An enum is refused by GraphQL itself, before the schema: its error is bounded as well.
  const enumValue = sampleBirth(randomUUID(), { attachments: [{ ...sample.attachments[0]!, type: huge as 'OTHER' }] });
  const coerced = await assertUnchanged(view, stores, () => post(MUTATIONS.birth, { details: enumValue }));
  assert.equal(coerced.error?.extensions?.['code'], 'BAD_USER_INPUT');
  assert.ok(coerced.bytes <= 4_096, `the answer is ${coerced.bytes} bytes`);
  assert.doesNotMatch(coerced.error?.message ?? '', /x{41}/);
});

const registered = (s: Status) => s.__typename === 'RecordProcessed' && s.registrationStatus === 'REGISTERED';

test('a correction while the record awaits the country is rejected, and the confirmation still registers it', { timeout: 90_000 }, async () => {
  const birth = sampleBirth(randomUUID());
  assert.equal((await post(MUTATIONS.birth, { details: birth })).body.errors, undefined);
  let status: Status | undefined;
  await eventually('the record waits for the country', async () => {
    status = await fetchStatus(birth.registration.draftId, registrar);
    return status.__typename === 'RecordProcessed';
  }, 30_000);
  assert.equal(status?.registrationStatus, 'WAITING_EXTERNAL_VALIDATION', 'the country answered before the test could correct');
  const recordId = recordIdFor(birth.registration.draftId);
  const before = await view.records.findOne({ _id: recordId }, { projection: { version: 1, status: 1 } });

  const correctionDraft = randomUUID();
  const request = await post(MUTATIONS.requestCorrection, { id: recordId, details: sampleCorrection(correctionDraft) });
  assert.equal(request.body.errors, undefined, JSON.stringify(request.body.errors));
  await eventually('the correction is decided', async () => (await fetchStatus(correctionDraft, registrar)).__typename === 'RecordRejected', 30_000);
  const rejected = await fetchStatus(correctionDraft, registrar);
  assert.equal(rejected.code, 'AWAITING_EXTERNAL_VALIDATION');
  assert.match(rejected.reason ?? '', /waiting for external validation/);
  const unchanged = await view.records.findOne({ _id: recordId }, { projection: { version: 1, status: 1 } });
  assert.deepEqual(unchanged, before, 'the rejected correction left the record as it was');

  await eventually('the country confirms', async () => registered(await fetchStatus(birth.registration.draftId, registrar)), COUNTRY_DECISION_MS + 30_000);
  const record = await view.records.findOne({ _id: recordId });
  assert.equal(record?.status, 'REGISTERED');
  assert.match(record?.registrationNumber ?? '', /^\d{4}-B-/);
  assert.equal(record?.history.some((h) => h.draftId === correctionDraft), false);
});

test('a job added straight to the record queue with invalid details is rejected and writes nothing', { timeout: 60_000 }, async () => {
  const config = storeConfigFrom(storeEnvSchema.parse({ ...process.env, ...stores }));
  const queue = new RecordQueue(redisOptions(config.redis), undefined, stores.RECORD_QUEUE_NAME);
  const user = await view.records.db.collection<{ _id: string; username: string }>('users').findOne({ username: 'registrar' });
  assert.ok(user);
  const draftId = randomUUID();
  const details: Record<string, unknown> = { ...sampleBirth(draftId) };
  delete details['attachments'];
  details['child'] = { firstNames: 'Ami\u0000na', familyName: 'x'.repeat(100_000) };
  const forged: RecordJobData = {
    draftId,
    operation: 'create',
    event: 'birth',
    action: 'register',
    userId: user._id,
    fingerprint: fingerprint(details),
    correlationId: randomUUID(),
    acceptedAt: new Date().toISOString(),
    details,
    attachments: [],
  };
  const before = await countStores(view, stores);
  try {
    await queue.add(forged);
    await eventually('the forged job is decided', async () => (await fetchStatus(draftId, registrar)).__typename === 'RecordRejected', 30_000);
    const status = await fetchStatus(draftId, registrar);
    assert.equal(status.code, 'INVALID_JOB');
    assert.match(status.reason ?? '', /details\.child\.firstNames: .*U\+0000/);
    assert.match(status.reason ?? '', /details\.child\.familyName: must be at most 100 characters/);
    assert.ok((status.reason ?? '').length < 1_000);
    const job = await queue.getJob(draftId);
    assert.equal(await job?.getState(), 'failed', 'left in the failed set for an admin');
    assert.match(job?.failedReason ?? '', /^rejected: invalid job: /);
  } finally {
    await queue.close();
  }
  const after = await countStores(view, stores);
  // The job itself and its decision (RecordRejected) are the only traces: no record, no search
  // document, no audit entry, no file.
  assert.deepEqual(after, { ...before, drafts: before.drafts + 1, jobs: before.jobs + 1 });
  assert.equal(await view.records.countDocuments({ draftId }), 0);
});
