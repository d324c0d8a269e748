/**
 * docker-compose.yml against the Compose Specification's JSON schema, the one the compose-go
 * module (what Docker Compose loads files with) embeds at the version pinned in
 * infrastructure/compose-schema/go.mod, after interpolating variables the way Compose does;
 * then what production needs of the file: one image for every service, nothing that stops a
 * service from scaling, a replica set with majority writes, a Redis with a password and AOF.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { before, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { REPO_ROOT } from './support.js';

const run = promisify(execFile);

type Service = {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  container_name?: string;
  ports?: unknown[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] | string };
};
type ComposeFile = { services: Record<string, Service> } & Record<string, unknown>;

/** Compose's interpolation: `$$`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (match === '$$') return '$';
    const value = env[name ?? ''];
    const unset = value === undefined || (op?.startsWith(':') === true && value === '');
    if (!unset) return value;
    if (op === ':-' || op === '-') return arg ?? '';
    if (op === ':?' || op === '?') throw new Error(`${name}: ${arg ?? 'required'}`);
    return '';
  });
}

const DEPLOYMENT_ENV = {
  REDIS_PASSWORD: 'redis-secret',
  MINIO_ROOT_USER: 'steadfast',
  MINIO_ROOT_PASSWORD: 'minio-secret',
  AUTH_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\n…',
  AUTH_INTERNAL_SECRET: 'x'.repeat(40),
  COUNTRY_CONFIG_SECRET: 'y'.repeat(40),
  JOB_SEAL_SECRET: 'w'.repeat(40),
  ADMIN_COOKIE_PASSWORD: 'z'.repeat(40),
};

const source = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
let validate: ReturnType<Ajv2020['compile']>;
let compose: ComposeFile;
let imageServices: string[];

before(async () => {
  // The schema printer is a tiny Go program (Go is needed by npm run setup already).
  const { stdout } = await run('go', ['run', '.'], { cwd: join(REPO_ROOT, 'infrastructure', 'compose-schema'), timeout: 300_000, maxBuffer: 8 << 20 });
  const schema = JSON.parse(stdout) as Record<string, unknown>;
  assert.equal(schema['title'], 'Compose Specification');
  validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
  compose = parse(interpolate(source, DEPLOYMENT_ENV), { merge: true }) as ComposeFile;
  imageServices = (await run('bash', [join(REPO_ROOT, 'infrastructure', 'image', 'image.sh'), 'services'])).stdout.trim().split('\n');
});

test('docker-compose.yml is valid against the Compose Specification schema', () => {
  assert.equal(validate(compose), true, JSON.stringify(validate.errors, null, 1));
});

test('the schema check can fail: a misspelt or mistyped key is refused', () => {
  const broken = structuredClone(compose);
  (broken.services['workflow'] as Record<string, unknown>)['restrat'] = 'always';
  assert.equal(validate(broken), false);
  const mistyped = structuredClone(compose);
  (mistyped.services['redis'] as Record<string, unknown>)['volumes'] = 'redis-data:/data';
  assert.equal(validate(mistyped), false);
});

test('a missing secret stops Compose at interpolation, naming the variable', () => {
  const withoutRedisPassword: Record<string, string> = { ...DEPLOYMENT_ENV };
  delete withoutRedisPassword['REDIS_PASSWORD'];
  assert.throws(() => interpolate(source, withoutRedisPassword), /REDIS_PASSWORD: set REDIS_PASSWORD/);
});

test('every Steadfast service runs from the one image, started by name', () => {
  for (const name of imageServices) {
    const service = compose.services[name];
    assert.ok(service, `${name} is in docker-compose.yml`);
    assert.equal(service.image, 'steadfast:local', `${name} uses the Steadfast image`);
    assert.ok(service.build, `${name} can build it`);
    assert.deepEqual(service.command, [name], `${name} starts its own service`);
  }
});

test('every service scales: no container name, no host port except the edge proxy in front of the gateways', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    assert.equal(service.container_name, undefined, `${name} has no fixed container name`);
    if (imageServices.includes(name)) assert.equal(service.ports, undefined, `${name} publishes no host port`);
  }
  assert.deepEqual(compose.services['edge']?.ports, ['7070:7070']);
  assert.ok(JSON.stringify(compose.services['edge']?.command).includes('gateway:7070'), 'the edge proxies to every gateway replica');
});

test('MongoDB is a replica set, initiated by its healthcheck; writes are majority and retryable', () => {
  const mongo = compose.services['mongo'];
  assert.ok(mongo);
  assert.ok((mongo.command as string[]).includes('--replSet'));
  assert.match(JSON.stringify(mongo.healthcheck?.test), /rs\.initiate\(/);
  const env = compose.services['workflow']?.environment ?? {};
  assert.match(env['MONGO_URL'] ?? '', /replicaSet=rs0/);
  assert.equal(env['MONGO_WRITE_CONCERN'], 'majority');
  assert.equal(env['MONGO_RETRY_WRITES'], 'true');
});

test('Redis has a password, AOF and noeviction; every service has the password and the production secrets', () => {
  const redis = JSON.stringify(compose.services['redis']?.command);
  for (const flag of ['--requirepass', '--appendonly yes', '--maxmemory-policy noeviction']) assert.ok(redis.includes(flag), `redis ${flag}`);
  for (const name of imageServices) {
    const env = compose.services[name]?.environment ?? {};
    for (const variable of ['REDIS_PASSWORD', 'AUTH_PRIVATE_KEY', 'AUTH_INTERNAL_SECRET', 'COUNTRY_CONFIG_SECRET', 'JOB_SEAL_SECRET', 'ADMIN_COOKIE_PASSWORD', 'GATEWAY_TRUSTED_PROXIES', 'MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY']) {
      assert.ok(env[variable], `${name} has ${variable}`);
    }
    assert.equal(env['NODE_ENV'], 'production');
  }
});
