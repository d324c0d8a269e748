/**
 * Failed logins are limited in Redis, per username and per client address, over a fixed window
 * that starts at the first attempt (rate-limiter-flexible's RateLimiterRedis: one atomic
 * increment per key). Every attempt is counted BEFORE auth checks the password, so 40 guesses
 * sent at once for one username let at most the limit through; a successful login clears its
 * username's count and gives its address back the attempt. Past either limit,
 * `POST /auth/authenticate` answers 429 with Retry-After without asking auth. Usernames are
 * hashed in the keys. While Redis is unreachable logins are let through (and a warning logged):
 * a field office must be able to log in, and the password check itself is slow by design.
 */
import { createHash } from 'node:crypto';
import { redisKey, type Logger, type Redis } from '@steadfast/commons';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface LoginLimits {
  /** Attempts of one username in a window before it is refused. */
  perUsername: number;
  /** Attempts from one client address in a window before it is refused (successes are given back). */
  perAddress: number;
  windowSeconds: number;
}

export type LoginCheck = { allowed: true } | { allowed: false; retryAfterSeconds: number; by: 'username' | 'address' };

// Under the hash tag, like every Steadfast key: one slot on a Redis Cluster.
const PREFIX = redisKey('login-failures');

/** The key part for a username: case and surrounding blanks do not make a new username. */
export const usernameKey = (username: string): string =>
  createHash('sha256').update(username.trim().toLowerCase()).digest('hex').slice(0, 32);

const retryAfter = (refused: RateLimiterRes, windowSeconds: number): number =>
  refused.msBeforeNext > 0 ? Math.ceil(refused.msBeforeNext / 1000) : windowSeconds;

export class LoginThrottle {
  private readonly byUser: RateLimiterRedis;
  private readonly byAddress: RateLimiterRedis;

  constructor(
    redis: Redis,
    private readonly limits: LoginLimits,
    private readonly logger: Logger,
    prefix = PREFIX,
  ) {
    const common = { storeClient: redis, duration: limits.windowSeconds };
    this.byUser = new RateLimiterRedis({ ...common, points: limits.perUsername, keyPrefix: `${prefix}:user` });
    this.byAddress = new RateLimiterRedis({ ...common, points: limits.perAddress, keyPrefix: `${prefix}:addr` });
  }

  /**
   * Counts one attempt of `username` from `address` and says whether it may go to auth. The count
   * is taken first, atomically, so concurrent attempts cannot all pass a check made before it.
   */
  async attempt(username: string, address: string): Promise<LoginCheck> {
    try {
      await this.byUser.consume(usernameKey(username));
    } catch (error) {
      return this.refusedOrOpen(error, 'username');
    }
    try {
      await this.byAddress.consume(address);
    } catch (error) {
      return this.refusedOrOpen(error, 'address');
    }
    return { allowed: true };
  }

  /** A successful login: the username's attempts are forgotten, the address gets this one back. */
  async succeeded(username: string, address: string): Promise<void> {
    try {
      await Promise.all([this.byUser.delete(usernameKey(username)), this.byAddress.reward(address, 1)]);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'login attempts not cleared (Redis)');
    }
  }

  /** An attempt auth never judged (auth unreachable): it is given back to both counts. */
  async notChecked(username: string, address: string): Promise<void> {
    try {
      await Promise.all([this.byUser.reward(usernameKey(username), 1), this.byAddress.reward(address, 1)]);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'login attempt not given back (Redis)');
    }
  }

  private refusedOrOpen(error: unknown, by: 'username' | 'address'): LoginCheck {
    if (error instanceof RateLimiterRes) {
      return { allowed: false, retryAfterSeconds: retryAfter(error, this.limits.windowSeconds), by };
    }
    this.logger.warn({ err: (error as Error).message }, 'login throttle unavailable (Redis); letting the login through');
    return { allowed: true };
  }
}
