/**
 * The offline burst: `drafts` distinct drafts held by `offices` offices that come back online at
 * once. Each office submits its drafts one after another (every tenth twice, as a flaky
 * reconnect would), then polls the pending ones with backoff until all are processed.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayClient } from './client.js';
import { summarize, type Summary } from './stats.js';

export interface BurstResult {
  drafts: number;
  offices: number;
  resubmitted: number;
  accepted: number;
  processed: number;
  submitErrors: number;
  polls: number;
  submitMs: Summary;
  pollMs: Summary;
  /** From the first submission until the last draft was seen processed. */
  allProcessedS: number;
  draftIds: string[];
}

export async function offlineBurst(
  client: GatewayClient,
  options: { drafts: number; offices: number; timeoutMs: number },
): Promise<BurstResult> {
  const draftIds = Array.from({ length: options.drafts }, () => randomUUID());
  const submitMs: number[] = [];
  const pollMs: number[] = [];
  let submitErrors = 0;
  let resubmitted = 0;
  let processed = 0;
  const started = performance.now();
  const deadline = started + options.timeoutMs;

  const submit = async (draftId: string): Promise<boolean> => {
    // A client retries a failed submission with backoff: that is the contract.
    for (let delay = 200; performance.now() < deadline; delay = Math.min(5_000, delay * 2)) {
      const t = performance.now();
      try {
        await client.submit(draftId);
        submitMs.push(performance.now() - t);
        return true;
      } catch {
        submitErrors++;
        await sleep(delay);
      }
    }
    return false;
  };

  const office = async (mine: string[]): Promise<void> => {
    const pending = new Set<string>();
    for (const [i, draftId] of mine.entries()) {
      if (await submit(draftId)) pending.add(draftId);
      if (i % 10 === 0 && (await submit(draftId))) resubmitted++;
    }
    for (let delay = 500; pending.size > 0 && performance.now() < deadline; delay = Math.min(5_000, delay * 1.5)) {
      await sleep(delay);
      for (const draftId of [...pending]) {
        const t = performance.now();
        let status = 'error';
        try {
          status = await client.status(draftId);
        } catch {
          // counted as a poll; the office asks again later
        }
        pollMs.push(performance.now() - t);
        if (status === 'RecordProcessed') {
          pending.delete(draftId);
          processed++;
        }
      }
    }
  };

  const shares: string[][] = Array.from({ length: options.offices }, () => []);
  draftIds.forEach((id, i) => shares[i % options.offices]?.push(id));
  await Promise.all(shares.map(office));
  return {
    drafts: options.drafts,
    offices: options.offices,
    resubmitted,
    accepted: submitMs.length - resubmitted,
    processed,
    submitErrors,
    polls: pollMs.length,
    submitMs: summarize(submitMs),
    pollMs: summarize(pollMs),
    allProcessedS: (performance.now() - started) / 1000,
    draftIds,
  };
}
