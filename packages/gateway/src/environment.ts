import { envBoolean, envPort, eventEnvSchema, queueEnvSchema, readEnv, requireInProduction, secretFields, storeEnvSchema } from '@steadfast/commons';
import { z } from 'zod';

// JOB_SEAL_SECRET: the key of its seal on the record jobs it queues (commons queue/job-seal.ts).
export const environmentSchema = storeEnvSchema.extend(queueEnvSchema.shape).extend(eventEnvSchema.shape).extend(secretFields('JOB_SEAL_SECRET')).extend({
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
  /** How long the record events reader pauses after a read that returned events (long-poll.ts). */
  GATEWAY_EVENTS_READ_PAUSE_MS: z.coerce.number().int().min(0).max(1_000).default(50),
  /** Failed logins of one username, and from one client address, before login is refused for a while. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(10),
  LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(100),
  /** The window those failures are counted in, from the first one; also the longest refusal. */
  LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  /** Unexpected errors in GraphQL operations are reported here (no personal data), and logged. */
  SENTRY_DSN: z.url().optional(),
  /**
   * Proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDRs, e.g.
   * `10.0.0.0/8,::1`). Empty: the client address is always the socket's.
   */
  GATEWAY_TRUSTED_PROXIES: z.string().default(''),
  /** Largest GraphQL body of a caller who cannot submit, and of any query (status reads). */
  GATEWAY_SMALL_BODY_BYTES: z.coerce.number().int().min(1024).default(64 * 1024),
  /** How long a client may take to send a request body: a 5 MiB attachment on 2 Mbit/s takes ~30 s. */
  GATEWAY_BODY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(90),
  /** Per user: submissions (each write mutation) and status reads (each fetchRecordStatus(es)) per window. */
  GATEWAY_SUBMISSIONS_PER_WINDOW: z.coerce.number().int().min(1).default(1_200),
  GATEWAY_STATUS_READS_PER_WINDOW: z.coerce.number().int().min(1).default(6_000),
  GATEWAY_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  /** How often the list of disabled users, whose tokens are refused, is read again (edge/disabled-users.ts). */
  GATEWAY_DISABLED_USERS_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** New submissions get 503 + Retry-After while the record queue holds more waiting jobs than this. */
  GATEWAY_MAX_QUEUE_DEPTH: z.coerce.number().int().min(1).default(100_000),
  /**
   * The stall watch (stall-watch.ts): an alert when a queue's oldest waiting job, or the record
   * outbox's oldest hint, stays the same this long (0: no watch), read every GATEWAY_STALL_CHECK_SECONDS.
   */
  GATEWAY_STALL_ALERT_SECONDS: z.coerce.number().int().min(0).default(300),
  GATEWAY_STALL_CHECK_SECONDS: z.coerce.number().int().min(1).max(3_600).default(30),
  /** Alerts the gateway raises (stalls) are POSTed here too, as the workflow's are. */
  ALERT_WEBHOOK_URL: z.url().optional(),
  /** GraphQL operation limits (graphql-armor and the root-field rule). */
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).default(8),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).default(15),
  GRAPHQL_MAX_ROOT_FIELDS: z.coerce.number().int().min(1).default(10),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).default(10),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(100).default(2_000),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(100).default(5_000),

  // The admin console (/admin): browser sessions of sysadmins, kept server-side in Redis.
  /** A session unused this long ends (the admin logs in again). */
  ADMIN_SESSION_IDLE_SECONDS: z.coerce.number().int().min(1).default(30 * 60),
  /** A session ends this long after its login, however busy. */
  ADMIN_SESSION_ABSOLUTE_SECONDS: z.coerce.number().int().min(1).default(8 * 60 * 60),
  /**
   * Seals the session cookie (it holds only a random session id). Gateways behind one address
   * share it; unset, each process draws its own and its sessions end when it restarts.
   */
  ADMIN_COOKIE_PASSWORD: z.string().min(32, 'ADMIN_COOKIE_PASSWORD must be at least 32 characters').optional(),
  /** The cookie's Secure flag; unset: on in production and when the gateway itself serves TLS. */
  ADMIN_COOKIE_SECURE: envBoolean.optional(),
  /**
   * The console's public origin (`https://admin.example.org`), for the same-origin check of
   * state-changing requests when the gateway sits behind a proxy that rewrites Host; unset, the
   * request's own Host.
   */
  ADMIN_PUBLIC_ORIGIN: z.url().optional(),
}).superRefine(requireInProduction({ minio: true, optionalSecrets: ['JOB_SEAL_SECRET'] }));

export type Environment = z.infer<typeof environmentSchema>;

export const readEnvironment = (env?: Record<string, string | undefined>): Environment =>
  readEnv(environmentSchema, env);
