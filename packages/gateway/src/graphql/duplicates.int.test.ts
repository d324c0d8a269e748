/**
 * `fetchDuplicateCandidates` through the gateway (its own database, a local JWKS for tokens): a
 * reviewer (validate or register) lists a record's candidates from the stored pairs; a user
 * without those scopes is refused before anything is read; an unknown record has none.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { exportJWK, SignJWT } from 'jose';
import {
  collections,
  createLogger,
  createMongo,
  pairsOf,
  readEnv,
  storeConfigFrom,
  storeEnvSchema,
  storePairs,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type MongoClient,
  type RecordDocument,
} from '@steadfast/commons';
import { readEnvironment } from '../environment.js';
import { createGateway, type Gateway } from '../server.js';

const id = randomBytes(4).toString('hex');
const names = { MONGO_DB: `gw_dup_${id}`, RECORD_QUEUE_NAME: `gw-dup-${id}`, MINIO_STAGING_BUCKET: `gw-dup-${id}-staging` };
const config = storeConfigFrom(readEnv(storeEnvSchema, { ...process.env, ...names }));
let jwks: Server;
let gateway: Gateway;
let mongo: MongoClient;
const tokens: Record<string, string> = {};
const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];

const record = (recordId: string, n: number, extra: Partial<RecordDocument> = {}): RecordDocument => ({
  _id: recordId,
  draftId: randomUUID(),
  trackingId: `B${n}`,
  event: 'birth',
  status: n === 3 ? 'REGISTERED' : 'DECLARED',
  data: {},
  attachments: [],
  hasPotentialDuplicates: true,
  version: 2,
  createdBy: 'user-1',
  createdAt: new Date(),
  updatedAt: new Date(),
  actions: {},
  history: [],
  ...extra,
});

before(async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  for (const [who, scope] of Object.entries({ field: ['declare'], agent: ['declare', 'validate'], registrar: ['declare', 'validate', 'register', 'correct'] })) {
    tokens[who] = await new SignJWT({ scope })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
      .setSubject(`user-${who}`)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
  }
  mongo = createMongo(config.mongo);
  const db = collections(mongo.db(config.mongo.dbName));
  // a found b, then c found a (and b): three pairs, each stored once; a's own check left 4 out.
  await db.records.insertMany([record(a, 1, { duplicateOverflow: 4 }), record(b, 2), record(c, 3)]);
  await storePairs(db.duplicatePairs, pairsOf(a, [b], 'birth', new Date(Date.now() - 2_000)));
  await storePairs(db.duplicatePairs, pairsOf(c, [a, b], 'birth', new Date()));
  const env = readEnvironment({ ...process.env, ...names, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: '0', AUTH_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}` });
  gateway = await createGateway(env, createLogger('gateway', { level: 'silent' }));
});

after(async () => {
  await gateway.close();
  await mongo.db(config.mongo.dbName).dropDatabase();
  await mongo.close();
  await new Promise((resolve) => jwks.close(resolve));
});

const QUERY = `query($recordId: ID!, $first: Int) {
  fetchDuplicateCandidates(recordId: $recordId, first: $first) {
    recordId hasPotentialDuplicates hasMore overflow
    candidates { recordId trackingId registrationStatus foundAt }
  }
}`;

interface Answer {
  data?: { fetchDuplicateCandidates: { recordId: string; hasPotentialDuplicates: boolean; hasMore: boolean; overflow: number; candidates: Array<{ recordId: string; trackingId: string; registrationStatus: string; foundAt: string }> } } | null;
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }>;
}

async function ask(variables: Record<string, unknown>, token?: string): Promise<Answer> {
  const response = await gateway.server.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    payload: { query: QUERY, variables },
  });
  return JSON.parse(response.payload) as Answer;
}

test('a registrar and a registration agent list a record\'s candidates from the pairs, oldest first', async () => {
  for (const who of ['registrar', 'agent']) {
    const answer = (await ask({ recordId: a }, tokens[who])).data?.fetchDuplicateCandidates;
    assert.equal(answer?.hasPotentialDuplicates, true);
    assert.equal(answer?.overflow, 4);
    assert.equal(answer?.hasMore, false);
    assert.deepEqual(answer?.candidates.map((x) => [x.recordId, x.trackingId, x.registrationStatus]), [[b, 'B2', 'DECLARED'], [c, 'B3', 'REGISTERED']]);
  }
  const first = (await ask({ recordId: a, first: 1 }, tokens['registrar'])).data?.fetchDuplicateCandidates;
  assert.deepEqual(first?.candidates.map((x) => x.recordId), [b]);
  assert.equal(first?.hasMore, true);
  // The pair a↔c was stored by c's check: a lists it without a ever being rewritten.
  const ofB = (await ask({ recordId: b }, tokens['registrar'])).data?.fetchDuplicateCandidates;
  assert.deepEqual(ofB?.candidates.map((x) => x.recordId), [a, c]);
});

test('a user without validate or register is refused, before any record is read', async () => {
  const answer = await ask({ recordId: a }, tokens['field']);
  assert.equal(answer.data ?? null, null);
  assert.equal(answer.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  assert.equal(JSON.stringify(answer).includes('B2'), false);
  assert.equal((await ask({ recordId: a })).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
});

test('an unknown record has no candidates; a bad id or count is refused naming the field', async () => {
  const unknown = (await ask({ recordId: randomUUID() }, tokens['registrar'])).data?.fetchDuplicateCandidates;
  assert.deepEqual({ ...unknown, recordId: undefined }, { recordId: undefined, hasPotentialDuplicates: false, hasMore: false, overflow: 0, candidates: [] });
  const badId = await ask({ recordId: 'nope' }, tokens['registrar']);
  assert.equal(badId.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  assert.equal(badId.errors?.[0]?.extensions?.field, 'recordId');
  const badFirst = await ask({ recordId: a, first: 0 }, tokens['registrar']);
  assert.equal(badFirst.errors?.[0]?.extensions?.field, 'first');
});
