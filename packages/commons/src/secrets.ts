/**
 * The secrets the services authenticate each other with, and what production requires of an
 * environment. Development and test run with fixed, public defaults so `npm start` works out of
 * the box; production (the default, see `envNodeEnv`) refuses to start while any of them is
 * missing or still a development default, naming every one in a single start error.
 *
 * - `AUTH_INTERNAL_SECRET`: the workflow's credential at auth's `POST /internal/tokens`.
 * - `COUNTRY_CONFIG_SECRET`: the country config's credential at the workflow's confirm/reject
 *   callbacks.
 * - `JOB_SEAL_SECRET`: the key of the gateway's seal on a record job (queue/job-seal.ts). Optional
 *   in production: without it jobs are not sealed, and the workflow checks every job's files.
 */
import { z } from 'zod';
import type { NodeEnv } from './config.js';

/** Public on purpose (they are in the source): never accepted in production. */
export const DEVELOPMENT_SECRETS = {
  AUTH_INTERNAL_SECRET: 'steadfast-development-only-auth-internal-secret',
  COUNTRY_CONFIG_SECRET: 'steadfast-development-only-country-config-secret',
  JOB_SEAL_SECRET: 'steadfast-development-only-job-seal-secret',
} as const;

export type ServiceSecret = keyof typeof DEVELOPMENT_SECRETS;

export const SECRET_MIN_LENGTH = 32;

/** A shared secret from the environment: long enough not to be guessed. */
export const envSecret = z.string().min(SECRET_MIN_LENGTH, `at least ${SECRET_MIN_LENGTH} characters (e.g. openssl rand -base64 48)`);

/** The schema fields of the secrets a service uses, to `.extend()` its environment with. */
export function secretFields<const N extends ServiceSecret>(...names: N[]): Record<N, z.ZodOptional<typeof envSecret>> {
  return Object.fromEntries(names.map((name) => [name, envSecret.optional()])) as Record<N, z.ZodOptional<typeof envSecret>>;
}

/** The local MinIO's keys (CONTRACT "Network"): fine on a laptop, never in production. */
const MINIO_DEVELOPMENT_KEY = 'minioadmin';

export interface ProductionNeeds {
  /** Shared secrets the service uses. */
  secrets?: readonly ServiceSecret[];
  /** Shared secrets it uses when they are set: never the development default in production. */
  optionalSecrets?: readonly ServiceSecret[];
  /** The service talks to MinIO: its keys must not be the local development ones. */
  minio?: boolean;
  /** Further variables that must be set in production, with what they must hold. */
  required?: Readonly<Record<string, string>>;
}

/**
 * What a production environment lacks, one line per variable (`VARIABLE: problem`); empty when
 * it has everything or is not production. A pure function, so each service's rule is tested.
 */
export function productionProblems(env: Record<string, unknown> & { NODE_ENV: NodeEnv }, needs: ProductionNeeds): Array<{ variable: string; problem: string }> {
  if (env.NODE_ENV !== 'production') return [];
  const problems: Array<{ variable: string; problem: string }> = [];
  for (const name of needs.secrets ?? []) {
    const value = env[name];
    if (value === undefined) problems.push({ variable: name, problem: `required in production (a shared secret of at least ${SECRET_MIN_LENGTH} characters)` });
    else if (value === DEVELOPMENT_SECRETS[name]) problems.push({ variable: name, problem: 'the development default is refused in production; set a secret of your own' });
  }
  for (const name of needs.optionalSecrets ?? []) {
    if (env[name] === DEVELOPMENT_SECRETS[name]) problems.push({ variable: name, problem: 'the development default is refused in production; set a secret of your own, or none' });
  }
  if (needs.minio) {
    for (const name of ['MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY']) {
      if (env[name] === MINIO_DEVELOPMENT_KEY) problems.push({ variable: name, problem: `the local development key (${MINIO_DEVELOPMENT_KEY}) is refused in production` });
    }
  }
  for (const [name, what] of Object.entries(needs.required ?? {})) {
    if (env[name] === undefined) problems.push({ variable: name, problem: `required in production (${what})` });
  }
  return problems;
}

/**
 * A `superRefine` for a service's environment schema: every production problem becomes an issue
 * on its variable, so `readEnv` reports them all in one start error.
 */
export const requireInProduction =
  (needs: ProductionNeeds) =>
  (env: Record<string, unknown> & { NODE_ENV: NodeEnv }, ctx: z.RefinementCtx): void => {
    for (const { variable, problem } of productionProblems(env, needs)) ctx.addIssue({ code: 'custom', path: [variable], message: problem });
  };

/** A secret's value: the environment's, else (development and test only) the public default. */
export function secretOf(env: Partial<Record<ServiceSecret, string | undefined>> & { NODE_ENV: NodeEnv }, name: ServiceSecret): string {
  const value = optionalSecretOf(env, name);
  // readEnv's production check has refused this already; this guards a caller that skipped it.
  if (value === undefined) throw new Error(`${name} is required in production`);
  return value;
}

/** An optional secret's value: the environment's, else the public default outside production, else none. */
export function optionalSecretOf(env: Partial<Record<ServiceSecret, string | undefined>> & { NODE_ENV: NodeEnv }, name: ServiceSecret): string | undefined {
  const value = env[name];
  if (value !== undefined) return value;
  return env.NODE_ENV === 'production' ? undefined : DEVELOPMENT_SECRETS[name];
}
