/**
 * BullMQ's safety rests on two Redis settings: `maxmemory-policy noeviction` (an evicted key is
 * a lost job or a lost lock) and persistence (a restart must not forget the queue). A service
 * checks them when it first connects: production refuses to run without them, development
 * warns.
 */
import type { Redis } from 'ioredis';
import { ConfigError } from './config.js';
import type { Logger } from './logger.js';

export interface RedisPolicy {
  maxmemoryPolicy: string;
  aof: boolean;
  rdb: boolean;
}

const infoField = (info: string, field: string): string | undefined =>
  new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();

export async function readRedisPolicy(redis: Redis): Promise<RedisPolicy> {
  const info = `${await redis.info('memory')}\n${await redis.info('persistence')}`;
  let rdb: boolean;
  try {
    // Managed Redis may refuse CONFIG; then only AOF counts as evidence of persistence.
    const [, save] = (await redis.config('GET', 'save')) as [string, string];
    rdb = !!save && save.trim() !== '';
  } catch {
    rdb = false;
  }
  return {
    maxmemoryPolicy: infoField(info, 'maxmemory_policy') ?? 'unknown',
    aof: infoField(info, 'aof_enabled') === '1',
    rdb,
  };
}

export function redisPolicyProblems(policy: RedisPolicy): string[] {
  const problems: string[] = [];
  if (policy.maxmemoryPolicy !== 'noeviction') {
    problems.push(
      `Redis maxmemory-policy is ${policy.maxmemoryPolicy}; it must be noeviction, or Redis may delete queued jobs ` +
        '(fix: CONFIG SET maxmemory-policy noeviction, and set it in redis.conf)',
    );
  }
  if (!policy.aof && !policy.rdb) {
    problems.push('Redis has no persistence; a restart would lose every queued job (fix: appendonly yes in redis.conf)');
  }
  return problems;
}

/** Throws a ConfigError in production, logs a warning otherwise. */
export async function checkRedisPolicy(redis: Redis, logger: Logger, production: boolean): Promise<void> {
  const problems = redisPolicyProblems(await readRedisPolicy(redis));
  if (problems.length === 0) return;
  if (production) throw new ConfigError(problems);
  for (const problem of problems) logger.warn(problem);
}
