/** `INFO commandstats` and `INFO memory` of the Redis the system uses, read directly (not via a proxy). */
import type { Redis } from 'ioredis';

/** Parses `cmdstat_<name>:calls=N,...` lines into calls per command. */
export function parseCommandStats(info: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const line of info.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (match) calls[match[1] as string] = Number(match[2]);
  }
  return calls;
}

export function infoField(info: string, field: string): number {
  const match = new RegExp(`^${field}:(\\S+)`, 'm').exec(info);
  return match ? Number(match[1]) : Number.NaN;
}

export async function commandStats(redis: Redis): Promise<Record<string, number>> {
  return parseCommandStats(await redis.info('commandstats'));
}

export async function usedMemory(redis: Redis): Promise<number> {
  return infoField(await redis.info('memory'), 'used_memory');
}

/**
 * Calls per command between two snapshots, without the commands the bench itself sends to read
 * them (`info` for Redis; `serverStatus` for MongoDB).
 */
export function statsDelta(
  after: Record<string, number>,
  before: Record<string, number>,
  own: readonly string[] = ['info'],
): { total: number; byCommand: Record<string, number> } {
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [name, n] of Object.entries(after)) {
    if (own.includes(name)) continue;
    const d = n - (before[name] ?? 0);
    if (d > 0) {
      byCommand[name] = d;
      total += d;
    }
  }
  return { total, byCommand };
}
