/**
 * Raising alerts for jobs that failed for good, from any queue: one alert document per failure
 * in the `alerts` collection (its id makes a second raise a duplicate-key no-op), raised when a
 * worker sees the failure and again by a sweep of the queues' failed sets, which catches what a
 * crashed worker missed. Delivering alerts to Sentry and the webhook is the workflow's
 * (`Alerter`): it sends each new alert of its own at once, and any alert, of any service, that
 * is still undelivered a little later.
 */
import type { Job, Queue } from 'bullmq';
import type { Collection } from 'mongodb';
import type { Logger } from './logger.js';
import { alertSummary, isDuplicateKey, type AlertDocument } from './storage/documents.js';

/** The id of one failure of a job: the same from the worker's event and from the sweep. */
export const alertIdOf = (queueName: string, jobId: string, failedAtMs: number): string => `${queueName}:${jobId}:${failedAtMs}`;

/** The first line of an error, capped: later lines of store errors may quote document fields. */
export function errorLine(message: string): string {
  const line = message.split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

export interface AlertSource {
  queue: Pick<Queue, 'name' | 'getFailed'>;
  /** The alert for a job in the failed set, or undefined when it will still be retried. */
  describe(job: Job, base: AlertBaseFields): AlertDocument | undefined;
}

export type AlertBaseFields = Pick<AlertDocument, '_id' | 'queue' | 'attempts' | 'error' | 'failedAt' | 'createdAt' | 'delivered'>;

export class FailedJobAlerts {
  /**
   * Alerts known to be raised: failed jobs stay in their failed set for admins, and the sweep
   * lists them every round; without this each round would cost an insert per failed job.
   * Pruned to the jobs of the last sweep's list.
   */
  private readonly raised = new Set<string>();

  constructor(
    private readonly alerts: Collection<AlertDocument>,
    readonly sources: readonly AlertSource[],
    private readonly logger: Logger,
  ) {}

  /** Raises the alert of a job that failed for good unless it was; returns it if this call did. */
  async raise(source: AlertSource, job: Job): Promise<AlertDocument | undefined> {
    // finishedOn is set by Redis when the job failed; an admin retry that fails again is new.
    if (!job.id || !job.finishedOn) return undefined;
    const id = alertIdOf(source.queue.name, job.id, job.finishedOn);
    if (this.raised.has(id)) return undefined;
    const alert = source.describe(job, {
      _id: id,
      queue: source.queue.name,
      attempts: job.attemptsMade,
      error: errorLine(job.failedReason ?? ''),
      failedAt: new Date(job.finishedOn),
      createdAt: new Date(),
      delivered: {},
    });
    if (!alert) return undefined;
    try {
      await this.alerts.insertOne(alert);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      this.raised.add(id); // raised by another worker, or by an earlier sweep
      return undefined;
    }
    this.raised.add(id);
    this.logger.error({ alert: alert._id, kind: alert.kind, queue: alert.queue, attempts: alert.attempts, err: alert.error }, `alert: ${alertSummary(alert)}`);
    return alert;
  }

  /** Raises the alert of every job in the sources' failed sets (the newest 1,000 of each) not raised yet. */
  async sweep(onRaised: (alert: AlertDocument) => Promise<void> = async () => {}): Promise<void> {
    const listed = new Set<string>();
    for (const source of this.sources) {
      for (const job of await source.queue.getFailed(0, 999)) {
        if (job.id && job.finishedOn) listed.add(alertIdOf(source.queue.name, job.id, job.finishedOn));
        const alert = await this.raise(source, job);
        if (alert) await onRaised(alert);
      }
    }
    for (const id of this.raised) if (!listed.has(id)) this.raised.delete(id);
  }
}
