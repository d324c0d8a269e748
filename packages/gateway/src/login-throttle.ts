/**
 * Failed logins are counted in Redis, per username and per client address, over a fixed window
 * that starts at the first failure. Past either limit, `POST /auth/authenticate` answers 429 with
 * Retry-After before asking auth: guessing one user's password, or many users' from one place,
 * slows to a crawl. A successful login clears its username's count. Usernames are hashed in the
 * keys. While Redis is unreachable logins are let through (and a warning logged): a field office
 * must be able to log in, and the password check itself is slow by design.
 */
import { createHash } from 'node:crypto';
import { redisKey, type Logger, type Redis } from '@steadfast/commons';

export interface LoginLimits {
  /** Failures of one username in a window before it is refused. */
  perUsername: number;
  /** Failures from one client address in a window before it is refused. */
  perAddress: number;
  windowSeconds: number;
}

export type LoginCheck = { allowed: true } | { allowed: false; retryAfterSeconds: number; by: 'username' | 'address' };

// Under the hash tag: `failed()` counts both keys in one MULTI, one slot on a Redis Cluster.
const PREFIX = redisKey('login-failures');

export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly limits: LoginLimits,
    private readonly logger: Logger,
    private readonly prefix = PREFIX,
  ) {}

  private keys(username: string, address: string): { user: string; address: string } {
    const user = createHash('sha256').update(username.trim().toLowerCase()).digest('hex').slice(0, 32);
    return { user: `${this.prefix}:user:${user}`, address: `${this.prefix}:addr:${address}` };
  }

  /** Whether this username, from this address, may try now. */
  async check(username: string, address: string): Promise<LoginCheck> {
    const keys = this.keys(username, address);
    try {
      const [user, from] = await this.redis.mget(keys.user, keys.address);
      const over = Number(user ?? 0) >= this.limits.perUsername ? ('username' as const) : Number(from ?? 0) >= this.limits.perAddress ? ('address' as const) : undefined;
      if (!over) return { allowed: true };
      const ttl = await this.redis.ttl(over === 'username' ? keys.user : keys.address);
      return { allowed: false, retryAfterSeconds: ttl > 0 ? ttl : this.limits.windowSeconds, by: over };
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'login throttle unavailable (Redis); letting the login through');
      return { allowed: true };
    }
  }

  /** Counts a failed login against the username and the address; the window starts at the first. */
  async failed(username: string, address: string): Promise<void> {
    const keys = this.keys(username, address);
    try {
      await this.redis
        .multi()
        .incr(keys.user)
        .expire(keys.user, this.limits.windowSeconds, 'NX')
        .incr(keys.address)
        .expire(keys.address, this.limits.windowSeconds, 'NX')
        .exec();
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'failed login not counted (Redis)');
    }
  }

  /** A successful login: the username's failures are forgotten (the address's are not). */
  async succeeded(username: string, address: string): Promise<void> {
    try {
      await this.redis.del(this.keys(username, address).user);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'login failures not cleared (Redis)');
    }
  }
}
