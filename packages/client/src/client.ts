/**
 * SteadfastClient: keeps every draft in a local store before anything goes over the network,
 * sends it until the gateway has it, follows it until it is processed, and only then lets its
 * payload go. The decisions are decide.ts; this file reads, sends and writes.
 */
import type { RecordStatus, SubmitAnswer, TransientAnswer } from './answers.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy } from './backoff.js';
import { afterStatus, afterSubmit } from './decide.js';
import {
  MutationName,
  summaryOf,
  TERMINAL_STATES,
  type DraftState,
  type DraftStore,
  type DraftSummary,
  type StoredDraft,
} from './drafts.js';
import { preparePayload, samePayload } from './payloads.js';
import { Backoff, Limiter, sleep, sleepUntil, TokenCache } from './pacing.js';
import {
  mutationDocument,
  post,
  STATUS_QUERY,
  STATUSES_QUERY,
  statusesAnswerOf,
  submitAnswerOf,
  type Reply,
  type StatusesAnswer,
} from './transport.js';

export interface SteadfastClientOptions {
  /** The gateway, e.g. http://localhost:7070 (the client posts to `<url>/graphql`). */
  url: string;
  /** Gives a bearer token; asked again when the gateway refuses the last one (expired). */
  token: () => Promise<string> | string;
  store: DraftStore;
  /** Requests in flight at most (writes and status queries together). Default 4. */
  maxConcurrentRequests?: number;
  /** Backoff after failures (full jitter). Default: base 500 ms, cap 60 s, Retry-After at most 10 min. */
  retry?: Partial<RetryPolicy>;
  /** How long the gateway may hold a status query (long-poll), 0-30. Default 20. */
  waitSeconds?: number;
  /**
   * Status queries start at least this far apart (default 0: again as soon as one answers). A
   * held query answers at the first change among its drafts; a larger interval lets changes
   * gather, fewer requests per draft at the cost of later news.
   */
  minStatusIntervalMs?: number;
  /** Per write request. Default 60 s (attachments on a slow line). */
  submitTimeoutMs?: number;
  /** Every stored change and every retry, for logs and tests. Must not throw (it is ignored if it does). */
  onEvent?: (event: ClientEvent) => void;
  /** For tests. */
  fetch?: typeof fetch;
  random?: () => number;
}

export type ClientEvent =
  | {
      type: 'stored';
      draftId: string;
      from: DraftState | undefined;
      to: DraftState;
      /** What caused it: 'submit', an answer ('queued', 'conflict', 'refused', 'transient') or a status (__typename). */
      cause: string;
      /** This write removed the payload (only ever with cause RecordProcessed). */
      purged: boolean;
    }
  | { type: 'retry'; delayMs: number; message: string }
  | { type: 'fallback'; message: string };

export interface SyncSummary {
  processed: number;
  rejected: number;
  conflict: number;
  /** Not yet decided: pending (to send) and queued (sent, not yet processed). */
  pending: number;
}

/** The draftId is already in the store with another payload: a new submission needs a new draftId. */
export class DraftExistsError extends Error {
  constructor(draftId: string) {
    super(`draft ${draftId} is already stored with a different payload; use a new draftId for a new submission`);
    this.name = 'DraftExistsError';
  }
}

/** Only a decided draft (processed, rejected, conflict) may be discarded: a pending one may already be on its way. */
export class DraftNotDecidedError extends Error {
  constructor(draftId: string, state: string) {
    super(`draft ${draftId} is ${state}; only a processed, rejected or conflicting draft can be discarded`);
    this.name = 'DraftNotDecidedError';
  }
}

/** The gateway answers at most this many drafts per fetchRecordStatuses. */
const STATUS_BATCH = 100;
/** After a gateway said it has no fetchRecordStatuses, ask one draft at a time this long before trying again. */
const BATCH_RECHECK_MS = 10 * 60_000;
/** A round of sync that changed nothing lasts at least this long: never a tight loop. */
const MIN_IDLE_ROUND_MS = 1_000;
/** While drafts are being sent, how often the client looks for one already queued to follow. */
const QUEUED_POLL_MS = 250;

export class SteadfastClient {
  private readonly store: DraftStore;
  private readonly url: string;
  private readonly tokens: TokenCache;
  private readonly limiter: Limiter;
  private readonly backoff: Backoff;
  private readonly policy: RetryPolicy;
  private readonly random: () => number;
  private readonly fetch: typeof fetch;
  private readonly waitSeconds: number;
  private readonly submitTimeoutMs: number;
  private readonly minStatusIntervalMs: number;
  private lastFollowAt = Number.NEGATIVE_INFINITY;
  private readonly onEvent: ((event: ClientEvent) => void) | undefined;
  /** The drafts of the running sync, kept current by every write. */
  private working: Map<string, StoredDraft> | undefined;
  private running: Promise<SyncSummary> | undefined;
  private batchUnsupportedUntil = 0;
  /** Drafts the gateway forgot after queuing them, more than once: resent with backoff. */
  private readonly lostAcks = new Map<string, { count: number; until: number }>();

  constructor(options: SteadfastClientOptions) {
    this.url = options.url;
    this.store = options.store;
    this.tokens = new TokenCache(options.token);
    this.limiter = new Limiter(options.maxConcurrentRequests ?? 4);
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.random = options.random ?? Math.random;
    this.backoff = new Backoff(this.policy, this.random);
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.waitSeconds = Math.max(0, Math.min(30, Math.floor(options.waitSeconds ?? 20)));
    this.submitTimeoutMs = options.submitTimeoutMs ?? 60_000;
    this.minStatusIntervalMs = Math.max(0, options.minStatusIntervalMs ?? 0);
    this.onEvent = options.onEvent;
  }

  /**
   * Stores a write of `mutation` (for a correction, `input` is `{ id, details }`; else the
   * details) and answers its draftId once it is in the store. Nothing is sent: `sync` does that.
   */
  async submit(mutation: MutationName, input: unknown): Promise<string> {
    const name = MutationName.parse(mutation);
    const { draftId, payload } = preparePayload(name, input);
    const existing = await this.store.get(draftId);
    if (existing) {
      // The same submission again is the same draft; anything else under its key is refused
      // here, before the gateway would (a processed draft's payload is gone: it cannot match).
      if (existing.mutation === name && samePayload(existing.payload, payload)) return draftId;
      throw new DraftExistsError(draftId);
    }
    const now = new Date().toISOString();
    const draft: StoredDraft = { draftId, mutation: name, state: 'pending', payload, attempts: 0, createdAt: now, updatedAt: now };
    await this.store.put(draft);
    this.working?.set(draftId, draft);
    this.emit({ type: 'stored', draftId, from: undefined, to: 'pending', cause: 'submit', purged: false });
    return draftId;
  }

  /** Every draft in the store, oldest first, without payloads. */
  async drafts(): Promise<DraftSummary[]> {
    const all = await this.store.list();
    return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map(summaryOf);
  }

  /** One draft with its payload (while it has one): to show a conflict or a rejection to its user. */
  async draft(draftId: string): Promise<StoredDraft | undefined> {
    return this.store.get(draftId);
  }

  /** Removes a decided draft at its user's request (e.g. a conflict resolved by a new submission). */
  async discard(draftId: string): Promise<void> {
    const draft = await this.store.get(draftId);
    if (!draft) return;
    if (!TERMINAL_STATES.has(draft.state)) throw new DraftNotDecidedError(draftId, draft.state);
    await this.store.delete(draftId);
    this.working?.delete(draftId);
  }

  /**
   * Sends every pending draft and follows every queued one until all are decided or
   * `timeoutMs` (default 60 s) passes; answers the counts by state. Calls made while a sync
   * runs join it.
   */
  sync(options: { timeoutMs?: number } = {}): Promise<SyncSummary> {
    if (!this.running) {
      this.running = this.runSync(options.timeoutMs ?? 60_000).finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async runSync(timeoutMs: number): Promise<SyncSummary> {
    const deadline = Date.now() + timeoutMs;
    const working = new Map((await this.store.list()).map((d) => [d.draftId, d]));
    this.working = working;
    try {
      for (;;) {
        const open = [...working.values()].filter((d) => !TERMINAL_STATES.has(d.state));
        if (open.length === 0 || Date.now() >= deadline) break;
        const roundStarted = Date.now();
        const writesBefore = this.writes;
        const pause = this.backoff.delay();
        if (pause > 0) {
          await sleep(Math.min(pause, deadline - Date.now()));
          continue;
        }
        const due = open.filter((d) => d.state === 'pending' && (this.lostAcks.get(d.draftId)?.until ?? 0) <= roundStarted);
        await this.sendAndFollow(due.map((d) => d.draftId), deadline);
        const queued = this.queuedIds();
        if (queued.length > 0) {
          const early = this.lastFollowAt + this.minStatusIntervalMs - Date.now();
          if (early > 0) await sleep(Math.min(early, deadline - Date.now()));
          await this.pacedFollow(queued, deadline);
        }
        if (this.writes === writesBefore) await sleep(Math.min(MIN_IDLE_ROUND_MS - (Date.now() - roundStarted), deadline - Date.now()));
      }
      return summarise(working.values());
    } finally {
      this.working = undefined;
    }
  }

  private writes = 0;

  /** Stores `next` if it differs from what is stored, and says so. */
  private async write(before: StoredDraft, next: StoredDraft, cause: string): Promise<StoredDraft> {
    if (next === before) return before;
    await this.store.put(next);
    this.writes += 1;
    this.working?.set(next.draftId, next);
    if (next.state !== before.state || (before.payload && !next.payload)) {
      this.emit({ type: 'stored', draftId: next.draftId, from: before.state, to: next.state, cause, purged: before.payload !== undefined && next.payload === undefined });
    }
    return next;
  }

  /**
   * Sends these drafts and, while they go out, follows the drafts already queued, at the pace
   * `minStatusIntervalMs` allows (and no more than once a second): the news of the first drafts
   * of a long upload, or of a gateway slow to accept a burst, does not wait for the last one to
   * be accepted. The round's own follow comes after, at the same pace.
   */
  private async sendAndFollow(draftIds: string[], deadline: number): Promise<void> {
    // Nothing to send: the round's own follow is the only one (else two per round).
    if (draftIds.length === 0) return;
    let sending = true;
    const sent = Promise.all(draftIds.map((id) => this.send(id, deadline))).finally(() => {
      sending = false;
    });
    const spacing = Math.max(this.minStatusIntervalMs, MIN_IDLE_ROUND_MS);
    let lastHere = Number.NEGATIVE_INFINITY;
    const follow = async () => {
      while (sending && Date.now() < deadline) {
        const queued = this.queuedIds();
        const early = Math.max(this.lastFollowAt + this.minStatusIntervalMs, lastHere + spacing) - Date.now();
        if (queued.length === 0 || early > 0) {
          await sleepUntil(Math.min(queued.length === 0 ? QUEUED_POLL_MS : early, deadline - Date.now()), sent);
          continue;
        }
        const asking = Date.now();
        if (await this.pacedFollow(queued, deadline)) lastHere = asking;
        else await sleepUntil(Math.min(QUEUED_POLL_MS, deadline - Date.now()), sent);
      }
    };
    await Promise.all([sent, follow()]);
  }

  /**
   * Follows now, as one use of the `minStatusIntervalMs` interval; says whether a status query
   * went out. One the backoff kept back (closed after a failed write, or another request is its
   * probe) used nothing: the next chance to ask stays as it was, not a whole interval away (an
   * office whose write failed just as it meant to ask heard nothing for minStatusIntervalMs).
   */
  private async pacedFollow(draftIds: string[], deadline: number): Promise<boolean> {
    const before = { at: this.lastFollowAt, sent: this.statusRequestsSent };
    this.lastFollowAt = Date.now();
    await this.follow(draftIds, deadline);
    const asked = this.statusRequestsSent > before.sent;
    if (!asked) this.lastFollowAt = before.at;
    return asked;
  }

  /** Status requests sent (admitted by the backoff), answered or not. */
  private statusRequestsSent = 0;

  /** The running sync's drafts the gateway has and that are not decided yet. */
  private queuedIds(): string[] {
    return [...(this.working?.values() ?? [])].filter((d) => d.state === 'queued').map((d) => d.draftId);
  }

  /** Sends one pending draft until the gateway answers something other than "try again", or the deadline. */
  private async send(draftId: string, deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const draft = this.working?.get(draftId);
      if (!draft || draft.state !== 'pending' || !draft.payload) return;
      const pause = this.backoff.delay();
      if (pause > 0) {
        if (Date.now() + pause >= deadline) return;
        await sleep(pause);
        continue;
      }
      const payload = draft.payload;
      const answer = await this.request<SubmitAnswer>(async (token) => {
        const reply = await post({
          url: this.url,
          query: mutationDocument(draft.mutation),
          variables: payload,
          token,
          timeoutMs: Math.max(1_000, Math.min(this.submitTimeoutMs, deadline - Date.now())),
          correlationId: draftId,
          fetch: this.fetch,
        });
        return submitAnswerOf(reply, draft.mutation);
      });
      if (!answer) {
        // Not admitted (the backoff closed, or a probe is out): wait for its answer.
        await Promise.race([this.backoff.changed(), sleep(MIN_IDLE_ROUND_MS)]);
        continue;
      }
      await this.write(draft, afterSubmit(draft, answer, new Date().toISOString()), answer.kind);
      if (answer.kind !== 'transient') return;
    }
  }

  /** Follows queued drafts: one held status query per hundred, or one per draft from an older gateway. */
  private async follow(draftIds: string[], deadline: number): Promise<void> {
    const waitSeconds = Math.max(0, Math.min(this.waitSeconds, Math.floor((deadline - Date.now()) / 1_000) - 1));
    const chunks: string[][] = [];
    for (let i = 0; i < draftIds.length; i += STATUS_BATCH) chunks.push(draftIds.slice(i, i + STATUS_BATCH));
    await Promise.all(
      chunks.map(async (ids) => {
        const statuses = await this.statuses(ids, waitSeconds);
        for (const status of statuses) await this.applyStatus(status);
      }),
    );
  }

  private async applyStatus(status: RecordStatus): Promise<void> {
    const draft = this.working?.get(status.draftId) ?? [...(this.working?.values() ?? [])].find((d) => d.draftId.toLowerCase() === status.draftId.toLowerCase());
    if (!draft) return;
    const next = await this.write(draft, afterStatus(draft, status, new Date().toISOString()), status.__typename);
    if (TERMINAL_STATES.has(next.state)) this.lostAcks.delete(next.draftId);
    if (draft.state === 'queued' && next.state === 'pending') {
      // Acknowledged, then unknown: send again at once; if it keeps happening, with backoff.
      const count = (this.lostAcks.get(draft.draftId)?.count ?? 0) + 1;
      const delay = count === 1 ? 0 : backoffDelay(count - 2, this.policy, this.random);
      this.lostAcks.set(draft.draftId, { count, until: Date.now() + delay });
    }
  }

  /** The statuses of `draftIds` the gateway gave (all, some, or none after a failure). */
  private async statuses(draftIds: string[], waitSeconds: number): Promise<RecordStatus[]> {
    if (Date.now() >= this.batchUnsupportedUntil) {
      const answer = await this.statusQuery(STATUSES_QUERY, { draftIds, waitSeconds }, 'fetchRecordStatuses', draftIds, waitSeconds);
      if (answer?.kind === 'statuses') return answer.statuses;
      if (answer?.kind !== 'unsupported') return [];
      this.batchUnsupportedUntil = Date.now() + BATCH_RECHECK_MS;
      this.emit({ type: 'fallback', message: 'the gateway has no fetchRecordStatuses; asking one draft at a time' });
    }
    // An older gateway: hold one query on the first draft, then read the others at once.
    const [first, ...rest] = draftIds;
    if (first === undefined) return [];
    const one = (id: string, wait: number) => this.statusQuery(STATUS_QUERY, { draftId: id, waitSeconds: wait }, 'fetchRecordStatus', [id], wait);
    const held = await one(first, waitSeconds);
    if (held?.kind !== 'statuses') return [];
    const others = await Promise.all(rest.map((id) => one(id, 0)));
    return [...held.statuses, ...others.flatMap((a) => (a?.kind === 'statuses' ? a.statuses : []))];
  }

  /** One status query; undefined when it was not admitted or failed (the backoff has it). */
  private async statusQuery(
    query: string,
    variables: Record<string, unknown>,
    field: string,
    draftIds: string[],
    waitSeconds: number,
  ): Promise<StatusesAnswer | undefined> {
    const answer = await this.request<StatusesAnswer>(async (token) => {
      this.statusRequestsSent += 1;
      const reply: Reply = await post({ url: this.url, query, variables, token, timeoutMs: (waitSeconds + 15) * 1_000, fetch: this.fetch });
      return statusesAnswerOf(reply, field, draftIds);
    }, true);
    return answer?.kind === 'transient' ? undefined : answer;
  }

  /**
   * One request in a concurrency slot, with the current token; a token the gateway refused is
   * replaced and the request sent again at once, once. A failure (a token provider that failed
   * included) closes the backoff before the slot is given up, so nothing slips out meanwhile.
   * Undefined when the backoff did not admit it (closed, or another request is probing).
   * A status query goes `first`: ahead of the writes waiting for a slot (one query asks about up
   * to a hundred drafts; behind a long upload queue it would learn nothing until the last one).
   */
  private async request<A extends { kind: string }>(send: (token: string) => Promise<A>, first = false): Promise<A | TransientAnswer | undefined> {
    return this.limiter.run(async () => {
      const admitted = this.backoff.admit();
      if (!admitted) return undefined;
      const started = Date.now();
      let answer: A | TransientAnswer | undefined;
      for (let tries = 0; tries < 2 && answer === undefined; tries++) {
        let token: string;
        try {
          token = await this.tokens.get();
        } catch (error) {
          answer = { kind: 'transient', message: `token provider failed: ${error instanceof Error ? error.message.slice(0, 200) : 'unknown'}` };
          break;
        }
        const sent = await send(token);
        if (isTransient(sent) && sent.unauthenticated) {
          this.tokens.refused(token);
          if (tries === 0) continue;
        }
        answer = sent;
      }
      if (answer === undefined || isTransient(answer)) {
        const failure: TransientAnswer = answer ?? { kind: 'transient', message: 'no answer' };
        const delayMs = this.backoff.fail(started, failure.retryAfterMs);
        this.emit({ type: 'retry', delayMs, message: failure.message });
        return failure;
      }
      this.backoff.succeed();
      return answer;
    }, first);
  }

  private emit(event: ClientEvent): void {
    try {
      this.onEvent?.(event);
    } catch {
      // An observer's failure must not stop a draft.
    }
  }
}

function isTransient(answer: { kind: string }): answer is TransientAnswer {
  return answer.kind === 'transient';
}

function summarise(drafts: Iterable<StoredDraft>): SyncSummary {
  const summary: SyncSummary = { processed: 0, rejected: 0, conflict: 0, pending: 0 };
  for (const d of drafts) {
    if (d.state === 'processed' || d.state === 'rejected' || d.state === 'conflict') summary[d.state] += 1;
    else summary.pending += 1;
  }
  return summary;
}
