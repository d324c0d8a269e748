/**
 * Attachment objects against MongoDB, and the staging bucket:
 * - missing: listed on a record but absent; repaired only from the staged upload, when it is
 *   still there (the record's sha256 and size are checked against it);
 * - orphaned: under a record's prefix but not listed, or under a prefix with no record (but an
 *   upload the gateway placed for a create whose job is still waiting or can be retried);
 * - staging-expired: an upload staged longer than the threshold with no job that could still
 *   use it (waiting, active, delayed, or failed and retryable by an admin).
 * Work in flight is left alone: objects younger than the grace period are never deleted, and an
 * attachment whose copy step has not run yet (recently) is not reported missing.
 */
import { placedDraftOf, stagingKeyFor, type MinioClient, type RecordDocument, type StoredAttachment } from '@steadfast/commons';
import { HOLDING_STATES } from '../staging/verdict.js';
import { attempt, isNotFound, type CheckResult, type Drift, type ReconcileDeps, type ReconcileOptions } from './drift.js';

interface ObjectInfo {
  size: number;
  lastModified: number;
}

async function listObjects(minio: MinioClient, bucket: string): Promise<Map<string, ObjectInfo>> {
  const objects = new Map<string, ObjectInfo>();
  const stream = minio.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string; size?: number; lastModified?: Date }>;
  try {
    for await (const o of stream) {
      if (o.name) objects.set(o.name, { size: o.size ?? 0, lastModified: o.lastModified?.getTime() ?? 0 });
    }
  } catch (error) {
    // A bucket that does not exist holds nothing: what records list in it is reported missing.
    if ((error as { code?: string }).code !== 'NoSuchBucket') throw error;
  }
  return objects;
}

async function stat(minio: MinioClient, bucket: string, key: string): Promise<{ size: number } | undefined> {
  try {
    return await minio.statObject(bucket, key);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Where the gateway staged an attachment. */
export const stagingKeyOf = (a: StoredAttachment): string => stagingKeyFor(a.draftId, a);


type Listed = Pick<RecordDocument, '_id' | 'attachments' | 'actions' | 'updatedAt'>;

export async function checkObjects(deps: ReconcileDeps, options: ReconcileOptions, now = Date.now()): Promise<CheckResult> {
  const result: CheckResult = { drift: [], inFlight: 0, checked: {} };
  const { minio, buckets } = deps;
  // Objects are listed before the records are read: a record lists its keys before the
  // workflow copies the objects, so every listed object's record is seen below.
  const objects = await listObjects(minio, buckets.attachments);
  result.checked['objects'] = objects.size;
  const expected = new Set<string>();
  const recordIds = new Set<string>();

  const cursor = deps.db.records.find({}, { projection: { _id: 1, attachments: 1, actions: 1, updatedAt: 1 }, batchSize: options.batchSize });
  for await (const record of cursor as AsyncIterable<Listed>) {
    recordIds.add(record._id);
    for (const a of record.attachments) {
      expected.add(a.key);
      if (objects.has(a.key)) continue;
      const action = record.actions[a.draftId];
      const since = (action?.appliedAt ?? record.updatedAt).getTime();
      if (!action?.steps.attachments && now - since < options.graceMs) {
        result.inFlight++;
        continue;
      }
      // Copied after the listing? Look again before calling it missing.
      if (await stat(minio, buckets.attachments, a.key)) continue;
      const drift: Drift = { kind: 'attachment-missing', id: a.key, detail: `record ${record._id} lists it; the object is absent` };
      result.drift.push(drift);
      if (!options.repair) continue;
      await attempt(drift, deps.logger, async () => {
        const source = stagingKeyOf(a);
        const staged = await stat(minio, buckets.staging, source);
        if (!staged) return 'no staged copy left: restore the object from a backup';
        if (staged.size !== a.size) return `the staged copy has ${staged.size} bytes, the record says ${a.size}`;
        await minio.copyObject(buckets.attachments, a.key, `/${buckets.staging}/${source}`);
        return undefined;
      });
    }
  }
  result.checked['records'] = recordIds.size;

  for (const [key, info] of objects) {
    if (expected.has(key)) continue;
    if (now - info.lastModified < options.graceMs) {
      result.inFlight++;
      continue;
    }
    // Placed by the gateway for a create whose job has not written its record yet (the queue
    // may be hours behind while a store is down): not an orphan while the job can still run.
    const placedBy = placedDraftOf(key);
    if (placedBy !== undefined) {
      const state = await deps.jobState(placedBy);
      if (state && HOLDING_STATES.has(state)) {
        result.inFlight++;
        continue;
      }
    }
    const recordId = key.split('/')[0] ?? '';
    const drift: Drift = {
      kind: 'attachment-orphaned',
      id: key,
      detail: recordIds.has(recordId) ? `not listed on record ${recordId}` : 'no record with this prefix',
    };
    result.drift.push(drift);
    if (!options.repair) continue;
    await attempt(drift, deps.logger, async () => {
      // Listed since the scan? Then it is not an orphan after all.
      const listed = await deps.db.records.findOne({ _id: recordId, 'attachments.key': key }, { projection: { _id: 1 } });
      if (listed) return 'listed on its record now: not an orphan';
      // Placed again by a client's retry since the scan? Its job holds it.
      const state = placedBy === undefined ? undefined : await deps.jobState(placedBy);
      if (state && HOLDING_STATES.has(state)) return 'its draft was queued again since the scan: not an orphan';
      await minio.removeObject(buckets.attachments, key);
      return undefined;
    });
  }

  const staged = await listObjects(minio, buckets.staging);
  result.checked['stagingObjects'] = staged.size;
  for (const [key, info] of staged) {
    if (now - info.lastModified < options.stagingMaxAgeMs) continue;
    const draftId = key.split('/')[0] ?? '';
    const state = await deps.jobState(draftId);
    if (state && HOLDING_STATES.has(state)) {
      result.inFlight++;
      continue;
    }
    const ageHours = ((now - info.lastModified) / 3_600_000).toFixed(1);
    const drift: Drift = { kind: 'staging-expired', id: key, detail: `staged ${ageHours} h ago; job ${state ?? 'absent'}` };
    result.drift.push(drift);
    if (!options.repair) continue;
    await attempt(drift, deps.logger, async () => {
      await minio.removeObject(buckets.staging, key);
      return undefined;
    });
  }
  return result;
}
