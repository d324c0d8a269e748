/**
 * Notifications to the informant, through the `notification` queue, sent at most once per
 * record, kind and recipient: a send is claimed in MongoDB (`notifications`, `_id` = hash of
 * the three) before it goes out. A send that failed releases its claim and is retried; one cut
 * short by a crash (claimed, outcome unknown) is not sent again: its job, run again after the
 * crash, finds the claim and raises a `notification-unknown` alert for an admin, once.
 *
 * In batches (issue 20): the notifications concurrent record jobs enqueue within the group
 * commit's window (WORKFLOW_BATCH_MAX / WORKFLOW_BATCH_WAIT_MS) go to the queue as ONE job
 * listing them, and each caller returns only once Redis acknowledged that job. A job claims its
 * notifications with one unordered insertMany, sends them (NOTIFICATION_SEND_CONCURRENCY at a
 * time), and records the outcomes with one bulkWrite (one updateMany for every one sent); when
 * some sends failed the job fails and its retry sends only those (the others are skipped by
 * their claims). The decisions are pure functions in batch.ts; a job queued before batches (one
 * notification) is still delivered.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Batcher,
  bulkWriteBatcher,
  collections,
  insertBatcher,
  isDuplicateKey,
  itemOk,
  queueBase,
  workerBase,
  type AlertDocument,
  type AnyBulkWriteOperation,
  type BatchOptions,
  type Collection,
  type Db,
  type Histogram,
  type InsertOutcome,
  type Logger,
  type RecordDocument,
} from '@steadfast/commons';
import { Queue, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Notification, NotificationAdapter, NotificationKind } from './adapters.js';
import {
  batchJobId,
  batchJobName,
  claimDecision,
  claimOwner,
  failureOf,
  notificationsOfJob,
  summarize,
  uniqueById,
  type DeliveryOutcome,
  type DeliverySummary,
  type NotificationBatch,
  type OwnerState,
} from './batch.js';

export interface NotificationDocument {
  _id: string;
  recordId: string;
  kind: NotificationKind;
  channel: Notification['channel'];
  status: 'sending' | 'sent' | 'failed';
  /** The job that holds the claim (absent on claims made before batches: the job id was `_id`). */
  jobId?: string;
  /** Which run of that job made it (see batch.ts `claimDecision`). */
  claimId?: string;
  createdAt: Date;
  claimedAt?: Date;
  sentAt?: Date;
  error?: string;
}

export interface NotificationSettings {
  /** The enqueue batch: at most this many notifications per job (WORKFLOW_BATCH_MAX). */
  maxSize: number;
  /** How long the first notification of a batch waits for others (WORKFLOW_BATCH_WAIT_MS). */
  maxWaitMs: number;
  /** Sends of one job in flight at once (NOTIFICATION_SEND_CONCURRENCY). */
  sendConcurrency: number;
  /** `steadfast_batch_size{store,op}`, as the record workers' group commit reports it. */
  batchSize?: Histogram<'store' | 'op'>;
}

const DEFAULTS: NotificationSettings = { maxSize: 64, maxWaitMs: 5, sendConcurrency: 8 };
/** The outcome write is retried in place before the job gives up (a give-up alerts its sends on the retry). */
const OUTCOME_WRITE_DELAYS_MS = [200, 1_000, 3_000];

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

/** Which job is delivering, for the claims it makes and the alerts it raises. */
export interface DeliveryJob {
  id: string;
  attempts: number;
}

export class Notifications {
  readonly queue: Queue<NotificationBatch | Notification>;
  private readonly sent: Collection<NotificationDocument>;
  private readonly alerts: Collection<AlertDocument>;
  private readonly settings: NotificationSettings;
  private readonly enqueued: Batcher<Notification, void>;
  private readonly claims: Batcher<NotificationDocument, InsertOutcome>;
  private readonly outcomes: Batcher<AnyBulkWriteOperation<NotificationDocument>, void>;
  private worker: Worker<NotificationBatch | Notification> | undefined;

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly queueName: string,
    db: Db,
    private readonly adapter: NotificationAdapter,
    private readonly logger: Logger,
    settings: Partial<NotificationSettings> = {},
  ) {
    this.settings = { ...DEFAULTS, ...settings };
    this.queue = new Queue(queueName, queueBase(connection));
    this.sent = db.collection<NotificationDocument>('notifications');
    this.alerts = collections(db).alerts;
    const options = (store: string, op: string, maxWaitMs: number): BatchOptions => {
      const { batchSize, maxSize } = this.settings;
      return { maxSize, maxWaitMs, ...(batchSize ? { onFlush: (size: number) => batchSize.observe({ store, op }, size) } : {}) };
    };
    this.enqueued = new Batcher((items) => this.addBatch(items), options('redis', 'add-notifications', this.settings.maxWaitMs));
    // A job hands over all its claims (and then all its outcomes) in one turn: no wait needed.
    this.claims = insertBatcher(this.sent, options('mongodb', 'insert-notifications', 0));
    // Its statements cover many documents each (updateMany): the batch size reported is the
    // documents a call writes (`writeOutcomes`), as for the other writes.
    this.outcomes = bulkWriteBatcher(this.sent, { maxSize: this.settings.maxSize, maxWaitMs: 0 });
  }

  /**
   * Queues the record's notification of this kind, in the next batch; resolves once Redis has
   * the job that holds it (a repeat while that job is kept is the same job).
   */
  async enqueue(record: RecordDocument, kind: NotificationKind): Promise<void> {
    const notification = notificationFor(record, kind);
    if (!notification) return;
    await this.enqueued.add(notification);
  }

  private async addBatch(items: readonly Notification[]) {
    const notifications = uniqueById(items);
    await this.queue.add(batchJobName(notifications), { notifications }, {
      jobId: batchJobId(notifications),
      attempts: 20,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { count: 1_000 },
      removeOnFail: false,
    });
    return items.map(() => itemOk(undefined));
  }

  /**
   * Sends each notification unless it was claimed before: one insertMany of the claims, the
   * sends, one bulkWrite of the outcomes. Each notification's outcome, in order; a send that
   * failed is `{ failed }` and its claim released (the job retries it).
   */
  async deliverAll(list: readonly Notification[], job: DeliveryJob): Promise<DeliveryOutcome[]> {
    const notifications = uniqueById(list);
    const claimedAt = new Date();
    const ours = { jobId: job.id, claimId: randomUUID() };
    const inserts = await Promise.allSettled(
      notifications.map((n) =>
        this.claims.add({ _id: n.id, recordId: n.recordId, kind: n.kind, channel: n.channel, status: 'sending', ...ours, createdAt: claimedAt, claimedAt }),
      ),
    );
    const outcomes: DeliveryOutcome[] = [];
    const toSend: number[] = [];
    const claimedBefore: number[] = [];
    inserts.forEach((insert, i) => {
      if (insert.status === 'rejected') outcomes[i] = { failed: `claim not written: ${(insert.reason as Error).message}` };
      else if (insert.value === 'inserted') toSend.push(i);
      else claimedBefore.push(i);
    });
    if (claimedBefore.length > 0) {
      // A store that fails here fails only these (the job retries them); the fresh claims are still sent.
      const decided = await this.decideClaimed(claimedBefore.map((i) => notifications[i]!), ours, job.attempts).catch((error: unknown) =>
        claimedBefore.map(() => ({ failed: `claim not read: ${(error as Error).message}` })),
      );
      claimedBefore.forEach((i, k) => {
        const d = decided[k]!;
        if (d === 'send') toSend.push(i);
        else outcomes[i] = d;
      });
    }

    const writes: Array<AnyBulkWriteOperation<NotificationDocument>> = [];
    const sent: string[] = [];
    await forEachBounded(toSend, this.settings.sendConcurrency, async (i) => {
      const n = notifications[i]!;
      try {
        await this.adapter.send(n);
        outcomes[i] = 'sent';
        sent.push(n.id);
      } catch (error) {
        const message = ((error as Error).message ?? String(error)).slice(0, 500);
        outcomes[i] = { failed: message };
        writes.push({ updateOne: { filter: { _id: n.id }, update: { $set: { status: 'failed', error: message } } } });
      }
    });
    // The sent ones in one statement: FerretDB's CPU per outcome 0.52 -> 0.33 ms (scratch test,
    // 36 at a time); `sentAt` is when the job's sends were done.
    if (sent.length > 0) writes.unshift({ updateMany: { filter: { _id: { $in: sent } }, update: { $set: { status: 'sent', sentAt: new Date() } } } });
    await this.writeOutcomes(writes);
    const summary = summarize(outcomes);
    if (summary.sent + summary.failed > 0) this.logger.info({ jobId: job.id, ...summary }, 'notifications delivered');
    return outcomes;
  }

  /** What to do with notifications whose claim was there already: 'send' (claim taken back) or their outcome. */
  private async decideClaimed(
    list: readonly Notification[],
    ours: { jobId: string; claimId: string },
    attempts: number,
  ): Promise<Array<'send' | Exclude<DeliveryOutcome, 'sent'>>> {
    const found = await this.sent.find({ _id: { $in: list.map((n) => n.id) } }).toArray();
    const byId = new Map(found.map((c) => [c._id, c]));
    const ownerStates = new Map<string, OwnerState>();
    return Promise.all(
      list.map(async (n): Promise<'send' | Exclude<DeliveryOutcome, 'sent'>> => {
        let existing = byId.get(n.id);
        let owner: { jobId: string; state: OwnerState } | undefined;
        // At most a few rounds: each asks the job now holding the claim, then reads it again.
        for (let round = 0; round < 3; round += 1) {
          const decision = claimDecision(existing, n.id, ours, owner);
          if (decision === 'send') return 'send';
          if (decision === 'skip') return 'skipped';
          if (decision === 'retake') return (await this.retake(n, ours)) ? 'send' : 'skipped';
          if (decision === 'unknown') {
            await this.raiseUnknown(n, existing!, attempts);
            return 'unknown';
          }
          const holder = claimOwner(existing!, n.id);
          const state: OwnerState = ownerStates.get(holder) ?? (await this.queue.getJobState(holder));
          ownerStates.set(holder, state);
          owner = { jobId: holder, state };
          existing = (await this.sent.findOne({ _id: n.id })) ?? undefined;
        }
        // Changing hands faster than we can look: whoever holds it now answers for it.
        this.logger.warn({ recordId: n.recordId, kind: n.kind, jobId: ours.jobId }, 'notification claim kept changing hands; left to its holder');
        return 'skipped';
      }).map((decided) => decided.catch((error: unknown) => ({ failed: `claim not decided: ${(error as Error).message}` }))),
    );
  }

  /** Takes back a claim whose send failed; false when another job took it first. */
  private async retake(n: Notification, ours: { jobId: string; claimId: string }): Promise<boolean> {
    const retaken = await this.sent.updateOne({ _id: n.id, status: 'failed' }, { $set: { status: 'sending', ...ours, claimedAt: new Date() } });
    return retaken.modifiedCount === 1;
  }

  private async writeOutcomes(writes: ReadonlyArray<AnyBulkWriteOperation<NotificationDocument>>): Promise<void> {
    let left = [...writes];
    for (const delay of [...OUTCOME_WRITE_DELAYS_MS, undefined]) {
      if (left.length === 0) return;
      this.settings.batchSize?.observe({ store: 'mongodb', op: 'write-notifications' }, left.reduce((n, w) => n + documentsOf(w), 0));
      const results = await Promise.allSettled(left.map((w) => this.outcomes.add(w)));
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ write: left[i]!, error: r.reason as Error }] : []));
      if (failed.length === 0) return;
      if (delay === undefined) {
        // The job fails; its retry finds these claims still `sending` and alerts them (at most once wins).
        throw new Error(`${failed.length} notification outcomes not recorded: ${failed[0]!.error.message}`);
      }
      this.logger.warn({ left: failed.length, err: failed[0]!.error.message }, 'notification outcomes not recorded; trying again');
      left = failed.map((f) => f.write);
      await sleep(delay);
    }
  }

  /** One alert per notification whose outcome is unknown; the workflow's alert sweep delivers it. */
  private async raiseUnknown(n: Notification, claim: NotificationDocument, attempts: number): Promise<void> {
    this.logger.warn({ recordId: n.recordId, kind: n.kind }, 'notification outcome unknown (a send was cut short); not sending twice');
    try {
      await this.alerts.insertOne({
        _id: `notification:${n.id}`,
        kind: 'notification-unknown',
        queue: this.queueName,
        attempts,
        error: 'the send was cut short (the worker stopped mid-send); whether it reached the informant is unknown, and it is not sent again',
        failedAt: claim.claimedAt ?? claim.createdAt,
        createdAt: new Date(),
        delivered: {},
        notificationId: n.id,
        jobId: claimOwner(claim, n.id),
        recordId: n.recordId,
        notificationKind: n.kind,
        channel: n.channel,
      });
      this.logger.error({ recordId: n.recordId, kind: n.kind, channel: n.channel }, 'alert: a notification may not have been sent; check with the provider');
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  /** Runs one job: every notification it lists; fails (and is retried) when a send failed. */
  async process(job: { id?: string; data: unknown; attemptsMade: number }): Promise<DeliverySummary> {
    let list: Notification[];
    try {
      list = notificationsOfJob(job.data);
    } catch {
      throw new UnrecoverableError('not a notification job (neither a batch nor one notification)');
    }
    const outcomes = await this.deliverAll(list, { id: job.id ?? batchJobId(list), attempts: job.attemptsMade });
    const failure = failureOf(outcomes);
    if (failure) throw failure;
    return summarize(outcomes);
  }

  start(concurrency = 4): void {
    this.worker = new Worker(this.queueName, async (job) => this.process(job), { ...workerBase(this.connection, 'workflow'), concurrency });
    this.worker.on('error', (error) => this.logger.warn({ err: error.message }, 'notification worker error'));
  }

  async close(): Promise<void> {
    // Anything still waiting for its batch goes now, before the queue closes.
    this.enqueued.flush();
    await this.worker?.close();
    await this.queue.close();
  }
}

/** How many notifications an outcome statement records (an updateMany lists them by id). */
function documentsOf(write: AnyBulkWriteOperation<NotificationDocument>): number {
  return 'updateMany' in write ? (write.updateMany.filter as { _id: { $in: readonly string[] } })._id.$in.length : 1;
}

/** Runs `work` over the items, at most `limit` at once. */
async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, lane));
}
