/**
 * The country config's answers: `POST /records/{recordId}/confirm` and `/reject`, internal,
 * with a token narrowed to the record and the register action. The first answer moves the
 * record from WAITING_EXTERNAL_VALIDATION to REGISTERED (with its registration number) or
 * REJECTED, in one compare-and-set write; a repeat of that answer is "already done" and changes
 * nothing; a different later answer is 409. The follow-ups (audit entry, search document,
 * notification) run as a queued job derived from the record, so a crash after the write only
 * delays them: the next repeat of the callback, or the sweep of the queue, runs them.
 */
import {
  allowsOnRecord,
  bearerToken,
  isDuplicateKey,
  queueBase,
  type Redis,
  type Collections,
  type Logger,
  type RecordDocument,
  type RegistrationStatus,
  type TokenUser,
} from '@steadfast/commons';
import type Hapi from '@hapi/hapi';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import type { Notifications } from './notifications/notifications.js';
import { actorChange, copiedActor, followDirectory } from './records/actors.js';
import { changeRecord } from './records/change.js';
import type { SearchIndex } from './search/search-index.js';

type Decision = { outcome: 'confirmed'; registrationNumber: string } | { outcome: 'rejected'; reason: string };

const Confirm = z.strictObject({ registrationNumber: z.string().trim().min(1).max(50) });
const Reject = z.strictObject({ reason: z.string().trim().min(1).max(500) });

export interface OutcomeDeps {
  db: Collections;
  search: SearchIndex;
  redis: Redis;
  notifications?: Notifications;
  logger: Logger;
}

export class Outcomes {
  readonly queue: Queue<{ recordId: string }>;
  private worker: Worker<{ recordId: string }> | undefined;

  constructor(
    private readonly deps: OutcomeDeps,
    private readonly connection: ConnectionOptions,
    private readonly queueName: string,
  ) {
    this.queue = new Queue(queueName, queueBase(connection));
  }

  async apply(recordId: string, decision: Decision, user: TokenUser): Promise<{ code: number; body: object }> {
    return changeRecord<{ code: number; body: object }>(
      this.deps,
      recordId,
      async (record) => {
        const decided = record.externalValidation;
        if (decided) {
          await this.followUp(recordId);
          const same =
            decided.outcome === decision.outcome &&
            (decision.outcome === 'rejected' || decided.registrationNumber === decision.registrationNumber);
          return same
            ? { done: { code: 200, body: { status: 'already-done', registrationStatus: record.status } } }
            : { done: { code: 409, body: { error: `the record was already ${decided.outcome}; this answer changes nothing` } } };
        }
        if (record.status !== 'WAITING_EXTERNAL_VALIDATION') {
          return { done: { code: 409, body: { error: `the record is ${record.status}, not waiting for external validation` } } };
        }
        const now = new Date();
        const status: RegistrationStatus = decision.outcome === 'confirmed' ? 'REGISTERED' : 'REJECTED';
        const action = decision.outcome === 'confirmed' ? 'confirm-registration' : 'reject-registration';
        const actor = await actorChange(this.deps.db, record, user.userId);
        return {
          update: {
            $set: {
              status,
              updatedAt: now,
              externalValidation: { ...decision, at: now, userId: user.userId },
              ...(decision.outcome === 'confirmed' ? { registrationNumber: decision.registrationNumber } : {}),
              ...actor?.set,
            },
            $push: { history: { draftId: record.draftId, action, userId: user.userId, at: now, status } },
          },
          event: {
            type: decision.outcome === 'confirmed' ? 'record.registered' : 'record.rejected',
            changes: {
              status,
              updatedAt: now.toISOString(),
              ...(decision.outcome === 'confirmed' ? { registrationNumber: decision.registrationNumber } : {}),
              ...(actor ? { actors: actor.actors } : {}),
            },
            at: now,
          },
          after: async () => {
            if (actor) await followDirectory(this.deps.db, this.deps.redis, recordId, copiedActor(actor, user.userId), this.deps.logger);
            this.deps.logger.info({ recordId, draftId: record.draftId, status }, 'external validation applied');
            await this.followUp(recordId);
            return { code: 200, body: { status: 'done', registrationStatus: status } };
          },
        };
      },
      {
        missing: () => ({ code: 404, body: { error: `there is no record ${recordId}` } }),
        exhausted: () => ({ code: 503, body: { error: 'the record kept changing; try again' } }),
      },
    );
  }

  /** Queues the follow-ups; while a job for the record is queued, this is the same job. */
  private async followUp(recordId: string): Promise<void> {
    await this.queue.add('outcome', { recordId }, {
      jobId: recordId,
      attempts: 50,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: true,
      removeOnFail: false,
    });
  }

  /** Audit once per outcome, the search document at the record's version, the notification. */
  async runFollowUps(recordId: string): Promise<void> {
    const record = await this.deps.db.records.findOne({ _id: recordId });
    const decided = record?.externalValidation;
    if (!record || !decided) return;
    await this.audit(record, decided.outcome === 'confirmed' ? 'confirm-registration' : 'reject-registration', decided.userId);
    await this.deps.search.project(record);
    if (decided.outcome === 'confirmed') await this.deps.notifications?.enqueue(record, 'registered');
  }

  private async audit(record: RecordDocument, action: 'confirm-registration' | 'reject-registration', userId: string) {
    try {
      await this.deps.db.audit.insertOne({
        _id: `${record.draftId}:${action}`,
        draftId: record.draftId,
        action,
        recordId: record._id,
        userId,
        status: record.status,
        correlationId: record._id,
        at: new Date(),
      });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  routes(verify: (token: string) => Promise<TokenUser>): Hapi.ServerRoute[] {
    const handle =
      (parse: (payload: unknown) => Decision | string) =>
      async (request: Hapi.Request, h: Hapi.ResponseToolkit) => {
        const recordId = request.params['recordId'] as string;
        const token = bearerToken(request.headers['authorization'] as string | undefined);
        if (!token) return h.response({ error: 'send Authorization: Bearer <token>' }).code(401);
        let user: TokenUser;
        try {
          user = await verify(token);
        } catch (error) {
          return h.response({ error: (error as Error).message }).code(401);
        }
        if (!allowsOnRecord(user, 'register', recordId)) {
          return h.response({ error: 'the token does not allow answering for this record' }).code(403);
        }
        const decision = parse(request.payload ?? {});
        if (typeof decision === 'string') return h.response({ error: decision }).code(400);
        const { code, body } = await this.apply(recordId, decision, user);
        return h.response(body).code(code);
      };
    const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    return [
      {
        method: 'POST',
        path: '/records/{recordId}/confirm',
        handler: handle((payload) => {
          const parsed = Confirm.safeParse(payload);
          return parsed.success ? { outcome: 'confirmed', registrationNumber: parsed.data.registrationNumber } : issues(parsed.error);
        }),
      },
      {
        method: 'POST',
        path: '/records/{recordId}/reject',
        handler: handle((payload) => {
          const parsed = Reject.safeParse(payload);
          return parsed.success ? { outcome: 'rejected', reason: parsed.data.reason } : issues(parsed.error);
        }),
      },
    ];
  }

  start(): void {
    this.worker = new Worker<{ recordId: string }>(this.queueName, (job) => this.runFollowUps(job.data.recordId), {
      ...queueBase(this.connection),
      concurrency: 4,
    });
    this.worker.on('error', (error) => this.deps.logger.warn({ err: error.message }, 'outcome worker error'));
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
