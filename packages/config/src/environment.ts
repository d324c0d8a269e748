import { envPort, queueEnvSchema, readEnv, requireInProduction, secretFields, storeEnvSchema } from '@steadfast/commons';
import { z } from 'zod';

export const environmentSchema = storeEnvSchema.extend(queueEnvSchema.shape).extend(secretFields('COUNTRY_CONFIG_SECRET')).extend({
  COUNTRY_CONFIG_HOST: z.string().min(1).default('127.0.0.1'),
  COUNTRY_CONFIG_PORT: envPort.default(7073),
  AUTH_URL: z.url().default('http://127.0.0.1:7071'),
  WORKFLOW_URL: z.url().default('http://127.0.0.1:7072'),
  /**
   * The country's rule, as `<event>:<field>` pairs, comma-separated: a record missing one of
   * these fields is rejected. e.g. `birth:father.familyName,death:causeOfDeath`.
   */
  COUNTRY_CONFIG_REQUIRED_FIELDS: z.string().default(''),
  /** How long the country takes to decide, after answering 202. */
  COUNTRY_CONFIG_DECISION_DELAY_MS: z.coerce.number().int().min(0).default(200),
  /**
   * Fault drills: the share of `POST /event-registration` requests answered 503 at once, nothing
   * queued (0 to 1), as a country config that is failing would.
   */
  COUNTRY_CONFIG_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  /**
   * Fault drills: the longest time the country takes to answer `POST /event-registration`, after
   * the validation is queued; each request waits a random time up to this. Past the workflow's
   * 10 s timeout the answer is lost although the work was taken: the caller must retry safely.
   */
  COUNTRY_CONFIG_RESPONSE_DELAY_MS: z.coerce.number().int().min(0).default(0),
  // COUNTRY_CONFIG_SECRET: the country config's credential at the workflow's callbacks.
}).superRefine(requireInProduction({ secrets: ['COUNTRY_CONFIG_SECRET'] }));

export type Environment = z.infer<typeof environmentSchema>;

export const readEnvironment = (env?: Record<string, string | undefined>): Environment =>
  readEnv(environmentSchema, env);
