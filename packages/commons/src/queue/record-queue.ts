/**
 * The typed `record` queue: the producer used by the gateway and `registerRecordWorker` used by
 * the workflow. Both take their Redis connection from config (see `queueConnection`).
 */
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { queueBase, workerBase } from '../redis-connection.js';
import type { Logger } from '../logger.js';
import type { DraftJobKeys } from './drafts.js';
import { RECORD_QUEUE, type Operation, type RecordJobData, type RecordJobResult } from './record-jobs.js';

export type RecordJob = Job<RecordJobData, RecordJobResult, Operation>;

export interface RetryPolicy {
  /** Attempts before a job is left in the failed set for an admin. */
  attempts: number;
  /** First retry delay; each next one doubles, with jitter, up to `backoffMaxMs`. */
  backoffMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 12, backoffMs: 1_000, backoffMaxMs: 120_000 };

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so jobs that
 * failed together (a store went down) do not all come back in the same millisecond.
 */
export function jitteredBackoff(policy: RetryPolicy, attemptsMade: number, random = Math.random): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * How many entries the queue's event stream keeps (BullMQ's default is 10,000). Each job adds two
 * as it is queued (~120 B each in Redis), so the default makes the stream the largest cost of a
 * waiting job after the job itself. Only live listeners (the gateway's long-poll) read the stream;
 * one that falls further behind than this misses events and answers at its timeout instead.
 * Every `Queue` of the record queue must pass the same value: it is kept in the queue's meta hash.
 */
export const RECORD_QUEUE_EVENTS_MAX_LEN = 1_000;

export class RecordQueue {
  readonly queue: Queue<RecordJobData, RecordJobResult, Operation>;

  constructor(
    connection: ConnectionOptions,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    readonly name: string = RECORD_QUEUE,
  ) {
    this.queue = new Queue(name, { ...queueBase(connection), streams: { events: { maxLen: RECORD_QUEUE_EVENTS_MAX_LEN } } });
  }

  /**
   * Queues a submission under its draftId. While a job with that id exists BullMQ ignores the
   * add, so a repeated submission is harmless; completed jobs are trimmed (the outcome lives in
   * MongoDB), failed ones are kept for an admin to see and retry.
   */
  async add(data: RecordJobData): Promise<void> {
    await this.queue.add(data.operation, data, {
      jobId: data.draftId,
      attempts: this.policy.attempts,
      backoff: { type: 'jittered' },
      removeOnComplete: { count: 1_000 },
      // Failed jobs are kept (BullMQ's default, not repeated here: opts are stored in every job).
    });
  }

  /** Where BullMQ keeps the draft's job, for `claimDraftAndLook`. */
  keysOf(draftId: string): DraftJobKeys {
    return { job: this.queue.toKey(draftId), completed: this.queue.toKey('completed'), failed: this.queue.toKey('failed') };
  }

  async getJob(draftId: string): Promise<RecordJob | undefined> {
    return this.queue.getJob(draftId);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface RecordWorkerOptions {
  connection: ConnectionOptions;
  logger: Logger;
  policy?: RetryPolicy;
  queueName?: string;
  concurrency?: number;
  /** How long a job's lock lives without renewal: a killed worker's job is retried after it. */
  lockDurationMs?: number;
  /** How many times a job may be found stalled (its worker died) before it is failed. */
  maxStalledCount?: number;
}

/** A worker of the record queue with logging, jittered retries and a graceful `close()`. */
export function registerRecordWorker(
  process: (job: RecordJob) => Promise<RecordJobResult>,
  options: RecordWorkerOptions,
): Worker<RecordJobData, RecordJobResult, Operation> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const lockDuration = options.lockDurationMs ?? 30_000;
  const log = options.logger;
  const worker = new Worker<RecordJobData, RecordJobResult, Operation>(
    options.queueName ?? RECORD_QUEUE,
    process,
    {
      ...workerBase(options.connection, 'workflow'),
      concurrency: options.concurrency ?? 8,
      lockDuration,
      stalledInterval: Math.max(1_000, Math.round(lockDuration / 2)),
      // Steps are idempotent, so a job whose worker died is safe to run again.
      maxStalledCount: options.maxStalledCount ?? 10,
      settings: { backoffStrategy: (attemptsMade: number) => jitteredBackoff(policy, attemptsMade) },
    },
  );
  worker.on('failed', (job, error) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError';
    log[final ? 'error' : 'warn'](
      { draftId: job.id, recordId: job.data.recordId, correlationId: job.data.correlationId, attempts: job.attemptsMade, err: error.message },
      final ? 'record job failed for good; left in the failed set' : 'record job failed; will retry',
    );
  });
  worker.on('stalled', (jobId) => log.warn({ draftId: jobId }, 'record job stalled (its worker stopped); it will run again'));
  worker.on('error', (error) => log.warn({ err: error.message }, 'record worker error'));
  return worker;
}
