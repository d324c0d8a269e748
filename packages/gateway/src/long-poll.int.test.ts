/**
 * `fetchRecordStatus(draftId, waitSeconds)` against the real Redis and MongoDB, under this test's
 * own queue and database, through the gateway's real HTTP listener. The jobs are driven by a
 * BullMQ worker of the test's own that holds each job until the test says complete or fail.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, SignJWT } from 'jose';
import {
  collections,
  createLogger,
  createMongo,
  createRedis,
  readEnv,
  recordIdFor,
  redisOptions,
  registerRecordWorker,
  RecordQueue,
  storeConfigFrom,
  storeEnvSchema,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type RecordJob,
  type RecordJobData,
  type RecordJobResult,
  type RetryPolicy,
} from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { LongPoll, watchRecordEvents } from './long-poll.js';
import { createGateway, type Gateway } from './server.js';
import { StatusReader } from './status.js';
import { StatusWaiters } from './waiters.js';

const id = randomBytes(4).toString('hex');
const queueName = `gw-lp-${id}`;
const names = { MONGO_DB: `gw_lp_${id}`, RECORD_QUEUE_NAME: queueName, MINIO_STAGING_BUCKET: `gw-lp-${id}-staging` };
const config = storeConfigFrom(readEnv(storeEnvSchema, { ...process.env, ...names }));
const logger = createLogger('gateway', { level: 'silent' });
/** A failed attempt is retried 2-4 s later: long after a test has seen the failure. */
const policy: RetryPolicy = { attempts: 3, backoffMs: 4_000, backoffMaxMs: 4_000 };

let jwks: Server;
let authUrl: string;
let token: string;
let signingKey: KeyObject;
let mongo: ReturnType<typeof createMongo>;
let queue: RecordQueue;
let worker: ReturnType<typeof registerRecordWorker>;
let gateway: Gateway;
let url: string;

/** What the test tells a held job attempt to do. */
type Verdict = 'complete' | 'complete-with-view' | 'complete-awaiting-country' | 'fail';
const gates = new Map<string, { verdict: Promise<Verdict>; decide: (v: Verdict) => void }>();
function gate(draftId: string) {
  let entry = gates.get(draftId);
  if (!entry) {
    let decide: (v: Verdict) => void = () => undefined;
    const verdict = new Promise<Verdict>((resolve) => (decide = resolve));
    entry = { verdict, decide };
    gates.set(draftId, entry);
  }
  return entry;
}

/** Completes a job as the workflow does: record and draft outcome in MongoDB, then done. */
async function processJob(job: RecordJob): Promise<RecordJobResult> {
  const { draftId } = job.data;
  const verdict = await gate(draftId).verdict;
  if (verdict === 'fail') {
    gates.delete(draftId); // the retry waits for a new verdict
    throw new Error('search step failed: Elasticsearch unreachable (test)');
  }
  const recordId = recordIdFor(draftId);
  const db = mongo.db(config.mongo.dbName);
  await db.collection<{ _id: string }>('records').updateOne(
    { _id: recordId },
    { $setOnInsert: { draftId, trackingId: `T${draftId.slice(0, 6)}`, status: 'DECLARED', hasPotentialDuplicates: false, actions: {} } },
    { upsert: true },
  );
  await collections(db).drafts.updateOne(
    { _id: draftId },
    { $setOnInsert: { operation: 'create', fingerprint: job.data.fingerprint, decidedAt: new Date(), status: 'processed', recordId } },
    { upsert: true },
  );
  if (verdict === 'complete-with-view') {
    // What the workflow's result says the record was when the job ended; here unlike MongoDB's
    // copy, so an answer shows which one it came from.
    return { outcome: 'processed', recordId, record: { trackingId: 'TVIEW01', hasPotentialDuplicates: true, registrationStatus: 'VALIDATED', registrationNumber: null } };
  }
  if (verdict === 'complete-awaiting-country') {
    return { outcome: 'processed', recordId, record: { trackingId: 'TVIEW02', hasPotentialDuplicates: false, registrationStatus: 'WAITING_EXTERNAL_VALIDATION', registrationNumber: null } };
  }
  return { outcome: 'processed', recordId };
}

const jobData = (draftId: string): RecordJobData => ({
  draftId,
  operation: 'create',
  event: 'birth',
  action: 'declare',
  userId: 'user-1',
  fingerprint: 'a'.repeat(64),
  correlationId: randomUUID(),
  acceptedAt: new Date().toISOString(),
  details: {},
  attachments: [],
});

/** Queues a draft and waits until the worker holds it (active, awaiting its verdict). */
async function inFlight(): Promise<string> {
  const draftId = randomUUID();
  await queue.add(jobData(draftId));
  for (let i = 0; i < 100; i++) {
    if ((await (await queue.getJob(draftId))?.getState()) === 'active') return draftId;
    await sleep(50);
  }
  return assert.fail(`job ${draftId} did not become active`);
}

before(async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  authUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
  signingKey = privateKey;
  token = await mint('user-1', ['declare']);

  mongo = createMongo(config.mongo);
  queue = new RecordQueue(redisOptions(config.redis), policy, queueName);
  worker = registerRecordWorker(processJob, { connection: redisOptions(config.redis), logger, policy, queueName, concurrency: 16 });
  gateway = await startGateway();
  url = gateway.server.info.uri;
});

after(async () => {
  for (const entry of gates.values()) entry.decide('complete');
  await gateway.close();
  await worker.close();
  await queue.queue.obliterate({ force: true });
  await queue.close();
  await mongo.db(config.mongo.dbName).dropDatabase();
  await mongo.close();
  await new Promise((resolve) => jwks.close(resolve));
});

/** A login token of `userId` with `scopes`, signed by this test's key. */
const mint = (userId: string, scopes: string[]): Promise<string> =>
  new SignJWT({ scope: scopes })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setSubject(userId)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(signingKey);

async function startGateway(): Promise<Gateway> {
  const env = readEnvironment({ ...process.env, ...names, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: '0', AUTH_URL: authUrl });
  const started = await createGateway(env, logger);
  await started.server.start();
  return started;
}

const STATUS = `query($draftId: ID!, $waitSeconds: Int) {
  fetchRecordStatus(draftId: $draftId, waitSeconds: $waitSeconds) {
    __typename
    ... on RecordProcessing { attempts step lastError }
    ... on RecordProcessed { recordId trackingId registrationStatus hasPotentialDuplicates }
  }
}`;

interface StatusAnswer {
  status?: {
    __typename: string;
    attempts?: number;
    lastError?: string | null;
    recordId?: string;
    trackingId?: string;
    registrationStatus?: string;
    hasPotentialDuplicates?: boolean;
  };
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string; rule?: string } }>;
  /** When the answer came (`performance.now()`) and how long it took. */
  at: number;
  ms: number;
}

async function fetchStatus(
  draftId: string,
  waitSeconds?: number,
  options: { base?: string; signal?: AbortSignal; token?: string } = {},
): Promise<StatusAnswer> {
  const started = performance.now();
  const response = await fetch(`${options.base ?? url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token ?? token}` },
    body: JSON.stringify({ query: STATUS, variables: { draftId, ...(waitSeconds === undefined ? {} : { waitSeconds }) } }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const body = (await response.json()) as { data?: { fetchRecordStatus: StatusAnswer['status'] } | null; errors?: StatusAnswer['errors'] };
  const at = performance.now();
  return { ...(body.data ? { status: body.data.fetchRecordStatus } : {}), ...(body.errors ? { errors: body.errors } : {}), at, ms: at - started };
}

/** Resolves with 'pending' if `promise` has not settled within `ms`. */
const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> =>
  Promise.race([promise, sleep(ms).then(() => 'pending' as const)]);

async function longPollCount(gw: Gateway, outcome: string): Promise<number> {
  const text = (await gw.metricsServer.inject({ method: 'GET', url: '/metrics' })).payload;
  const match = new RegExp(`^steadfast_status_long_polls_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)$`, 'm').exec(text);
  return Number(match?.[1] ?? 0);
}

test('a long-poll on a draft in flight answers RecordProcessed within a second of its job completing', async () => {
  const draftId = await inFlight();
  const poll = fetchStatus(draftId, 20);
  assert.equal(await within(poll, 500), 'pending', 'held while the job runs');
  const completedAt = performance.now();
  gate(draftId).decide('complete');
  const answer = await poll;
  assert.equal(answer.status?.__typename, 'RecordProcessed', JSON.stringify(answer));
  assert.equal(answer.status?.recordId, recordIdFor(draftId));
  assert.ok(answer.at - completedAt < 1_000, `answered ${Math.round(answer.at - completedAt)} ms after the job completed`);

  const again = await fetchStatus(draftId, 20);
  assert.equal(again.status?.__typename, 'RecordProcessed', 'a decided draft answers at once');
  assert.ok(again.ms < 1_000);
});

test('a held long-poll is answered from the record as the job left it (its result), without reading MongoDB; a later request reads MongoDB', async () => {
  const draftId = await inFlight();
  const poll = fetchStatus(draftId, 20);
  assert.equal(await within(poll, 500), 'pending', 'held while the job runs');
  gate(draftId).decide('complete-with-view');
  const answer = await poll;
  assert.equal(answer.status?.__typename, 'RecordProcessed', JSON.stringify(answer));
  assert.equal(answer.status?.recordId, recordIdFor(draftId));
  assert.equal(answer.status?.trackingId, 'TVIEW01');
  assert.equal(answer.status?.registrationStatus, 'VALIDATED');
  assert.equal(answer.status?.hasPotentialDuplicates, true);

  const later = await fetchStatus(draftId, 0);
  assert.equal(later.status?.__typename, 'RecordProcessed');
  assert.equal(later.status?.trackingId, `T${draftId.slice(0, 6)}`, 'a request not held reads the record');
  assert.equal(later.status?.registrationStatus, 'DECLARED');

  // A record awaiting the country's answer, which may have come while the job ended: MongoDB.
  const awaiting = await inFlight();
  const held = fetchStatus(awaiting, 20);
  assert.equal(await within(held, 500), 'pending');
  gate(awaiting).decide('complete-awaiting-country');
  assert.equal((await held).status?.trackingId, `T${awaiting.slice(0, 6)}`);
});

test('a long-poll with no job activity answers RecordProcessing when its wait elapses', async () => {
  const draftId = await inFlight();
  const answer = await fetchStatus(draftId, 1);
  assert.equal(answer.status?.__typename, 'RecordProcessing', JSON.stringify(answer));
  assert.equal(answer.status?.attempts, 0);
  assert.ok(answer.ms >= 950 && answer.ms < 3_000, `answered after ${Math.round(answer.ms)} ms`);

  // Without waitSeconds, or with 0, nothing changes: the status at once.
  for (const waitSeconds of [undefined, 0]) {
    const atOnce = await fetchStatus(draftId, waitSeconds);
    assert.equal(atOnce.status?.__typename, 'RecordProcessing');
    assert.ok(atOnce.ms < 500, `answered after ${Math.round(atOnce.ms)} ms`);
  }
  gate(draftId).decide('complete');
});

test('a failed attempt that will be retried ends the wait: RecordProcessing with attempts and lastError', async () => {
  const draftId = await inFlight();
  const poll = fetchStatus(draftId, 20);
  assert.equal(await within(poll, 500), 'pending');
  const failedAt = performance.now();
  gate(draftId).decide('fail');
  const answer = await poll;
  assert.equal(answer.status?.__typename, 'RecordProcessing', JSON.stringify(answer));
  assert.equal(answer.status?.attempts, 1);
  assert.match(answer.status?.lastError ?? '', /Elasticsearch unreachable/);
  assert.ok(answer.at - failedAt < 1_000, `answered ${Math.round(answer.at - failedAt)} ms after the attempt failed`);
  gate(draftId).decide('complete');
});

test('unknown drafts answer at once, even asked to wait', async () => {
  const answer = await fetchStatus(randomUUID(), 30);
  assert.equal(answer.status?.__typename, 'RecordUnknown');
  assert.ok(answer.ms < 1_000);
});

test('waitSeconds outside 0..30 is BAD_USER_INPUT naming waitSeconds and the rule', async () => {
  for (const [waitSeconds, rule] of [
    [31, 'max 30'],
    [-1, 'min 0'],
  ] as const) {
    const answer = await fetchStatus(randomUUID(), waitSeconds);
    assert.equal(answer.status, undefined);
    const error = answer.errors?.[0];
    assert.equal(error?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(answer.errors));
    assert.equal(error?.extensions?.field, 'waitSeconds');
    assert.equal(error?.extensions?.rule, rule);
    assert.match(error?.message ?? '', /waitSeconds: must be 0 \(answer at once\) to 30 seconds/);
  }
});

test('a job that completes between registering the waiter and the first read still wakes it', async () => {
  const draftId = await inFlight();
  const waiters = new StatusWaiters(10);
  const events = watchRecordEvents(queueName, createRedis(config.redis, { maxRetriesPerRequest: null }), waiters, logger);
  try {
    await events.waitUntilReady();
    const reader = new StatusReader(collections(mongo.db(config.mongo.dbName)), queue, logger);
    const viewer = { userId: 'user-1', scopes: ['declare'] };
    let firstRead = true;
    // The first look sees the job in flight; before that answer is used, the job completes and
    // this gateway receives the event: a waiter registered only after the read would miss it.
    const racing = {
      status: (draft: string) => reader.status(draft, viewer),
      unlessInFlight: async (draft: string) => {
        const status = await reader.unlessInFlight(draft, viewer);
        if (firstRead) {
          firstRead = false;
          assert.equal(status, undefined, 'in flight');
          // Listened after the gateway's own listener, so when this hears the event, it woke.
          const delivered = new Promise<void>((resolve) => {
            const heard = ({ jobId }: { jobId: string }) => {
              if (jobId !== draft) return;
              events.off('completed', heard);
              resolve();
            };
            events.on('completed', heard);
          });
          gate(draft).decide('complete');
          await delivered;
        }
        return status;
      },
    };
    const started = performance.now();
    const status = await new LongPoll(racing, waiters).status(draftId, 10_000, viewer);
    assert.equal(status.__typename, 'RecordProcessed');
    assert.ok(performance.now() - started < 2_000, 'woken, not timed out');
    assert.equal(waiters.size, 0);
  } finally {
    await events.close();
  }
});

test('a client that goes away releases its waiter', async () => {
  const draftId = await inFlight();
  const before = await longPollCount(gateway, 'aborted');
  const client = new AbortController();
  const poll = fetchStatus(draftId, 30, { signal: client.signal }).catch((error: unknown) => error);
  await sleep(300);
  client.abort();
  assert.ok((await poll) instanceof Error);
  let released = false;
  for (let i = 0; i < 40 && !released; i++) {
    released = (await longPollCount(gateway, 'aborted')) === before + 1;
    if (!released) await sleep(50);
  }
  assert.ok(released, 'the waiter ended as aborted');
  gate(draftId).decide('complete');
});

test('stopping the gateway answers its held long-polls at once; /graphql has no route or socket timeout', async () => {
  const settings = gateway.server.match('POST', '/graphql')?.settings;
  assert.deepEqual(settings?.timeout, { server: false, socket: false });

  const draftId = await inFlight();
  const stopping = await startGateway();
  const poll = fetchStatus(draftId, 30, { base: stopping.server.info.uri });
  assert.equal(await within(poll, 500), 'pending');
  const closedAt = performance.now();
  await stopping.close();
  const answer = await poll;
  assert.equal(answer.status?.__typename, 'RecordProcessing', JSON.stringify(answer));
  assert.ok(answer.at - closedAt < 3_000, `answered ${Math.round(answer.at - closedAt)} ms after stop began`);
  gate(draftId).decide('complete');
});

const STATUSES = `query($draftIds: [ID!]!, $waitSeconds: Int) {
  fetchRecordStatuses(draftIds: $draftIds, waitSeconds: $waitSeconds) {
    __typename
    ... on RecordProcessing { draftId attempts }
    ... on RecordProcessed { draftId recordId }
    ... on RecordUnknown { draftId }
  }
}`;

interface StatusesAnswer {
  statuses?: Array<{ __typename: string; draftId: string; recordId?: string }>;
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }>;
  at: number;
  ms: number;
}

async function fetchStatuses(draftIds: string[], waitSeconds?: number, as = token): Promise<StatusesAnswer> {
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${as}` },
    body: JSON.stringify({ query: STATUSES, variables: { draftIds, ...(waitSeconds === undefined ? {} : { waitSeconds }) } }),
  });
  const body = (await response.json()) as { data?: { fetchRecordStatuses: StatusesAnswer['statuses'] } | null; errors?: StatusesAnswer['errors'] };
  const at = performance.now();
  return { ...(body.data ? { statuses: body.data.fetchRecordStatuses } : {}), ...(body.errors ? { errors: body.errors } : {}), at, ms: at - started };
}

test('fetchRecordStatuses holds while every draft is in flight and answers all, in order, when one completes', async () => {
  const drafts = [await inFlight(), await inFlight(), await inFlight()];
  const poll = fetchStatuses(drafts, 20);
  assert.equal(await within(poll, 500), 'pending', 'held while all three run');
  const completedAt = performance.now();
  gate(drafts[1] as string).decide('complete');
  const answer = await poll;
  assert.deepEqual(answer.statuses?.map((s) => [s.draftId, s.__typename]), [
    [drafts[0], 'RecordProcessing'],
    [drafts[1], 'RecordProcessed'],
    [drafts[2], 'RecordProcessing'],
  ]);
  assert.ok(answer.at - completedAt < 1_000, `answered ${Math.round(answer.at - completedAt)} ms after the job completed`);
  for (const draftId of drafts) gate(draftId).decide('complete');
});

test('fetchRecordStatuses answers at once when one draft is already decided or unknown', async () => {
  const running = await inFlight();
  const answer = await fetchStatuses([running, randomUUID()], 20);
  assert.deepEqual(answer.statuses?.map((s) => s.__typename), ['RecordProcessing', 'RecordUnknown']);
  assert.ok(answer.ms < 1_000, `answered after ${Math.round(answer.ms)} ms`);
  gate(running).decide('complete');
});

test('fetchRecordStatuses takes at most 100 draftIds, each a UUID', async () => {
  const many = await fetchStatuses(Array.from({ length: 101 }, () => randomUUID()));
  assert.equal(many.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(many.errors));
  assert.equal(many.errors?.[0]?.extensions?.field, 'draftIds');
  const bad = await fetchStatuses([randomUUID(), 'not-a-uuid']);
  assert.equal(bad.errors?.[0]?.extensions?.field, 'draftIds.1', JSON.stringify(bad.errors));
  const hundred = await fetchStatuses(Array.from({ length: 100 }, () => randomUUID()));
  assert.equal(hundred.statuses?.length, 100);
});

test('a status is RecordUnknown to another user without validate, register or sysadmin; they see it', async () => {
  const other = await mint('user-2', ['declare']);
  const registrar = await mint('user-3', ['declare', 'validate', 'register', 'correct']);
  const draftId = await inFlight();
  // In flight: answered at once, as for a draft never received (never held: that would tell).
  const hidden = await fetchStatus(draftId, 20, { token: other });
  assert.equal(hidden.status?.__typename, 'RecordUnknown', JSON.stringify(hidden));
  assert.ok(hidden.ms < 1_000, `answered after ${Math.round(hidden.ms)} ms`);
  assert.equal((await fetchStatuses([draftId], 0, other)).statuses?.[0]?.__typename, 'RecordUnknown');
  assert.equal((await fetchStatus(draftId, 0, { token: registrar })).status?.__typename, 'RecordProcessing');

  gate(draftId).decide('complete');
  await fetchStatus(draftId, 20);
  assert.equal((await fetchStatus(draftId, 0, { token: other })).status?.__typename, 'RecordUnknown', 'processed, still hidden');
  assert.equal((await fetchStatus(draftId, 0, { token: registrar })).status?.__typename, 'RecordProcessed');
  assert.equal((await fetchStatus(draftId)).status?.__typename, 'RecordProcessed', 'its submitter');
});

test('a processed draft whose job is gone: visible to its submitter (from the record), not to others', async () => {
  const draftId = await inFlight();
  gate(draftId).decide('complete');
  await fetchStatus(draftId, 20);
  // The record names who acted under this draftId; the completed job is removed.
  const db = mongo.db(config.mongo.dbName);
  await db.collection<{ _id: string }>('records').updateOne({ _id: recordIdFor(draftId) }, { $set: { [`actions.${draftId}.userId`]: 'user-1' } });
  await (await queue.getJob(draftId))?.remove();
  assert.equal((await fetchStatus(draftId)).status?.__typename, 'RecordProcessed');
  const other = await mint('user-2', ['declare']);
  assert.equal((await fetchStatus(draftId, 0, { token: other })).status?.__typename, 'RecordUnknown');
});
