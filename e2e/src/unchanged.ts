/**
 * What an attacker's probe must leave as it found it: the counts of everything one run's stores
 * hold (records, drafts, audit entries, attachments, staged uploads, search documents, record
 * jobs). Taken before and after refused requests; any difference is a write that should not be.
 */
import assert from 'node:assert/strict';
import { RecordQueue, redisOptions, storeConfigFrom, storeEnvSchema } from '@steadfast/commons';
import type { storesOf } from './client.js';

export interface StoreCounts {
  records: number;
  drafts: number;
  audit: number;
  attachments: number;
  staged: number;
  search: number;
  /** Record jobs in any state (waiting, active, delayed, completed, failed, …). */
  jobs: number;
}

/** Counts what the run's stores hold; `env` names them (see `isolatedStores`). */
export async function countStores(view: ReturnType<typeof storesOf>, env: Record<string, string>): Promise<StoreCounts> {
  const config = storeConfigFrom(storeEnvSchema.parse({ ...process.env, ...env }));
  const queue = new RecordQueue(redisOptions(config.redis), undefined, env['RECORD_QUEUE_NAME'] ?? 'record');
  try {
    const jobCounts = await queue.queue.getJobCounts();
    return {
      records: await view.records.countDocuments({}),
      drafts: await view.drafts.countDocuments({}),
      audit: await view.audit.countDocuments({}),
      attachments: (await view.attachments()).length,
      staged: (await view.staged()).length,
      search: await view.searchCount().catch(() => 0),
      jobs: Object.values(jobCounts).reduce((sum, n) => sum + n, 0),
    };
  } finally {
    await queue.close();
  }
}

/**
 * Runs `probe` and asserts that the stores hold exactly what they held before it. The probe's own
 * assertions (the refusal) come first; this one says what, if anything, it changed.
 */
export async function assertUnchanged<T>(
  view: ReturnType<typeof storesOf>,
  env: Record<string, string>,
  probe: () => Promise<T>,
): Promise<T> {
  const before = await countStores(view, env);
  const result = await probe();
  const after = await countStores(view, env);
  assert.deepEqual(after, before, 'a refused request changed what the stores hold');
  return result;
}
