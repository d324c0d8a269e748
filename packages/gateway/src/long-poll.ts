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
import { QueueEvents, type ConnectionOptions } from 'bullmq';
import { queueBase, type Logger } from '@steadfast/commons';
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
    private readonly reader: Pick<StatusReader, 'status' | 'unlessInFlight'>,
    private readonly waiters: StatusWaiters,
    private readonly count: (outcome: LongPollOutcome) => void = () => undefined,
  ) {}

  /** The draft's status, waiting up to `waitMs` for its job to move on while it is in flight. */
  async status(draftId: string, waitMs: number, viewer: Viewer, signal?: AbortSignal): Promise<RecordStatus> {
    const [status] = await this.statuses([draftId], waitMs, viewer, signal);
    return status as RecordStatus;
  }

  /**
   * The statuses of `draftIds`, in order. Held only while every one is in flight, until any of
   * their jobs moves on or `waitMs` passes; then all are read afresh. A draft the viewer may not
   * see reads as RecordUnknown at once (never held: holding would tell it exists).
   */
  async statuses(draftIds: readonly string[], waitMs: number, viewer: Viewer, signal?: AbortSignal): Promise<RecordStatus[]> {
    const waiters: Waiter[] = [];
    try {
      for (const draftId of new Set(draftIds)) {
        const waiter = this.waiters.register(draftId, waitMs, signal);
        if (!waiter) {
          this.count(this.waiters.closed ? 'stopping' : 'full');
          return await this.readAll(draftIds, viewer);
        }
        waiters.push(waiter);
      }
      // In flight (known from Redis alone): wait, and read the full statuses once, at the end.
      const first = await Promise.all(draftIds.map((draftId) => this.reader.unlessInFlight(draftId, viewer)));
      if (first.some((status) => status && status.__typename !== 'RecordProcessing')) {
        this.count('answered');
        return await Promise.all(first.map((status, i) => (status ? Promise.resolve(status) : this.reader.status(draftIds[i] as string, viewer))));
      }
      const reason = await Promise.race(waiters.map((w) => w.done));
      this.count(reason);
      // Nobody is listening any more: spare the stores a second read.
      const known = first.filter((status): status is RecordStatus => status !== undefined);
      if (reason === 'aborted' && known.length === first.length) return known;
      return await this.readAll(draftIds, viewer);
    } finally {
      for (const waiter of waiters) waiter.release();
    }
  }

  private readAll(draftIds: readonly string[], viewer: Viewer): Promise<RecordStatus[]> {
    return Promise.all(draftIds.map((draftId) => this.reader.status(draftId, viewer)));
  }
}

/**
 * One `QueueEvents` on the record queue that wakes the waiters of a draft whose job completed,
 * failed, or failed an attempt. It reads the events from the moment it is created (not from its
 * first read, which comes a little later), and after a Redis outage from where it stopped.
 */
export function watchRecordEvents(
  queueName: string,
  connection: ConnectionOptions,
  waiters: StatusWaiters,
  logger: Logger,
): QueueEvents {
  // A stream id is `<ms>-<seq>`: start at the gateway's "now" rather than at `$` (the stream's end
  // when the first XREAD runs), so a job finishing while the connection is being made still wakes.
  const events = new QueueEvents(queueName, { ...queueBase(connection), lastEventId: `${Date.now()}-0` });
  const wake = ({ jobId }: { jobId: string }) => {
    waiters.wake(jobId);
  };
  events.on('completed', wake);
  events.on('failed', wake);
  events.on('delayed', wake);
  events.on('error', (error: Error) => logger.warn({ err: error.message, queue: queueName }, 'record events connection error'));
  return events;
}
