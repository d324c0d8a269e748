/**
 * Alerts for record jobs that exhausted their attempts: raised once per exhaustion (a unique
 * alert document, see FailedJobAlerts), then delivered to each configured channel (Sentry, a
 * webhook), each delivery recorded. The 'failed' event raises at once; a periodic sweep raises
 * what a crashed worker missed, and delivers what was raised but not delivered, including the
 * dead-lettered events the events service raises. The job itself stays in the failed set with
 * its data, for an admin to retry.
 */
import {
  deliverAlert,
  FailedJobAlerts,
  repeatEvery,
  type AlertChannel,
  type AlertDocument,
  type AlertSource,
  type Collections,
  type Logger,
  type RecordJob,
  type RecordQueue,
  type Repeating,
} from '@steadfast/commons';

/** `search step failed: …` → `search`; the processor names the step in every failure. */
export const stepOf = (failedReason: string): string => /^(\w+) step failed:/.exec(failedReason)?.[1] ?? 'unknown';

export const isExhausted = (job: RecordJob): boolean => job.attemptsMade >= (job.opts.attempts ?? 1);

/** Failed for good: out of attempts, or failed with an error not worth retrying. */
export const isFinalFailure = (job: RecordJob, error?: Error): boolean =>
  isExhausted(job) || error?.name === 'UnrecoverableError' || / \(not retryable\)$/.test(job.failedReason);

export class Alerter {
  private repeating: Repeating | undefined;
  private readonly raising: FailedJobAlerts;
  private readonly source: AlertSource;

  constructor(
    private readonly db: Collections,
    queue: RecordQueue,
    private readonly channels: AlertChannel[],
    private readonly logger: Logger,
  ) {
    this.source = {
      queue: queue.queue,
      describe: (job, base) =>
        isFinalFailure(job as RecordJob) ? { ...base, kind: 'job-exhausted', draftId: job.id ?? '', step: stepOf(job.failedReason) } : undefined,
    };
    this.raising = new FailedJobAlerts(db.alerts, [this.source], logger);
  }

  /** Raises the alert of a job that failed for good, unless raised already, and delivers it. */
  async exhausted(job: RecordJob): Promise<void> {
    const alert = await this.raising.raise(this.source, job);
    if (alert) await this.deliver(alert);
  }

  private deliver(alert: AlertDocument): Promise<void> {
    return deliverAlert(this.db.alerts, this.channels, alert, this.logger);
  }

  /**
   * Raises alerts for exhausted jobs nobody alerted on, and delivers every alert still
   * undelivered after 30 s: this service's, and those other services raise (dead-lettered
   * events), which have no channels of their own.
   */
  async sweep(): Promise<void> {
    await this.raising.sweep((alert) => this.deliver(alert));
    // No channel (a local run): nothing to deliver, and `$or` refuses an empty list.
    if (this.channels.length === 0) return;
    const staleBefore = new Date(Date.now() - 30_000);
    const undelivered = await this.db.alerts
      .find({ createdAt: { $lt: staleBefore }, $or: this.channels.map((c) => ({ [`delivered.${c.name}`]: { $exists: false } })) })
      .limit(100)
      .toArray();
    for (const alert of undelivered) await this.deliver(alert);
  }

  start(intervalMs: number): void {
    this.repeating = repeatEvery(intervalMs, () => this.sweep(), (error) => this.logger.warn({ err: error.message }, 'alert sweep failed'));
  }

  stop(): void {
    this.repeating?.stop();
  }
}
