/**
 * Admin sessions, kept server-side in Redis: the browser's cookie holds only a random session
 * id (sealed by @hapi/cookie), and Redis holds who it is, under a hash of that id (a Redis
 * dump or MONITOR shows no usable session id). A session ends when unused for the idle time
 * (the key's TTL, renewed by each request) or, however busy, at its absolute end (from the
 * login); logout deletes it. Any gateway process sharing the Redis serves any session.
 */
import { createHash, randomBytes } from 'node:crypto';
import { redisKey, SCOPES, type Redis } from '@steadfast/commons';
import { z } from 'zod';

export interface SessionLimits {
  idleSeconds: number;
  absoluteSeconds: number;
}

const AdminUser = z.object({
  userId: z.string().min(1),
  username: z.string().min(1),
  name: z.string().optional(),
  scopes: z.array(z.enum(SCOPES)),
});
export type AdminUser = z.infer<typeof AdminUser>;

const StoredSession = z.object({ user: AdminUser, createdAt: z.number().int() });

export interface AdminSession {
  user: AdminUser;
  createdAt: Date;
  /** A short, non-secret name of the session for logs (a prefix of the id's hash). */
  ref: string;
}

/**
 * How much longer a session created at `createdAtMs` may live now: the idle time, cut short by
 * the absolute end; 0 or less means it has ended.
 */
export function remainingMs(createdAtMs: number, nowMs: number, limits: SessionLimits): number {
  const untilAbsoluteEnd = createdAtMs + limits.absoluteSeconds * 1000 - nowMs;
  return Math.min(limits.idleSeconds * 1000, untilAbsoluteEnd);
}

const PREFIX = redisKey('admin-session');

export class AdminSessions {
  constructor(
    private readonly redis: Redis,
    readonly limits: SessionLimits,
    private readonly prefix = PREFIX,
    private readonly now: () => number = Date.now,
  ) {}

  private hashOf(sessionId: string): string {
    return createHash('sha256').update(sessionId).digest('hex');
  }

  private key(sessionId: string): string {
    return `${this.prefix}:${this.hashOf(sessionId)}`;
  }

  /** Starts a session for `user`; returns its id, for the cookie only. */
  async create(user: AdminUser): Promise<{ sessionId: string; session: AdminSession }> {
    const sessionId = randomBytes(32).toString('base64url');
    const createdAt = this.now();
    const ttl = remainingMs(createdAt, createdAt, this.limits);
    await this.redis.set(this.key(sessionId), JSON.stringify({ user, createdAt }), 'PX', ttl);
    return { sessionId, session: { user, createdAt: new Date(createdAt), ref: this.hashOf(sessionId).slice(0, 12) } };
  }

  /** The live session of this id, its idle time renewed; undefined when there is none (ended, expired, unknown). */
  async read(sessionId: string): Promise<AdminSession | undefined> {
    const key = this.key(sessionId);
    const raw = await this.redis.get(key);
    if (raw === null) return undefined;
    const parsed = StoredSession.safeParse(JSON.parse(raw));
    if (!parsed.success) {
      await this.redis.del(key);
      return undefined;
    }
    const ttl = remainingMs(parsed.data.createdAt, this.now(), this.limits);
    if (ttl <= 0) {
      await this.redis.del(key);
      return undefined;
    }
    await this.redis.pexpire(key, ttl);
    return { user: parsed.data.user, createdAt: new Date(parsed.data.createdAt), ref: this.hashOf(sessionId).slice(0, 12) };
  }

  /** Ends the session (logout); an unknown id is a no-op. */
  async end(sessionId: string): Promise<void> {
    await this.redis.del(this.key(sessionId));
  }
}
