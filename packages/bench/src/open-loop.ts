/**
 * Open-loop load: request i is fired at `start + i / rate` whether or not earlier requests have
 * answered, so a slow system cannot slow the arrivals down and hide its latency (coordinated
 * omission). Latency is measured from the intended send time, not from when the generator got
 * round to it.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** The intended send offsets (ms from the start) of `rate` requests/s for `durationMs`. */
export function sendOffsets(ratePerS: number, durationMs: number): number[] {
  if (!(ratePerS > 0) || !(durationMs > 0)) return [];
  const count = Math.max(1, Math.floor((ratePerS * durationMs) / 1000));
  return Array.from({ length: count }, (_, i) => (i * 1000) / ratePerS);
}

/** How many of `offsets` (ascending) are due `elapsedMs` after the start. */
export function dueCount(offsets: readonly number[], elapsedMs: number): number {
  let lo = 0;
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((offsets[mid] as number) <= elapsedMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface OpenLoopOptions<T> {
  ratePerS: number;
  durationMs: number;
  /** Starts request `i`; `intendedAt` is its scheduled time on the `performance.now()` clock. */
  fire: (i: number, intendedAt: number) => Promise<T>;
}

export interface OpenLoopResult<T> {
  results: PromiseSettledResult<T>[];
  /** How far behind its schedule the generator fell at worst (a saturated load generator). */
  maxLagMs: number;
}

export async function runOpenLoop<T>(options: OpenLoopOptions<T>): Promise<OpenLoopResult<T>> {
  const offsets = sendOffsets(options.ratePerS, options.durationMs);
  const started = performance.now();
  const inFlight: Promise<T>[] = [];
  let maxLagMs = 0;
  let next = 0;
  while (next < offsets.length) {
    const elapsed = performance.now() - started;
    const due = dueCount(offsets, elapsed);
    for (; next < due; next++) {
      const offset = offsets[next] as number;
      maxLagMs = Math.max(maxLagMs, elapsed - offset);
      // Not awaited: the next arrival does not wait for this one's answer.
      inFlight.push(options.fire(next, started + offset));
    }
    if (next < offsets.length) {
      const wait = (offsets[next] as number) - (performance.now() - started);
      await sleep(Math.max(0, Math.min(wait, 50)));
    }
  }
  return { results: await Promise.allSettled(inFlight), maxLagMs };
}
