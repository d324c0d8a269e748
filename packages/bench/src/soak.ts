/**
 * The duplicate check under realistic names: `--duplicates` runs the system at one rate with
 * unique names, then with the skewed (Zipf) population, and reports the duplicate step's p50/p99
 * and candidates per record for each; `--soak` holds a rate with the skewed population for
 * minutes, sampling the record queue's depth, which must not grow.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import { Population, type NameMode } from '@steadfast/commons';
import type { Backoff, GatewayClient } from './client.js';
import { formatDuplicates, readDuplicateMetrics, summarizeDuplicates, type DuplicateSummary } from './duplicate-metrics.js';
import { systemRun, type SystemRun } from './probes.js';

export interface DuplicateRun {
  names: NameMode;
  run: SystemRun;
  duplicates: DuplicateSummary;
}

export interface DepthSample {
  atS: number;
  depth: number;
}

export interface SoakResult extends DuplicateRun {
  samples: DepthSample[];
  firstThirdMean: number;
  lastThirdMean: number;
  grew: boolean;
}

/** The jobs not yet done: waiting, running, waiting to retry. */
export async function queueDepth(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/**
 * Whether the backlog grew: the mean depth of the last third of the samples is above the first
 * third's by more than five seconds of arrivals (a queue that keeps up holds steady around the
 * work in flight; one that falls behind grows by its deficit every second).
 */
export function backlogGrew(samples: readonly DepthSample[], ratePerS: number): { first: number; last: number; grew: boolean } {
  const third = Math.max(1, Math.floor(samples.length / 3));
  const mean = (xs: readonly DepthSample[]) => xs.reduce((a, s) => a + s.depth, 0) / Math.max(1, xs.length);
  const first = mean(samples.slice(0, third));
  const last = mean(samples.slice(-third));
  return { first, last, grew: last > first + ratePerS * 5 };
}

export async function duplicateRun(
  client: GatewayClient,
  metricsUrl: string,
  options: { names: NameMode; rate: number; durationMs: number; seed: number; backoff: Backoff },
): Promise<DuplicateRun> {
  const before = await readDuplicateMetrics(metricsUrl);
  const people = new Population({ mode: options.names, seed: options.seed });
  const run = await systemRun(client, options.rate, options.durationMs, options.backoff, people);
  const duplicates = summarizeDuplicates(await readDuplicateMetrics(metricsUrl), before);
  return { names: options.names, run, duplicates };
}

export async function soak(
  client: GatewayClient,
  queue: Queue,
  metricsUrl: string,
  options: { rate: number; durationMs: number; seed: number; sampleMs: number; backoff: Backoff; log: (line: string) => void },
): Promise<SoakResult> {
  const samples: DepthSample[] = [];
  const started = Date.now();
  let running = true;
  const sampler = (async () => {
    while (running) {
      await sleep(options.sampleMs);
      if (!running) break;
      const sample = { atS: Math.round((Date.now() - started) / 1000), depth: await queueDepth(queue) };
      samples.push(sample);
      options.log(`  t=${sample.atS}s record queue depth ${sample.depth}`);
    }
  })();
  try {
    const result = await duplicateRun(client, metricsUrl, { names: 'skewed', rate: options.rate, durationMs: options.durationMs, seed: options.seed, backoff: options.backoff });
    const { first, last, grew } = backlogGrew(samples, options.rate);
    return { ...result, samples, firstThirdMean: first, lastThirdMean: last, grew };
  } finally {
    running = false;
    await sampler;
  }
}

export const formatRun = (r: DuplicateRun): string =>
  `${r.names} names at ${r.run.rate}/s: ${r.run.processed}/${r.run.offered} processed, submit-to-processed p50 ${r.run.processedMs.p50.toFixed(0)} ms, ` +
  `p99 ${r.run.processedMs.p99.toFixed(0)} ms; ${formatDuplicates(r.duplicates)}`;
