/**
 * What reconciliation finds and how it reports it. MongoDB is the source of truth; drift is any
 * place where Elasticsearch or MinIO disagrees with it.
 */
import type { Collections, ElasticsearchClient, Logger, MinioClient } from '@steadfast/commons';

export const DRIFT_KINDS = [
  'search-index-missing',
  'search-missing',
  'search-stale',
  'search-orphaned',
  'attachment-missing',
  'attachment-orphaned',
  'staging-expired',
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export interface Drift {
  kind: DriftKind;
  /** The record id, or the object key. */
  id: string;
  detail: string;
  /** Set in repair mode: whether the repair fixed it, and why not when it did not. */
  repaired?: boolean;
  note?: string;
}

export interface ReconcileDeps {
  es: ElasticsearchClient;
  alias: string;
  /** The search index's refresh_interval, for an index the repair rebuilds (`ES_REFRESH_INTERVAL`). */
  refreshInterval?: string;
  db: Collections;
  minio: MinioClient;
  buckets: { attachments: string; staging: string };
  /** The BullMQ state of the record job with this draftId, undefined when there is none. */
  jobState(draftId: string): Promise<string | undefined>;
  logger: Logger;
}

export interface ReconcileOptions {
  repair: boolean;
  /** Records changed and objects written more recently than this are work in flight: skipped. */
  graceMs: number;
  /** Staged uploads older than this, with no job that could still use them, are drift. */
  stagingMaxAgeMs: number;
  batchSize: number;
  /** The clock (ms since the epoch); tests move it forward instead of waiting. */
  now?: number;
}

/** Findings of one check, with the count of items it skipped as work in flight. */
export interface CheckResult {
  drift: Drift[];
  inFlight: number;
  checked: Record<string, number>;
}

export const DEFAULT_OPTIONS: ReconcileOptions = {
  repair: false,
  graceMs: 10 * 60_000,
  stagingMaxAgeMs: 24 * 3_600_000,
  batchSize: 500,
};

export const isNotFound = (error: unknown): boolean => {
  const code = (error as { code?: string }).code;
  return code === 'NotFound' || code === 'NoSuchKey';
};

/** Runs a repair and records its outcome on the finding; a failure is reported, never thrown. */
export async function attempt(drift: Drift, logger: Logger, repair: () => Promise<string | undefined>): Promise<void> {
  try {
    const unrepaired = await repair();
    drift.repaired = unrepaired === undefined;
    if (unrepaired) drift.note = unrepaired;
  } catch (error) {
    drift.repaired = false;
    drift.note = `repair failed: ${(error as Error).message}`;
    logger.warn({ kind: drift.kind, id: drift.id, err: (error as Error).message }, 'repair failed');
  }
}
