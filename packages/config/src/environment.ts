import { envPort, queueEnvSchema, readEnv, storeEnvSchema } from '@steadfast/commons';
import { z } from 'zod';

export const environmentSchema = storeEnvSchema.extend(queueEnvSchema.shape).extend({
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
});

export type Environment = z.infer<typeof environmentSchema>;

export const readEnvironment = (env?: Record<string, string | undefined>): Environment =>
  readEnv(environmentSchema, env);
