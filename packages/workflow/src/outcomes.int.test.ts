/**
 * The country config's callbacks against the real stores, in a database of their own: only the
 * country config's credential is taken (a user or narrowed token is not), a refused callback
 * changes nothing, and a registration number belongs to one record, even when two records are
 * confirmed with the same number at once (the unique index decides).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { RecordDocument } from '@steadfast/commons';
import type { Workflow } from './server.js';
import { isolatedEnvironment, workflowPerFile } from './testing.js';

const SECRET = randomBytes(32).toString('base64url');
const env = { ...isolatedEnvironment('outcomes'), COUNTRY_CONFIG_SECRET: SECRET };
let workflow: Workflow;

workflowPerFile(env, (started) => (workflow = started));

/** A registrar's record waiting for the country's answer, as the workflow leaves it. */
async function waitingRecord(): Promise<RecordDocument> {
  const draftId = randomUUID();
  const now = new Date();
  const record: RecordDocument = {
    _id: randomUUID(),
    draftId,
    trackingId: `T${randomBytes(5).toString('hex')}`,
    event: 'birth',
    status: 'WAITING_EXTERNAL_VALIDATION',
    data: {},
    attachments: [],
    hasPotentialDuplicates: false,
    duplicates: [],
    version: 1,
    createdBy: 'registrar-1',
    createdAt: now,
    updatedAt: now,
    actions: {
      [draftId]: { operation: 'create', action: 'register', fingerprint: 'f', userId: 'registrar-1', acceptedAt: now, appliedAt: now, steps: {} },
    },
    history: [{ draftId, action: 'register', userId: 'registrar-1', at: now, status: 'WAITING_EXTERNAL_VALIDATION' }],
  };
  await workflow.deps.db.records.insertOne(record);
  return record;
}

/** `authorization` null: no header at all. */
const answer = async (recordId: string, path: 'confirm' | 'reject', body: object, authorization: string | null = `Bearer ${SECRET}`) =>
  (await workflow.server.inject({ method: 'POST', url: `/records/${recordId}/${path}`, headers: authorization === null ? {} : { authorization }, payload: body })).statusCode;

const stored = (id: string) => workflow.deps.db.records.findOne({ _id: id });

test('a callback without the country config credential is 401 and changes nothing', async () => {
  const record = await waitingRecord();
  const before = await stored(record._id);
  assert.equal(await answer(record._id, 'confirm', { registrationNumber: 'N-1' }, null), 401);
  assert.equal(await answer(record._id, 'confirm', { registrationNumber: 'N-1' }, `Bearer ${SECRET}x`), 401);
  assert.equal(await answer(record._id, 'reject', { reason: 'forged' }, 'Bearer eyJhbGciOiJFZERTQSJ9.eyJzY29wZSI6WyJyZWdpc3RlciJdfQ.c2ln'), 401);
  assert.deepEqual(await stored(record._id), before);
});

test('the credential confirms, acting for the user who asked; a repeat is idempotent, another number 409', async () => {
  const record = await waitingRecord();
  assert.equal(await answer(record._id, 'confirm', { registrationNumber: `N-${record._id}` }), 200);
  const registered = await stored(record._id);
  assert.equal(registered?.status, 'REGISTERED');
  assert.equal(registered?.registrationNumber, `N-${record._id}`);
  assert.equal(registered?.externalValidation?.userId, 'registrar-1');
  assert.equal(await answer(record._id, 'confirm', { registrationNumber: `N-${record._id}` }), 200);
  assert.equal(await answer(record._id, 'confirm', { registrationNumber: 'N-other' }), 409);
  assert.deepEqual(await stored(record._id), registered);
});

test("a number another record holds is refused, and that record stays as it was", async () => {
  const first = await waitingRecord();
  const second = await waitingRecord();
  assert.equal(await answer(first._id, 'confirm', { registrationNumber: 'N-shared' }), 200);
  const before = await stored(second._id);
  assert.equal(await answer(second._id, 'confirm', { registrationNumber: 'N-shared' }), 409);
  assert.deepEqual(await stored(second._id), before);
  assert.equal(await workflow.deps.db.records.countDocuments({ registrationNumber: 'N-shared' }), 1);
});

test('two records confirmed with one number at once: one gets it, the other 409', async () => {
  const records = await Promise.all([waitingRecord(), waitingRecord(), waitingRecord()]);
  const codes = await Promise.all(records.map((r) => answer(r._id, 'confirm', { registrationNumber: 'N-race' })));
  assert.deepEqual([...codes].sort(), [200, 409, 409]);
  assert.equal(await workflow.deps.db.records.countDocuments({ registrationNumber: 'N-race' }), 1);
  const losers = records.filter((_, i) => codes[i] === 409);
  for (const loser of losers) assert.equal((await stored(loser._id))?.status, 'WAITING_EXTERNAL_VALIDATION');
});

test('a callback that is not JSON is 415', async () => {
  const record = await waitingRecord();
  const response = await workflow.server.inject({
    method: 'POST',
    url: `/records/${record._id}/confirm`,
    headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'registrationNumber=N-form',
  });
  assert.equal(response.statusCode, 415);
});
