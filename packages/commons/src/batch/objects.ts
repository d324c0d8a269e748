/**
 * Object removals in batches: the keys of concurrent callers go out as one multi-object delete
 * (S3 `DeleteObjects`, at most 1,000 keys), instead of one DELETE each. In quiet mode the answer
 * lists only the keys that failed; a key that was already gone is not a failure (S3 deletes are
 * idempotent), so a retry that removes it again succeeds.
 */
import type { MinioClient } from '../stores.js';
import { Batcher, itemFailed, itemOk, type BatchOptions, type ItemResult } from './batcher.js';

/** What `removeObjects` answers: null for a removed key, `{ Error }` for one that failed. */
export type RemovalAnswer = null | undefined | { Error?: { Code?: string; Message?: string; Key?: string } };

/** Each key's result from a multi-object delete's answer (the failures name their key). */
export function removalResults(keys: readonly string[], answers: readonly RemovalAnswer[]): ItemResult<void>[] {
  const failed = new Map<string, { Code?: string; Message?: string }>();
  for (const answer of answers) {
    const error = answer?.Error;
    if (error?.Key !== undefined && error.Code !== 'NoSuchKey') failed.set(error.Key, error);
  }
  return keys.map((key) => {
    const error = failed.get(key);
    return error ? itemFailed(new Error(`could not remove ${key}: ${error.Code ?? 'error'} ${error.Message ?? ''}`.trim())) : itemOk(undefined);
  });
}

/** Removes keys of `bucket`, those of concurrent callers in one request. */
export function removeObjectsBatcher(minio: MinioClient, bucket: string, options: BatchOptions): Batcher<string, void> {
  return new Batcher(async (keys) => removalResults(keys, await minio.removeObjects(bucket, [...new Set(keys)])), {
    ...options,
    maxSize: Math.min(options.maxSize, 1_000),
  });
}
