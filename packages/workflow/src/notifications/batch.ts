/**
 * The pure parts of notifications in batches: what a `notification` job holds (a list, or one
 * notification in a job queued before batches), the job id of a batch, what to do with a
 * notification whose claim was already there, and how a job's outcomes read. notifications.ts
 * only reads and writes around them.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Notification } from './adapters.js';

const notificationSchema = z.object({
  id: z.string().min(1).max(128),
  recordId: z.string().min(1).max(128),
  kind: z.enum(['declared', 'registered']),
  channel: z.enum(['sms', 'email']),
  to: z.string().min(1).max(320),
  text: z.string().min(1).max(2_000),
});

/** A job of the `notification` queue: the notifications enqueued together. */
export const notificationBatchSchema = z.object({ notifications: z.array(notificationSchema).min(1).max(1_000) });
export type NotificationBatch = z.infer<typeof notificationBatchSchema>;

/**
 * The notifications a job holds: a batch, or the one notification of a job queued before
 * batches (an upgrade with jobs in flight). A notification listed twice is sent once.
 * Throws (a zod error) on anything else: such a job can never succeed.
 */
export function notificationsOfJob(data: unknown): Notification[] {
  const batch = notificationBatchSchema.safeParse(data);
  const list = batch.success ? batch.data.notifications : [notificationSchema.parse(data)];
  return uniqueById(list);
}

export function uniqueById<T extends Pick<Notification, 'id'>>(list: readonly T[]): T[] {
  return [...new Map(list.map((n) => [n.id, n] as const)).values()];
}

/**
 * The job id of a batch: the same notifications give the same id whatever their order (a
 * batch queued again while its job is kept is that job), different ones another.
 */
export function batchJobId(notifications: readonly Pick<Notification, 'id'>[]): string {
  const ids = [...new Set(notifications.map((n) => n.id))].sort();
  return `batch-${createHash('sha256').update(ids.join('|')).digest('hex').slice(0, 40)}`;
}

/** A job's name in the board: how many notifications it holds, and of which kinds. */
export function batchJobName(notifications: readonly Pick<Notification, 'kind'>[]): string {
  const kinds = [...new Set(notifications.map((n) => n.kind))].sort().join('+');
  return `${notifications.length} ${kinds}`;
}

/** A claim as found, when the insert of ours met one already there. */
export interface ExistingClaim {
  status: 'sending' | 'sent' | 'failed';
  /** The job that claimed it; absent on claims made before batches (their job id was the notification's id). */
  jobId?: string;
  /** Which delivery made it (one per run of a job): ours when a batch insert was redone item by item. */
  claimId?: string;
}

/** The state of the job that holds a claim, as BullMQ reports it ('unknown': no such job). */
export type OwnerState = 'active' | 'waiting' | 'delayed' | 'prioritized' | 'waiting-children' | 'completed' | 'failed' | 'unknown';

/** A job that will not run again on its own: a claim it left `sending` stays so. */
const FINAL: ReadonlySet<OwnerState> = new Set<OwnerState>(['completed', 'failed', 'unknown']);

/**
 * What to do with a notification whose claim was there before ours:
 * - `send`: the claim is our own, made by this very delivery (an insert the batch wrote and its
 *   item-by-item redo reported as a duplicate);
 * - `skip`: sent already, or another job that holds the claim will still run (it sends it, or
 *   it finds its own send cut short and raises the alert itself);
 * - `retake`: a send known to have failed: take the claim back and send again;
 * - `unknown`: a send cut short (our own job's earlier attempt, or a job that will not run
 *   again): whether it reached the informant is unknown; never sent twice, alerted once;
 * - `ask-owner`: another job holds a claim still `sending`: ask for that job's state, then read
 *   the claim again and decide with both (`owner`). In that order: an owner that finished after
 *   our first read has written its outcome by then, so a claim still `sending` from a job that
 *   will not run again was cut short, not merely in flight (two batch jobs holding the same
 *   notification at once must not raise a false alert).
 */
export function claimDecision(
  existing: ExistingClaim | undefined,
  notificationId: string,
  ours: { jobId: string; claimId: string },
  owner?: { jobId: string; state: OwnerState },
): 'send' | 'skip' | 'retake' | 'unknown' | 'ask-owner' {
  // Gone between the insert and the read: nothing to decide on; its own job's next try will.
  if (!existing) return 'skip';
  if (existing.status === 'sending' && existing.claimId === ours.claimId) return 'send';
  if (existing.status === 'sent') return 'skip';
  if (existing.status === 'failed') return 'retake';
  const holder = claimOwner(existing, notificationId);
  if (holder === ours.jobId) return 'unknown';
  if (owner?.jobId !== holder) return 'ask-owner';
  return FINAL.has(owner.state) ? 'unknown' : 'skip';
}

export const claimOwner = (existing: ExistingClaim, notificationId: string): string => existing.jobId ?? notificationId;

export type DeliveryOutcome = 'sent' | 'skipped' | 'unknown' | { failed: string };

export interface DeliverySummary {
  sent: number;
  skipped: number;
  unknown: number;
  failed: number;
}

export function summarize(outcomes: readonly DeliveryOutcome[]): DeliverySummary {
  const summary: DeliverySummary = { sent: 0, skipped: 0, unknown: 0, failed: 0 };
  for (const o of outcomes) summary[typeof o === 'string' ? o : 'failed'] += 1;
  return summary;
}

/** The error a job fails with when some sends failed (retried: only those are sent again); undefined when none did. */
export function failureOf(outcomes: readonly DeliveryOutcome[]): Error | undefined {
  const failed = outcomes.filter((o): o is { failed: string } => typeof o === 'object');
  if (failed.length === 0) return undefined;
  const first = failed[0]!.failed.split('\n')[0]!.slice(0, 200);
  return new Error(`${failed.length} of ${outcomes.length} notifications failed (retried; the others are not sent again): ${first}`);
}
