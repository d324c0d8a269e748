import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigError, readEnv, storeConfigFrom, storeEnvSchema } from './config.js';

test('store config has the local defaults of the contract', () => {
  const config = storeConfigFrom(readEnv(storeEnvSchema, {}));
  assert.deepEqual(config.redis, { host: '127.0.0.1', port: 6379, tls: false });
  assert.equal(config.mongo.url, 'mongodb://127.0.0.1:27017');
  assert.equal(config.mongo.dbName, 'steadfast');
  assert.equal(config.minio.port, 9000);
  assert.equal(config.minio.bucket, 'attachments');
  assert.equal(config.elasticsearch.url, 'http://127.0.0.1:9200');
  assert.equal(config.elasticsearch.index, 'records');
});

test('the local servers follow the ports the infra scripts use', () => {
  const config = storeConfigFrom(readEnv(storeEnvSchema, { MONGO_PORT: '27018', ES_PORT: '19200' }));
  assert.equal(config.mongo.url, 'mongodb://127.0.0.1:27018');
  assert.equal(config.elasticsearch.url, 'http://127.0.0.1:19200');
});

test('environment overrides are parsed and typed', () => {
  const config = storeConfigFrom(
    readEnv(storeEnvSchema, { REDIS_PORT: '6380', REDIS_TLS: 'yes', REDIS_PASSWORD: 's3cret' }),
  );
  assert.deepEqual(config.redis, { host: '127.0.0.1', port: 6380, password: 's3cret', tls: true });
});

test('every invalid variable is named in one error', () => {
  assert.throws(
    () => readEnv(storeEnvSchema, { REDIS_PORT: 'seventy', ES_URL: 'not a url', MINIO_USE_SSL: 'maybe' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.issues.length, 3);
      assert.match(error.message, /REDIS_PORT/);
      assert.match(error.message, /ES_URL/);
      assert.match(error.message, /MINIO_USE_SSL/);
      return true;
    },
  );
});

test('an empty string counts as unset', () => {
  const env = readEnv(z.object({ NAME: z.string().default('fallback') }), { NAME: '' });
  assert.equal(env.NAME, 'fallback');
});

test('NODE_ENV is production unless it says development or test (CONTRACT "Environment")', () => {
  const mode = (NODE_ENV?: string) => readEnv(storeEnvSchema, NODE_ENV === undefined ? {} : { NODE_ENV }).NODE_ENV;
  assert.equal(mode(), 'production');
  assert.equal(mode(''), 'production');
  assert.equal(mode('staging'), 'production');
  assert.equal(mode('Development'), 'production');
  assert.equal(mode('development'), 'development');
  assert.equal(mode('test'), 'test');
  assert.equal(mode('production'), 'production');
});
