import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { createCountryConfigServer } from './server.js';

test('config answers /health and binds to loopback by default', async () => {
  const env = readEnvironment({});
  assert.equal(env.COUNTRY_CONFIG_HOST, '127.0.0.1');
  assert.equal(env.COUNTRY_CONFIG_PORT, 7073);
  const server = await createCountryConfigServer(env, createLogger('config', { level: 'silent' }));
  const response = await server.inject('/health');
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.result, { service: 'config', status: 'ok', dependencies: {} });
});

test('config refuses a port that is not a number, naming the variable', () => {
  assert.throws(() => readEnvironment({ COUNTRY_CONFIG_PORT: 'http' }), /COUNTRY_CONFIG_PORT/);
});
