/**
 * Issue 17's token, callback and production findings, tried as an attacker would against the
 * running system (its own ports, database, index, buckets and queues):
 * - minting an internal token without the workflow's credential, with a wrong one, for an action
 *   the user lacks, for sysadmin;
 * - a narrowed token sent to the gateway (GraphQL and /admin/alerts);
 * - a forged confirm/reject callback (no credential, a wrong one, a user token, a narrowed one);
 * - a second registration number for a record, and one record's number for another;
 * - a form-encoded login at auth;
 * - a service started without NODE_ENV and without production secrets;
 * - a user added with the users command logs in, and once disabled, does not; the token they
 *   hold is refused within seconds.
 * Each asserts the refusal and, where a store could change, that nothing changed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { recordIdFor, sampleBirth } from '@steadfast/commons';
import type { System } from '@steadfast/launcher';
import { fetchStatus, GATEWAY, gql, isolatedStores, login, MUTATIONS, STATUS_QUERY, storesOf, type Status } from './client.js';
import { E2E_PORTS, eventually, REPO_ROOT, startSystem, TEST_SYSTEM_ENV } from './support.js';
import { assertUnchanged } from './unchanged.js';

const stores = isolatedStores();
const view = storesOf(stores);
let keyDir: string;
let system: System;
const tokens: Record<string, string> = {};
const userIds: Record<string, string> = {};

before(async () => {
  // A signing key of this run's own, so the test can show what the gateway does with a token
  // auth would never mint (a narrowed sysadmin token).
  keyDir = await mkdtemp(join(tmpdir(), 'steadfast-security-auth-'));
  system = startSystem({
    ...stores,
    AUTH_KEY_FILE: join(keyDir, 'signing-key.pem'),
    // The country never answers during the test: records stay WAITING_EXTERNAL_VALIDATION,
    // so the callbacks below are the only answers.
    COUNTRY_CONFIG_DECISION_DELAY_MS: '600000',
  });
  await system.start();
  for (const user of ['field.agent', 'registrar', 'sysadmin']) tokens[user] = await login(user);
  const users = view.records.db.collection<{ _id: string; username: string }>('users');
  for (const user of await users.find({}).toArray()) userIds[user.username] = user._id;
});

after(async () => {
  // The country's held decision would make a graceful stop wait; nothing of it is needed.
  await system?.stopService('config', 'SIGKILL');
  await system?.stop();
  await view.drop();
  await view.close();
  await rm(keyDir, { recursive: true, force: true });
});

const url = (service: string, path: string) => `${system.urls()[service]}${path}`;
const unchanged = <T>(probe: () => Promise<T>) => assertUnchanged(view, stores, probe);

async function mint(body: object, authorization?: string): Promise<Response> {
  return fetch(url('auth', '/internal/tokens'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
}

/** A narrowed token as the workflow gets it, for the registrar, a record and the register action. */
async function narrowedToken(recordId: string): Promise<string> {
  const response = await mint({ userId: userIds['registrar'], recordId, action: 'register' }, `Bearer ${TEST_SYSTEM_ENV.AUTH_INTERNAL_SECRET}`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { token: string }).token;
}

async function callback(recordId: string, path: 'confirm' | 'reject', body: object, authorization?: string): Promise<number> {
  const response = await fetch(url('workflow', `/records/${recordId}/${path}`), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
  return response.status;
}
const country = `Bearer ${TEST_SYSTEM_ENV.COUNTRY_CONFIG_SECRET}`;

/** A registrar's new record, once the workflow has sent it to the country and it waits. */
async function waitingRecord(): Promise<string> {
  const details = sampleBirth(randomUUID());
  const result = await gql(MUTATIONS.birth, { details }, tokens['registrar']);
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  let last: Status | undefined;
  await eventually('record waiting for the country', async () => {
    last = await fetchStatus(details.registration.draftId, tokens['registrar']!);
    return last.__typename === 'RecordProcessed';
  }, 60_000);
  assert.equal(last?.registrationStatus, 'WAITING_EXTERNAL_VALIDATION');
  return recordIdFor(details.registration.draftId);
}

/** What a callback could change on a record: its status, number, version and history. */
async function recordState(recordId: string) {
  const record = await view.records.findOne({ _id: recordId });
  return { status: record?.status, registrationNumber: record?.registrationNumber, version: record?.version, history: record?.history.length };
}

describe('internal tokens', { timeout: 120_000 }, () => {
  test('minting without the workflow credential, or with a wrong one, is 401', async () => {
    const request = { userId: userIds['field.agent'], recordId: randomUUID(), action: 'declare' };
    await unchanged(async () => {
      assert.equal((await mint(request)).status, 401);
      assert.equal((await mint(request, `Bearer ${randomBytes(32).toString('base64url')}`)).status, 401);
      assert.equal((await mint(request, `Bearer ${TEST_SYSTEM_ENV.COUNTRY_CONFIG_SECRET}`)).status, 401, "another service's credential");
      assert.equal((await mint(request, `Bearer ${tokens['sysadmin']}`)).status, 401, 'a user token');
    });
  });

  test('an action the user lacks, and sysadmin for anyone, is 403', async () => {
    const credential = `Bearer ${TEST_SYSTEM_ENV.AUTH_INTERNAL_SECRET}`;
    await unchanged(async () => {
      assert.equal((await mint({ userId: userIds['field.agent'], recordId: randomUUID(), action: 'register' }, credential)).status, 403);
      assert.equal((await mint({ userId: userIds['field.agent'], recordId: randomUUID(), action: 'sysadmin' }, credential)).status, 403);
      assert.equal((await mint({ userId: userIds['sysadmin'], recordId: randomUUID(), action: 'sysadmin' }, credential)).status, 403);
    });
  });

  test('a narrowed token is refused by the gateway: GraphQL and /admin/alerts', async () => {
    const narrowed = await narrowedToken(recordIdFor(randomUUID()));
    const details = sampleBirth(randomUUID());
    await unchanged(async () => {
      const submitted = await gql(MUTATIONS.birth, { details }, narrowed);
      assert.equal(submitted.data?.['createBirthRegistration'] ?? null, null);
      assert.equal(submitted.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED', JSON.stringify(submitted.errors));
      const status = await gql(`query($d: ID!) { fetchRecordStatus(draftId: $d) { __typename } }`, { d: details.registration.draftId }, narrowed);
      assert.equal(status.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
      // Even a narrowed token carrying sysadmin, signed with auth's own key (auth never mints
      // one): its audience is not the gateway's.
      const forged = signedWithAuthKey(await readFile(join(keyDir, 'signing-key.pem'), 'utf8'), {
        sub: userIds['sysadmin'],
        scope: ['sysadmin'],
        record: randomUUID(),
        aud: 'steadfast-internal',
      });
      for (const token of [narrowed, forged]) {
        const alerts = await fetch(`${GATEWAY}/admin/alerts`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
        assert.equal(alerts.status, 401);
      }
      // The same key and claims with the user audience pass: the audience is what refuses it.
      const asUser = signedWithAuthKey(await readFile(join(keyDir, 'signing-key.pem'), 'utf8'), { sub: userIds['sysadmin'], scope: ['sysadmin'], aud: 'steadfast' });
      assert.equal((await fetch(`${GATEWAY}/admin/alerts`, { headers: { authorization: `Bearer ${asUser}`, accept: 'application/json' } })).status, 200);
    });
  });
});

describe("the country config's callbacks", { timeout: 180_000 }, () => {
  test('a forged confirm or reject is refused and changes nothing', async () => {
    const recordId = await waitingRecord();
    const before = await recordState(recordId);
    const narrowed = await narrowedToken(recordId);
    await unchanged(async () => {
      // The narrowed token first: the one the callbacks used to take.
      for (const authorization of [`Bearer ${narrowed}`, undefined, `Bearer ${randomBytes(32).toString('base64url')}`, `Bearer ${tokens['registrar']}`, `Bearer ${TEST_SYSTEM_ENV.AUTH_INTERNAL_SECRET}`]) {
        assert.equal(await callback(recordId, 'confirm', { registrationNumber: 'FORGED-1' }, authorization), 401);
        assert.equal(await callback(recordId, 'reject', { reason: 'forged' }, authorization), 401);
      }
    });
    assert.deepEqual(await recordState(recordId), before);
    assert.equal(before.status, 'WAITING_EXTERNAL_VALIDATION');
  });

  test('a registration number is given once: a second number, or another record\'s number, is refused', async () => {
    const [first, second] = [await waitingRecord(), await waitingRecord()];
    const number = `2026-B-${randomBytes(5).toString('hex').toUpperCase()}`;
    assert.equal(await callback(first, 'confirm', { registrationNumber: number }, country), 200);
    const registered = await recordState(first);
    assert.equal(registered.status, 'REGISTERED');
    // The confirmation's follow-ups (audit entry, search document) settle before the probes.
    await eventually('the confirmation audited and indexed', async () =>
      (await view.audit.countDocuments({ recordId: first, action: 'confirm-registration' })) === 1 && (await view.searchDoc(first))?.['status'] === 'REGISTERED');
    const secondBefore = await recordState(second);
    await unchanged(async () => {
      assert.equal(await callback(first, 'confirm', { registrationNumber: `${number}-2` }, country), 409);
      assert.equal(await callback(second, 'confirm', { registrationNumber: number }, country), 409);
    });
    assert.deepEqual(await recordState(first), registered);
    assert.deepEqual(await recordState(second), secondBefore);
    // The same confirmation again is the same answer, and changes nothing.
    assert.equal(await callback(first, 'confirm', { registrationNumber: number }, country), 200);
    assert.deepEqual(await recordState(first), registered);
    assert.equal(await view.records.countDocuments({ registrationNumber: number }), 1);
  });
});

describe('login and start-up', { timeout: 120_000 }, () => {
  test('a form-encoded login at auth is 415', async () => {
    await unchanged(async () => {
      for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
        const response = await fetch(url('auth', '/auth/authenticate'), {
          method: 'POST',
          headers: { 'content-type': type },
          body: type.startsWith('multipart') ? '--x\r\nContent-Disposition: form-data; name="username"\r\n\r\nregistrar\r\n--x--\r\n' : 'username=registrar&password=test',
        });
        assert.equal(response.status, 415, type);
      }
    });
  });

  test('a service started without NODE_ENV and without production secrets refuses to start, naming what is missing', async () => {
    const base: NodeJS.ProcessEnv = { ...process.env, ...stores };
    for (const name of ['NODE_ENV', 'AUTH_PRIVATE_KEY', 'AUTH_INTERNAL_SECRET', 'COUNTRY_CONFIG_SECRET', 'AUTH_SEED_DEMO_USERS', 'MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY']) delete base[name];
    // Ports nobody uses: had it started, it would collide with nothing.
    const port = String(Number(E2E_PORTS.GATEWAY_PORT) + 20);
    const cases = [
      { service: 'auth', env: { AUTH_PORT: port }, missing: ['AUTH_PRIVATE_KEY', 'AUTH_INTERNAL_SECRET'] },
      { service: 'config', env: { COUNTRY_CONFIG_PORT: port }, missing: ['COUNTRY_CONFIG_SECRET'] },
      { service: 'workflow', env: { WORKFLOW_PORT: port }, missing: ['AUTH_INTERNAL_SECRET', 'COUNTRY_CONFIG_SECRET', 'MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY'] },
      { service: 'gateway', env: { GATEWAY_PORT: port, GATEWAY_METRICS_PORT: String(Number(port) + 1) }, missing: ['MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY'] },
    ];
    await unchanged(async () => {
      for (const c of cases) {
        const started = Date.now();
        const { code, output } = await run(join(REPO_ROOT, `packages/${c.service}/dist/main.js`), { ...base, ...c.env });
        assert.notEqual(code, 0, `${c.service} started`);
        assert.ok(Date.now() - started < 15_000, `${c.service} took ${Date.now() - started} ms to refuse`);
        assert.match(output, /Invalid configuration/, c.service);
        for (const variable of c.missing) assert.match(output, new RegExp(`${variable}: (required in production|the local development key)`), `${c.service}: ${variable}`);
      }
    });
  });

  test('a user added with the users command logs in through the gateway; once disabled, no more, and the token they hold is refused', async () => {
    const env = { ...process.env, ...stores, NODE_ENV: 'production' };
    const username = `clerk.${randomBytes(3).toString('hex')}`;
    const added = await npmUsers(['add', '--username', username, '--name', 'Clerk Banda', '--office', 'Ibombo District Office', '--scopes', 'declare'], 'a clerk password 123\n', env);
    assert.equal(added.code, 0, added.output);
    const loggedIn = await fetch(`${GATEWAY}/auth/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'a clerk password 123' }) });
    assert.equal(loggedIn.status, 200);
    const held = ((await loggedIn.json()) as { token: string }).token;
    const graphql = (query: string, variables: Record<string, unknown>) =>
      fetch(`${GATEWAY}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${held}` }, body: JSON.stringify({ query, variables }) });
    const before = randomUUID();
    assert.equal((await graphql(MUTATIONS.birth, { details: sampleBirth(before) })).status, 200, 'the token works before the user is disabled');

    assert.equal((await npmUsers(['disable', '--username', username], '', env)).code, 0);
    const refused = await fetch(`${GATEWAY}/auth/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'a clerk password 123' }) });
    assert.equal(refused.status, 401);
    // The token they hold (valid for an hour by its signature) is refused within seconds: the
    // directory learns of the user.disabled event, and the gateway reads its list of disabled users.
    const took = await eventually('the disabled user\'s token refused', async () => (await graphql(STATUS_QUERY, { draftId: before })).status === 401, 30_000);
    console.log(`# the held token was refused ${took} ms after users disable`);
    const after = randomUUID();
    const submitted = await graphql(MUTATIONS.birth, { details: sampleBirth(after) });
    assert.equal(submitted.status, 401);
    const error = ((await submitted.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> }).errors?.[0];
    assert.equal(error?.extensions?.code, 'UNAUTHENTICATED');
    assert.match(error?.message ?? '', /the user is disabled/);
    assert.equal((await fetchStatus(after, tokens['registrar']!)).__typename, 'RecordUnknown', 'nothing was queued for the refused submission');
    assert.equal(await view.records.countDocuments({ draftId: after }), 0);
  });
});

/** An EdDSA JWT signed with a PKCS#8 PEM key, as auth signs its tokens. */
function signedWithAuthKey(pem: string, claims: Record<string, unknown>): string {
  const key = createPrivateKey(pem);
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  // No kid: auth publishes one key, and a verifier tries the one key of the algorithm.
  const header = encode({ alg: 'EdDSA' });
  const payload = encode({ iss: 'steadfast-auth', iat: now, exp: now + 300, ...claims });
  return `${header}.${payload}.${sign(null, Buffer.from(`${header}.${payload}`), key).toString('base64url')}`;
}

function run(file: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    // A service that starts runs until this timeout kills it.
    execFile(process.execPath, [file], { env, timeout: 15_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

function npmUsers(args: string[], stdin: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('npm', ['run', '--silent', 'users', '--', ...args], { cwd: REPO_ROOT, env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
    child.stdin?.end(stdin);
  });
}
