/**
 * The drills' load: an open-loop stream of new drafts (a fixed arrival rate, so a slow system
 * cannot slow the load down), over all seven mutations. Each draft is a client that behaves as
 * a registration office on a bad network does: it sends the same submission several times,
 * retries every failure with the same draftId, polls `fetchRecordStatus` with backoff, and
 * submits again when the answer is `RecordUnknown` or the work seems to be stuck.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Population, sampleBirth, sampleCorrection, sampleDeath, sampleMarriage, type EventType, type Logger } from '@steadfast/commons';
import { GATEWAY, MUTATIONS, STATUS_QUERY, type GraphQLResult, type Status } from '../client.js';

export type User = 'field.agent' | 'registration.agent' | 'registrar';

export interface Draft {
  draftId: string;
  label: string;
  user: User;
  mutation: string;
  variables: Record<string, unknown>;
  /** Set for creates: the event of the new record. */
  event?: EventType;
  /** Set for corrections: the record corrected. */
  recordId?: string;
}

export interface Outcome {
  draft: Draft;
  accepted: boolean;
  /** Submissions sent, including duplicates and retries. */
  sends: number;
  /** Submissions answered with an error (refused while something was down). */
  refused: number;
  /** When each refusal came (ms since the epoch), to see how long submissions were refused. */
  refusedAt: number[];
  /** Submissions sent again because the status was `RecordUnknown` (the first was lost). */
  unknownResubmits: number;
  /** Errors no retry can fix: IDEMPOTENCY_KEY_REUSED, BAD_USER_INPUT, FORBIDDEN. Always a bug here. */
  fatal: string[];
  final?: Status;
  acceptedAt?: number;
  doneAt?: number;
}

export interface LoadOptions {
  /** New drafts per second. */
  rate: number;
  /** How many times each draft is sent (1 = no duplicates). */
  sends: number;
  /** The duplicates are sent within this window after the first. */
  spreadMs: number;
  logger: Logger;
  /** Gateways to send to (default: the e2e one); a draft's sends rotate over them. */
  gateways?: string[];
  /**
   * Who the new records are about: by default a seeded skewed population (Zipf-like names,
   * dates on busy days), so the load meets similar records as a country does; `unique` names
   * give none.
   */
  people?: Population;
}

const FATAL_CODES = new Set(['IDEMPOTENCY_KEY_REUSED', 'BAD_USER_INPUT', 'FORBIDDEN', 'GRAPHQL_VALIDATION_FAILED']);

async function post<T>(path: string, body: unknown, token?: string, gateway = GATEWAY): Promise<T> {
  const response = await fetch(`${gateway}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
}

/** Tokens of the three submitting users, fetched again when the gateway refuses one. */
class Tokens {
  private readonly tokens = new Map<User, Promise<string>>();

  get(user: User): Promise<string> {
    let token = this.tokens.get(user);
    if (!token) {
      token = post<{ token?: string }>('/auth/authenticate', { username: user, password: 'test' }).then((r) => {
        if (!r.token) throw new Error(`login of ${user} refused`);
        return r.token;
      });
      token.catch(() => this.tokens.delete(user));
      this.tokens.set(user, token);
    }
    return token;
  }

  forget(user: User): void {
    this.tokens.delete(user);
  }
}

type Kind = 'birth' | 'death' | 'marriage' | 'correction';

/** One load: start it, let it run, stop the arrivals, then wait for every client to finish. */
export class Load {
  private readonly outcomes: Outcome[] = [];
  private readonly clients: Promise<void>[] = [];
  private readonly tokens = new Tokens();
  /** Processed records a later draft may correct (each at most once, never a registrar's). */
  private readonly correctable: Array<{ recordId: string; event: EventType; seed: string }> = [];
  private arriving = false;
  private arrivals: Promise<void> | undefined;
  private deadline = Number.POSITIVE_INFINITY;
  private seq = 0;

  private readonly people: Population;

  constructor(private readonly options: LoadOptions) {
    this.people = options.people ?? new Population({ mode: 'skewed', seed: 22 });
  }

  start(): void {
    this.arriving = true;
    this.arrivals = this.arrive();
  }

  /** Stops new arrivals; clients already started go on. */
  async stopArrivals(): Promise<void> {
    this.arriving = false;
    await this.arrivals;
  }

  /** Waits until every client has a final answer, or until `timeoutMs` has passed. */
  async settle(timeoutMs: number): Promise<Outcome[]> {
    await this.stopArrivals();
    this.deadline = Date.now() + timeoutMs;
    await Promise.all(this.clients);
    return this.outcomes;
  }

  private async arrive(): Promise<void> {
    const interval = 1000 / this.options.rate;
    const started = Date.now();
    for (let n = 0; this.arriving; n++) {
      const wait = started + n * interval - Date.now();
      if (wait > 0) await sleep(wait);
      if (!this.arriving) break;
      for (const draft of this.nextDrafts()) this.clients.push(this.client(draft));
    }
  }

  /** The mix: 30% births by a field agent, 20% deaths by a registration agent, 20% marriages and
   * births by a registrar (external validation), 30% corrections (a request and a correction). */
  private nextDrafts(): Draft[] {
    const roll = Math.random();
    const kind: Kind = roll < 0.3 ? 'birth' : roll < 0.5 ? 'death' : roll < 0.7 ? 'marriage' : 'correction';
    const n = this.seq++;
    if (kind === 'correction') {
      const target = this.correctable.splice(Math.floor(Math.random() * this.correctable.length), 1)[0];
      if (target) return this.corrections(target);
      return [this.create('birth', 'field.agent', n)];
    }
    if (kind === 'birth') return [this.create('birth', 'field.agent', n)];
    if (kind === 'death') return [this.create('death', 'registration.agent', n)];
    return [this.create(n % 2 === 0 ? 'marriage' : 'birth', 'registrar', n)];
  }

  private create(event: EventType, user: User, n: number): Draft {
    const draftId = randomUUID();
    const details = event === 'birth' ? this.people.birth(draftId) : event === 'death' ? this.people.death(draftId) : this.people.marriage(draftId);
    return { draftId, label: `${event}#${n} by ${user}`, user, mutation: MUTATIONS[event], variables: { details }, event };
  }

  /** A correction request and a correction of the same record, sent together. */
  private corrections(target: { recordId: string; event: EventType; seed: string }): Draft[] {
    const request = sampleCorrection(randomUUID());
    const correctedId = randomUUID();
    const corrected =
      target.event === 'birth' ? sampleBirth(correctedId, {}, target.seed)
        : target.event === 'death' ? sampleDeath(correctedId, {}, target.seed)
          : sampleMarriage(correctedId, {}, target.seed);
    const correct = target.event === 'birth' ? MUTATIONS.correctBirth : target.event === 'death' ? MUTATIONS.correctDeath : MUTATIONS.correctMarriage;
    return [
      { draftId: request.draftId, label: `request-correction of ${target.recordId}`, user: 'registration.agent', mutation: MUTATIONS.requestCorrection, variables: { id: target.recordId, details: request }, recordId: target.recordId },
      { draftId: correctedId, label: `correct-${target.event} of ${target.recordId}`, user: 'registrar', mutation: correct, variables: { id: target.recordId, details: corrected }, recordId: target.recordId },
    ];
  }

  private async client(draft: Draft): Promise<void> {
    const outcome: Outcome = { draft, accepted: false, sends: 0, refused: 0, refusedAt: [], unknownResubmits: 0, fatal: [] };
    this.outcomes.push(outcome);
    const log = this.options.logger.child({ draftId: draft.draftId, draft: draft.label });
    // The first send, then its duplicates, each retried until accepted.
    const sending = Array.from({ length: this.options.sends }, async (_, i) => {
      if (i > 0) await sleep(Math.random() * this.options.spreadMs);
      await this.submitUntilAccepted(outcome);
    });
    await Promise.all(sending);
    let pollMs = 500;
    let polls = 0;
    while (Date.now() < this.deadline && outcome.fatal.length === 0) {
      await sleep(pollMs);
      pollMs = Math.min(pollMs * 1.5, 3_000);
      const status = await this.status(draft).catch(() => undefined);
      if (!status) continue;
      if (status.__typename === 'RecordProcessed' || status.__typename === 'RecordRejected') {
        outcome.final = status;
        outcome.doneAt = Date.now();
        if (status.__typename === 'RecordProcessed' && draft.event && draft.user !== 'registrar') {
          this.correctable.push({ recordId: status.recordId!, event: draft.event, seed: draft.draftId });
        }
        log.debug({ status: status.__typename, registrationStatus: status.registrationStatus }, 'draft done');
        return;
      }
      outcome.final = status;
      // Unknown: the submission was lost in transit, send it again. Still processing after a
      // while: a retrying client sends again too, which also revives an exhausted job.
      if (status.__typename === 'RecordUnknown') outcome.unknownResubmits++;
      if (status.__typename === 'RecordUnknown' || ++polls % 10 === 0) await this.submitUntilAccepted(outcome);
    }
    log.warn({ status: outcome.final?.__typename, step: outcome.final?.step, lastError: outcome.final?.lastError }, 'draft not done by the deadline');
  }

  private async submitUntilAccepted(outcome: Outcome): Promise<void> {
    const { draft } = outcome;
    let backoffMs = 250;
    while (Date.now() < this.deadline && outcome.fatal.length === 0) {
      outcome.sends++;
      const error = await this.submit(draft, outcome.sends).catch((e: Error) => ({ message: e.message, extensions: { code: 'NETWORK' } }));
      if (!error) {
        outcome.accepted = true;
        outcome.acceptedAt ??= Date.now();
        return;
      }
      outcome.refused++;
      outcome.refusedAt.push(Date.now());
      const raw = error.extensions?.['code'];
      const code = typeof raw === 'string' ? raw : '';
      if (FATAL_CODES.has(code)) {
        outcome.fatal.push(`${code}: ${error.message}`);
        this.options.logger.error({ draftId: draft.draftId, draft: draft.label, code, err: error.message }, 'submission refused for good');
        return;
      }
      if (code === 'UNAUTHENTICATED') this.tokens.forget(draft.user);
      await sleep(backoffMs * (0.5 + Math.random()));
      backoffMs = Math.min(backoffMs * 2, 4_000);
    }
  }

  /** undefined when accepted; otherwise the first error. */
  private async submit(draft: Draft, send: number): Promise<{ message: string; extensions?: Record<string, unknown> } | undefined> {
    const token = await this.tokens.get(draft.user);
    const result = await post<GraphQLResult>('/graphql', { query: draft.mutation, variables: draft.variables }, token, this.gateway(send));
    if (result.errors?.length) return result.errors[0];
    if (!result.data) return { message: 'no data and no errors' };
    return undefined;
  }

  /** The gateway of the n-th send: duplicates of one draft go to different gateways. */
  private gateway(n: number): string {
    const gateways = this.options.gateways ?? [GATEWAY];
    return gateways[n % gateways.length] ?? GATEWAY;
  }

  private async status(draft: Draft): Promise<Status> {
    const token = await this.tokens.get(draft.user);
    const result = await post<GraphQLResult<{ fetchRecordStatus: Status }>>('/graphql', { query: STATUS_QUERY, variables: { draftId: draft.draftId } }, token);
    if (!result.data) {
      if (result.errors?.[0]?.extensions?.['code'] === 'UNAUTHENTICATED') this.tokens.forget(draft.user);
      throw new Error(`fetchRecordStatus: ${JSON.stringify(result.errors)}`);
    }
    return result.data.fetchRecordStatus;
  }
}
