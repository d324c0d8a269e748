/**
 * The offline burst: `drafts` distinct drafts held by `offices` offices that come back online at
 * once, each office one `SteadfastClient` (the product's client, its drafts in a MemoryDraftStore)
 * that sends its drafts and follows them with held `fetchRecordStatuses` queries until all are
 * processed. A tenth are sent twice, as a flaky reconnect does: the first answer to their write is
 * dropped after the gateway has it, so the client sends the same draftId again.
 *
 * Every HTTP request the clients make goes through the burst's `fetch`, which counts status
 * requests (the figure the issue asks for: status requests per record) and times them.
 */
import { performance } from 'node:perf_hooks';
import { SteadfastClient, MemoryDraftStore, type ClientEvent } from '@steadfast/client';
import { sampleBirth } from '@steadfast/commons';
import { describeRequest, resentDrafts } from './burst-requests.js';
import { summarize, type Summary } from './stats.js';

export interface BurstOptions {
  drafts: number;
  offices: number;
  timeoutMs: number;
  /** The clients' `minStatusIntervalMs`: status queries of one office start at least this far apart. */
  minStatusIntervalMs: number;
  /** The clients' `waitSeconds`: how long the gateway may hold a status query. */
  waitSeconds: number;
  username?: string;
  password?: string;
}

export interface BurstResult {
  drafts: number;
  offices: number;
  /** Drafts whose write was sent again after its first answer was lost (the same draftId). */
  resubmitted: number;
  /** Drafts chosen to have their first answer lost: every office's first and each tenth after. */
  resendPlanned: number;
  /** Drafts the clients hold as processed at the end. */
  processed: number;
  /** Drafts in another state at the end (rejected, conflict, still pending or queued). */
  notProcessed: Record<string, number>;
  /** Write requests sent, first sends and resends together. */
  submitRequests: number;
  /** Retries the clients reported (onEvent 'retry'), the lost answers among them. */
  retries: number;
  /** Status requests sent, held ones, batches and failed ones included. */
  statusRequests: number;
  /** Of those, answered with an HTTP error or not at all (e.g. the client's own timeout). */
  statusFailures: number;
  /** The failures by kind: `HTTP <status>`, or the error's name when there was no answer (`TimeoutError`: the client's timeout). */
  statusFailureKinds: Record<string, number>;
  /** Of the answered ones, asked to be held (waitSeconds > 0). */
  heldStatusRequests: number;
  statusRequestsPerRecord: number;
  /** Drafts asked about per answered status request, on average. */
  draftsPerStatusRequest: number;
  minStatusIntervalMs: number;
  waitSeconds: number;
  submitMs: Summary;
  /** Time to answer of the answered status requests; a held one's includes its wait. */
  statusMs: Summary;
  /** From the first submission until the last client's sync ended with every draft decided. */
  allProcessedS: number;
  /** Wall-clock time of the first submission (ms since the epoch), to compare with the stores' timestamps. */
  startedAtMs: number;
  /** Seconds from the start until each draft was first held as queued by its client (the gateway accepted it), in no order. */
  acceptedS: number[];
  draftIds: string[];
}

/** One login shared by every office (the demo user); a client that had its token refused gets a fresh one. */
class DemoLogin {
  private current: Promise<string> | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly username: string,
    private readonly password: string,
  ) {}

  /** The current token, or a new one when the caller's `refused` token is still the current one. */
  async token(refused: string | undefined): Promise<string> {
    const current = this.current;
    if (current) {
      const token = await current.catch(() => undefined);
      if (token !== undefined && token !== refused) return token;
      // Another office already logged in again meanwhile: take that one.
      if (this.current !== current && this.current) return this.current;
    }
    this.current = this.login();
    return this.current;
  }

  private async login(): Promise<string> {
    const response = await fetch(`${this.baseUrl}/auth/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: this.username, password: this.password }),
    });
    if (response.status !== 200) throw new Error(`login of ${this.username}: HTTP ${response.status}`);
    return ((await response.json()) as { token: string }).token;
  }
}

/** The connection dropped after the gateway had the request: the client cannot know it arrived. */
class LostAnswerError extends Error {
  constructor() {
    super('bench: the answer was lost after the gateway had the write (a flaky reconnect)');
    this.name = 'LostAnswerError';
  }
}

/** A request that got no answer, by kind: the error's name, with its cause's code when fetch wraps one (`TypeError ECONNRESET`). */
export function failureKind(error: unknown): string {
  const e = error as { name?: unknown; cause?: { code?: unknown } };
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  return typeof e?.cause?.code === 'string' ? `${name} ${e.cause.code}` : name;
}

export async function offlineBurst(gatewayUrl: string, options: BurstOptions): Promise<BurstResult> {
  const login = new DemoLogin(gatewayUrl, options.username ?? 'field.agent', options.password ?? 'test');
  await login.token(undefined);
  const draftIds = Array.from({ length: options.drafts }, () => crypto.randomUUID());
  const shares: string[][] = Array.from({ length: options.offices }, () => []);
  draftIds.forEach((id, i) => shares[i % options.offices]?.push(id));

  const submitMs: number[] = [];
  const statusMs: number[] = [];
  let heldStatusRequests = 0;
  let statusRequests = 0;
  let statusFailures = 0;
  const statusFailureKinds: Record<string, number> = {};
  const statusFailed = (kind: string) => {
    statusFailures++;
    statusFailureKinds[kind] = (statusFailureKinds[kind] ?? 0) + 1;
  };
  let draftsAsked = 0;
  let submitRequests = 0;
  let retries = 0;
  const writesOf = new Map<string, number>();
  const lost = new Set<string>();

  const officeFetch = (toResend: Set<string>): typeof fetch => {
    return async (input, init) => {
      const request = describeRequest(init);
      const started = performance.now();
      if (request.kind === 'status') statusRequests++;
      let response: Response;
      try {
        response = await fetch(input, init);
      } catch (error) {
        // No answer (refused, reset, the client's timeout): still a request the gateway may have had.
        if (request.kind === 'status') statusFailed(failureKind(error));
        throw error;
      }
      if (request.kind === 'status') {
        // Timed to the end of the body: a held query answers when the gateway sends it.
        const text = await response.text();
        statusMs.push(performance.now() - started);
        if (request.waitSeconds > 0) heldStatusRequests++;
        if (response.status !== 200) statusFailed(`HTTP ${response.status}`);
        draftsAsked += request.drafts;
        return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
      }
      if (request.kind !== 'submit') return response;
      submitRequests++;
      writesOf.set(request.draftId, (writesOf.get(request.draftId) ?? 0) + 1);
      const text = await response.text();
      if (toResend.has(request.draftId) && !lost.has(request.draftId) && response.status === 200) {
        lost.add(request.draftId);
        throw new LostAnswerError();
      }
      submitMs.push(performance.now() - started);
      return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
    };
  };

  const acceptedS = new Map<string, number>();
  const onEvent = (event: ClientEvent) => {
    if (event.type === 'retry') retries++;
    if (event.type === 'stored' && event.to === 'queued' && !acceptedS.has(event.draftId)) acceptedS.set(event.draftId, (performance.now() - started) / 1000);
  };

  const started = performance.now();
  const startedAtMs = Date.now();
  const office = async (mine: string[]) => {
    let lastToken: string | undefined;
    const client = new SteadfastClient({
      url: gatewayUrl,
      token: async () => {
        lastToken = await login.token(lastToken);
        return lastToken;
      },
      store: new MemoryDraftStore(),
      waitSeconds: options.waitSeconds,
      minStatusIntervalMs: options.minStatusIntervalMs,
      fetch: officeFetch(resentDrafts(mine)),
      onEvent,
    });
    // Offline: every draft is stored first; then the office comes back and syncs.
    for (const draftId of mine) await client.submit('createBirthRegistration', sampleBirth(draftId));
    const deadline = started + options.timeoutMs;
    while (performance.now() < deadline) {
      const summary = await client.sync({ timeoutMs: deadline - performance.now() });
      if (summary.pending === 0) break;
    }
    return client.drafts();
  };
  const held = (await Promise.all(shares.map(office))).flat();
  const allProcessedS = (performance.now() - started) / 1000;

  const notProcessed: Record<string, number> = {};
  let processed = 0;
  for (const draft of held) {
    if (draft.state === 'processed') processed++;
    else notProcessed[draft.state] = (notProcessed[draft.state] ?? 0) + 1;
  }
  const resubmitted = [...lost].filter((id) => (writesOf.get(id) ?? 0) >= 2).length;
  return {
    drafts: options.drafts,
    offices: options.offices,
    resubmitted,
    resendPlanned: shares.reduce((n, mine) => n + resentDrafts(mine).size, 0),
    processed,
    notProcessed,
    submitRequests,
    retries,
    statusRequests,
    statusFailures,
    statusFailureKinds,
    heldStatusRequests,
    statusRequestsPerRecord: statusRequests / Math.max(1, options.drafts),
    draftsPerStatusRequest: draftsAsked / Math.max(1, statusMs.length),
    minStatusIntervalMs: options.minStatusIntervalMs,
    waitSeconds: options.waitSeconds,
    submitMs: summarize(submitMs),
    statusMs: summarize(statusMs),
    allProcessedS,
    startedAtMs,
    acceptedS: [...acceptedS.values()],
    draftIds,
  };
}

/** When the share of drafts reached 50%, 90% and 100%, in seconds from the start (undefined: never). */
export interface Progress {
  half?: number;
  most?: number;
  all?: number;
}

/** `Progress` of `seconds` (one per draft that got there) out of `drafts`. */
export function progressOf(seconds: readonly number[], drafts: number): Progress {
  const sorted = [...seconds].sort((a, b) => a - b);
  const at = (share: number) => sorted[Math.ceil(share * drafts) - 1];
  return { half: at(0.5), most: at(0.9), all: at(1) };
}

/**
 * Seconds from the burst's start to the last draft's decision as the stores have it (the
 * workflow's `decidedAt` of each draft): the system's own time, before the clients learn of it at
 * their next status answer. Undefined unless every draft was decided.
 */
export function lastDecisionS(startedAtMs: number, decidedAt: ReadonlyArray<Date | undefined>, drafts: number): number | undefined {
  if (decidedAt.length < drafts || decidedAt.some((at) => at === undefined)) return undefined;
  const last = Math.max(...decidedAt.map((at) => (at as Date).getTime()));
  return Math.max(0, last - startedAtMs) / 1000;
}
