/**
 * Notifications to the informant, through the `notification` queue, sent at most once per
 * record, kind and recipient: a send is claimed in MongoDB (`notifications`, `_id` = hash of
 * the three) before it goes out. A send that failed releases its claim and is retried; one cut
 * short by a crash (claimed, outcome unknown) is not sent again: its job, run again after the
 * crash, finds the claim and raises a `notification-unknown` alert for an admin, once.
 */
import { createHash } from 'node:crypto';
import { collections, isDuplicateKey, queueBase, type AlertDocument, type Collection, type Db, type Logger, type RecordDocument } from '@steadfast/commons';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Notification, NotificationAdapter, NotificationKind } from './adapters.js';

export interface NotificationDocument {
  _id: string;
  recordId: string;
  kind: NotificationKind;
  channel: Notification['channel'];
  status: 'sending' | 'sent' | 'failed';
  createdAt: Date;
  sentAt?: Date;
  error?: string;
}

const EVENT_WORDS = { birth: 'birth', death: 'death', marriage: 'marriage' } as const;

/** The message for a record, or undefined when the record has no contact to send to. */
export function notificationFor(record: RecordDocument, kind: NotificationKind): Notification | undefined {
  const contact = ((record.data['registration'] as Record<string, unknown> | undefined)?.['contact'] ?? {}) as {
    email?: string;
    phone?: string;
  };
  const to = contact.phone ?? contact.email;
  if (!to) return undefined;
  const channel = contact.phone ? 'sms' : 'email';
  const id = createHash('sha256').update(`${record._id}|${kind}|${to}`).digest('hex');
  const what = EVENT_WORDS[record.event];
  const text =
    kind === 'declared'
      ? `The ${what} you reported was received. Tracking ID: ${record.trackingId}.`
      : `The ${what} is registered. Registration number: ${record.registrationNumber ?? ''}. Tracking ID: ${record.trackingId}.`;
  return { id, recordId: record._id, kind, channel, to, text };
}

export class Notifications {
  readonly queue: Queue<Notification>;
  private readonly sent: Collection<NotificationDocument>;
  private readonly alerts: Collection<AlertDocument>;
  private worker: Worker<Notification> | undefined;

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly queueName: string,
    db: Db,
    private readonly adapter: NotificationAdapter,
    private readonly logger: Logger,
  ) {
    this.queue = new Queue<Notification>(queueName, queueBase(connection));
    this.sent = db.collection<NotificationDocument>('notifications');
    this.alerts = collections(db).alerts;
  }

  /** Queues the record's notification of this kind (a repeat while queued is the same job). */
  async enqueue(record: RecordDocument, kind: NotificationKind): Promise<void> {
    const notification = notificationFor(record, kind);
    if (!notification) return;
    await this.queue.add(kind, notification, {
      jobId: notification.id,
      attempts: 20,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { count: 1_000 },
      removeOnFail: false,
    });
  }

  /** Sends one notification unless it was claimed before; `attempts`: its job's, for an alert. */
  async deliver(n: Notification, attempts = 0): Promise<'sent' | 'skipped'> {
    if (!(await this.claim(n, attempts))) return 'skipped';
    try {
      await this.adapter.send(n);
    } catch (error) {
      await this.sent.updateOne({ _id: n.id }, { $set: { status: 'failed', error: (error as Error).message } });
      throw error;
    }
    await this.sent.updateOne({ _id: n.id }, { $set: { status: 'sent', sentAt: new Date() } });
    this.logger.info({ recordId: n.recordId, kind: n.kind, channel: n.channel }, 'notification sent');
    return 'sent';
  }

  private async claim(n: Notification, attempts: number): Promise<boolean> {
    try {
      await this.sent.insertOne({ _id: n.id, recordId: n.recordId, kind: n.kind, channel: n.channel, status: 'sending', createdAt: new Date() });
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    // Only a send known to have failed may be tried again.
    const retried = await this.sent.updateOne({ _id: n.id, status: 'failed' }, { $set: { status: 'sending' } });
    if (retried.modifiedCount === 1) return true;
    const existing = await this.sent.findOne({ _id: n.id });
    if (existing?.status === 'sending') {
      this.logger.warn({ recordId: n.recordId, kind: n.kind }, 'notification outcome unknown (a send was cut short); not sending twice');
      await this.raiseUnknown(n, existing, attempts);
    }
    return false;
  }

  /** One alert per notification whose outcome is unknown; the workflow's alert sweep delivers it. */
  private async raiseUnknown(n: Notification, claim: NotificationDocument, attempts: number): Promise<void> {
    try {
      await this.alerts.insertOne({
        _id: `notification:${n.id}`,
        kind: 'notification-unknown',
        queue: this.queueName,
        attempts,
        error: 'the send was cut short (the worker stopped mid-send); whether it reached the informant is unknown, and it is not sent again',
        failedAt: claim.createdAt,
        createdAt: new Date(),
        delivered: {},
        notificationId: n.id,
        recordId: n.recordId,
        notificationKind: n.kind,
        channel: n.channel,
      });
      this.logger.error({ recordId: n.recordId, kind: n.kind, channel: n.channel }, 'alert: a notification may not have been sent; check with the provider');
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  start(concurrency = 4): void {
    this.worker = new Worker<Notification>(this.queueName, async (job) => this.deliver(job.data, job.attemptsMade), { ...queueBase(this.connection), concurrency });
    this.worker.on('error', (error) => this.logger.warn({ err: error.message }, 'notification worker error'));
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
