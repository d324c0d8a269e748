import { envPort, eventEnvSchema, queueEnvSchema, readEnv, requireInProduction, storeEnvSchema } from '@steadfast/commons';
import { z } from 'zod';

export const environmentSchema = storeEnvSchema.extend(queueEnvSchema.shape).extend(eventEnvSchema.shape).extend({
  GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_PORT: envPort.default(7070),
  /** The internal auth service: login is proxied there, token keys are read from it. */
  AUTH_URL: z.url().default('http://127.0.0.1:7071'),
  /** Largest decoded attachment, in bytes. */
  ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(1).default(5 * 1024 * 1024),
  /** Prometheus metrics are served on this internal address, never on the public port. */
  GATEWAY_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_METRICS_PORT: envPort.default(7074),
  ATTACHMENT_MAX_COUNT: z.coerce.number().int().min(0).default(10),
  /** fetchRecordStatus long-polls held at once; past it a long-poll is answered at once. */
  GATEWAY_LONG_POLL_MAX_WAITERS: z.coerce.number().int().min(0).default(20_000),
  /** Failed logins of one username, and from one client address, before login is refused for a while. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(10),
  LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(100),
  /** The window those failures are counted in, from the first one; also the longest refusal. */
  LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  /** Unexpected errors in GraphQL operations are reported here (no personal data), and logged. */
  SENTRY_DSN: z.url().optional(),
}).superRefine(requireInProduction({ minio: true }));

export type Environment = z.infer<typeof environmentSchema>;

export const readEnvironment = (env?: Record<string, string | undefined>): Environment =>
  readEnv(environmentSchema, env);
