/**
 * `fetchRecordStatus(draftId, waitSeconds)`: a status still `RecordProcessing` is held until the
 * draft's job reports progress, then read afresh, so a client asks about once per record instead
 * of polling. The gateway learns of that progress from one BullMQ `QueueEvents` on the record
 * queue (the job id is the draftId):
 *
 * - `completed`: processed or rejected; the answer is read from MongoDB as for any status;
 * - `failed`: failed for good (attempts exhausted, or not retryable);
 * - `delayed`: an attempt failed and the job waits for its retry (BullMQ emits `failed` only
 *   for a job that will not run again; record jobs are never queued delayed, so a delay is a
 *   retry): the answer is `RecordProcessing` with the new `attempts` and `lastError`.
 *
 * The first look is at the job alone (Redis): a request held is read in full once, when it is
 * answered. The waiter is registered before that look, so a job that finishes between the two
 * still wakes it. While Redis is down the QueueEvents reconnects by itself; a wait then
 * simply ends at its timeout with whatever the status is (or the usual unavailable error).
 */
import { EventEmitter, getMaxListeners, setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueueKeys } from 'bullmq';
import { ProcessedRecordView, QUEUE_PREFIX, type Logger, type RecordJobResult, type Redis } from '@steadfast/commons';
import type { RecordStatus, StatusReader } from './status.js';
import type { StatusWaiters, Waiter, WakeReason } from './waiters.js';
import type { Viewer } from './visibility.js';

/** The longest wait a client may ask for, in seconds. */
export const MAX_WAIT_SECONDS = 30;

/**
 * How a long-poll ended: `answered` (not in flight at the first read), a `WakeReason`, `full`
 * (too many waiting: answered at once) or `stopping` (the gateway is stopping).
 */
export type LongPollOutcome = 'answered' | WakeReason | 'full' | 'stopping';

export class LongPoll {
  constructor(
    private readonly reader: Pick<StatusReader, 'status' | 'unlessInFlight'> & Partial<Pick<StatusReader, 'completed'>>,
    private readonly waiters: StatusWaiters,
    private readonly count: (outcome: LongPollOutcome) => void = () => undefined,
  ) {}

  /** The draft's status, waiting up to `waitMs` for its job to move on while it is in flight. */
  async status(draftId: string, waitMs: number, viewer: Viewer, signal?: AbortSignal, admitted?: Promise<unknown>): Promise<RecordStatus> {
    const [status] = await this.statuses([draftId], waitMs, viewer, signal, admitted);
    return status as RecordStatus;
  }

  /**
   * The statuses of `draftIds`, in order. Held only while every one is in flight, until any of
   * their jobs moves on or `waitMs` passes; then all are read afresh. A draft the viewer may not
   * see reads as RecordUnknown at once (never held: holding would tell it exists). `admitted`:
   * the caller's rate count, which the first reads go out beside (StatusReader.status).
   */
  async statuses(
    draftIds: readonly string[],
    waitMs: number,
    viewer: Viewer,
    signal?: AbortSignal,
    admitted?: Promise<unknown>,
  ): Promise<RecordStatus[]> {
    const waiters = new Map<string, Waiter>();
    const unique = new Set(draftIds);
    // Each draft's wait listens to the request's signal: a batch is up to MAX_STATUS_BATCH
    // listeners on one signal, which Node would take for a leak past 10 (a warning and its stack
    // written to stderr for every such request; ~1,000 in a full run's burst).
    if (signal && unique.size > 1) setMaxListeners(getMaxListeners(signal) + unique.size, signal);
    try {
      for (const draftId of unique) {
        const waiter = this.waiters.register(draftId, waitMs, signal);
        if (!waiter) {
          this.count(this.waiters.closed ? 'stopping' : 'full');
          return await this.readAll(draftIds, viewer, admitted);
        }
        waiters.set(draftId, waiter);
      }
      // In flight (known from Redis alone): wait, and read the full statuses once, at the end.
      const first = await Promise.all(draftIds.map((draftId) => this.reader.unlessInFlight(draftId, viewer, admitted)));
      if (first.some((status) => status && status.__typename !== 'RecordProcessing')) {
        this.count('answered');
        return await Promise.all(first.map((status, i) => (status ? Promise.resolve(status) : this.reader.status(draftIds[i] as string, viewer))));
      }
      const reason = await Promise.race([...waiters.values()].map((w) => w.done));
      this.count(reason);
      // Nobody is listening any more: spare the stores a second read.
      const known = first.filter((status): status is RecordStatus => status !== undefined);
      if (reason === 'aborted' && known.length === first.length) return known;
      // A draft seen in flight (so this viewer may see it) whose job completed: the event carried
      // its result, and the job need not be read again.
      return await Promise.all(
        draftIds.map((draftId, i) => {
          const result = first[i] === undefined ? waiters.get(draftId)?.result() : undefined;
          return result && this.reader.completed ? this.reader.completed(draftId, result, viewer) : this.reader.status(draftId, viewer);
        }),
      );
    } finally {
      for (const waiter of waiters.values()) waiter.release();
    }
  }

  private readAll(draftIds: readonly string[], viewer: Viewer, admitted?: Promise<unknown>): Promise<RecordStatus[]> {
    return Promise.all(draftIds.map((draftId) => this.reader.status(draftId, viewer, admitted)));
  }
}

/** The record queue's events that end a wait: completed, failed for good, failed an attempt. */
const WAKING_EVENTS = new Set(['completed', 'failed', 'delayed']);

/**
 * The gateway's one reader of the record queue's event stream (the job id is the draftId): it
 * wakes the waiters of a draft whose job completed, failed, or failed an attempt, and emits the
 * event (`completed`, `failed`, `delayed` with `{ jobId }`). It reads the events from the moment
 * it is created (not from its first read, which comes a little later), and after a Redis outage
 * from where it stopped.
 *
 * Unlike BullMQ's `QueueEvents`, which reads again the moment a read returns (one XREAD per event:
 * a job's added, active and completed events came to 3 round trips per record), it pauses
 * `pauseMs` after a read that returned events, so the next read takes all that arrived meanwhile:
 * at most 1000 / `pauseMs` reads a second however busy the queue (20 at 50 ms: at 13 records/s,
 * 1.5 per record instead of 3; fewer the busier). A wake is at most that much later, small beside
 * a record's time in the pipeline (hundreds of ms). `GATEWAY_EVENTS_READ_PAUSE_MS`, 0 to read at
 * once as QueueEvents does.
 */
export class RecordEvents extends EventEmitter {
  private readonly key: string;
  private lastId = `${Date.now()}-0`;
  private closing = false;
  private readonly loop: Promise<void>;

  /** `client`: a connection of its own (a blocking read holds it), closed by `close`. */
  constructor(
    queueName: string,
    private readonly client: Redis,
    private readonly waiters: StatusWaiters,
    private readonly logger: Logger,
    private readonly pauseMs = RECORD_EVENTS_PAUSE_MS,
  ) {
    super();
    // A stream id is `<ms>-<seq>`: start at the gateway's "now" rather than at `$` (the stream's end
    // when the first XREAD runs), so a job finishing while the connection is being made still wakes.
    this.key = new QueueKeys(QUEUE_PREFIX).toKey(queueName, 'events');
    this.client.on('error', (error: Error) => this.logger.warn({ err: error.message, queue: queueName }, 'record events connection error'));
    this.loop = this.run();
  }

  /** Resolves once the connection is up. */
  async waitUntilReady(): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve) => this.client.once('ready', () => resolve()));
  }

  private async run(): Promise<void> {
    while (!this.closing) {
      try {
        const reply = await this.client.xread('COUNT', 1_000, 'BLOCK', 10_000, 'STREAMS', this.key, this.lastId);
        const entries = reply?.[0]?.[1] ?? [];
        for (const [id, fields] of entries) {
          this.lastId = id;
          this.handle(fields);
        }
        if (entries.length > 0 && this.pauseMs > 0) await sleep(this.pauseMs);
      } catch (error) {
        if (this.closing) return;
        this.logger.warn({ err: (error as Error).message }, 'reading the record events failed; reading again shortly');
        await sleep(1_000);
      }
    }
  }

  private handle(fields: string[]): void {
    let event: string | undefined;
    let jobId: string | undefined;
    let returnvalue: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === 'event') event = fields[i + 1];
      else if (fields[i] === 'jobId') jobId = fields[i + 1];
      else if (fields[i] === 'returnvalue') returnvalue = fields[i + 1];
    }
    if (!event || !jobId || !WAKING_EVENTS.has(event)) return;
    this.waiters.wake(jobId, event === 'completed' ? jobResult(returnvalue) : undefined);
    this.emit(event, { jobId });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.client.disconnect();
    await this.loop;
  }
}

/** A completed event's `returnvalue`, if it is a record job's result. */
export function jobResult(returnvalue: string | undefined): RecordJobResult | undefined {
  if (returnvalue === undefined) return undefined;
  let value: { outcome?: unknown; recordId?: unknown; reason?: unknown; record?: unknown } | null;
  try {
    value = JSON.parse(returnvalue) as typeof value;
  } catch {
    return undefined;
  }
  if (value?.outcome === 'processed' && typeof value.recordId === 'string') {
    // The record as the job left it, when the result carries it whole (ProcessedRecordView).
    const view = ProcessedRecordView.safeParse(value.record);
    return { outcome: 'processed', recordId: value.recordId, ...(view.success ? { record: view.data } : {}) };
  }
  if (value?.outcome === 'rejected' && typeof value.reason === 'string') return { outcome: 'rejected', reason: value.reason };
  return undefined;
}

/** How long the events reader pauses after a read that returned events (see `RecordEvents`). */
export const RECORD_EVENTS_PAUSE_MS = 50;

/** `client`: a connection for the reader alone, with `maxRetriesPerRequest: null` (it blocks). */
export function watchRecordEvents(queueName: string, client: Redis, waiters: StatusWaiters, logger: Logger, pauseMs?: number): RecordEvents {
  return new RecordEvents(queueName, client, waiters, logger, pauseMs);
}
