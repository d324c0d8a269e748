/**
 * The staging sweep: every `STAGING_SWEEP_MS` the workflow lists the staging bucket and removes
 * the uploads `stagedUploadVerdict` lets go (a decided draft's, past `STAGING_GRACE_MS`; any
 * upload no job holds, past `STAGING_MAX_AGE_HOURS`). The bucket normally holds only the uploads
 * of jobs in flight, so a round is one listing, one MongoDB query and a job state per draft.
 * Several workflow instances may sweep at once: removing an object twice is harmless.
 */
import type { Collections, Logger, MinioClient } from '@steadfast/commons';
import { stagedUploadVerdict, type StagingLimits } from './verdict.js';

export interface StagingSweepDeps {
  db: Pick<Collections, 'drafts'>;
  minio: MinioClient;
  bucket: string;
  /** The state of the draft's record job, undefined when there is none. */
  jobState(draftId: string): Promise<string | undefined>;
  logger: Logger;
}

/** At most this many uploads are looked at per round; the next round takes the rest. */
const ROUND_LIMIT = 1_000;

/** One round; answers the keys removed. */
export async function sweepStaging(deps: StagingSweepDeps, limits: StagingLimits, now = Date.now()): Promise<string[]> {
  const listed: Array<{ key: string; draftId: string; ageMs: number }> = [];
  const stream = deps.minio.listObjectsV2(deps.bucket, '', true) as AsyncIterable<{ name?: string; lastModified?: Date }>;
  try {
    for await (const o of stream) {
      if (!o.name) continue;
      const ageMs = now - (o.lastModified?.getTime() ?? now);
      // Too young for any rule: not worth a lookup.
      if (ageMs >= limits.graceMs) listed.push({ key: o.name, draftId: o.name.slice(0, o.name.indexOf('/')), ageMs });
      if (listed.length >= ROUND_LIMIT) break;
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'NoSuchBucket') return [];
    throw error;
  }
  if (listed.length === 0) return [];

  const draftIds = [...new Set(listed.map((o) => o.draftId))];
  const decided = new Set((await deps.db.drafts.find({ _id: { $in: draftIds } }, { projection: { _id: 1 } }).toArray()).map((d) => d._id));
  const states = new Map<string, string | undefined>();
  for (const draftId of draftIds) states.set(draftId, await deps.jobState(draftId));

  const removable = listed
    .filter((o) => stagedUploadVerdict({ ageMs: o.ageMs, decided: decided.has(o.draftId), jobState: states.get(o.draftId) }, limits) === 'remove')
    .map((o) => o.key);
  if (removable.length === 0) return [];
  await deps.minio.removeObjects(deps.bucket, removable);
  deps.logger.info({ removed: removable.length, drafts: new Set(removable.map((k) => k.slice(0, k.indexOf('/')))).size }, 'staged uploads left behind removed');
  return removable;
}
