/**
 * A Lua script run by its SHA (EVALSHA), sent whole (EVAL) only when the server does not hold it
 * yet (NOSCRIPT: a restarted or failed-over Redis, a new Cluster node). Its keys carry the
 * `{steadfast}` hash tag, so it runs on one node of a Cluster.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface RedisScript {
  /** Runs the script with `keys` as KEYS and `args` as ARGV; resolves with its reply. */
  run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown>;
}

export function redisScript(source: string): RedisScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
        return redis.eval(source, keys.length, ...keys, ...args);
      }
    },
  };
}
