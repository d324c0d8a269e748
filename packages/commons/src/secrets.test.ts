import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigError, readEnv, storeEnvSchema } from './config.js';
import { DEVELOPMENT_SECRETS, optionalSecretOf, productionProblems, requireInProduction, secretFields, secretOf } from './secrets.js';

const schema = storeEnvSchema
  .extend(secretFields('AUTH_INTERNAL_SECRET', 'COUNTRY_CONFIG_SECRET'))
  .extend({ AUTH_PRIVATE_KEY: z.string().optional() })
  .superRefine(requireInProduction({ secrets: ['AUTH_INTERNAL_SECRET', 'COUNTRY_CONFIG_SECRET'], minio: true, required: { AUTH_PRIVATE_KEY: 'a key' } }));

const good = {
  AUTH_INTERNAL_SECRET: 'a'.repeat(40),
  COUNTRY_CONFIG_SECRET: 'b'.repeat(40),
  MINIO_ACCESS_KEY: 'steadfast',
  MINIO_SECRET_KEY: 'c'.repeat(40),
  AUTH_PRIVATE_KEY: 'key',
};

test('production without its secrets refuses, naming every missing one in one error', () => {
  assert.throws(
    () => readEnv(schema, {}),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.issues.map((i) => i.split(':')[0]).sort(), [
        'AUTH_INTERNAL_SECRET',
        'AUTH_PRIVATE_KEY',
        'COUNTRY_CONFIG_SECRET',
        'MINIO_ACCESS_KEY',
        'MINIO_SECRET_KEY',
      ]);
      assert.match(error.message, /AUTH_INTERNAL_SECRET: required in production/);
      assert.match(error.message, /MINIO_SECRET_KEY: the local development key \(minioadmin\) is refused in production/);
      return true;
    },
  );
});

test('production with its own secrets starts; the development defaults are refused there', () => {
  const env = readEnv(schema, good);
  assert.equal(env.NODE_ENV, 'production');
  assert.equal(secretOf(env, 'AUTH_INTERNAL_SECRET'), good.AUTH_INTERNAL_SECRET);
  assert.throws(() => readEnv(schema, { ...good, COUNTRY_CONFIG_SECRET: DEVELOPMENT_SECRETS.COUNTRY_CONFIG_SECRET }), /COUNTRY_CONFIG_SECRET: the development default is refused/);
});

test('a secret shorter than 32 characters is refused in every mode', () => {
  assert.throws(() => readEnv(schema, { NODE_ENV: 'development', AUTH_INTERNAL_SECRET: 'short' }), /AUTH_INTERNAL_SECRET: at least 32 characters/);
});

test('development and test need nothing and use the public defaults', () => {
  for (const NODE_ENV of ['development', 'test']) {
    const env = readEnv(schema, { NODE_ENV });
    assert.equal(secretOf(env, 'AUTH_INTERNAL_SECRET'), DEVELOPMENT_SECRETS.AUTH_INTERNAL_SECRET);
    assert.equal(secretOf(env, 'COUNTRY_CONFIG_SECRET'), DEVELOPMENT_SECRETS.COUNTRY_CONFIG_SECRET);
    assert.deepEqual(productionProblems(env, { secrets: ['AUTH_INTERNAL_SECRET'], minio: true }), []);
  }
});

test('an optional secret: unset in production means none; set, it is used; its development default is refused', () => {
  const optional = storeEnvSchema.extend(secretFields('JOB_SEAL_SECRET')).superRefine(requireInProduction({ optionalSecrets: ['JOB_SEAL_SECRET'], minio: true }));
  const production = { MINIO_ACCESS_KEY: good.MINIO_ACCESS_KEY, MINIO_SECRET_KEY: good.MINIO_SECRET_KEY };
  assert.equal(optionalSecretOf(readEnv(optional, production), 'JOB_SEAL_SECRET'), undefined);
  assert.equal(optionalSecretOf(readEnv(optional, { ...production, JOB_SEAL_SECRET: 'd'.repeat(40) }), 'JOB_SEAL_SECRET'), 'd'.repeat(40));
  assert.throws(() => readEnv(optional, { ...production, JOB_SEAL_SECRET: DEVELOPMENT_SECRETS.JOB_SEAL_SECRET }), /JOB_SEAL_SECRET: the development default is refused/);
  assert.equal(optionalSecretOf(readEnv(optional, { NODE_ENV: 'test' }), 'JOB_SEAL_SECRET'), DEVELOPMENT_SECRETS.JOB_SEAL_SECRET);
});
