import { fileURLToPath } from 'node:url';
import { envBoolean, envPort, readEnv, requireInProduction, secretFields, storeEnvSchema } from '@steadfast/commons';
import { z } from 'zod';

/** `<repo>/.data/auth/signing-key.pem`, from `packages/auth/dist/environment.js`. */
const DEFAULT_KEY_FILE = fileURLToPath(new URL('../../../.data/auth/signing-key.pem', import.meta.url));

/** What the users command reads: the user directory's address and the mode (NODE_ENV). */
export const directoryEnvironmentSchema = storeEnvSchema;
export type DirectoryEnvironment = z.infer<typeof directoryEnvironmentSchema>;
export const readDirectoryEnvironment = (env?: Record<string, string | undefined>): DirectoryEnvironment =>
  readEnv(directoryEnvironmentSchema, env);

export const environmentSchema = storeEnvSchema
  .extend(secretFields('AUTH_INTERNAL_SECRET'))
  .extend({
    AUTH_HOST: z.string().min(1).default('127.0.0.1'),
    AUTH_PORT: envPort.default(7071),
    /** How long a user token lives. */
    AUTH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(1).default(3_600),
    /** How long a narrowed token for a worker (one user, one record, one action) lives. */
    AUTH_INTERNAL_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).default(300),
    /** Ed25519 private key, PKCS#8 PEM. Required in production. */
    AUTH_PRIVATE_KEY: z.string().startsWith('-----BEGIN PRIVATE KEY-----').optional(),
    /** Development only: where a generated key is kept so tokens outlive a restart. */
    AUTH_KEY_FILE: z.string().min(1).default(DEFAULT_KEY_FILE),
    /** Seed the demo users of CONTRACT.md; defaults to on in development, refused in production. */
    AUTH_SEED_DEMO_USERS: envBoolean.optional(),
  })
  .superRefine(
    requireInProduction({
      secrets: ['AUTH_INTERNAL_SECRET'],
      required: { AUTH_PRIVATE_KEY: 'an Ed25519 private key, PKCS#8 PEM' },
    }),
  )
  .refine((env) => env.NODE_ENV !== 'production' || env.AUTH_SEED_DEMO_USERS !== true, {
    path: ['AUTH_SEED_DEMO_USERS'],
    message: 'demo users are never seeded in production',
  });

export type Environment = z.infer<typeof environmentSchema>;

export const readEnvironment = (env?: Record<string, string | undefined>): Environment =>
  readEnv(environmentSchema, env);

export const seedsDemoUsers = (env: Environment): boolean =>
  env.AUTH_SEED_DEMO_USERS ?? env.NODE_ENV === 'development';
