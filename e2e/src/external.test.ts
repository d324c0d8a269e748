/**
 * Deferred identity, external validation and notifications, end to end: a registrar's record
 * is confirmed or rejected by the country config; with the country config stopped, records
 * wait and retry; callbacks repeated or contradicted change nothing; the internal routes are
 * not reachable through the gateway; a job outlives its user's token.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { recordIdFor, sampleBirth, sampleDeath } from '@steadfast/commons';
import type { System } from '@steadfast/launcher';
import { fetchStatus, GATEWAY, gql, isolatedStores, login, MUTATIONS, storesOf, type Status } from './client.js';
import { eventually, REPO_ROOT, startSystem, TEST_SYSTEM_ENV } from './support.js';

const stores = isolatedStores();
const view = storesOf(stores);
const notificationFile = join(REPO_ROOT, '.data', 'e2e', `notifications-${stores.RECORD_QUEUE_NAME}.jsonl`);
let system: System;

/** Tokens live 5 s in this system: long enough for a request, short enough to expire in a test. */
const TOKEN_TTL_MS = 5_000;
const token = async (user = 'registrar') => login(user);

before(async () => {
  system = startSystem({
    ...stores,
    AUTH_TOKEN_TTL_SECONDS: String(TOKEN_TTL_MS / 1000),
    RECORD_JOB_ATTEMPTS: '100',
    RECORD_BACKOFF_MS: '300',
    RECORD_BACKOFF_MAX_MS: '2000',
    COUNTRY_CONFIG_DECISION_DELAY_MS: '100',
    // The country rejects a death without a cause of death.
    COUNTRY_CONFIG_REQUIRED_FIELDS: 'death:causeOfDeath',
    NOTIFICATION_ADAPTER: 'file',
    NOTIFICATION_FILE: notificationFile,
  });
  await system.start();
});

after(async () => {
  await system?.startService('config').catch(() => undefined);
  await system?.stop();
  await view.drop();
  await view.close();
  await rm(notificationFile, { force: true });
});

async function final(draftId: string, wanted: (s: Status) => boolean, timeoutMs = 60_000): Promise<Status> {
  let last: Status | undefined;
  await eventually(`draft ${draftId}`, async () => wanted((last = await fetchStatus(draftId, await token()))), timeoutMs);
  return last!;
}

const registered = (s: Status) => s.__typename === 'RecordProcessed' && s.registrationStatus === 'REGISTERED';

async function notifications(): Promise<Array<{ recordId: string; kind: string }>> {
  const text = await readFile(notificationFile, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { recordId: string; kind: string });
}

test("a registrar's submission is registered with a number; one the country rejects ends REJECTED", { timeout: 120_000 }, async () => {
  const birth = sampleBirth(randomUUID());
  const death = sampleDeath(randomUUID(), { causeOfDeath: undefined });
  assert.equal((await gql(MUTATIONS.birth, { details: birth }, await token())).errors, undefined);
  assert.equal((await gql(MUTATIONS.death, { details: death }, await token())).errors, undefined);

  const ok = await final(birth.registration.draftId, registered);
  assert.match((ok as { registrationNumber?: string }).registrationNumber ?? '', /^\d{4}-B-[0-9A-Z]{10}$/);
  const rejected = await final(death.registration.draftId, (s) => s.registrationStatus === 'REJECTED');
  assert.equal(rejected.__typename, 'RecordProcessed');

  const recordId = recordIdFor(birth.registration.draftId);
  assert.equal((await view.searchDoc(recordId))?.['status'], 'REGISTERED');
  assert.equal(await view.audit.countDocuments({ recordId, action: 'confirm-registration' }), 1);
  const deathRecord = await view.records.findOne({ _id: recordIdFor(death.registration.draftId) });
  assert.match(deathRecord?.externalValidation?.reason ?? '', /causeOfDeath/);
});

test('country config stopped: registrations wait and retry, then all complete once', { timeout: 240_000 }, async () => {
  await system.stopService('config');
  const drafts = Array.from({ length: 5 }, (_, i) => sampleBirth(randomUUID(), {}, `offline-${i}`));
  const userToken = await token();
  for (const details of drafts) assert.equal((await gql(MUTATIONS.birth, { details }, userToken)).errors, undefined);
  const first = drafts[0]!.registration.draftId;
  await final(first, (s) => s.__typename === 'RecordProcessing' && s.step === 'validation' && (s.attempts ?? 0) >= 1);
  // Every submitting user's token has expired before the work can go on: it must not matter.
  await new Promise((resolve) => setTimeout(resolve, TOKEN_TTL_MS + 1_000));
  await system.startService('config');

  for (const details of drafts) await final(details.registration.draftId, registered, 120_000);
  const ids = drafts.map((d) => recordIdFor(d.registration.draftId));
  const records = await view.records.find({ _id: { $in: ids } }).toArray();
  assert.equal(new Set(records.map((r) => r.registrationNumber)).size, 5, 'one distinct number each');
  await eventually('one notification of each kind per record', async () => {
    const sent = (await notifications()).filter((n) => ids.includes(n.recordId));
    return sent.length === 10;
  }, 30_000);
  for (const id of ids) {
    const sent = (await notifications()).filter((n) => n.recordId === id).map((n) => n.kind).sort();
    assert.deepEqual(sent, ['declared', 'registered']);
    assert.equal(await view.audit.countDocuments({ recordId: id, action: 'confirm-registration' }), 1);
  }
});

/** A callback as the country config makes it, with its own credential (COUNTRY_CONFIG_SECRET). */
async function callback(recordId: string, path: 'confirm' | 'reject', body: object): Promise<number> {
  const response = await fetch(`${system.urls()['workflow']}/records/${recordId}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_SYSTEM_ENV.COUNTRY_CONFIG_SECRET}` },
    body: JSON.stringify(body),
  });
  return response.status;
}

test('the same confirm 5 times, and a confirm after a reject, leave one outcome', { timeout: 120_000 }, async () => {
  const details = sampleBirth(randomUUID());
  await gql(MUTATIONS.birth, { details }, await token());
  const status = await final(details.registration.draftId, registered);
  const recordId = status.recordId!;
  const number = (await view.records.findOne({ _id: recordId }))?.registrationNumber;
  for (let i = 0; i < 5; i++) assert.equal(await callback(recordId, 'confirm', { registrationNumber: number }), 200);
  assert.equal(await callback(recordId, 'confirm', { registrationNumber: 'OTHER-NUMBER' }), 409);
  assert.equal(await callback(recordId, 'reject', { reason: 'late and wrong' }), 409);
  const record = await view.records.findOne({ _id: recordId });
  assert.equal(record?.status, 'REGISTERED');
  assert.equal(record?.registrationNumber, number);
  assert.equal(record?.history.filter((h) => h.action === 'confirm-registration').length, 1);
  assert.equal(await view.audit.countDocuments({ recordId, action: { $in: ['confirm-registration', 'reject-registration'] } }), 1);

  // A record the country rejected stays rejected whatever comes later.
  const death = sampleDeath(randomUUID(), { causeOfDeath: undefined });
  await gql(MUTATIONS.death, { details: death }, await token());
  const rejected = await final(death.registration.draftId, (s) => s.registrationStatus === 'REJECTED');
  assert.equal(await callback(rejected.recordId!, 'reject', { reason: 'required by the country: causeOfDeath' }), 200);
  assert.equal(await callback(rejected.recordId!, 'confirm', { registrationNumber: '2026-D-XXXXXXXXXX' }), 409);
  assert.equal((await view.records.findOne({ _id: rejected.recordId! }))?.status, 'REJECTED');

  assert.equal(await callback(randomUUID(), 'confirm', { registrationNumber: 'X' }), 404, 'an unknown record');
});

test('internal routes are not reachable through the gateway', async () => {
  for (const [method, path] of [
    ['POST', '/internal/tokens'],
    ['GET', '/.well-known/jwks.json'],
    ['POST', '/event-registration'],
    ['POST', `/records/${randomUUID()}/confirm`],
    ['POST', `/records/${randomUUID()}/reject`],
    ['GET', '/metrics'],
  ] as const) {
    const response = await fetch(`${GATEWAY}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
    assert.equal(response.status, 404, `${method} ${path}`);
  }
});

test("a user token cannot answer for the country: the callbacks take the country config's credential only", async () => {
  const response = await fetch(`${system.urls()['workflow']}/records/${randomUUID()}/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token()}` },
    body: JSON.stringify({ registrationNumber: 'X' }),
  });
  assert.equal(response.status, 401);
});
