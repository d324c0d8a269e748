/**
 * MongoDB commands run by the server, from `serverStatus().metrics.commands` (MongoDB and FerretDB
 * both keep a `{ total, failed }` per command name), to count them per record.
 */
import type { MongoClient } from 'mongodb';

/** Calls per command name; nested groups (MongoDB's `<UNKNOWN>`, sub-commands) are skipped. */
export function parseMongoCommands(metrics: unknown): Record<string, number> {
  const commands = (metrics as { commands?: Record<string, unknown> } | undefined)?.commands ?? {};
  const calls: Record<string, number> = {};
  for (const [name, value] of Object.entries(commands)) {
    const total = (value as { total?: unknown } | null)?.total;
    // The driver hands 64-bit counters over as Long (or Int32) objects; Number() reads both.
    const n = typeof total === 'number' || typeof total === 'bigint' || (typeof total === 'object' && total !== null) ? Number(total) : Number.NaN;
    if (Number.isFinite(n)) calls[name] = n;
  }
  return calls;
}

export async function mongoCommands(mongo: MongoClient): Promise<Record<string, number>> {
  const status = await mongo.db('admin').command({ serverStatus: 1 });
  return parseMongoCommands((status as { metrics?: unknown }).metrics);
}
