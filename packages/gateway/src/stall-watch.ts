/**
 * The stall watch: an alert when work stops moving. A job that fails raises its own alert, but
 * a pipeline that stopped raises none: with no workflow process running (crashed and not
 * restarted, deployed against another queue name, every worker stuck on a hung store call) or
 * a queue paused, jobs wait, clients see `RecordProcessing`, and nothing fails. The same for the
 * events service: records' events wait in their outboxes, the projections fall behind.
 *
 * The gateway watches, because it is the one service that must be up for anything to be
 * submitted, and it delivers the alert itself (Sentry, the webhook, the console's alerts page):
 * the workflow, which delivers the others, may be what stopped. Every `checkMs` it reads, in one
 * write to Redis, the head of each queue's wait list (the oldest waiting job: BullMQ takes jobs
 * oldest first) and of the record outbox's hints (the oldest aggregate waiting for the relay).
 * A head that stays the same for `stallMs` while work waits means nobody took anything for that
 * long. A busy pipeline with a backlog is not stalled: its head changes with every job taken.
 *
 * A job can also hang where it runs: a call that never returns (a store that vanished without
 * closing its connection, a client without a timeout) or a frozen process holds its job, and a
 * live worker keeps renewing the lock, so BullMQ never takes it back, and the other slots keep the
 * queue moving. The watch reads each queue's active list too: its tail is the job taken longest
 * ago that is still running, and one that stays there for `stallMs` is a `job-hung` alert naming
 * the job, when it started and the worker running it (BullMQ's `processedBy`: the services name
 * their workers `<service>@<host>:<pid>`).
 *
 * Several gateways see the same stall and raise the same alert: its id names the queue and its
 * stuck head (a hung job: and when it started), so only the first insert succeeds and only that
 * gateway delivers it. When the head moves, the alert gets `resolvedAt`.
 */
import { QueueKeys } from 'bullmq';
import {
  alertSummary,
  deliverAlert,
  isDuplicateKey,
  outboxHintKey,
  QUEUE_PREFIX,
  repeatEvery,
  type AlertChannel,
  type AlertDocument,
  type Collections,
  type Logger,
  type Redis,
  type Repeating,
} from '@steadfast/commons';

/** What one check sees of a line of work: its oldest waiting item (none: nothing waits) and how many wait. */
export interface HeadSample {
  head: string | undefined;
  waiting: number;
}

/** A watcher's memory of one line of work: the head it saw, since when, and whether it alerted. */
export interface HeadState {
  head: string;
  since: number;
  alerted: boolean;
}

export interface StallStep {
  state: HeadState | undefined;
  /** The head has not moved for `stallMs`: alert (once per head). */
  stalled?: { head: string; since: number; waiting: number };
  /** The head that was alerted on moved (taken, or nothing waits any more). */
  moved?: { head: string; since: number };
}

/** The decision of one check, without stores. */
export function stallStep(previous: HeadState | undefined, sample: HeadSample, now: number, stallMs: number): StallStep {
  const moved = previous?.alerted && previous.head !== sample.head ? { moved: { head: previous.head, since: previous.since } } : {};
  if (sample.head === undefined) return { state: undefined, ...moved };
  if (!previous || previous.head !== sample.head) return { state: { head: sample.head, since: now, alerted: false }, ...moved };
  if (!previous.alerted && now - previous.since >= stallMs) {
    return { state: { ...previous, alerted: true }, stalled: { head: previous.head, since: previous.since, waiting: sample.waiting } };
  }
  return { state: previous };
}

/** A line of work the watch reads: a BullMQ queue's wait or active list, or an outbox's hints. */
interface Line {
  kind: 'queue-stalled' | 'outbox-stalled' | 'job-hung';
  /** The alert's `queue`: the queue's name, or `outbox <db>.<collection>`. */
  name: string;
  /** Names the line among all of them (its state, its gauge's label): the name, and ` active` for an active list. */
  label: string;
  read(redis: Redis): Promise<HeadSample>;
}

const queueKeys = new QueueKeys(QUEUE_PREFIX);

/** A BullMQ list's oldest entry and length: jobs are pushed on the left, so the oldest is at -1. */
async function listTail(redis: Redis, key: string): Promise<HeadSample> {
  const [head, length] = await Promise.all([redis.lindex(key, -1), redis.llen(key)]);
  return { head: head ?? undefined, waiting: length };
}

function queueLine(queueName: string): Line {
  const wait = queueKeys.toKey(queueName, 'wait');
  // New jobs are pushed on the left and taken from the right.
  return { kind: 'queue-stalled', name: queueName, label: queueName, read: (redis) => listTail(redis, wait) };
}

/**
 * The jobs running: BullMQ moves a job it takes from the wait list to the head of the active list
 * and removes it when it ends, so the tail is the one taken longest ago. Its `waiting` is how many
 * run.
 */
function activeLine(queueName: string): Line {
  const active = queueKeys.toKey(queueName, 'active');
  return { kind: 'job-hung', name: queueName, label: `${queueName} active`, read: (redis) => listTail(redis, active) };
}

function outboxLine(collection: Collections['records']): Line {
  const key = outboxHintKey(collection);
  const name = `outbox ${collection.dbName}.${collection.collectionName}`;
  return {
    kind: 'outbox-stalled',
    name,
    label: name,
    // Hints are scored by when they were written; the relay takes the lowest first.
    async read(redis) {
      const [first, waiting] = await Promise.all([redis.zrange(key, 0, 0), redis.zcard(key)]);
      return { head: first[0], waiting };
    },
  };
}

export interface StallWatchOptions {
  /** How long a head may stay the same while work waits (or a job runs) before it is an alert. */
  stallMs: number;
  /** How often the heads are read. */
  checkMs: number;
  /** Every queue: the record queue, those named after it, the event partitions. */
  queues: readonly string[];
  logger: Logger;
  channels: readonly AlertChannel[];
  now?: () => number;
}

export class StallWatch {
  private readonly lines: Line[];
  private readonly states = new Map<string, HeadState>();
  private repeating: Repeating | undefined;
  private readonly now: () => number;
  /** When the last check read the lines. */
  private checkedAt: number | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly db: Pick<Collections, 'alerts' | 'records'>,
    private readonly options: StallWatchOptions,
  ) {
    this.lines = [...options.queues.map(queueLine), ...options.queues.map(activeLine), outboxLine(db.records)];
    this.now = options.now ?? Date.now;
  }

  /**
   * How long each line's head has stayed the same, as of the last check (0 when nothing waits or
   * runs): for a wait list or an outbox (`waiting`), about 0 while work moves, growing while
   * nothing is taken; for an active list (`running`), about a job's time, growing while one
   * hangs. For dashboards and alert rules beside the watch's own alerts.
   */
  headSeconds(): Array<{ line: string; of: 'waiting' | 'running'; seconds: number }> {
    return this.lines.map((line) => {
      const state = this.states.get(line.label);
      const seconds = state && this.checkedAt !== undefined ? (this.checkedAt - state.since) / 1000 : 0;
      return { line: line.name, of: line.kind === 'job-hung' ? 'running' : 'waiting', seconds };
    });
  }

  /** One check of every line; resolves once its alerts are raised and delivered. */
  async check(): Promise<void> {
    // Read together: one write to Redis for all of them on the auto-pipelined connection.
    const samples = await Promise.all(this.lines.map((line) => line.read(this.redis)));
    const now = this.now();
    this.checkedAt = now;
    const failures: Error[] = [];
    for (const [i, line] of this.lines.entries()) {
      const step = stallStep(this.states.get(line.label), samples[i]!, now, this.options.stallMs);
      if (step.state) this.states.set(line.label, step.state);
      else this.states.delete(line.label);
      try {
        if (step.moved) await this.moved(line, step.moved, now);
      } catch (error) {
        failures.push(error as Error);
      }
      if (!step.stalled || !step.state) continue;
      try {
        await this.stalled(line, step.stalled, now);
      } catch (error) {
        // Not raised (MongoDB down?): the next check, seeing the same head, tries again.
        this.states.set(line.label, { ...step.state, alerted: false });
        failures.push(error as Error);
      }
    }
    if (failures.length > 0) throw new Error(`stall alerts not written: ${failures.map((e) => e.message).join('; ')}`);
  }

  private alertId(line: Line, head: string): string {
    return `stalled:${line.name}:${head}`;
  }

  /** The alert of a line whose head stayed: what stopped, and what to look at. */
  private async alertOf(line: Line, stall: NonNullable<StallStep['stalled']>, now: number): Promise<AlertDocument> {
    const seconds = Math.round((now - stall.since) / 1000);
    const base = { queue: line.name, attempts: 0, failedAt: new Date(stall.since), createdAt: new Date(now), delivered: {} };
    switch (line.kind) {
      case 'queue-stalled':
        return {
          ...base,
          _id: this.alertId(line, stall.head),
          kind: 'queue-stalled',
          oldestJobId: stall.head,
          waiting: stall.waiting,
          error: `no job taken for ${seconds} s while jobs wait: is a worker running, and the queue not paused?`,
        };
      case 'outbox-stalled':
        return {
          ...base,
          _id: this.alertId(line, stall.head),
          kind: 'outbox-stalled',
          aggregateId: stall.head,
          waiting: stall.waiting,
          error: `no events relayed for ${seconds} s while aggregates wait: is the events service's relay running?`,
        };
      case 'job-hung': {
        const [processedOn, processedBy] = await this.redis.hmget(queueKeys.toKey(line.name, stall.head), 'processedOn', 'pb');
        const startedAt = processedOn ? new Date(Number(processedOn)) : undefined;
        const worker = processedBy ?? undefined;
        return {
          ...base,
          // One alert per run of the job: the same job can hang again in a later attempt.
          _id: `hung:${line.name}:${stall.head}:${processedOn ?? 'unknown'}`,
          kind: 'job-hung',
          jobId: stall.head,
          running: stall.waiting,
          ...(startedAt ? { startedAt } : {}),
          ...(worker ? { worker } : {}),
          error:
            `job still running after ${seconds} s${worker ? ` in ${worker}` : ''}: a call that never returns, or a frozen process? ` +
            `Its worker keeps its lock while it lives: restarting that worker lets the job be taken again (its steps are remembered)`,
        };
      }
    }
  }

  private async stalled(line: Line, stall: NonNullable<StallStep['stalled']>, now: number): Promise<void> {
    const alert = await this.alertOf(line, stall, now);
    try {
      await this.db.alerts.insertOne(alert);
    } catch (error) {
      if (isDuplicateKey(error)) return; // another gateway saw it first and delivers it
      throw error;
    }
    this.options.logger.error({ alert: alert._id, kind: alert.kind, queue: line.name, count: stall.waiting }, `alert: ${alertSummary(alert)}`);
    await deliverAlert(this.db.alerts, this.options.channels, alert, this.options.logger);
  }

  private async moved(line: Line, moved: NonNullable<StallStep['moved']>, now: number): Promise<void> {
    // A hung job's alert id holds when it started, which a job that ended no longer tells.
    const which = line.kind === 'job-hung' ? { kind: 'job-hung' as const, queue: line.name, jobId: moved.head } : { _id: this.alertId(line, moved.head) };
    await this.db.alerts.updateMany({ ...which, resolvedAt: { $exists: false } }, { $set: { resolvedAt: new Date(now) } });
    this.options.logger.info({ queue: line.name, head: moved.head, kind: line.kind }, line.kind === 'job-hung' ? 'the hung job ended' : 'moving again after a stall');
  }

  start(): void {
    this.repeating = repeatEvery(this.options.checkMs, () => this.check(), (error) => this.options.logger.warn({ err: error.message }, 'stall check failed; the next one runs as planned'));
  }

  stop(): void {
    this.repeating?.stop();
  }
}
