import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { createAuthServer } from './server.js';

test('auth answers /health and binds to loopback by default', async () => {
  const env = readEnvironment({});
  assert.equal(env.AUTH_HOST, '127.0.0.1');
  assert.equal(env.AUTH_PORT, 7071);
  const server = await createAuthServer(env, createLogger('auth', { level: 'silent' }));
  const response = await server.inject('/health');
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.result, { service: 'auth', status: 'ok', dependencies: {} });
});

test('auth refuses a port that is not a number, naming the variable', () => {
  assert.throws(() => readEnvironment({ AUTH_PORT: 'http' }), /AUTH_PORT/);
});
