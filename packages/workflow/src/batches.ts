/**
 * Group commit for the record workers: a worker runs WORKFLOW_CONCURRENCY jobs at once, and their
 * calls to the same store wait a few milliseconds (WORKFLOW_BATCH_WAIT_MS) for each other and go
 * out as one request of at most WORKFLOW_BATCH_MAX items: reads by id as one `find` with `$in`,
 * inserts (records, audit entries, drafts' outcomes) as one unordered `insertMany`, marks as one
 * unordered `bulkWrite`, search
 * documents as one `_bulk` (one refresh for all), duplicate searches as one `_msearch`, staged
 * uploads removed as one multi-object delete. Each job
 * gets its own item's result, so it succeeds or fails, and is retried, on its own.
 */
import {
  Batcher,
  type AnyBulkWriteOperation,
  bulkWriteBatcher,
  findByIdBatcher,
  insertBatcher,
  removeObjectsBatcher,
  type AuditEntry,
  type BatchOptions,
  type Collections,
  type DirectoryEntry,
  type DraftDocument,
  type Histogram,
  type InsertOutcome,
  type MinioClient,
  type RecordDocument,
  refreshIntervalMs,
} from '@steadfast/commons';
import type { DuplicateSearch, SearchIndex } from '@steadfast/records';

export interface BatchSettings {
  /** Items in one request at most (WORKFLOW_BATCH_MAX). */
  maxSize: number;
  /** How long the first item of a batch waits for others (WORKFLOW_BATCH_WAIT_MS). */
  maxWaitMs: number;
}

export interface WorkflowBatches {
  draft: Batcher<string, DraftDocument | undefined>;
  directory: Batcher<string, DirectoryEntry | undefined>;
  insertRecord: Batcher<RecordDocument, InsertOutcome>;
  /** Writes of records that need no answer but success: step marks. */
  writeRecord: Batcher<AnyBulkWriteOperation<RecordDocument>, void>;
  /**
   * Drafts' outcomes: an insert, so the first outcome stays (`duplicate`: decided before). An
   * insert rather than an upsert with `$setOnInsert`: FerretDB answers an upsert with a lookup, a
   * failed update and an insert, and an insert with the insert alone.
   */
  insertDraft: Batcher<DraftDocument, InsertOutcome>;
  insertAudit: Batcher<AuditEntry, InsertOutcome>;
  /** New records' search documents, made visible: one `_bulk` that waits for the next refresh. */
  project: Batcher<{ record: RecordDocument; visible?: boolean }, boolean>;
  /**
   * Later versions of documents already visible (the duplicate flags): one `_bulk` that does not
   * wait for a refresh. Had they shared `project`'s requests, a record with candidates waited for
   * a refresh once more (twice with its own flag): ~0.5-1 s, the whole p99 of submit->processed.
   */
  reproject: Batcher<{ record: RecordDocument }, boolean>;
  duplicates: Batcher<{ record: RecordDocument; limit: number }, DuplicateSearch>;
  /** Staged uploads of decided drafts, as one multi-object delete. */
  removeStaged: Batcher<string, void>;
}

/**
 * How long a search write waits for others. The write waits for the index's next refresh anyway
 * (half its interval on average, `ES_REFRESH_INTERVAL`, 500ms by default), so waiting a tenth of
 * the interval for others costs little latency and saves Elasticsearch a `_bulk` request and its
 * refresh listener per record (at 50 records/s: 1.5 -> 2.3 records per request at 25 ms, and
 * 1.3 ms less Elasticsearch CPU per record). Never less than the other calls' wait.
 */
export function searchBatchWaitMs(refreshInterval: string, maxWaitMs: number): number {
  const intervalMs = refreshIntervalMs(refreshInterval);
  return intervalMs === undefined ? maxWaitMs : Math.max(maxWaitMs, Math.min(100, Math.floor(intervalMs / 10)));
}

/**
 * How long a new record's insert waits for others: half the search write's wait (25 ms at the
 * default refresh interval). Each job inserts its record as it arrives, so at the usual wait the
 * inserts went out one by one (1.02 records an insert at 42 records/s), and FerretDB spends ~0.6 ms
 * of CPU on each insert besides its documents (a scratch test of 1,000 record-sized documents:
 * 1.0 ms each one by one, 0.53 four at a time, 0.40 thirteen). The wait is added to every
 * record's latency, where the refresh wait that follows hides none of it on average.
 */
export function recordInsertWaitMs(refreshInterval: string, maxWaitMs: number): number {
  return Math.max(maxWaitMs, Math.floor(searchBatchWaitMs(refreshInterval, maxWaitMs) / 2));
}

export function workflowBatches(
  db: Collections,
  search: SearchIndex,
  staging: { minio: MinioClient; bucket: string },
  settings: BatchSettings,
  batchSize?: Histogram<'store' | 'op'>,
): WorkflowBatches {
  const options = (store: string, op: string): BatchOptions => ({
    ...settings,
    ...(batchSize ? { onFlush: (size: number) => batchSize.observe({ store, op }, size) } : {}),
  });
  return {
    draft: findByIdBatcher(db.drafts, options('mongodb', 'find-drafts')),
    directory: findByIdBatcher(db.directory, options('mongodb', 'find-directory')),
    insertRecord: insertBatcher(db.records, { ...options('mongodb', 'insert-records'), maxWaitMs: recordInsertWaitMs(search.refreshInterval, settings.maxWaitMs) }),
    writeRecord: bulkWriteBatcher(db.records, options('mongodb', 'write-records')),
    insertDraft: insertBatcher(db.drafts, options('mongodb', 'insert-drafts')),
    insertAudit: insertBatcher(db.audit, options('mongodb', 'insert-audit')),
    project: new Batcher((items) => search.projectMany(items), {
      ...options('elasticsearch', 'bulk'),
      maxWaitMs: searchBatchWaitMs(search.refreshInterval, settings.maxWaitMs),
    }),
    reproject: new Batcher((items) => search.projectMany(items), options('elasticsearch', 'bulk-flags')),
    // Also counted: the records of each union search, and those asked again on their own.
    duplicates: new Batcher(
      (items) => search.findDuplicatesMany(items, { onSearch: (kind, records) => batchSize?.observe({ store: 'elasticsearch', op: `duplicate-${kind}` }, records) }),
      options('elasticsearch', 'msearch'),
    ),
    removeStaged: removeObjectsBatcher(staging.minio, staging.bucket, options('minio', 'remove-staged')),
  };
}
