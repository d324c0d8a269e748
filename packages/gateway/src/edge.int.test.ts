/**
 * The public edge of `/graphql` and `/auth/authenticate`, through the gateway's real HTTP
 * listener against the real Redis and MongoDB (this test's own queue, database and rate-limit
 * users): caller before body, no compressed bodies, body size by caller, the operation limits,
 * per-user rate limits, the queue-depth bound, introspection in production, a slow upload.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { exportJWK, SignJWT } from 'jose';
import {
  createLogger,
  createRedis,
  readEnv,
  redisOptions,
  RecordQueue,
  sampleBirth,
  storeConfigFrom,
  storeEnvSchema,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type RecordJobData,
} from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { createGateway, type Gateway } from './server.js';

const id = randomBytes(4).toString('hex');
const names = { MONGO_DB: `gw_edge_${id}`, RECORD_QUEUE_NAME: `gw-edge-${id}`, MINIO_STAGING_BUCKET: `gw-edge-${id}-staging` };
const config = storeConfigFrom(readEnv(storeEnvSchema, { ...process.env, ...names }));
const logger = createLogger('gateway', { level: 'silent' });

let jwks: Server;
let authUrl: string;
let signingKey: KeyObject;
let gateway: Gateway;
let port: number;
/** Gateways started by a test, closed at the end. */
const extra: Gateway[] = [];

const mint = (userId: string, scopes: string[]): Promise<string> =>
  new SignJWT({ scope: scopes })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setSubject(userId)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(signingKey);

/** A user of this run only: rate-limit counts never carry over between runs. */
const someone = (scopes: string[]) => mint(`edge-${id}-${randomUUID().slice(0, 8)}`, scopes);

async function startGateway(env: Record<string, string> = {}): Promise<Gateway> {
  const started = await createGateway(
    readEnvironment({ ...process.env, ...names, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: '0', GATEWAY_METRICS_PORT: '0', AUTH_URL: authUrl, ...env }),
    logger,
  );
  await started.server.start();
  return started;
}

before(async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  signingKey = privateKey;
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  authUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
  gateway = await startGateway({ GATEWAY_STATUS_READS_PER_WINDOW: '5', GATEWAY_SUBMISSIONS_PER_WINDOW: '3' });
  port = gateway.server.info.port as number;
});

after(async () => {
  for (const g of [gateway, ...extra]) await g.close();
  const queue = new RecordQueue(redisOptions(config.redis), undefined, names.RECORD_QUEUE_NAME);
  await queue.queue.obliterate({ force: true });
  await queue.close();
  await new Promise((resolve) => jwks.close(resolve));
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  ms: number;
}

/**
 * One raw HTTP request: headers as given (a Content-Length that is a lie, a Content-Encoding),
 * the body written as given (possibly less than announced: the answer must not wait for it).
 */
function raw(options: { path?: string; headers: Record<string, string>; body?: Buffer | string; to?: number }): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: options.to ?? port, method: 'POST', path: options.path ?? '/graphql', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Answer['body'];
        try {
          body = JSON.parse(text) as Answer['body'];
        } catch {
          body = { errors: [{ message: text }] };
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started });
        req.destroy();
      });
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    if (options.headers['content-length'] === undefined || Buffer.byteLength(options.body ?? '') >= Number(options.headers['content-length'])) req.end();
  });
}

const json = (token: string | undefined, body: string, more: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  'content-length': String(Buffer.byteLength(body)),
  ...(token ? { authorization: `Bearer ${token}` } : {}),
  ...more,
});

const STATUS = 'query($d: ID!){ fetchRecordStatus(draftId: $d){ __typename } }';
const STATUSES = 'query($d: [ID!]!, $w: Int) { fetchRecordStatuses(draftIds: $d, waitSeconds: $w) { __typename } }';
const statusBody = (draftId = randomUUID()) => JSON.stringify({ query: STATUS, variables: { d: draftId } });
const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions?.['code'];

test('an anonymous request is refused with 401 UNAUTHENTICATED before its body is read', async () => {
  // 10 MB announced, 10 bytes sent: answered at once, so the body was never waited for.
  const answer = await raw({ headers: { 'content-type': 'application/json', 'content-length': '10000000' }, body: '{"query":"' });
  assert.equal(answer.status, 401);
  assert.equal(codeOf(answer), 'UNAUTHENTICATED', JSON.stringify(answer.body));
  assert.match(String(answer.headers['www-authenticate']), /Bearer/);
  const get = await fetch(`http://127.0.0.1:${port}/graphql?query=${encodeURIComponent('{__typename}')}`);
  assert.equal(get.status, 401, 'GET too');
});

test('a gzip body is refused unread (415), anonymous or not; a 490 KB bomb never inflates', async () => {
  const aliases = Array.from({ length: 200_000 }, (_, i) => `a${i}: __typename`).join(' ');
  const bomb = gzipSync(JSON.stringify({ query: `{ ${aliases} }` }), { level: 9 });
  const token = await someone(['declare']);
  for (const who of [undefined, token]) {
    const answer = await raw({ headers: json(who, '', { 'content-encoding': 'gzip', 'content-length': String(bomb.length) }), body: bomb });
    assert.equal(answer.status, 415, JSON.stringify(answer.body));
    assert.equal(codeOf(answer), 'UNSUPPORTED_CONTENT_ENCODING');
    assert.ok(answer.ms < 1_000, `answered in ${Math.round(answer.ms)} ms`);
  }
});

test('body size by caller: 64 KiB for one who cannot submit, and for any query; the attachment limit for a mutation', async () => {
  const admin = await someone(['sysadmin']);
  const big = await raw({ headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, 'content-length': String(100 * 1024) }, body: '{' });
  assert.equal(big.status, 413, 'refused on Content-Length alone, before the body');
  assert.equal(codeOf(big), 'PAYLOAD_TOO_LARGE');

  const agent = await someone(['declare']);
  const paddedQuery = JSON.stringify({ query: STATUS, variables: { d: randomUUID(), pad: 'x'.repeat(100 * 1024) } });
  const query = await raw({ headers: json(agent, paddedQuery), body: paddedQuery });
  assert.equal(query.status, 413, JSON.stringify(query.body).slice(0, 300));
  assert.match(query.body.errors?.[0]?.message ?? '', /a query may be at most 65536 bytes/);

  const noLength = await raw({ headers: { 'content-type': 'application/json', authorization: `Bearer ${agent}`, 'transfer-encoding': 'chunked' }, body: statusBody() });
  assert.equal(noLength.status, 411);
  assert.equal(codeOf(noLength), 'LENGTH_REQUIRED');
});

test('operation limits: aliases, root fields, tokens, depth answer 400 QUERY_TOO_COMPLEX naming the limit', async () => {
  const token = await someone(['declare', 'validate']);
  const ask = async (query: string) => {
    const body = JSON.stringify({ query });
    return raw({ headers: json(token, body), body });
  };
  const field = (i: number) => `s${i}: fetchRecordStatus(draftId: "${randomUUID()}") { __typename }`;

  const aliases = await ask(`{ ${Array.from({ length: 16 }, (_, i) => field(i)).join(' ')} }`);
  assert.equal(aliases.status, 400);
  assert.ok(aliases.body.errors?.some((e) => e.extensions?.['code'] === 'QUERY_TOO_COMPLEX' && e.extensions['limit'] === 'aliases'), JSON.stringify(aliases.body));

  const roots = await ask(`{ ${Array.from({ length: 11 }, (_, i) => `f${i}: __typename`).join(' ')} }`);
  assert.ok(roots.body.errors?.some((e) => e.extensions?.['limit'] === 'rootFields'), JSON.stringify(roots.body));

  // 2,000 aliased fetchRecordStatus (the finding: 1.4 s of work): a query over 64 KiB, refused unparsed.
  const flood = await ask(`{ ${Array.from({ length: 2_000 }, (_, i) => field(i)).join(' ')} }`);
  assert.equal(flood.status, 413, JSON.stringify(flood.body).slice(0, 300));
  assert.equal(codeOf(flood), 'PAYLOAD_TOO_LARGE');

  const started = performance.now();
  const tokens = await ask(`{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
  assert.equal(tokens.status, 400, JSON.stringify(tokens.body).slice(0, 300));
  assert.match(tokens.body.errors?.[0]?.message ?? '', /more tha[nt] 2000 tokens/);
  assert.equal(codeOf(tokens), 'QUERY_TOO_COMPLEX');
  assert.equal(tokens.body.errors?.[0]?.extensions?.['limit'], 'tokens');
  assert.ok(performance.now() - started < 1_000, 'refused while parsing, nothing executed');

  // Our schema is shallow (3 levels): a gateway with a depth limit of 1 shows the rule at work.
  const shallow = await startGateway({ GRAPHQL_MAX_DEPTH: '1' });
  extra.push(shallow);
  const deepQuery = JSON.stringify({ query: `{ fetchRecordStatus(draftId: "${randomUUID()}") { ... on RecordProcessed { recordId } } }` });
  const deep = await raw({ headers: json(token, deepQuery), body: deepQuery, to: shallow.server.info.port as number });
  assert.equal(deep.status, 400);
  assert.ok(deep.body.errors?.some((e) => e.extensions?.['code'] === 'QUERY_TOO_COMPLEX' && e.extensions['limit'] === 'depth'), JSON.stringify(deep.body));
});

test('status reads past the per-user limit: 429 RATE_LIMITED with Retry-After; another user is not affected', async () => {
  const token = await someone(['declare']);
  for (let i = 0; i < 5; i++) {
    const body = statusBody();
    const ok = await raw({ headers: json(token, body), body });
    assert.equal(ok.status, 200, `read ${i + 1}: ${JSON.stringify(ok.body)}`);
  }
  const body = statusBody();
  const refused = await raw({ headers: json(token, body), body });
  assert.equal(refused.status, 429, JSON.stringify(refused.body));
  assert.equal(codeOf(refused), 'RATE_LIMITED');
  const retryAfter = Number(refused.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${String(refused.headers['retry-after'])}`);
  const other = await someone(['declare']);
  assert.equal((await raw({ headers: json(other, body), body })).status, 200);
});

test('a refused batch status read costs Redis its count alone: none of its 100 drafts is read', async () => {
  const token = await someone(['declare']);
  for (let i = 0; i < 5; i++) assert.equal((await raw({ headers: json(token, statusBody()), body: statusBody() })).status, 200);
  const draftIds = Array.from({ length: 100 }, () => randomUUID());
  // Every command Redis runs meanwhile, from any client (MONITOR): the drafts' ids are this test's own.
  const client = createRedis(config.redis);
  const monitor = await client.monitor();
  const touched: string[] = [];
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args.some((arg) => draftIds.some((d) => arg.includes(d)))) touched.push(args.slice(0, 2).join(' '));
  });
  try {
    for (const waitSeconds of [0, 5]) {
      const body = JSON.stringify({ query: STATUSES, variables: { d: draftIds, w: waitSeconds } });
      const refused = await raw({ headers: json(token, body), body });
      assert.equal(refused.status, 429, JSON.stringify(refused.body));
      assert.equal(codeOf(refused), 'RATE_LIMITED');
    }
    await sleep(200); // MONITOR's stream trails the replies a little
    assert.deepEqual(touched, [], 'no command about any of the drafts');
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
});

test('submissions past the per-user limit: 429 RATE_LIMITED with Retry-After, before the input is looked at', async () => {
  const token = await someone(['declare']);
  const mutation = 'mutation($d: BirthRegistrationInput!){ createBirthRegistration(details: $d){ draftId } }';
  // An invalid draftId: refused by validation, so nothing is queued, but each try counts.
  const body = JSON.stringify({ query: mutation, variables: { d: sampleBirth('not-a-uuid') } });
  for (let i = 0; i < 3; i++) assert.equal(codeOf(await raw({ headers: json(token, body), body })), 'BAD_USER_INPUT');
  const refused = await raw({ headers: json(token, body), body });
  assert.equal(refused.status, 429);
  assert.equal(codeOf(refused), 'RATE_LIMITED');
  assert.ok(Number(refused.headers['retry-after']) >= 1);
});

test('a record queue deeper than GATEWAY_MAX_QUEUE_DEPTH: new submissions get 503 with Retry-After; status reads go on', async () => {
  const queueName = `gw-edge-deep-${id}`;
  const queue = new RecordQueue(redisOptions(config.redis), undefined, queueName);
  const deep = await startGateway({ RECORD_QUEUE_NAME: queueName, GATEWAY_MAX_QUEUE_DEPTH: '2' });
  extra.push(deep);
  try {
    const job = (draftId: string): RecordJobData => ({
      draftId, operation: 'create', event: 'birth', action: 'declare', userId: 'u', fingerprint: 'a'.repeat(64),
      correlationId: randomUUID(), acceptedAt: new Date().toISOString(), details: {}, attachments: [],
    });
    for (let i = 0; i < 3; i++) await queue.add(job(randomUUID()));
    const token = await someone(['declare']);
    const body = JSON.stringify({ query: 'mutation($d: BirthRegistrationInput!){ createBirthRegistration(details: $d){ draftId } }', variables: { d: sampleBirth(randomUUID()) } });
    const refused = await raw({ headers: json(token, body), body, to: deep.server.info.port as number });
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(codeOf(refused), 'SERVICE_UNAVAILABLE');
    assert.equal(refused.body.errors?.[0]?.extensions?.['reason'], 'QUEUE_FULL');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.equal(await queue.queue.count(), 3, 'nothing queued');
    const read = statusBody();
    assert.equal((await raw({ headers: json(token, read), body: read, to: deep.server.info.port as number })).status, 200);
  } finally {
    await queue.queue.obliterate({ force: true });
    await queue.close();
  }
});

test('in production: no introspection, no field suggestions', async () => {
  // Production refuses the local MinIO keys; this test never reaches MinIO, so any others do.
  const prod = await startGateway({ NODE_ENV: 'production', MINIO_ACCESS_KEY: 'edge-test-access', MINIO_SECRET_KEY: 'edge-test-secret-not-used' });
  extra.push(prod);
  const token = await someone(['declare']);
  for (const [query, unwanted] of [
    ['{ __schema { types { name } } }', /__schema/],
    ['{ fetchRecordStatu(draftId: "x") { __typename } }', /Did you mean/],
  ] as const) {
    const body = JSON.stringify({ query });
    const answer = await raw({ headers: json(token, body), body, to: prod.server.info.port as number });
    assert.equal(answer.body.data ?? undefined, undefined, JSON.stringify(answer.body));
    if (unwanted.source === '__schema') assert.match(answer.body.errors?.[0]?.message ?? '', /introspection/i);
    else assert.doesNotMatch(JSON.stringify(answer.body), unwanted);
  }
});

test('login: anything but JSON is 415 and never reaches auth; a bad JSON body is 400', async () => {
  const form = await raw({ path: '/auth/authenticate', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '29' }, body: 'username=registrar&password=x' });
  assert.equal(form.status, 415);
  const bad = '{"username": 3}';
  const badJson = await raw({ path: '/auth/authenticate', headers: { 'content-type': 'application/json', 'content-length': String(bad.length) }, body: bad });
  assert.equal(badJson.status, 400);
});

test('a 5 MiB attachment sent at 2 Mbit/s (250 KB/s, ~30 s) is read to the end, not cut at a timeout', { timeout: 90_000 }, async () => {
  const token = await someone(['declare']);
  // A PNG signature then random bytes: 5 MiB decoded. The draftId is invalid, so once the whole
  // body is read the answer is a validation error, and nothing is staged or queued.
  const bytes = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(5 * 1024 * 1024 - 8)]);
  const details = sampleBirth('not-a-uuid', { attachments: [{ type: 'BIRTH_NOTIFICATION', subject: 'CHILD', contentType: 'image/png', data: bytes.toString('base64') }] });
  const body = Buffer.from(JSON.stringify({ query: 'mutation($d: BirthRegistrationInput!){ createBirthRegistration(details: $d){ draftId } }', variables: { d: details } }));
  const head =
    `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  const started = performance.now();
  const socket = connect(port, '127.0.0.1');
  const reply: Buffer[] = [];
  socket.on('data', (c: Buffer) => reply.push(c));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(head);
  const perTick = 25_000; // 250 KB/s in 100 ms ticks
  for (let sent = 0; sent < body.length && !socket.destroyed; sent += perTick) {
    socket.write(body.subarray(sent, sent + perTick));
    await sleep(100);
  }
  await closed;
  const seconds = (performance.now() - started) / 1000;
  const text = Buffer.concat(reply).toString('utf8');
  const statusLine = text.split('\r\n')[0] ?? '';
  assert.ok(seconds > 25, `the upload took ${seconds.toFixed(1)} s`);
  assert.match(statusLine, /^HTTP\/1\.1 200/, `${statusLine} after ${seconds.toFixed(1)} s: ${text.slice(0, 400)}`);
  assert.match(text, /BAD_USER_INPUT/);
  console.log(`# ${(body.length / 1e6).toFixed(1)} MB body at 250 KB/s read in full in ${seconds.toFixed(1)} s`);
});
