/**
 * Alerts for jobs that exhausted their attempts: raised once per exhaustion (a unique alert
 * document), then delivered to each configured channel (Sentry, a webhook), each delivery
 * recorded. The 'failed' event raises at once; a periodic sweep raises what a crashed worker
 * missed and re-delivers what was raised but not delivered. The job itself stays in the failed
 * set with its data, for an admin to retry.
 */
import type { AlertDocument, Collections, Logger, RecordJob, RecordQueue } from '@steadfast/commons';
import { isDuplicateKey } from '@steadfast/commons';

export interface AlertChannel {
  name: 'sentry' | 'webhook';
  deliver(alert: AlertDocument): Promise<void>;
}

/** `search step failed: …` → `search`; the processor names the step in every failure. */
export const stepOf = (failedReason: string): string => /^(\w+) step failed:/.exec(failedReason)?.[1] ?? 'unknown';

export const isExhausted = (job: RecordJob): boolean => job.attemptsMade >= (job.opts.attempts ?? 1);

/** Failed for good: out of attempts, or failed with an error not worth retrying. */
export const isFinalFailure = (job: RecordJob, error?: Error): boolean =>
  isExhausted(job) || error?.name === 'UnrecoverableError' || / \(not retryable\)$/.test(job.failedReason);

/** The webhook channel: a JSON POST with an idempotency key, so a re-delivery can be spotted. */
export function webhookChannel(url: string): AlertChannel {
  return {
    name: 'webhook',
    async deliver(alert) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': alert._id },
        body: JSON.stringify({
          text: `Steadfast: a ${alert.queue} job exhausted its attempts at the ${alert.step} step (draft ${alert.draftId}): ${alert.error}`,
          alert,
        }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`alert webhook answered HTTP ${response.status}`);
    },
  };
}

export class Alerter {
  private timer: NodeJS.Timeout | undefined;
  /**
   * Alerts known to be raised: the sweep lists every job in the failed set each round, and
   * failed jobs stay there for admins, so without this each round would try an insert per job.
   * Pruned to the jobs of the last sweep's list.
   */
  private readonly raised = new Set<string>();

  constructor(
    private readonly db: Collections,
    private readonly queue: RecordQueue,
    private readonly channels: AlertChannel[],
    private readonly logger: Logger,
  ) {}

  /** Raises the alert of a job that failed for good, unless raised already, and delivers it. */
  async exhausted(job: RecordJob): Promise<void> {
    // finishedOn (set by Redis when the job failed for good) makes the id of this exhaustion:
    // the same in the 'failed' event and in the sweep, new after an admin retry fails again.
    if (!job.id || !job.finishedOn || !isFinalFailure(job)) return;
    const failedAt = new Date(job.finishedOn);
    const id = this.alertId(job.id, failedAt);
    if (this.raised.has(id)) return;
    const alert: AlertDocument = {
      _id: id,
      kind: 'job-exhausted',
      queue: this.queue.name,
      draftId: job.id,
      step: stepOf(job.failedReason),
      attempts: job.attemptsMade,
      error: job.failedReason,
      failedAt,
      createdAt: new Date(),
      delivered: {},
    };
    try {
      await this.db.alerts.insertOne(alert);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      this.raised.add(id); // raised by another worker, or by an earlier sweep
      return;
    }
    this.raised.add(id);
    this.logger.error({ draftId: alert.draftId, step: alert.step, attempts: alert.attempts, err: alert.error }, 'alert: job exhausted its attempts');
    await this.deliver(alert);
  }

  private alertId(jobId: string, failedAt: Date): string {
    return `${this.queue.name}:${jobId}:${failedAt.getTime()}`;
  }

  private async deliver(alert: AlertDocument): Promise<void> {
    for (const channel of this.channels) {
      if (alert.delivered[channel.name]) continue;
      try {
        await channel.deliver(alert);
        const at = new Date();
        alert.delivered[channel.name] = at;
        await this.db.alerts.updateOne({ _id: alert._id }, { $set: { [`delivered.${channel.name}`]: at } });
      } catch (error) {
        this.logger.warn({ draftId: alert.draftId, channel: channel.name, err: (error as Error).message }, 'alert delivery failed; the sweep retries it');
      }
    }
  }

  /** Raises alerts for exhausted jobs nobody alerted on, and re-delivers undelivered ones. */
  async sweep(): Promise<void> {
    const failed = await this.queue.queue.getFailed(0, 999);
    for (const job of failed) await this.exhausted(job);
    const listed = new Set(failed.flatMap((job) => (job.id && job.finishedOn ? [this.alertId(job.id, new Date(job.finishedOn))] : [])));
    for (const id of this.raised) if (!listed.has(id)) this.raised.delete(id);
    // No channel (a local run): nothing to re-deliver, and `$or` refuses an empty list.
    if (this.channels.length === 0) return;
    const staleBefore = new Date(Date.now() - 30_000);
    const undelivered = await this.db.alerts
      .find({ createdAt: { $lt: staleBefore }, $or: this.channels.map((c) => ({ [`delivered.${c.name}`]: { $exists: false } })) })
      .limit(100)
      .toArray();
    for (const alert of undelivered) await this.deliver(alert);
  }

  start(intervalMs: number): void {
    const tick = () => {
      this.sweep()
        .catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'alert sweep failed'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, intervalMs);
        });
    };
    this.timer = setTimeout(tick, intervalMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
