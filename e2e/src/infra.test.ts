/**
 * The operator's controls: `npm run infra -- stop|start <service>` takes a store down and back;
 * `status` and the gateway's `/health` see it within seconds; the data is still there after.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  createElasticsearch,
  createMinio,
  createMongo,
  createRedis,
  readEnv,
  storeConfigFrom,
  storeEnvSchema,
} from '@steadfast/commons';
import type { System } from '@steadfast/launcher';
import { eventually, infra, startSystem, storePid } from './support.js';

const stores = storeConfigFrom(readEnv(storeEnvSchema));
const unique = `e2e-${randomUUID().slice(0, 8)}`;

interface Health {
  status: string;
  dependencies: Record<string, { status: string }>;
}

let system: System;
let gatewayUrl: string;

async function health(): Promise<Health> {
  const response = await fetch(`${gatewayUrl}/health`);
  assert.equal(response.status, 200);
  return (await response.json()) as Health;
}

before(async () => {
  system = startSystem();
  await system.start();
  gatewayUrl = system.urls()['gateway']!;
});
after(() => system.stop());

test('the whole system is up: every store healthy through the gateway', async () => {
  const report = await health();
  assert.equal(report.status, 'ok', JSON.stringify(report));
  assert.deepEqual(Object.keys(report.dependencies).sort(), ['elasticsearch', 'minio', 'mongo', 'redis']);
});

describe('stop and start each store; its data survives', () => {
  test('elasticsearch: status and /health report it down, and its documents come back', async (t) => {
    const es = createElasticsearch(stores.elasticsearch);
    t.after(async () => {
      await es.indices.delete({ index: unique, ignore_unavailable: true });
      await es.close();
    });
    await es.index({ index: unique, id: 'r-1', document: { name: 'kept' }, refresh: true });

    assert.equal((await infra('stop', 'elasticsearch')).code, 0);
    const status = await infra('status');
    assert.notEqual(status.code, 0, 'status exits non-zero while a service is down');
    assert.match(status.stdout, /^elasticsearch\s+down/m);
    const seenDownMs = await eventually('/health reports elasticsearch down', async () =>
      (await health()).dependencies['elasticsearch']?.status === 'down',
    );
    t.diagnostic(`/health saw elasticsearch down after ${seenDownMs} ms`);
    assert.equal((await health()).dependencies['redis']?.status, 'up');

    assert.equal((await infra('start', 'elasticsearch')).code, 0);
    await eventually('/health reports elasticsearch up', async () => (await health()).status === 'ok');
    const kept = await es.get<{ name: string }>({ index: unique, id: 'r-1' });
    assert.equal(kept._source?.name, 'kept');
  });

  test('redis: a key written before the stop is read after the start (AOF)', async () => {
    const redis = createRedis(stores.redis);
    redis.on('error', () => {}); // refused connections while stopped are the point of the test
    try {
      await redis.set(`${unique}:kept`, 'yes');
      assert.equal((await infra('stop', 'redis')).code, 0);
      await eventually('/health reports redis down', async () =>
        (await health()).dependencies['redis']?.status === 'down',
      );
      assert.equal((await infra('start', 'redis')).code, 0);
      await eventually('/health reports redis up', async () => (await health()).status === 'ok');
      assert.equal(await redis.get(`${unique}:kept`), 'yes');
      await redis.del(`${unique}:kept`);
    } finally {
      redis.disconnect();
    }
  });

  test('mongo: a document written before the stop is found after the start', async () => {
    const mongo = createMongo(stores.mongo);
    const db = mongo.db(unique.replace(/-/g, '_'));
    try {
      await db.collection('kept').insertOne({ _id: 'r-1' as never, name: 'kept' });
      assert.equal((await infra('stop', 'mongo')).code, 0);
      await eventually('/health reports mongo down', async () =>
        (await health()).dependencies['mongo']?.status === 'down',
      );
      assert.equal((await infra('start', 'mongo')).code, 0);
      await eventually('/health reports mongo up', async () => (await health()).status === 'ok');
      assert.equal((await db.collection('kept').findOne({}))?.['name'], 'kept');
      await db.dropDatabase();
    } finally {
      await mongo.close();
    }
  });

  test('minio: an object stored before the stop is read after the start', async () => {
    const minio = createMinio(stores.minio);
    await minio.makeBucket(unique);
    await minio.putObject(unique, 'r-1/kept.txt', Buffer.from('kept'));
    assert.equal((await infra('stop', 'minio')).code, 0);
    await eventually('/health reports minio down', async () =>
      (await health()).dependencies['minio']?.status === 'down',
    );
    assert.equal((await infra('start', 'minio')).code, 0);
    await eventually('/health reports minio up', async () => (await health()).status === 'ok');
    const stat = await minio.statObject(unique, 'r-1/kept.txt');
    assert.equal(stat.size, 4);
    await minio.removeObject(unique, 'r-1/kept.txt');
    await minio.removeBucket(unique);
  });
});

test('a frozen store (SIGSTOP: connections accepted, nothing answered) is named by status and continued by start', async () => {
  const pid = storePid('redis');
  const redis = createRedis(stores.redis);
  process.kill(-pid, 'SIGSTOP');
  try {
    // Asked with redis-cli, a frozen Redis held `status` for ever.
    const status = await infra('status');
    assert.match(status.stdout, /^redis\s+frozen\s/m, status.stdout);
    assert.notEqual(status.code, 0, 'status exits non-zero while a store is not answering');
    const started = await infra('start', 'redis');
    assert.equal(started.code, 0, started.stdout);
    assert.equal(await redis.ping(), 'PONG');
    assert.match((await infra('status')).stdout, /^redis\s+up\s/m);
  } finally {
    process.kill(-pid, 'SIGCONT');
    redis.disconnect();
  }
});

test('an unknown service is refused with the list of known ones', async () => {
  const result = await infra('stop', 'postgres');
  assert.notEqual(result.code, 0);
});
