/**
 * The offline burst: `drafts` distinct drafts held by `offices` offices that come back online at
 * once. Each office submits its drafts one after another (every tenth twice, as a flaky
 * reconnect would), then asks for the pending ones in turn until all are processed: each a
 * long-poll the gateway holds while that draft is in flight, with backoff only on errors (and
 * answers not held).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LONG_POLL_SECONDS, Pacer, type GatewayClient } from './client.js';
import { summarize, type Summary } from './stats.js';

export interface BurstResult {
  drafts: number;
  offices: number;
  resubmitted: number;
  accepted: number;
  processed: number;
  submitErrors: number;
  /** Status requests, long-polls included. */
  polls: number;
  /** Of those, long-polls (waitSeconds > 0). */
  longPolls: number;
  submitMs: Summary;
  /** Time to answer of the status requests; a long-poll's includes its wait for the job. */
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
  let longPolls = 0;
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
    const pacer = new Pacer({ initialMs: 500, factor: 1.5, maxMs: 5_000 });
    while (pending.size > 0 && performance.now() < deadline) {
      for (const draftId of [...pending]) {
        const waitSeconds = Math.max(0, Math.min(LONG_POLL_SECONDS, Math.floor((deadline - performance.now()) / 1_000)));
        if (waitSeconds > 0) longPolls++;
        const t = performance.now();
        let status = 'error';
        try {
          status = await client.status(draftId, waitSeconds);
        } catch {
          // counted as a status request; the office asks again after its backoff
        }
        const took = performance.now() - t;
        pollMs.push(took);
        if (status === 'RecordProcessed') {
          pending.delete(draftId);
          processed++;
        } else {
          await pacer.after(took, status === 'error');
        }
        if (performance.now() >= deadline) break;
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
    longPolls,
    submitMs: summarize(submitMs),
    pollMs: summarize(pollMs),
    allProcessedS: (performance.now() - started) / 1000,
    draftIds,
  };
}
