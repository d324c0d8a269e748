/**
 * The load generator's GraphQL client: what a registration office's app does (submit a record
 * with its attachment, then ask `fetchRecordStatus` until `RecordProcessed`: a long-poll the
 * gateway holds until the job moves on, asked again at once while `RecordProcessing`, with
 * backoff only when the gateway answers without holding, e.g. on an error).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sampleBirth } from '@steadfast/commons';
import { request } from 'undici';

const SUBMIT = `mutation($details: BirthRegistrationInput!) { createBirthRegistration(details: $details) { draftId } }`;
const STATUS = `query($draftId: ID!, $waitSeconds: Int) { fetchRecordStatus(draftId: $draftId, waitSeconds: $waitSeconds) { __typename } }`;

/** How long a status request asks the gateway to hold it while the record is in flight. */
export const LONG_POLL_SECONDS = 20;

export interface Backoff {
  initialMs: number;
  factor: number;
  maxMs: number;
  /** Gives up (the record counts as not processed) after this long. */
  timeoutMs: number;
  /** Long-poll wait per status request (default LONG_POLL_SECONDS); 0 polls plainly. */
  waitSeconds?: number;
}

export interface Processed {
  /** `performance.now()` when the request that saw RecordProcessed answered; undefined on timeout. */
  processedAt: number | undefined;
  /** Status requests made, long-polls included. */
  polls: number;
  /** How many of them were long-polls (waitSeconds > 0): their latency includes the wait. */
  longPolls: number;
  /** Time to answer of every status request. */
  pollLatenciesMs: number[];
  lastStatus: string;
}

/**
 * Paces status requests: one the gateway held (a long-poll that waited) may be followed at once;
 * one answered sooner than the current delay (an error; a gateway over its waiter bound or
 * stopping; a plain poll) is spaced to that delay, which then grows by `factor` up to `maxMs`.
 */
export class Pacer {
  private delay: number;

  constructor(private readonly backoff: Pick<Backoff, 'initialMs' | 'factor' | 'maxMs'>) {
    this.delay = backoff.initialMs;
  }

  /** Call after each request that did not end the wait: sleeps as long as the pace asks. */
  async after(tookMs: number, failed: boolean): Promise<void> {
    if (!failed && tookMs >= this.delay) {
      this.delay = this.backoff.initialMs;
      return;
    }
    await sleep(failed ? this.delay : this.delay - tookMs);
    this.delay = Math.min(this.backoff.maxMs, this.delay * this.backoff.factor);
  }
}

/**
 * A JSON POST and its parsed answer. By undici's `request`, not `fetch`: the load generator
 * shares the two cores with what it measures, and `fetch` (web streams, a Response per request)
 * costs five times its CPU: 0.26 ms a request against 0.05 in a loop against a local HTTP server.
 */
async function postJson<T>(url: string, payload: unknown, headers: Record<string, string> = {}): Promise<{ statusCode: number; answer: T }> {
  const { statusCode, body } = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) });
  return { statusCode, answer: (await body.json()) as T };
}

export class GatewayClient {
  private token = '';

  constructor(readonly baseUrl: string) {}

  async login(username = 'field.agent', password = 'test'): Promise<void> {
    const { statusCode, answer } = await postJson<{ token: string }>(`${this.baseUrl}/auth/authenticate`, { username, password });
    if (statusCode !== 200) throw new Error(`login of ${username}: HTTP ${statusCode}`);
    this.token = answer.token;
  }

  private async gql(query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
    type Answer = { data?: Record<string, unknown> | null; errors?: Array<{ message: string }> };
    const { statusCode, answer } = await postJson<Answer>(`${this.baseUrl}/graphql`, { query, variables }, { authorization: `Bearer ${this.token}` });
    if (!answer.data || answer.errors?.length) {
      throw new Error(`HTTP ${statusCode}: ${answer.errors?.map((e) => e.message).join('; ') ?? 'no data'}`);
    }
    return answer.data;
  }

  /** Submits a birth with its one small attachment (a 69-byte PNG); throws unless accepted. */
  async submit(draftId: string, details: object = sampleBirth(draftId)): Promise<void> {
    await this.gql(SUBMIT, { details });
  }

  /** The draft's status; with `waitSeconds` > 0 the gateway holds it while the draft is in flight. */
  async status(draftId: string, waitSeconds = 0): Promise<string> {
    const data = await this.gql(STATUS, { draftId, waitSeconds });
    return (data['fetchRecordStatus'] as { __typename: string }).__typename;
  }

  /**
   * Long-polls until RecordProcessed (or a terminal answer, or the timeout): asks again at once
   * after a held RecordProcessing, backs off (see Pacer) after an error or an answer not held.
   */
  async waitProcessed(draftId: string, backoff: Backoff): Promise<Processed> {
    const started = performance.now();
    const deadline = started + backoff.timeoutMs;
    const longPoll = backoff.waitSeconds ?? LONG_POLL_SECONDS;
    const pacer = new Pacer(backoff);
    const pollLatenciesMs: number[] = [];
    let longPolls = 0;
    let lastStatus = 'none';
    while (performance.now() < deadline) {
      // Never past the timeout: the last second is a plain poll.
      const waitSeconds = Math.max(0, Math.min(longPoll, Math.floor((deadline - performance.now()) / 1_000)));
      if (waitSeconds > 0) longPolls++;
      const polled = performance.now();
      let failed = false;
      try {
        lastStatus = await this.status(draftId, waitSeconds);
      } catch (error) {
        lastStatus = `error: ${(error as Error).message}`;
        failed = true;
      }
      const answered = performance.now();
      pollLatenciesMs.push(answered - polled);
      if (lastStatus === 'RecordProcessed') return { processedAt: answered, polls: pollLatenciesMs.length, longPolls, pollLatenciesMs, lastStatus };
      if (lastStatus === 'RecordRejected') break;
      await pacer.after(answered - polled, failed);
    }
    return { processedAt: undefined, polls: pollLatenciesMs.length, longPolls, pollLatenciesMs, lastStatus };
  }
}
