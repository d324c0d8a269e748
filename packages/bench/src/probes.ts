/**
 * One open-loop run at a fixed rate, against the system (submit, then long-poll the status until
 * processed) or against the naive gateway (the answer is the processing).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sampleBirth, type Population } from '@steadfast/commons';
import { request } from 'undici';
import type { Backoff, GatewayClient } from './client.js';
import { runOpenLoop } from './open-loop.js';
import { summarize, type Summary } from './stats.js';

export const P99_LIMIT_MS = 2_000;

export interface SystemRun {
  rate: number;
  offered: number;
  accepted: number;
  processed: number;
  errors: number;
  firstError?: string;
  acceptMs: Summary;
  processedMs: Summary;
  /** Time to answer of the status requests; a long-poll's includes its wait for the job. */
  pollMs: Summary;
  /** Status requests (long-polls included) per accepted record. */
  pollsPerRecord: number;
  /** Of those, long-polls (waitSeconds > 0) per accepted record. */
  longPollsPerRecord: number;
  maxLagMs: number;
}

/** `people`: who the births are about (a seeded population); the fixtures' people when absent. */
export async function systemRun(client: GatewayClient, rate: number, durationMs: number, backoff: Backoff, people?: Population): Promise<SystemRun> {
  const accept: number[] = [];
  const processed: number[] = [];
  const polls: number[] = [];
  let longPolls = 0;
  let errors = 0;
  let firstError: string | undefined;
  const { results, maxLagMs } = await runOpenLoop({
    ratePerS: rate,
    durationMs,
    fire: async (_i, intendedAt) => {
      const draftId = randomUUID();
      try {
        await client.submit(draftId, people ? people.birth(draftId) : sampleBirth(draftId));
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
        return;
      }
      accept.push(performance.now() - intendedAt);
      const outcome = await client.waitProcessed(draftId, backoff);
      polls.push(...outcome.pollLatenciesMs);
      longPolls += outcome.longPolls;
      if (outcome.processedAt !== undefined) processed.push(outcome.processedAt - intendedAt);
      else firstError ??= `${draftId} not processed: ${outcome.lastStatus}`;
    },
  });
  return {
    rate,
    offered: results.length,
    accepted: accept.length,
    processed: processed.length,
    errors,
    ...(firstError ? { firstError } : {}),
    acceptMs: summarize(accept),
    processedMs: summarize(processed),
    pollMs: summarize(polls),
    pollsPerRecord: accept.length === 0 ? 0 : polls.length / accept.length,
    longPollsPerRecord: accept.length === 0 ? 0 : longPolls / accept.length,
    maxLagMs,
  };
}

/** Sustained: every record processed, with submit-to-processed p99 under the limit. */
export const systemRunOk = (run: SystemRun): boolean =>
  run.errors === 0 && run.processed === run.offered && run.processedMs.p99 < P99_LIMIT_MS;

export interface NaiveRun {
  rate: number;
  offered: number;
  written: number;
  errors: number;
  firstError?: string;
  latencyMs: Summary;
  maxLagMs: number;
}

export async function naiveRun(url: string, rate: number, durationMs: number): Promise<NaiveRun> {
  const latency: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const { results, maxLagMs } = await runOpenLoop({
    ratePerS: rate,
    durationMs,
    fire: async (_i, intendedAt) => {
      const draftId = randomUUID();
      try {
        // undici's `request`, as the system's client (client.ts `postJson`).
        const { statusCode, body } = await request(`${url}/records`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ draftId, details: sampleBirth(draftId) }),
          signal: AbortSignal.timeout(30_000),
        });
        await body.dump();
        if (statusCode !== 201) throw new Error(`HTTP ${statusCode}`);
        latency.push(performance.now() - intendedAt);
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
      }
    },
  });
  return {
    rate,
    offered: results.length,
    written: latency.length,
    errors,
    ...(firstError ? { firstError } : {}),
    latencyMs: summarize(latency),
    maxLagMs,
  };
}

export const naiveRunOk = (run: NaiveRun): boolean =>
  run.errors === 0 && run.written === run.offered && run.latencyMs.p99 < P99_LIMIT_MS;
