/**
 * Per-user rate limits on submissions and status reads (rate-limiter-flexible on Redis, a fixed
 * window per user), and the record queue's depth bound: what keeps one client from filling
 * Redis (noeviction, no maxmemory) or starving the others. A refusal is a GraphQL error with
 * `extensions.code` `RATE_LIMITED` (HTTP 429) or `SERVICE_UNAVAILABLE` (503), each with
 * Retry-After. While Redis is unreachable the limits let requests through (the request itself
 * then fails on Redis, or reads MongoDB only): the limiter must not be the outage.
 */
import { redisKey, type Logger, type Redis } from '@steadfast/commons';
import { GraphQLError } from 'graphql';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export type LimitedKind = 'submissions' | 'statusReads';

export interface UserRateLimitsConfig {
  submissions: number;
  statusReads: number;
  windowSeconds: number;
}

const headers = (retryAfterSeconds: number) => new Map([['retry-after', String(retryAfterSeconds)]]);

export const rateLimited = (kind: LimitedKind, retryAfterSeconds: number, limit: number, windowSeconds: number): GraphQLError =>
  new GraphQLError(
    `Too many ${kind === 'submissions' ? 'submissions' : 'status reads'}: at most ${limit} per user every ${windowSeconds} s. ` +
      `Nothing was changed; retry after ${retryAfterSeconds} s.`,
    { extensions: { code: 'RATE_LIMITED', retryAfterSeconds, http: { status: 429, headers: headers(retryAfterSeconds) } } },
  );

export class UserRateLimits {
  private readonly limiters: Record<LimitedKind, RateLimiterRedis>;

  constructor(
    redis: Redis,
    private readonly config: UserRateLimitsConfig,
    private readonly logger: Logger,
    prefix = redisKey('rate'),
  ) {
    const common = { storeClient: redis, duration: config.windowSeconds };
    this.limiters = {
      submissions: new RateLimiterRedis({ ...common, points: config.submissions, keyPrefix: `${prefix}:submissions` }),
      statusReads: new RateLimiterRedis({ ...common, points: config.statusReads, keyPrefix: `${prefix}:status` }),
    };
  }

  /** Counts one request of `kind` for `userId`; throws RATE_LIMITED past the limit. */
  async consume(kind: LimitedKind, userId: string): Promise<void> {
    try {
      await this.limiters[kind].consume(userId);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        const retryAfter = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
        throw rateLimited(kind, retryAfter, this.config[kind], this.config.windowSeconds);
      }
      this.logger.warn({ err: (error as Error).message, kind }, 'rate limit not counted (Redis); letting the request through');
    }
  }
}

/** Whether the queue is too deep to take more: a pure rule over the counts read. */
export const queueTooDeep = (waiting: number, bound: number): boolean => waiting > bound;

export const queueFull = (retryAfterSeconds: number): GraphQLError =>
  new GraphQLError(
    'Temporarily unavailable: too many submissions are waiting to be processed. Nothing was changed; retry later with the same draftId.',
    {
      extensions: { code: 'SERVICE_UNAVAILABLE', reason: 'QUEUE_FULL', retryable: true, http: { status: 503, headers: headers(retryAfterSeconds) } },
    },
  );

/**
 * The record queue's depth (jobs waiting, delayed or prioritised: not yet running), read at most
 * once per `cacheMs` however many submissions ask, and the refusal when it passes `bound`.
 */
export class QueueDepthGuard {
  private cached: { at: number; depth: Promise<number> } | undefined;

  constructor(
    private readonly readDepth: () => Promise<number>,
    private readonly bound: number,
    private readonly logger: Logger,
    private readonly cacheMs = 1_000,
    private readonly retryAfterSeconds = 30,
  ) {}

  /** Throws SERVICE_UNAVAILABLE (503, Retry-After) while the queue is deeper than the bound. */
  async admit(): Promise<void> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= this.cacheMs) {
      const depth = this.readDepth();
      depth.catch(() => undefined);
      this.cached = { at: now, depth };
    }
    let depth: number;
    try {
      depth = await this.cached.depth;
    } catch (error) {
      // Redis down: the submission fails on Redis itself with its own clear error.
      this.logger.warn({ err: (error as Error).message }, 'queue depth unknown (Redis)');
      return;
    }
    if (queueTooDeep(depth, this.bound)) throw queueFull(this.retryAfterSeconds);
  }
}
