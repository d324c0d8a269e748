import { DEFAULT_WORKFLOW_CONCURRENCY, envPort, queueEnvSchema, readEnv, recordInputEnvShape, requireInProduction, secretFields, storeEnvSchema } from '@steadfast/commons';
import { z } from 'zod';

// The attachment limits are the gateway's too: the worker checks every job with them again.
export const environmentSchema = storeEnvSchema.extend(queueEnvSchema.shape).extend(recordInputEnvShape).extend(secretFields('AUTH_INTERNAL_SECRET', 'COUNTRY_CONFIG_SECRET', 'JOB_SEAL_SECRET')).extend({
  WORKFLOW_HOST: z.string().min(1).default('127.0.0.1'),
  WORKFLOW_PORT: envPort.default(7072),
  /**
   * Record jobs one workflow process runs at once; it bounds the rate at about this many / a job's
   * time (DEFAULT_WORKFLOW_CONCURRENCY says why 256). 32 capped a 10,000-draft backlog at ~50
   * jobs/s with the CPU 60% idle. More fills the batches too (fewer store requests per record).
   */
  WORKFLOW_CONCURRENCY: z.coerce.number().int().min(1).max(1_024).default(DEFAULT_WORKFLOW_CONCURRENCY),
  /**
   * Group commit (batches.ts): concurrent jobs' calls to one store go out together, as one
   * request of at most WORKFLOW_BATCH_MAX items, once that many wait or WORKFLOW_BATCH_WAIT_MS
   * after the first. A longer wait makes fuller batches (fewer requests per record) and adds up
   * to that wait to each store call of a job; WORKFLOW_BATCH_WAIT_MS=0 still groups the calls
   * made in the same turn of the event loop.
   */
  WORKFLOW_BATCH_MAX: z.coerce.number().int().min(1).max(1_000).default(64),
  WORKFLOW_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(1_000).default(5),
  /** A job whose worker died is retried after this long without a lock renewal. */
  WORKFLOW_LOCK_MS: z.coerce.number().int().min(1_000).default(30_000),
  /**
   * Candidates one record's duplicate check pairs with: one pathological cluster of similar
   * records cannot make a check (or the queue) slow. Matches beyond it are counted (metric,
   * `duplicateOverflow` on the record, the gateway's duplicate query).
   */
  DUPLICATE_CANDIDATE_CAP: z.coerce.number().int().min(1).max(1_000).default(20),
  AUTH_URL: z.url().default('http://127.0.0.1:7071'),
  COUNTRY_CONFIG_URL: z.url().default('http://127.0.0.1:7073'),
  /** How notifications leave: log (development), file (JSON lines), webhook (a provider's bridge). */
  NOTIFICATION_ADAPTER: z.enum(['log', 'file', 'webhook']).default('log'),
  NOTIFICATION_FILE: z.string().min(1).optional(),
  NOTIFICATION_WEBHOOK_URL: z.url().optional(),
  /**
   * Sends one notification job (a batch: the notifications record jobs enqueued within one
   * WORKFLOW_BATCH_WAIT_MS, at most WORKFLOW_BATCH_MAX) has in flight at once.
   */
  NOTIFICATION_SEND_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /** Where exhausted jobs are reported; unset: not reported to Sentry (still alerted). */
  SENTRY_DSN: z.url().optional(),
  /** A URL that receives a JSON POST per exhausted job (chat, paging, ticketing). */
  ALERT_WEBHOOK_URL: z.url().optional(),
  /** How often exhausted jobs without an alert, and undelivered alerts, are looked for. */
  ALERT_SWEEP_MS: z.coerce.number().int().min(1_000).default(30_000),
  /**
   * How often staged uploads left behind (a gateway killed mid-request, a repeat's copies landing
   * after its job's cleanup) are looked for; see staging/verdict.ts for what is removed.
   */
  STAGING_SWEEP_MS: z.coerce.number().int().min(500).default(60_000),
  /** A staged upload younger than this is never removed by the sweep. */
  STAGING_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
  /** An upload no job holds is removed after this long even when its draft was never decided. */
  STAGING_MAX_AGE_HOURS: z.coerce.number().min(0).default(24),
}).superRefine(
  // AUTH_INTERNAL_SECRET: its credential at auth; COUNTRY_CONFIG_SECRET: the country's at its
  // callbacks; JOB_SEAL_SECRET (optional): the gateway's seal on the jobs (commons queue/job-seal.ts).
  requireInProduction({ secrets: ['AUTH_INTERNAL_SECRET', 'COUNTRY_CONFIG_SECRET'], optionalSecrets: ['JOB_SEAL_SECRET'], minio: true }),
).refine((env) => env.NOTIFICATION_ADAPTER !== 'file' || env.NOTIFICATION_FILE, {
  path: ['NOTIFICATION_FILE'],
  message: 'required when NOTIFICATION_ADAPTER is file',
}).refine((env) => env.NOTIFICATION_ADAPTER !== 'webhook' || env.NOTIFICATION_WEBHOOK_URL, {
  path: ['NOTIFICATION_WEBHOOK_URL'],
  message: 'required when NOTIFICATION_ADAPTER is webhook',
});

export type Environment = z.infer<typeof environmentSchema>;

export const readEnvironment = (env?: Record<string, string | undefined>): Environment =>
  readEnv(environmentSchema, env);
