/**
 * The drills' load: an open-loop stream of new drafts (a fixed arrival rate, so a slow system
 * cannot slow the load down), over all seven mutations. Each draft is held by `sends` offices'
 * clients (`SteadfastClient`, the product's client), as a registration office on a bad network
 * is: every one sends the same submission (duplicates of one draft go to different gateways
 * when there are several), retries every failure with the same draftId and its backoff, follows
 * it with held status queries, and sends it again when the answer is `RecordUnknown`.
 *
 * The drills' figures (sends, refusals, the resubmissions after RecordUnknown, the final status)
 * are read from what the clients do: their HTTP requests through the client's `fetch` option
 * and their stored changes through `onEvent`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryDraftStore, SteadfastClient, type ClientEvent, type MutationName } from '@steadfast/client';
import { Population, sampleBirth, sampleCorrection, sampleDeath, sampleMarriage, type EventType, type Logger } from '@steadfast/commons';
import { GATEWAY, MUTATIONS, type Status } from '../client.js';

export type User = 'field.agent' | 'registration.agent' | 'registrar';

export interface Draft {
  draftId: string;
  label: string;
  user: User;
  /** The GraphQL document of the write. */
  mutation: string;
  /** The write's name, as the client takes it. */
  name: MutationName;
  variables: Record<string, unknown>;
  /** Set for creates: the event of the new record. */
  event?: EventType;
  /** Set for corrections: the record corrected. */
  recordId?: string;
}

export interface Outcome {
  draft: Draft;
  accepted: boolean;
  /** Submissions sent (write requests of every client holding the draft), including duplicates and retries. */
  sends: number;
  /** Submissions answered with an error or not at all (refused while something was down). */
  refused: number;
  /** When each refusal came (ms since the epoch), to see how long submissions were refused. */
  refusedAt: number[];
  /** Times a client sent it again because the status was `RecordUnknown` (the first was lost). */
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

  /**
   * A client's token provider: the user's token, and a fresh one when the client asks again
   * (it does when the gateway refused the last one) and no other client has renewed it meanwhile.
   */
  provider(user: User): () => Promise<string> {
    let last: string | undefined;
    return async () => {
      const current = this.tokens.get(user);
      if (last !== undefined && current && (await current.catch(() => undefined)) === last) this.tokens.delete(user);
      last = await this.get(user);
      return last;
    };
  }
}

/** The write's name for each document of MUTATIONS. */
const NAMES: Record<keyof typeof MUTATIONS, MutationName> = {
  birth: 'createBirthRegistration',
  death: 'createDeathRegistration',
  marriage: 'createMarriageRegistration',
  requestCorrection: 'requestRegistrationCorrection',
  correctBirth: 'createBirthRegistrationCorrection',
  correctDeath: 'createDeathRegistrationCorrection',
  correctMarriage: 'createMarriageRegistrationCorrection',
};

/** A draft's clients ask again after this long at most when the system refuses them (the old loop's 4 s): the drills time refusals. */
const RETRY_CAP_MS = 4_000;
/** One sync at a time lasts at most this long, so a client notices the settle deadline. */
const SYNC_SLICE_MS = 15_000;

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

function parseBody(text: string): GraphQLBody | undefined {
  try {
    return JSON.parse(text) as GraphQLBody;
  } catch {
    return undefined;
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
    return { draftId, label: `${event}#${n} by ${user}`, user, mutation: MUTATIONS[event], name: NAMES[event], variables: { details }, event };
  }

  /** A correction request and a correction of the same record, sent together. */
  private corrections(target: { recordId: string; event: EventType; seed: string }): Draft[] {
    const request = sampleCorrection(randomUUID());
    const correctedId = randomUUID();
    const corrected =
      target.event === 'birth' ? sampleBirth(correctedId, {}, target.seed)
        : target.event === 'death' ? sampleDeath(correctedId, {}, target.seed)
          : sampleMarriage(correctedId, {}, target.seed);
    const correct = target.event === 'birth' ? 'correctBirth' : target.event === 'death' ? 'correctDeath' : 'correctMarriage';
    return [
      { draftId: request.draftId, label: `request-correction of ${target.recordId}`, user: 'registration.agent', mutation: MUTATIONS.requestCorrection, name: NAMES.requestCorrection, variables: { id: target.recordId, details: request }, recordId: target.recordId },
      { draftId: correctedId, label: `correct-${target.event} of ${target.recordId}`, user: 'registrar', mutation: MUTATIONS[correct], name: NAMES[correct], variables: { id: target.recordId, details: corrected }, recordId: target.recordId },
    ];
  }

  private async client(draft: Draft): Promise<void> {
    const outcome: Outcome = { draft, accepted: false, sends: 0, refused: 0, refusedAt: [], unknownResubmits: 0, fatal: [] };
    this.outcomes.push(outcome);
    const log = this.options.logger.child({ draftId: draft.draftId, draft: draft.label });
    // The first office's client, then the duplicates' (each a client of its own holding the same
    // draft, on the next gateway), each until its draft is decided or the settle deadline.
    const holders = Array.from({ length: this.options.sends }, async (_, i) => {
      if (i > 0) await sleep(Math.random() * this.options.spreadMs);
      const client = new SteadfastClient({
        url: this.gateway(i),
        token: this.tokens.provider(draft.user),
        store: new MemoryDraftStore(),
        retry: { capMs: RETRY_CAP_MS },
        fetch: this.observed(outcome),
        onEvent: (event: ClientEvent) => {
          if (event.type === 'stored' && event.from === 'queued' && event.to === 'pending' && event.cause === 'RecordUnknown') outcome.unknownResubmits++;
        },
      });
      await client.submit(draft.name, draft.event ? draft.variables['details'] : draft.variables);
      while (Date.now() < this.deadline && outcome.fatal.length === 0) {
        const summary = await client.sync({ timeoutMs: Math.min(SYNC_SLICE_MS, this.deadline - Date.now()) });
        if (summary.pending === 0) return;
      }
    });
    await Promise.all(holders);
    const done = outcome.final?.__typename === 'RecordProcessed' || outcome.final?.__typename === 'RecordRejected';
    if (done) log.debug({ status: outcome.final?.__typename, registrationStatus: outcome.final?.registrationStatus }, 'draft done');
    else if (outcome.fatal.length === 0) log.warn({ status: outcome.final?.__typename, step: outcome.final?.step, lastError: outcome.final?.lastError }, 'draft not done by the deadline');
  }

  /**
   * The `fetch` of a draft's clients: passes every request on and reads the answers for the
   * drill's figures (a write sent, accepted or refused; the latest status of the draft).
   */
  private observed(outcome: Outcome): typeof fetch {
    const { draft } = outcome;
    return async (input, init) => {
      const query = typeof init?.body === 'string' ? (parseBody(init.body) as { query?: unknown } | undefined)?.query : undefined;
      const isWrite = typeof query === 'string' && /^\s*mutation\b/.test(query);
      const isStatus = typeof query === 'string' && /\bfetchRecordStatus(?:es)?\s*\(/.test(query);
      if (isWrite) outcome.sends++;
      let response: Response;
      try {
        response = await fetch(input, init);
      } catch (error) {
        if (isWrite) this.refusal(outcome);
        throw error;
      }
      if (!isWrite && !isStatus) return response;
      const text = await response.text();
      const body = parseBody(text);
      if (isWrite) {
        const first = body?.errors?.[0];
        if (response.status === 200 && body?.data && !first) {
          outcome.accepted = true;
          outcome.acceptedAt ??= Date.now();
        } else {
          this.refusal(outcome);
          const raw = first?.extensions?.['code'];
          const code = typeof raw === 'string' ? raw : '';
          if (FATAL_CODES.has(code)) {
            outcome.fatal.push(`${code}: ${first?.message ?? ''}`);
            this.options.logger.error({ draftId: draft.draftId, draft: draft.label, code, err: first?.message }, 'submission refused for good');
          }
        }
      } else {
        const answered = body?.data?.['fetchRecordStatuses'] ?? body?.data?.['fetchRecordStatus'];
        for (const status of (Array.isArray(answered) ? answered : [answered]) as Array<Status | null | undefined>) {
          if (status?.draftId?.toLowerCase() === draft.draftId.toLowerCase()) this.sawStatus(outcome, status);
        }
      }
      return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
    };
  }

  private refusal(outcome: Outcome): void {
    outcome.refused++;
    outcome.refusedAt.push(Date.now());
  }

  /** The latest status a client of the draft was given; the first decided one is kept. */
  private sawStatus(outcome: Outcome, status: Status): void {
    const { draft } = outcome;
    if (outcome.doneAt !== undefined) return;
    outcome.final = status;
    if (status.__typename !== 'RecordProcessed' && status.__typename !== 'RecordRejected') return;
    outcome.doneAt = Date.now();
    if (status.__typename === 'RecordProcessed' && status.recordId && draft.event && draft.user !== 'registrar') {
      this.correctable.push({ recordId: status.recordId, event: draft.event, seed: draft.draftId });
    }
  }

  /** The gateway of the n-th client of a draft: duplicates of one draft go to different gateways. */
  private gateway(n: number): string {
    const gateways = this.options.gateways ?? [GATEWAY];
    return gateways[n % gateways.length] ?? GATEWAY;
  }
}
