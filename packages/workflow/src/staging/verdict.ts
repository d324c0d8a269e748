/**
 * Whether a staged upload (the gateway's copy under `<draftId>/…` in the staging bucket) may be
 * removed. Normally its job's cleanup step removes it; some are left behind all the same: a
 * gateway killed between staging a repeat's uploads and removing them, a repeat whose uploads
 * land after the job's cleanup, a draft whose client gave up before it was queued. Pure, so the
 * rules are tested without stores; the workflow's sweep and `npm run reconcile` both apply it.
 */

/** Job states in which the job may still read its staged uploads (a failed job can be retried). */
export const HOLDING_STATES: ReadonlySet<string> = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed']);

export interface StagedUpload {
  /** Since the upload was last written. */
  ageMs: number;
  /** The draft's outcome is in MongoDB (processed or rejected). */
  decided: boolean;
  /** The draft's record job's state; undefined when there is none. */
  jobState: string | undefined;
}

export interface StagingLimits {
  /** Younger uploads are never removed: their request may still be on its way to the queue. */
  graceMs: number;
  /** Older uploads with no job that could use them are removed, decided or not. */
  maxAgeMs: number;
}

export type StagingVerdict = 'keep' | 'remove';

export function stagedUploadVerdict(upload: StagedUpload, limits: StagingLimits): StagingVerdict {
  if (upload.jobState !== undefined && HOLDING_STATES.has(upload.jobState)) return 'keep';
  if (upload.ageMs < limits.graceMs) return 'keep';
  // Decided: its job copied what it needed, and every later repeat is answered from MongoDB.
  if (upload.decided) return 'remove';
  return upload.ageMs >= limits.maxAgeMs ? 'remove' : 'keep';
}
