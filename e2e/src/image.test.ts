/**
 * The image without a Docker engine: what the Dockerfile puts in it is assembled in a temporary
 * folder by the same script (infrastructure/image/image.sh: stage, then production dependencies
 * only), every service is started from there with the image's entrypoint, NODE_ENV=production
 * and production secrets, a user is created with the users command, and one submission goes end
 * to end. MinIO is a server of the test's own (production refuses the local development keys);
 * the other stores are the local ones under isolated names.
 */
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { recordIdFor, sampleBirth } from '@steadfast/commons';
import { SERVICES, serviceUrl } from '@steadfast/launcher';
import { GATEWAY, fetchStatus, gql, isolatedStores, MUTATIONS, storesOf, type Status } from './client.js';
import { E2E_PORTS, eventually, REPO_ROOT } from './support.js';

const run = promisify(execFile);
const IMAGE_SH = join(REPO_ROOT, 'infrastructure', 'image', 'image.sh');
const base = Number(process.env['E2E_PORT_BASE'] ?? 27070);
const MINIO_PORT = base + 120;
const LOGS = join(REPO_ROOT, '.data', 'logs', 'e2e-image');

/**
 * Every secret a production deployment must set, in one place (names from the auth work:
 * AUTH_PRIVATE_KEY, AUTH_INTERNAL_SECRET, COUNTRY_CONFIG_SECRET, and MinIO keys that are not the
 * development ones). Fresh values each run.
 */
function productionSecrets(): Record<string, string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    AUTH_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    AUTH_INTERNAL_SECRET: randomBytes(32).toString('base64url'),
    COUNTRY_CONFIG_SECRET: randomBytes(32).toString('base64url'),
    MINIO_ACCESS_KEY: `steadfast-${randomBytes(6).toString('hex')}`,
    MINIO_SECRET_KEY: randomBytes(24).toString('base64url'),
  };
}

const secrets = productionSecrets();
const names = isolatedStores();
/** Where the local stores listen, when the run moved them (e.g. CI on other ports); MinIO is the test's own. */
const storeAddresses = Object.fromEntries(
  ['REDIS_HOST', 'REDIS_PORT', 'MONGO_URL', 'MONGO_PORT', 'ES_URL', 'ES_PORT'].flatMap((name) => {
    const value = process.env[name];
    return value ? [[name, value]] : [];
  }),
);
const env: Record<string, string> = {
  ...storeAddresses,
  ...E2E_PORTS,
  ...names,
  ...secrets,
  MINIO_PORT: String(MINIO_PORT),
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  COUNTRY_CONFIG_DECISION_DELAY_MS: '100',
};
for (const spec of SERVICES) env[spec.urlVar] = serviceUrl(spec, env);
const stores = storesOf(env);

let stage: string;
let minioData: string;
let minio: ChildProcess | undefined;
const services: ChildProcess[] = [];

function childEnv(): NodeJS.ProcessEnv {
  // Only what a container would have: PATH and the deployment's variables, no development leftovers.
  return { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env };
}

async function startMinio(): Promise<void> {
  const binary = join(process.env['STEADFAST_CACHE'] ?? join(homedir(), '.cache', 'steadfast'), 'bin', 'minio');
  assert.ok(existsSync(binary), `MinIO is installed by npm run setup at ${binary}`);
  minioData = mkdtempSync(join(tmpdir(), 'steadfast-image-minio-'));
  minio = spawn(binary, ['server', minioData, '--quiet', '--address', `127.0.0.1:${MINIO_PORT}`], {
    env: { ...process.env, MINIO_ROOT_USER: secrets['MINIO_ACCESS_KEY'], MINIO_ROOT_PASSWORD: secrets['MINIO_SECRET_KEY'], MINIO_UPDATE: 'off', MINIO_BROWSER: 'off' },
    stdio: 'ignore',
  });
  await eventually('MinIO up', async () => (await fetch(`http://127.0.0.1:${MINIO_PORT}/minio/health/live`)).ok, 30_000);
}

/** The image's entrypoint, as `docker run <image> <service>` runs it. */
async function startService(service: string): Promise<void> {
  const spec = SERVICES.find((s) => s.name === service);
  assert.ok(spec);
  mkdirSync(LOGS, { recursive: true });
  const child = spawn('bash', ['infrastructure/image/start.sh', service], { cwd: stage, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(join(LOGS, `${service}.log`), { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  services.push(child);
  const url = serviceUrl(spec, env);
  await eventually(`${service} answers /health (see ${LOGS}/${service}.log)`, async () => {
    assert.equal(child.exitCode, null, `${service} exited with ${child.exitCode}`);
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })).ok;
  }, 60_000);
}

/** `npm run --silent users -- add …` in the staged folder, the password on standard input. */
async function addUser(username: string, password: string): Promise<void> {
  const args = ['run', '--silent', 'users', '--', 'add', '--username', username, '--name', 'Image Test', '--office', 'HQ', '--scopes', 'declare,validate,register'];
  const child = spawn('npm', args, { cwd: stage, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  child.stdin.end(`${password}\n`);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `users add: ${output.slice(0, 500)}`);
}

async function login(username: string, password: string): Promise<string> {
  const response = await fetch(`${GATEWAY}/auth/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(response.status, 200, `login of ${username}`);
  return ((await response.json()) as { token: string }).token;
}

before(async () => {
  stage = mkdtempSync(join(tmpdir(), 'steadfast-image-'));
  await startMinio();
});

after(async () => {
  for (const child of services.reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(20_000).then(() => child.kill('SIGKILL'))]);
  }
  await stores.drop();
  await stores.close();
  if (minio && minio.exitCode === null && minio.signalCode === null) {
    const exited = new Promise((resolve) => minio?.once('exit', resolve));
    minio.kill('SIGTERM');
    await exited;
  }
  if (minioData) rmSync(minioData, { recursive: true, force: true, maxRetries: 5 });
  if (stage) rmSync(stage, { recursive: true, force: true });
});

test('the Dockerfile builds, stages and installs with image.sh, and starts services with its entrypoint', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /image\.sh build\b/);
  assert.match(dockerfile, /image\.sh stage \/out\b/);
  assert.match(dockerfile, /image\.sh install\b/);
  assert.match(dockerfile, /ENTRYPOINT \["bash", "infrastructure\/image\/start\.sh"\]/);
  // The build stage copies every package folder (no per-package list to forget one in).
  assert.match(dockerfile, /^COPY packages packages$/m);
  // The dependency patches are there before `npm ci` runs the root postinstall (patch-package).
  assert.ok(dockerfile.indexOf('COPY patches patches') >= 0 && dockerfile.indexOf('COPY patches patches') < dockerfile.indexOf('image.sh build'), 'the build stage copies patches/ before image.sh build');
  const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const needed of ['packages', 'package.json', 'package-lock.json', 'infrastructure/image', 'e2e', 'patches']) {
    assert.ok(!ignored.includes(needed), `.dockerignore keeps ${needed}`);
  }
});

test('every service package of the repository is in the image list', async () => {
  const { stdout } = await run('bash', [IMAGE_SH, 'packages']);
  const listed = stdout.trim().split('\n');
  const workspaces = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
  // Every workspace with a service entry point (dist/main.js from src/main.ts) except the
  // development-only ones: the launcher (npm start) and the bench.
  const services = workspaces.filter((w) => existsSync(join(REPO_ROOT, w, 'src', 'main.ts'))).map((w) => w.replace(/^packages\//, ''));
  const devOnly = ['launcher', 'bench'];
  for (const service of services.filter((s) => !devOnly.includes(s))) assert.ok(listed.includes(service), `${service} is in image.sh's PACKAGES`);
  assert.ok(listed.includes('events'), 'events (the relay and projections) is in the image');
  const { stdout: startable } = await run('bash', [IMAGE_SH, 'services']);
  assert.deepEqual(startable.trim().split('\n').sort(), SERVICES.map((s) => s.name).sort(), 'the image starts every service the launcher knows');
});

test('assembled like the image, production dependencies only, every service starts in production and a submission goes end to end', { timeout: 420_000 }, async () => {
  // The build stage's output (`image.sh build` is `npm ci` + `tsc -b` of the listed packages,
  // done by npm test's type-check already) staged and installed as the runtime stage does.
  await run('bash', [IMAGE_SH, 'stage', stage], { cwd: REPO_ROOT });
  await run('bash', [IMAGE_SH, 'install'], { cwd: stage, env: { ...process.env, NODE_ENV: 'production' }, timeout: 300_000 });
  // Production dependencies only: no compiler, no test runner helpers, no launcher or e2e.
  for (const absent of ['typescript', 'eslint', 'lerna', '@steadfast/launcher', '@steadfast/bench']) {
    assert.ok(!existsSync(join(stage, 'node_modules', absent)), `${absent} is not in the image`);
  }
  assert.ok(!existsSync(join(stage, 'packages', 'gateway', 'src')), 'no TypeScript sources in the image');
  // Every dependency patch of patches/ applied by the install, as in the source tree.
  for (const patch of readdirSync(join(REPO_ROOT, 'patches'))) {
    const changed = [...readFileSync(join(REPO_ROOT, 'patches', patch), 'utf8').matchAll(/^\+\+\+ b\/(.+)$/gm)].map((m) => m[1]!);
    for (const file of changed) assert.match(readFileSync(join(stage, file), 'utf8'), /Patched \(Steadfast/, `${file} is patched in the image (${patch})`);
  }

  const username = `image.${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  await addUser(username, password);

  for (const service of ['auth', 'config', 'workflow', 'events', 'gateway']) await startService(service);
  const health = await fetch(`${GATEWAY}/health`);
  assert.equal(health.status, 200, `gateway /health: ${await health.text()}`);
  const token = await login(username, password);

  const details = sampleBirth(randomUUID());
  const draftId = details.registration.draftId;
  const result = await gql(MUTATIONS.birth, { details }, token);
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  let status: Status | undefined;
  await eventually('the submission is processed', async () => {
    status = await fetchStatus(draftId, token);
    return status.__typename === 'RecordProcessed';
  }, 90_000);
  assert.equal(status?.recordId, recordIdFor(draftId));
  assert.equal(await stores.records.countDocuments({ draftId }), 1, 'one record in MongoDB');
  assert.ok((await stores.audit.countDocuments({ draftId })) >= 1, 'audited');
  assert.equal(await stores.duplicateAuditEntries(), 0, 'one audit entry per action');
  assert.equal(await stores.searchCount({ ids: { values: [recordIdFor(draftId)] } }), 1, 'one search document');
  assert.ok((await stores.attachments(`${recordIdFor(draftId)}/`)).length >= 1, 'the attachment in MinIO under the record');
});
