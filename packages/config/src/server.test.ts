import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readEnvironment } from './environment.js';

test('config binds to loopback by default', () => {
  const env = readEnvironment({ NODE_ENV: 'test' });
  assert.equal(env.COUNTRY_CONFIG_HOST, '127.0.0.1');
  assert.equal(env.COUNTRY_CONFIG_PORT, 7073);
});

test('config refuses a port that is not a number, naming the variable', () => {
  assert.throws(() => readEnvironment({ NODE_ENV: 'test', COUNTRY_CONFIG_PORT: 'http' }), /COUNTRY_CONFIG_PORT/);
});

test('the drill knobs are off by default and bounded', () => {
  const env = readEnvironment({ NODE_ENV: 'test' });
  assert.equal(env.COUNTRY_CONFIG_FAILURE_RATE, 0);
  assert.equal(env.COUNTRY_CONFIG_RESPONSE_DELAY_MS, 0);
  assert.equal(readEnvironment({ NODE_ENV: 'test', COUNTRY_CONFIG_FAILURE_RATE: '0.5' }).COUNTRY_CONFIG_FAILURE_RATE, 0.5);
  assert.throws(() => readEnvironment({ NODE_ENV: 'test', COUNTRY_CONFIG_FAILURE_RATE: '2' }), /COUNTRY_CONFIG_FAILURE_RATE/);
});

test('in production the country config refuses to start without its credential', () => {
  assert.throws(() => readEnvironment({}), /COUNTRY_CONFIG_SECRET: required in production/);
  assert.equal(readEnvironment({ COUNTRY_CONFIG_SECRET: 'c'.repeat(32) }).NODE_ENV, 'production');
});
