/**
 * The public edge attacked as issue 17 found it, against the running system (its own ports and
 * stores): form-encoded and concurrent logins, an unauthenticated gzip bomb and a logged-in
 * alias flood while /health is sampled, an oversized anonymous body, another user's status and
 * repeat, the per-user submission limit, the record queue's depth bound. Each refusal is
 * asserted, and where a store could change, that nothing did.
 *
 * Login counters live in the shared Redis under keys that are not per system: this system trusts
 * the loopback as a proxy, and each login probe comes "from" a TEST-NET address of its own
 * (X-Forwarded-For), with a username no one else uses, so no other run is locked out.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createRedis, RecordQueue, redisKey, redisOptions, sampleBirth, storeConfigFrom, storeEnvSchema, type RecordJobData } from '@steadfast/commons';
import type { System } from '@steadfast/launcher';
import { fetchStatus, GATEWAY, gql, isolatedStores, login, MUTATIONS, storesOf } from './client.js';
import { eventually, startSystem } from './support.js';
import { assertUnchanged } from './unchanged.js';

const MAX_QUEUE_DEPTH = 5;
const SUBMISSIONS_PER_WINDOW = 4;
const env = {
  ...isolatedStores(),
  GATEWAY_TRUSTED_PROXIES: '127.0.0.1,::1',
  GATEWAY_SUBMISSIONS_PER_WINDOW: String(SUBMISSIONS_PER_WINDOW),
  GATEWAY_MAX_QUEUE_DEPTH: String(MAX_QUEUE_DEPTH),
};
const stores = storesOf(env);
const redisConfig = storeConfigFrom(storeEnvSchema.parse({ ...process.env, ...env })).redis;
let system: System;
const tokens: Record<string, string> = {};
/** Login-throttle keys this run made, removed at the end. */
const loginKeys: string[] = [];

before(async () => {
  system = startSystem(env);
  await system.start();
  for (const user of ['field.agent', 'registration.agent', 'registrar']) tokens[user] = await login(user);
});

after(async () => {
  await system?.stop();
  const redis = createRedis(redisConfig);
  for (const pattern of loginKeys) {
    const keys = await redis.keys(pattern);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
  await stores.drop();
  await stores.close();
});

/** An address of TEST-NET-2 (198.51.100.0/24) no other run uses, sent as X-Forwarded-For. */
function testAddress(): string {
  const address = `198.51.100.${1 + randomBytes(1)[0]! % 254}`;
  loginKeys.push(`${redisKey('login-failures', 'addr', address)}`);
  return address;
}

async function postLogin(body: string, contentType: string, from: string): Promise<Response> {
  return fetch(`${GATEWAY}/auth/authenticate`, { method: 'POST', headers: { 'content-type': contentType, 'x-forwarded-for': from }, body });
}

/** Samples GET /health every 20 ms while `work` runs (3 s at least); returns the latencies (ms) and statuses. */
async function sampleHealth<T>(work: () => Promise<T>): Promise<{ result: T; latencies: number[]; statuses: number[] }> {
  const latencies: number[] = [];
  const statuses: number[] = [];
  let running = true;
  const since = performance.now();
  const sampler = (async () => {
    while (running || performance.now() - since < 3_000) {
      const started = performance.now();
      const response = await fetch(`${GATEWAY}/health`);
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
      statuses.push(response.status);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    const result = await work();
    return { result, latencies, statuses };
  } finally {
    running = false;
    await sampler;
  }
}

const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * 0.99))] ?? NaN;

async function rawGraphql(body: Uint8Array | string, headers: Record<string, string>): Promise<{ status: number; retryAfter: string | null; json: { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } }> {
  const response = await fetch(`${GATEWAY}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  const text = await response.text();
  let json: { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    json = { errors: [{ message: text.slice(0, 200) }] };
  }
  return { status: response.status, retryAfter: response.headers.get('retry-after'), json };
}

describe('login', { timeout: 60_000 }, () => {
  test('a form-encoded login, even with the right password, is 415 and gets no token', async () => {
    const response = await postLogin('username=registrar&password=test', 'application/x-www-form-urlencoded', testAddress());
    assert.equal(response.status, 415);
    assert.doesNotMatch(await response.text(), /token/);
  });

  test('40 concurrent wrong logins for one username: at most 10 reach auth (401), the rest 429 with Retry-After', async () => {
    const username = `edge-guess-${randomBytes(4).toString('hex')}`;
    loginKeys.push(redisKey('login-failures', 'user', createHash('sha256').update(username).digest('hex').slice(0, 32)));
    const from = testAddress();
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => postLogin(JSON.stringify({ username, password: 'wrong' }), 'application/json', from)),
    );
    const statuses = answers.map((a) => a.status);
    const reachedAuth = statuses.filter((s) => s === 401).length;
    const throttled = answers.filter((a) => a.status === 429);
    console.log(`# 40 concurrent wrong logins: ${reachedAuth} reached auth (401), ${throttled.length} refused (429)`);
    assert.ok(reachedAuth <= 10, `${reachedAuth} reached auth`);
    assert.equal(reachedAuth + throttled.length, 40, statuses.join(','));
    assert.ok(throttled.every((a) => Number(a.headers.get('retry-after')) > 0));
    // The right password for that username from a fresh address is refused too: the username is locked.
    const again = await postLogin(JSON.stringify({ username, password: 'test' }), 'application/json', testAddress());
    assert.equal(again.status, 429);
  });
});

describe('GraphQL floods', { timeout: 120_000 }, () => {
  test('an unauthenticated 490 KB gzip bomb (200,000 aliases inflated) is refused unread; /health answers meanwhile', async () => {
    const aliases = Array.from({ length: 200_000 }, (_, i) => `a${i}: __typename`).join(' ');
    const bomb = gzipSync(JSON.stringify({ query: `{ ${aliases} }` }), { level: 9 });
    console.log(`# gzip bomb: ${(bomb.length / 1000).toFixed(0)} KB compressed, ${(aliases.length / 1e6).toFixed(1)} MB inflated`);
    const { result, latencies, statuses } = await sampleHealth(() =>
      // Four clients sending the bomb five times each, one after another.
      Promise.all(Array.from({ length: 4 }, async () => {
        const answers = [];
        for (let i = 0; i < 5; i++) answers.push(await rawGraphql(bomb, { 'content-encoding': 'gzip' }));
        return answers;
      })).then((lanes) => lanes.flat()),
    );
    for (const answer of result) {
      assert.ok(answer.status === 415 || answer.status === 401, `HTTP ${answer.status}`);
      assert.ok(['UNSUPPORTED_CONTENT_ENCODING', 'UNAUTHENTICATED'].includes(String(answer.json.errors?.[0]?.extensions?.['code'])));
    }
    console.log(`# /health during the bomb: ${latencies.length} samples, p99 ${p99(latencies).toFixed(1)} ms`);
    assert.ok(latencies.length > 0 && statuses.every((s) => s === 200), statuses.join(','));
    assert.ok(p99(latencies) < 1_000, `p99 ${p99(latencies)} ms`);
  });

  test('a logged-in alias flood is refused before it runs (2,000: 413; 16: QUERY_TOO_COMPLEX); /health answers meanwhile', async () => {
    const field = (i: number) => `s${i}: fetchRecordStatus(draftId: "${randomUUID()}") { __typename }`;
    const auth = { authorization: `Bearer ${tokens['field.agent']!}` };
    const { result, latencies, statuses } = await sampleHealth(async () => {
      const query = JSON.stringify({ query: `{ ${Array.from({ length: 2_000 }, (_, i) => field(i)).join(' ')} }` });
      const flood = await Promise.all(Array.from({ length: 20 }, () => rawGraphql(query, auth)));
      const aliases = await rawGraphql(JSON.stringify({ query: `{ ${Array.from({ length: 16 }, (_, i) => field(i)).join(' ')} }` }), auth);
      return { flood, aliases };
    });
    for (const answer of result.flood) {
      assert.equal(answer.status, 413);
      assert.equal(answer.json.errors?.[0]?.extensions?.['code'], 'PAYLOAD_TOO_LARGE');
    }
    assert.equal(result.aliases.status, 400);
    assert.ok(result.aliases.json.errors?.some((e) => e.extensions?.['code'] === 'QUERY_TOO_COMPLEX' && e.extensions['limit'] === 'aliases'), JSON.stringify(result.aliases.json));
    console.log(`# /health during the alias flood: ${latencies.length} samples, p99 ${p99(latencies).toFixed(1)} ms`);
    assert.ok(latencies.length > 0 && statuses.every((s) => s === 200));
  });

  test('an anonymous 1 MB body is refused (401) and nothing changes', async () => {
    const body = JSON.stringify({ query: MUTATIONS.birth, variables: { details: { ...sampleBirth(randomUUID()), pad: 'x'.repeat(1_000_000) } } });
    const answer = await assertUnchanged(stores, env, () => rawGraphql(body, {}));
    assert.equal(answer.status, 401);
    assert.equal(answer.json.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
  });
});

describe('status visibility', { timeout: 120_000 }, () => {
  test('another user’s draft reads RecordUnknown to a field agent; its identical repeat is refused and changes nothing', async () => {
    const details = sampleBirth(randomUUID());
    const draftId = details.registration.draftId;
    const submitted = await gql(MUTATIONS.birth, { details }, tokens['registrar']);
    assert.equal(submitted.errors, undefined, JSON.stringify(submitted.errors));
    // A registrar's birth goes on to the country's validation after RecordProcessed (another
    // audit entry): wait until it is registered, so only the probe could change the stores.
    await eventually('registered', async () => (await fetchStatus(draftId, tokens['registrar']!)).registrationStatus === 'REGISTERED', 60_000);
    await eventually('the confirmation audited', async () => (await stores.audit.countDocuments({ draftId })) === 2, 30_000);
    const { recordId } = await fetchStatus(draftId, tokens['registrar']!);

    const seen = await fetchStatus(draftId, tokens['field.agent']!);
    assert.deepEqual(seen, { __typename: 'RecordUnknown', draftId });
    assert.equal((await fetchStatus(draftId, tokens['registration.agent']!)).__typename, 'RecordProcessed', 'validate sees it');

    const repeat = await assertUnchanged(stores, env, () => gql<{ createBirthRegistration: { recordId: string | null } }>(MUTATIONS.birth, { details }, tokens['field.agent']));
    assert.equal(repeat.data?.createBirthRegistration, undefined, JSON.stringify(repeat));
    assert.equal(repeat.errors?.[0]?.extensions?.['code'], 'IDEMPOTENCY_KEY_REUSED');
    assert.ok(recordId && !JSON.stringify(repeat).includes(recordId), 'the record id is not revealed');
  });
});

describe('limits on submissions', { timeout: 120_000 }, () => {
  test('past the per-user submission limit: 429 RATE_LIMITED with Retry-After, nothing changes', async () => {
    // Invalid submissions (a bad draftId) count too and write nothing; another run may share the
    // demo user's counter, so the refusal may come earlier, never later.
    const details = sampleBirth('not-a-uuid');
    let refused: Awaited<ReturnType<typeof rawGraphql>> | undefined;
    await assertUnchanged(stores, env, async () => {
      for (let i = 0; i <= SUBMISSIONS_PER_WINDOW && !refused; i++) {
        const answer = await rawGraphql(JSON.stringify({ query: MUTATIONS.birth, variables: { details } }), { authorization: `Bearer ${tokens['registration.agent']!}` });
        if (answer.status === 429) refused = answer;
        else assert.equal(answer.json.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT', JSON.stringify(answer.json));
      }
    });
    assert.ok(refused, `no 429 within ${SUBMISSIONS_PER_WINDOW + 1} submissions`);
    assert.equal(refused.json.errors?.[0]?.extensions?.['code'], 'RATE_LIMITED');
    assert.ok(Number(refused.retryAfter) >= 1, `Retry-After ${refused.retryAfter}`);
  });

  test('a record queue deeper than GATEWAY_MAX_QUEUE_DEPTH: a new submission gets 503 with Retry-After, nothing changes', async () => {
    const queue = new RecordQueue(redisOptions(redisConfig), undefined, env.RECORD_QUEUE_NAME);
    const parked: string[] = [];
    try {
      // Jobs that wait an hour: the workflow leaves them alone, the queue stays deep.
      for (let i = 0; i <= MAX_QUEUE_DEPTH; i++) {
        const draftId = randomUUID();
        const data: RecordJobData = {
          draftId, operation: 'create', event: 'birth', action: 'declare', userId: 'edge-e2e', fingerprint: 'f'.repeat(64),
          correlationId: randomUUID(), acceptedAt: new Date().toISOString(), details: {}, attachments: [],
        };
        await queue.queue.add(data.operation, data, { jobId: draftId, delay: 3_600_000 });
        parked.push(draftId);
      }
      await new Promise((resolve) => setTimeout(resolve, 1_100)); // the gateway reads the depth at most once a second
      const answer = await assertUnchanged(stores, env, () =>
        rawGraphql(JSON.stringify({ query: MUTATIONS.birth, variables: { details: sampleBirth(randomUUID()) } }), { authorization: `Bearer ${tokens['field.agent']!}` }),
      );
      assert.equal(answer.status, 503, JSON.stringify(answer.json));
      assert.equal(answer.json.errors?.[0]?.extensions?.['code'], 'SERVICE_UNAVAILABLE');
      assert.equal(answer.json.errors?.[0]?.extensions?.['reason'], 'QUEUE_FULL');
      assert.ok(Number(answer.retryAfter) >= 1, `Retry-After ${answer.retryAfter}`);
    } finally {
      for (const draftId of parked) await (await queue.getJob(draftId))?.remove();
      await queue.close();
    }
  });
});
