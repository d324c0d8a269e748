/**
 * The submission pipeline end to end: every mutation through the public GraphQL API, processed
 * into every store, with the contract's idempotency: one draftId, one outcome.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { recordIdFor, sampleBirth, sampleCorrection, sampleDeath, sampleMarriage } from '@steadfast/commons';
import type { System } from '@steadfast/launcher';
import { fetchStatus, gql, isolatedStores, login, MUTATIONS, storesOf, type Status } from './client.js';
import { eventually, startSystem } from './support.js';

// The country takes its time here, so a registrar's record is seen waiting for it.
const env = { ...isolatedStores(), RECORD_BACKOFF_MS: '300', RECORD_BACKOFF_MAX_MS: '3000', COUNTRY_CONFIG_DECISION_DELAY_MS: '600000' };
const stores = storesOf(env);
let system: System;
const tokens: Record<string, string> = {};

before(async () => {
  system = startSystem(env);
  await system.start();
  for (const user of ['field.agent', 'registration.agent', 'registrar', 'sysadmin']) tokens[user] = await login(user);
});

after(async () => {
  await system?.stop();
  await stores.drop();
  await stores.close();
});

async function processed(draftId: string, token = tokens['registrar']!): Promise<Status> {
  let last: Status | undefined;
  await eventually(`draft ${draftId} processed`, async () => {
    last = await fetchStatus(draftId, token);
    return last.__typename === 'RecordProcessed' || last.__typename === 'RecordRejected';
  }, 60_000);
  return last!;
}

describe('every write mutation', { timeout: 180_000 }, () => {
  test('a declaration, a validation and a registration each end in their status, in every store', async () => {
    const cases = [
      { user: 'field.agent', mutation: MUTATIONS.birth, details: sampleBirth(randomUUID()), expected: 'DECLARED' },
      { user: 'registration.agent', mutation: MUTATIONS.death, details: sampleDeath(randomUUID()), expected: 'VALIDATED' },
      { user: 'registrar', mutation: MUTATIONS.marriage, details: sampleMarriage(randomUUID()), expected: 'WAITING_EXTERNAL_VALIDATION' },
    ];
    for (const c of cases) {
      const result = await gql(c.mutation, { details: c.details }, tokens[c.user]);
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    }
    for (const c of cases) {
      const draftId = c.details.registration.draftId;
      const status = await processed(draftId);
      assert.equal(status.__typename, 'RecordProcessed', JSON.stringify(status));
      assert.equal(status.registrationStatus, c.expected);
      const recordId = recordIdFor(draftId);
      assert.equal(status.recordId, recordId);
      assert.match(status.trackingId ?? '', /^[BDM][0-9A-Z]{9}$/);
      assert.equal(await stores.records.countDocuments({ draftId }), 1);
      assert.equal(await stores.audit.countDocuments({ draftId }), 1);
      assert.equal((await stores.searchDoc(recordId))?.['status'], c.expected);
      assert.equal((await stores.attachments(`${recordId}/`)).length, 1);
      assert.deepEqual(await stores.staged(`${draftId}/`), []);
    }
  });

  test('the four corrections are applied in order, recorded in history and audit', async () => {
    const birthDraft = randomUUID();
    await gql(MUTATIONS.birth, { details: sampleBirth(birthDraft) }, tokens['field.agent']);
    const recordId = (await processed(birthDraft)).recordId!;

    const request = sampleCorrection(randomUUID());
    const requested = await gql<{ requestRegistrationCorrection: string }>(
      MUTATIONS.requestCorrection, { id: recordId, details: request }, tokens['registration.agent']);
    assert.equal(requested.data?.requestRegistrationCorrection, request.draftId);
    // Queued right behind the request: must run after it.
    const corrected = sampleBirth(randomUUID(), { child: { firstNames: 'Corrected', familyName: 'Name', gender: 'female' } }, birthDraft);
    const correctedResult = await gql<{ createBirthRegistrationCorrection: string }>(
      MUTATIONS.correctBirth, { id: recordId, details: corrected }, tokens['registrar']);
    assert.equal(correctedResult.data?.createBirthRegistrationCorrection, corrected.registration.draftId);

    // The status is the record's current one: the correction queued behind may already be done.
    assert.ok(['CORRECTION_REQUESTED', 'CORRECTED'].includes((await processed(request.draftId)).registrationStatus ?? ''));
    const final = await processed(corrected.registration.draftId);
    assert.equal(final.__typename, 'RecordProcessed');
    assert.equal(final.registrationStatus, 'CORRECTED');
    assert.equal(final.recordId, recordId);

    const record = await stores.records.findOne({ _id: recordId });
    assert.deepEqual(record?.history.map((h) => h.status), ['DECLARED', 'CORRECTION_REQUESTED', 'CORRECTED']);
    assert.equal((record?.data['child'] as { firstNames: string }).firstNames, 'Corrected');
    assert.equal(await stores.audit.countDocuments({ recordId }), 3);
    assert.equal((await stores.searchDoc(recordId))?.['status'], 'CORRECTED');
    assert.equal((await stores.attachments(`${recordId}/`)).length, 3);

    for (const [mutation, details, event] of [
      [MUTATIONS.correctDeath, sampleDeath(randomUUID()), 'death'],
      [MUTATIONS.correctMarriage, sampleMarriage(randomUUID()), 'marriage'],
    ] as const) {
      const draftId = details.registration.draftId;
      await gql(mutation, { id: recordId, details }, tokens['registrar']);
      const status = await processed(draftId);
      assert.equal(status.__typename, 'RecordRejected', `a ${event} correction of a birth record`);
      assert.equal(status.code, 'EVENT_MISMATCH');
    }
  });

  test('a correction of a record that does not exist ends rejected with a reason, not in retries', async () => {
    const draftId = randomUUID();
    const result = await gql(MUTATIONS.requestCorrection, { id: randomUUID(), details: sampleCorrection(draftId) }, tokens['registrar']);
    assert.equal(result.errors, undefined);
    const status = await processed(draftId);
    assert.equal(status.__typename, 'RecordRejected');
    assert.equal(status.code, 'RECORD_NOT_FOUND');
    assert.match(status.reason ?? '', /no record/);
  });
});

describe('idempotency', { timeout: 180_000 }, () => {
  test('the same draftId with a changed payload is refused and changes nothing, in flight or after', async () => {
    const draftId = randomUUID();
    const original = sampleBirth(draftId);
    // The samples weigh 2.5-4.4 kg by seed: one more kilogram always changes the payload.
    const changed = sampleBirth(draftId, { weightAtBirthKg: (original.weightAtBirthKg ?? 3) + 1 });
    assert.notEqual(changed.weightAtBirthKg, original.weightAtBirthKg);
    assert.equal((await gql(MUTATIONS.birth, { details: original }, tokens['registrar'])).errors, undefined);
    const inFlight = await gql(MUTATIONS.birth, { details: changed }, tokens['registrar']);
    assert.equal(inFlight.errors?.[0]?.extensions?.['code'], 'IDEMPOTENCY_KEY_REUSED');

    const status = await processed(draftId);
    assert.equal(status.__typename, 'RecordProcessed');
    const after = await gql(MUTATIONS.birth, { details: changed }, tokens['registrar']);
    assert.equal(after.errors?.[0]?.extensions?.['code'], 'IDEMPOTENCY_KEY_REUSED');
    const again = await gql<{ createBirthRegistration: { recordId: string } }>(MUTATIONS.birth, { details: original }, tokens['registrar']);
    assert.equal(again.data?.createBirthRegistration.recordId, status.recordId, 'a repeat after processing answers with the record');

    const record = await stores.records.findOne({ draftId });
    assert.equal(record?.data['weightAtBirthKg'], original.weightAtBirthKg);
    assert.equal(await stores.records.countDocuments({ draftId }), 1);
    assert.equal(await stores.audit.countDocuments({ draftId }), 1);
  });
});

describe('input and access errors', { timeout: 60_000 }, () => {
  const invalid: Array<[string, (draftId: string) => unknown, string, RegExp]> = [
    ['a missing required field', (d) => ({ ...sampleBirth(d), child: { familyName: 'X' } }), 'BAD_USER_INPUT', /firstNames/],
    ['a draftId that is not a UUID', () => sampleBirth('draft-1'), 'BAD_USER_INPUT', /registration\.draftId/],
    ['a date in the future', (d) => sampleBirth(d, { eventDate: '2999-01-01' }), 'BAD_USER_INPUT', /eventDate/],
    ['a date that is not a calendar date', (d) => sampleBirth(d, { eventDate: '2024-02-30' }), 'BAD_USER_INPUT', /eventDate/],
    ['a name too long', (d) => ({ ...sampleBirth(d), child: { firstNames: 'A'.repeat(101), familyName: 'B' } }), 'BAD_USER_INPUT', /child\.firstNames/],
    ['contact with neither phone nor email', (d) => ({ ...sampleBirth(d), registration: { draftId: d, contact: {} } }), 'BAD_USER_INPUT', /contact/],
    ['an attachment type not allowed', (d) => sampleBirth(d, { attachments: [{ type: 'OTHER', subject: 'CHILD', contentType: 'image/gif', data: 'R0lGODlhAQABAAAAACw=' }] }), 'BAD_USER_INPUT', /contentType/],
    ['an attachment that is not base64', (d) => sampleBirth(d, { attachments: [{ type: 'OTHER', subject: 'CHILD', contentType: 'image/png', data: '***' }] }), 'BAD_USER_INPUT', /attachments\[0\]\.data/],
    ['an attachment over the size limit', (d) => sampleBirth(d, { attachments: [{ type: 'OTHER', subject: 'CHILD', contentType: 'application/pdf', data: Buffer.alloc(5 * 1024 * 1024 + 1).toString('base64') }] }), 'BAD_USER_INPUT', /limit/],
    ['an unknown field', (d) => ({ ...sampleBirth(d), nickname: 'x' }), 'BAD_USER_INPUT', /nickname/],
    ['an enum value outside the list', (d) => ({ ...sampleBirth(d), child: { firstNames: 'A', familyName: 'B', gender: 'robot' } }), 'BAD_USER_INPUT', /gender/],
  ];

  for (const [name, make, code, field] of invalid) {
    test(`${name}: ${code} naming the field, nothing queued`, async () => {
      const draftId = randomUUID();
      const result = await gql(MUTATIONS.birth, { details: make(draftId) }, tokens['registrar']);
      const error = result.errors?.[0];
      assert.equal(error?.extensions?.['code'], code, JSON.stringify(result.errors));
      assert.match(error?.message ?? '', field);
      assert.equal((await fetchStatus(draftId, tokens['registrar']!)).__typename, 'RecordUnknown');
    });
  }

  test('the rule is named in the error for a validation failure', async () => {
    const result = await gql(MUTATIONS.birth, { details: sampleBirth(randomUUID(), { eventDate: '2999-01-01' }) }, tokens['registrar']);
    assert.equal(result.errors?.[0]?.extensions?.['field'], 'details.eventDate');
    assert.equal(typeof result.errors?.[0]?.extensions?.['rule'], 'string');
  });

  test('no token, a bad token, or too few scopes are refused before anything is queued', async () => {
    const draftId = randomUUID();
    assert.equal((await gql(MUTATIONS.birth, { details: sampleBirth(draftId) })).errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
    assert.equal((await gql(MUTATIONS.birth, { details: sampleBirth(draftId) }, 'not.a.token')).errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
    const forbidden = await gql(MUTATIONS.correctBirth, { id: randomUUID(), details: sampleBirth(draftId) }, tokens['field.agent']);
    assert.equal(forbidden.errors?.[0]?.extensions?.['code'], 'FORBIDDEN');
    const sysadmin = await gql(MUTATIONS.birth, { details: sampleBirth(draftId) }, tokens['sysadmin']);
    assert.equal(sysadmin.errors?.[0]?.extensions?.['code'], 'FORBIDDEN');
    assert.equal((await fetchStatus(draftId, tokens['registrar']!)).__typename, 'RecordUnknown');
  });
});
