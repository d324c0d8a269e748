/**
 * The load generator's GraphQL client: what a registration office's app does (submit a record
 * with its attachment, then poll `fetchRecordStatus` with backoff until `RecordProcessed`).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sampleBirth } from '@steadfast/commons';

const SUBMIT = `mutation($details: BirthRegistrationInput!) { createBirthRegistration(details: $details) { draftId } }`;
const STATUS = `query($draftId: ID!) { fetchRecordStatus(draftId: $draftId) { __typename } }`;

export interface Backoff {
  initialMs: number;
  factor: number;
  maxMs: number;
  /** Gives up (the record counts as not processed) after this long. */
  timeoutMs: number;
}

export interface Processed {
  /** `performance.now()` when the poll that saw RecordProcessed answered; undefined on timeout. */
  processedAt: number | undefined;
  polls: number;
  pollLatenciesMs: number[];
  lastStatus: string;
}

export class GatewayClient {
  private token = '';

  constructor(readonly baseUrl: string) {}

  async login(username = 'field.agent', password = 'test'): Promise<void> {
    const response = await fetch(`${this.baseUrl}/auth/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (response.status !== 200) throw new Error(`login of ${username}: HTTP ${response.status}`);
    this.token = ((await response.json()) as { token: string }).token;
  }

  private async gql(query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ message: string }> };
    if (!body.data || body.errors?.length) {
      throw new Error(`HTTP ${response.status}: ${body.errors?.map((e) => e.message).join('; ') ?? 'no data'}`);
    }
    return body.data;
  }

  /** Submits a birth with its one small attachment (a 69-byte PNG); throws unless accepted. */
  async submit(draftId: string): Promise<void> {
    await this.gql(SUBMIT, { details: sampleBirth(draftId) });
  }

  async status(draftId: string): Promise<string> {
    const data = await this.gql(STATUS, { draftId });
    return (data['fetchRecordStatus'] as { __typename: string }).__typename;
  }

  /** Polls with exponential backoff until RecordProcessed (or a terminal answer, or the timeout). */
  async waitProcessed(draftId: string, backoff: Backoff): Promise<Processed> {
    const started = performance.now();
    const pollLatenciesMs: number[] = [];
    let delay = backoff.initialMs;
    let lastStatus = 'none';
    while (performance.now() - started < backoff.timeoutMs) {
      await sleep(delay);
      const polled = performance.now();
      try {
        lastStatus = await this.status(draftId);
      } catch (error) {
        lastStatus = `error: ${(error as Error).message}`;
      }
      const answered = performance.now();
      pollLatenciesMs.push(answered - polled);
      if (lastStatus === 'RecordProcessed') return { processedAt: answered, polls: pollLatenciesMs.length, pollLatenciesMs, lastStatus };
      if (lastStatus === 'RecordRejected') break;
      delay = Math.min(backoff.maxMs, delay * backoff.factor);
    }
    return { processedAt: undefined, polls: pollLatenciesMs.length, pollLatenciesMs, lastStatus };
  }
}
