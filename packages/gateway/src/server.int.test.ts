import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { createGateway, type Gateway } from './server.js';

let gateway: Gateway;
before(async () => {
  gateway = await createGateway(readEnvironment({ NODE_ENV: 'test', GATEWAY_PORT: '0' }), createLogger('gateway', { level: 'silent' }));
});
after(() => gateway.close());

test('GET /health reports each store up', async () => {
  const response = await gateway.server.inject({ method: 'GET', url: '/health' });
  assert.equal(response.statusCode, 200);
  const body = response.result as { status: string; dependencies: Record<string, { status: string }> };
  assert.equal(body.status, 'ok');
  assert.deepEqual(Object.keys(body.dependencies).sort(), ['elasticsearch', 'minio', 'mongo', 'redis']);
  for (const state of Object.values(body.dependencies)) assert.equal(state.status, 'up');
});

test('a store that is unreachable is reported down, and /health still answers 200', async () => {
  const env = readEnvironment({ NODE_ENV: 'test', GATEWAY_PORT: '0', ES_URL: 'http://127.0.0.1:1', MINIO_PORT: '1' });
  const degraded = await createGateway(env, createLogger('gateway', { level: 'silent' }));
  try {
    const response = await degraded.server.inject({ method: 'GET', url: '/health' });
    assert.equal(response.statusCode, 200);
    const body = response.result as { status: string; dependencies: Record<string, { status: string }> };
    assert.equal(body.status, 'degraded');
    assert.equal(body.dependencies['elasticsearch']?.status, 'down');
    assert.equal(body.dependencies['minio']?.status, 'down');
    assert.equal(body.dependencies['mongo']?.status, 'up');
  } finally {
    await degraded.close();
  }
});
