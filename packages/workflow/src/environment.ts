import { envPort, queueEnvSchema, readEnv, storeEnvSchema } from '@steadfast/commons';
import { z } from 'zod';

export const environmentSchema = storeEnvSchema.extend(queueEnvSchema.shape).extend({
  WORKFLOW_HOST: z.string().min(1).default('127.0.0.1'),
  WORKFLOW_PORT: envPort.default(7072),
  /** Record jobs one workflow process runs at once. */
  WORKFLOW_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /** A job whose worker died is retried after this long without a lock renewal. */
  WORKFLOW_LOCK_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** Where exhausted jobs are reported; unset: not reported to Sentry (still alerted). */
  SENTRY_DSN: z.url().optional(),
  /** A URL that receives a JSON POST per exhausted job (chat, paging, ticketing). */
  ALERT_WEBHOOK_URL: z.url().optional(),
  /** How often exhausted jobs without an alert, and undelivered alerts, are looked for. */
  ALERT_SWEEP_MS: z.coerce.number().int().min(1_000).default(30_000),
});

export type Environment = z.infer<typeof environmentSchema>;

export const readEnvironment = (env?: Record<string, string | undefined>): Environment =>
  readEnv(environmentSchema, env);
