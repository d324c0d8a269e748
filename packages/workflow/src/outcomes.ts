/**
 * The country config's answers: `POST /records/{recordId}/confirm` and `/reject`, internal,
 * authenticated with the country config's own credential (COUNTRY_CONFIG_SECRET; no user token
 * is taken here). The answer is recorded as acting for the user who submitted the registration.
 * A registration number belongs to one record: a number another record holds is 409 (checked
 * first, and guaranteed by the unique index on `registrationNumber`). The first answer moves the
 * record from WAITING_EXTERNAL_VALIDATION to REGISTERED (with its registration number) or
 * REJECTED, in one compare-and-set write; a repeat of that answer is "already done" and changes
 * nothing; a different later answer is 409. The follow-ups (audit entry, search document,
 * notification) run as a queued job derived from the record, so a crash after the write only
 * delays them: the next repeat of the callback, or the sweep of the queue, runs them.
 */
import {
  isDuplicateKey,
  queueBase,
  workerBase,
  type Redis,
  type Collections,
  type Logger,
  type RecordDocument,
  type RegistrationStatus,
} from '@steadfast/commons';
import type Hapi from '@hapi/hapi';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import type { Notifications } from './notifications/notifications.js';
import { actorChange, copiedActor, followDirectory } from '@steadfast/records';
import { changeRecord } from '@steadfast/records';
import type { SearchIndex } from '@steadfast/records';

type Decision = { outcome: 'confirmed'; registrationNumber: string } | { outcome: 'rejected'; reason: string };

const Confirm = z.strictObject({ registrationNumber: z.string().trim().min(1).max(50) });
const Reject = z.strictObject({ reason: z.string().trim().min(1).max(500) });

/**
 * Who the country's answer acts for: the user whose submission asked for the registration (the
 * record's creating action), as the narrowed token used to say.
 */
export function registeringUser(record: Pick<RecordDocument, 'draftId' | 'actions' | 'history'>): string {
  const creating = record.actions[record.draftId]?.userId;
  if (creating) return creating;
  const asked = [...record.history].reverse().find((entry) => entry.status === 'WAITING_EXTERNAL_VALIDATION');
  if (asked) return asked.userId;
  throw new Error(`record of draft ${record.draftId} has no user who asked for its registration`);
}

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

  async apply(recordId: string, decision: Decision): Promise<{ code: number; body: object }> {
    try {
      return await this.decide(recordId, decision);
    } catch (error) {
      // The unique index refused the number (E11000 from MongoDB; FerretDB reports a unique
      // violation on update as an internal error): another record took it meanwhile.
      if (decision.outcome === 'confirmed' && (await this.numberHeldElsewhere(recordId, decision.registrationNumber))) return this.numberTaken(recordId, decision.registrationNumber);
      throw error;
    }
  }

  private async numberHeldElsewhere(recordId: string, registrationNumber: string): Promise<boolean> {
    return (await this.deps.db.records.countDocuments({ registrationNumber, _id: { $ne: recordId } }, { limit: 1 })) > 0;
  }

  private numberTaken(recordId: string, registrationNumber: string): { code: number; body: object } {
    this.deps.logger.warn({ recordId, registrationNumber }, 'registration number refused: another record holds it');
    return { code: 409, body: { error: 'that registration number belongs to another record; this answer changes nothing' } };
  }

  private async decide(recordId: string, decision: Decision): Promise<{ code: number; body: object }> {
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
        if (decision.outcome === 'confirmed' && (await this.numberHeldElsewhere(recordId, decision.registrationNumber))) {
          return { done: this.numberTaken(recordId, decision.registrationNumber) };
        }
        const user = { userId: registeringUser(record) };
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

  /** The two callback routes; `auth` is the country config's strategy and scope (server.ts). */
  routes(auth: Hapi.RouteOptions['auth']): Hapi.ServerRoute[] {
    const handle =
      (parse: (payload: unknown) => Decision | string) =>
      async (request: Hapi.Request, h: Hapi.ResponseToolkit) => {
        const recordId = request.params['recordId'] as string;
        const decision = parse(request.payload ?? {});
        if (typeof decision === 'string') return h.response({ error: decision }).code(400);
        const { code, body } = await this.apply(recordId, decision);
        return h.response(body).code(code);
      };
    const options = { auth, payload: { maxBytes: 16 * 1024, allow: 'application/json' } };
    const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    return [
      {
        method: 'POST',
        path: '/records/{recordId}/confirm',
        options,
        handler: handle((payload) => {
          const parsed = Confirm.safeParse(payload);
          return parsed.success ? { outcome: 'confirmed', registrationNumber: parsed.data.registrationNumber } : issues(parsed.error);
        }),
      },
      {
        method: 'POST',
        path: '/records/{recordId}/reject',
        options,
        handler: handle((payload) => {
          const parsed = Reject.safeParse(payload);
          return parsed.success ? { outcome: 'rejected', reason: parsed.data.reason } : issues(parsed.error);
        }),
      },
    ];
  }

  start(): void {
    this.worker = new Worker<{ recordId: string }>(this.queueName, (job) => this.runFollowUps(job.data.recordId), {
      ...workerBase(this.connection, 'workflow'),
      concurrency: 4,
    });
    this.worker.on('error', (error) => this.deps.logger.warn({ err: error.message }, 'outcome worker error'));
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
