#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [--burst N] [--offices N] [--rounds N] [--status-interval-ms N]
 * [--wait-seconds N]`: the system against its baselines in one run, interleaved and repeated
 * (medians of the rounds), then its cost per record at half its max rate (Redis, MongoDB, CPU,
 * the batch sizes its services report), the naive gateway at that same rate (latency, CPU), Redis
 * memory per waiting job, and the offline burst (through @steadfast/client, one client per
 * office); issue 20's targets as ratios (targets.ts). Prints a table and writes
 * `.data/bench/bench-<ISO date>.json`. Expects the local stores up (`npm run infra -- up`).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import {
  chunks,
  collections,
  queueBase,
  createRedis,
  DEFAULT_WORKFLOW_CONCURRENCY,
  draftClaimKey,
  eventEnvSchema,
  eventQueueNames,
  Population,
  readEnv,
  RecordAction,
  recordIdFor,
  storeConfigFrom,
  storeEnvSchema,
  type StoreConfig,
} from '@steadfast/commons';
import { queueBaseline, storesBaseline, type QueueBaseline, type StoresBaseline } from './baselines.js';
import { queueFloor } from './queue-floor.js';
import { GatewayClient, type Backoff } from './client.js';
import { lastDecisionS, offlineBurst, progressOf, type Progress } from './burst.js';
import { openDirectStores } from './direct-writes.js';
import { busyPerSecond, cpuSnapshot, pidListeningOn, processAgeS, waitUntilQuiet, wakeupSnapshot } from './proc.js';
import { naiveRun, naiveRunOk, systemRun, systemRunOk, type NaiveRun, type SystemRun } from './probes.js';
import { searchMaxRate, type RateSearchResult } from './rate-search.js';
import { commandStats, statsDelta, usedMemory } from './redis-info.js';
import { countsDelta, type ProxyCounts } from './redis-proxy.js';
import { mongoCommands } from './mongo-info.js';
import { median } from './stats.js';
import { onceIn, onceOk } from './once.js';
import { steadiness, warmth } from './steadiness.js';
import { benchNames, bullmqScriptNames, Steadfast } from './steadfast.js';
import { evaluateTargets, formatTarget } from './targets.js';
import { batchSizesDelta, formatBatchSizes, mongoDocumentsWrittenPerRecord, parseBatchTotals, readMetricsText, type BatchSizes } from './batch-sizes.js';
import { cpuPerRecord as cpuPerRecordOf, cpuTotal, formatSteady } from './cpu-cost.js';
import { duplicateRun, formatRun, soak, type DuplicateRun } from './soak.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const settings = {
  mode: quick ? 'quick' : 'full',
  rounds: Number(argValue('--rounds') ?? (quick ? 1 : 3)),
  stepMs: quick ? 5_000 : 15_000,
  search: { startRate: 8, factor: 1.6, maxRate: 500, refineSteps: quick ? 1 : 2, minRate: 1 },
  queueJobs: quick ? 2_000 : 5_000,
  storesRecords: quick ? 1_000 : 3_000,
  halfRateMs: quick ? 10_000 : 30_000,
  /**
   * The cost step (the system, then the naive gateway, at the half rate): 30 s in both modes.
   * 10 s (214 records at 21.4/s) let one merge or garbage collection in Elasticsearch swing its
   * CPU per record from 7 to 28 ms between runs of the same code.
   */
  costMs: 30_000,
  /**
   * After the services restart (behind their Redis proxies for the cost step, then without):
   * a run at the step's rate, not measured, so fresh processes compile their hot paths first.
   */
  warmUpMs: 30_000,
  memoryJobs: Number(argValue('--memory-jobs') ?? (quick ? 200 : 2_000)),
  burst: Number(argValue('--burst') ?? (quick ? 1_000 : 10_000)),
  offices: Number(argValue('--offices') ?? (quick ? 100 : 500)),
  /**
   * The burst's clients: an office's status queries start at least this far apart, each held up
   * to `burstWaitSeconds`. An office asks about once per interval while it has drafts in flight,
   * so requests per record come to about offices × (span ÷ interval + 1) ÷ drafts. The run of
   * 2026-12-01 at 90 s (500 offices, 689 s on a loaded machine) gave 6.3 answered requests per
   * office, 0.315 per record, over the 0.3 target; 150 s brings that to about 0.25. An office
   * then learns an outcome up to 2.5 min late, which a field office back online does not notice.
   */
  burstStatusIntervalMs: Number(argValue('--status-interval-ms') ?? 150_000),
  burstWaitSeconds: Number(argValue('--wait-seconds') ?? 30),
  portBase: Number(process.env['BENCH_PORT_BASE'] ?? 25070),
};
/**
 * A cost step starts once the processes it measures are quiet: together below this many CPU ms
 * per second (the stores' merges and the previous step's backlog done), or after 60 s.
 */
const QUIET_MS_PER_S = 150;
const backoff: Backoff = { initialMs: 100, factor: 1.5, maxMs: 500, timeoutMs: 20_000 };
/** The population's seed (`--seed`): the same names and dates on every run. */
const seed = Number(argValue('--seed') ?? 22);
const workflowMetricsUrl = `http://127.0.0.1:${settings.portBase + 2}/metrics`;

const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

const storeEnv = readEnv(storeEnvSchema);
const redisTarget = { host: storeEnv.REDIS_HOST, port: storeEnv.REDIS_PORT };
const runId = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15).toLowerCase();
const names = benchNames(runId.replace('t', ''));
const configOf = (overrides: Record<string, string>): StoreConfig => storeConfigFrom(readEnv(storeEnvSchema, { ...process.env, ...overrides }));
const storesNames = { MONGO_DB: `${names.MONGO_DB}_stores`, ES_INDEX: `${names.ES_INDEX}-stores`, MINIO_BUCKET: `${names.MINIO_BUCKET}-stores` };
const naiveNames = { MONGO_DB: `${names.MONGO_DB}_naive`, ES_INDEX: `${names.ES_INDEX}-naive`, MINIO_BUCKET: `${names.MINIO_BUCKET}-naive` };
const logsDir = join(REPO_ROOT, '.data', 'logs', 'bench');

async function startNaive(port: number): Promise<ChildProcess> {
  const main = fileURLToPath(new URL('./naive/main.js', import.meta.url));
  mkdirSync(logsDir, { recursive: true });
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, ...naiveNames, NAIVE_PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return child;
    } catch {
      // not yet up
    }
    await sleep(100);
  }
  child.kill();
  throw new Error('the naive gateway did not start');
}

/** Waits until the queues have nothing waiting, active or delayed (a failed probe's backlog). */
async function drain(queues: Queue | readonly Queue[], timeoutMs = 90_000): Promise<void> {
  const all: readonly Queue[] = queues instanceof Queue ? [queues] : queues;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const counts = await Promise.all(all.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
    if (counts.every((c) => Object.values(c).every((n) => n === 0))) return;
    await sleep(250);
  }
  log(`warning: ${all.map((q) => q.name).join(', ')} did not drain`);
}

/**
 * `--soak [--rate R] [--minutes M]`: the skewed population at R/s (default half the last full
 * run's maximum, 18.6/s, in the README) for M minutes (10), the record queue's depth sampled
 * every 10 s; exit 1 if it grew. `--duplicates [--rate R] [--seconds S]`: unique names, then
 * skewed, S seconds each (60), reporting the duplicate step and candidates per record.
 * `--steady --rate R[,R2...] [--seconds S]`: the system at each rate for S seconds (30), then the
 * naive gateway at the same rate, after a warm-up of both at the first: every process's CPU and
 * wake-ups per record (stores and the load generator included, the system's queues drained into
 * its step) and each side's latency; the cost step's measure at the rates where the maximum is
 * decided, in ~4 minutes for two rates instead of a quick run's nine.
 */
async function duplicatesMain(mode: 'soak' | 'duplicates' | 'steady'): Promise<number> {
  const rate = Number(argValue('--rate') ?? 9.3);
  const steadfast = new Steadfast({ portBase: settings.portBase, redis: redisTarget, names, logsDir });
  const connection = { ...redisTarget, maxRetriesPerRequest: null };
  // The services' prefix (the {steadfast} hash tag): without it the depth read is of an empty
  // queue of another name, and a soak that fell behind would read as held.
  const queue = new Queue(names.RECORD_QUEUE_NAME, queueBase(connection));
  const followers = [
    ...eventQueueNames({ prefix: names.EVENT_QUEUE_PREFIX, partitions: readEnv(eventEnvSchema).EVENT_PARTITIONS }),
    `notification-${names.RECORD_QUEUE_NAME}`,
  ].map((name) => new Queue(name, queueBase(connection)));
  const redis = createRedis(storeConfigFrom(storeEnv).redis);
  const interrupted = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the services and removing the run's data`);
    void steadfast.stop().catch(() => undefined).then(() => cleanup()).catch(() => undefined).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    log(`starting the system on ports ${settings.portBase}-${settings.portBase + 4} (logs: ${logsDir})`);
    await steadfast.start(bullmqScriptNames());
    const client = new GatewayClient(steadfast.gatewayUrl);
    await client.login();
    if (mode === 'steady') return await steadyRuns(steadfast, client, [queue, ...followers]);
    if (mode === 'duplicates') {
      const durationMs = Number(argValue('--seconds') ?? 60) * 1_000;
      for (const namesMode of ['unique', 'skewed'] as const) {
        await drain(queue, 300_000);
        log(`${namesMode} names at ${rate}/s for ${durationMs / 1000} s`);
        log(`  ${formatRun(await duplicateRun(client, workflowMetricsUrl, { names: namesMode, rate, durationMs, seed, backoff }))}`);
      }
      return 0;
    }
    const minutes = Number(argValue('--minutes') ?? 10);
    log(`soak: skewed names (seed ${seed}) at ${rate}/s for ${minutes} min, record queue depth every 10 s`);
    const result = await soak(client, queue, workflowMetricsUrl, { rate, durationMs: minutes * 60_000, seed, sampleMs: 10_000, backoff, log });
    log(formatRun(result));
    log(
      `record queue depth: mean ${result.firstThirdMean.toFixed(1)} over the first third, ${result.lastThirdMean.toFixed(1)} over the last; ` +
        `max ${Math.max(...result.samples.map((x) => x.depth))}: ${result.grew ? 'GREW (the queue fell behind)' : 'held'}`,
    );
    return result.grew || result.run.processed < result.run.offered ? 1 : 0;
  } finally {
    await steadfast.stop().catch((e: unknown) => log(`stopping the system: ${(e as Error).message}`));
    await releaseClaims(queue, redis).catch(() => undefined);
    for (const q of [queue, ...followers]) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    await cleanup().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
    redis.disconnect();
  }
}

/** The local stores' processes, by the port each listens on. */
async function storePidsNow(): Promise<Record<'redis' | 'mongo' | 'minio' | 'elasticsearch', number | undefined>> {
  return {
    redis: await pidListeningOn(storeEnv.REDIS_PORT),
    mongo: await pidListeningOn(storeEnv.MONGO_PORT),
    minio: await pidListeningOn(storeEnv.MINIO_PORT),
    elasticsearch: await pidListeningOn(storeEnv.ES_PORT),
  };
}

/** Whether the stores had run long enough before the run for its figures to stand (steadiness.ts). */
async function storesWarmth(storePids: Record<string, number | undefined>): Promise<ReturnType<typeof warmth>> {
  const ages = await Promise.all(Object.entries(storePids).map(async ([name, pid]) => [name, pid === undefined ? Number.NaN : await processAgeS(pid)] as const));
  return warmth(Object.fromEntries(ages));
}

/**
 * `--steady`: the warm-up at the first rate, then each rate from quiet (queues drained, the
 * processes below QUIET_MS_PER_S), its CPU read from before the first draft until what the step
 * left (events to project, notifications to send) has drained, as the cost step reads it.
 */
async function steadyRuns(steadfast: Steadfast, client: GatewayClient, queues: readonly Queue[]): Promise<number> {
  const rates = (argValue('--rate') ?? '50').split(',').map(Number);
  if (rates.some((r) => !(r > 0))) throw new Error(`--rate takes rates per second, comma-separated: ${argValue('--rate')}`);
  const seconds = Number(argValue('--seconds') ?? 30);
  const people = new Population({ mode: 'steady', seed });
  const storePids = await storePidsNow();
  log((await storesWarmth(storePids)).line);
  const pids = { ...Object.fromEntries(steadfast.pids), bench: process.pid, ...storePids };
  const naive = await startNaive(settings.portBase + 5);
  const naiveUrl = `http://127.0.0.1:${settings.portBase + 5}`;
  const naivePids = { naive: naive.pid, bench: process.pid, ...storePids };
  try {
    log(`${settings.warmUpMs / 1000} s at ${fmt(rates[0]!)}/s to warm the services, and as long for the naive gateway, not measured`);
    await systemRun(client, rates[0]!, settings.warmUpMs, backoff, people);
    await naiveRun(naiveUrl, rates[0]!, settings.warmUpMs);
    for (const rate of rates) await steadyStep(rate);
  } finally {
    naive.kill('SIGTERM');
  }
  return 0;

  async function steadyStep(rate: number): Promise<void> {
    await drain(queues, 300_000);
    const quiet = await waitUntilQuiet(pids, QUIET_MS_PER_S, 60_000);
    log(`${fmt(rate)}/s for ${seconds} s (the processes used ${fmt(quiet, 0)} CPU ms/s together before it)`);
    const { value: run, cost: system } = await costOf(pids, async () => {
      const value = await systemRun(client, rate, seconds * 1_000, backoff, people);
      await drain(queues, 300_000);
      return { value, records: value.processed };
    });
    const { offered, processed, acceptMs, processedMs } = run;
    log(`  ${formatSteady({ rate, seconds, offered, processed, acceptP99Ms: acceptMs.p99, processedP50Ms: processedMs.p50, processedP99Ms: processedMs.p99, ...system })}`);
    // The naive gateway at the same rate, from quiet: what the same records cost written in the request.
    await waitUntilQuiet(naivePids, QUIET_MS_PER_S, 60_000);
    const { value: written, cost: direct } = await costOf(naivePids, async () => {
      const value = await naiveRun(naiveUrl, rate, seconds * 1_000);
      return { value, records: value.written };
    });
    const { latencyMs } = written;
    log(`  naive gateway ${formatSteady({ rate, seconds, offered: written.offered, processed: written.written, processedP50Ms: latencyMs.p50, processedP99Ms: latencyMs.p99, ...direct })}`);
  }
}

/**
 * Runs `step` between two readings of the processes' CPU and wake-ups: its answer, and each per
 * record of the count it gives, with the CPU ms per second they used together while it ran.
 */
async function costOf<T>(
  pids: Record<string, number | undefined>,
  step: () => Promise<{ value: T; records: number }>,
): Promise<{ value: T; cost: { cpuPerRecord: Record<string, number>; wakeupsPerRecord: Record<string, number>; cpuMsPerS: number } }> {
  const started = performance.now();
  const [cpuBefore, wokenBefore] = [await cpuSnapshot(pids), await wakeupSnapshot(pids)];
  const { value, records } = await step();
  const [cpuAfter, wokenAfter] = [await cpuSnapshot(pids), await wakeupSnapshot(pids)];
  return {
    value,
    cost: {
      cpuPerRecord: cpuPerRecordOf(cpuBefore, cpuAfter, records),
      wakeupsPerRecord: cpuPerRecordOf(wokenBefore, wokenAfter, records),
      cpuMsPerS: busyPerSecond(cpuBefore, cpuAfter, performance.now() - started),
    },
  };
}

async function main(): Promise<void> {
  const started = new Date();
  log(`mode ${settings.mode}: ${settings.rounds} round(s), ${settings.stepMs / 1000} s per rate step, burst ${settings.burst}`);
  const scriptNames = bullmqScriptNames();
  const redis = createRedis(storeConfigFrom(storeEnv).redis);
  const steadfast = new Steadfast({ portBase: settings.portBase, redis: redisTarget, names, logsDir });
  const connection = { ...redisTarget, maxRetriesPerRequest: null };
  const queue = new Queue(names.RECORD_QUEUE_NAME, queueBase(connection));
  // What the record queue's work leaves behind: the events to project, the notifications to send.
  const followers = [
    ...eventQueueNames({ prefix: names.EVENT_QUEUE_PREFIX, partitions: readEnv(eventEnvSchema).EVENT_PARTITIONS }),
    `notification-${names.RECORD_QUEUE_NAME}`,
  ].map((name) => new Queue(name, queueBase(connection)));
  const direct = await openDirectStores(configOf(storesNames));
  let naive: ChildProcess | undefined;
  // Ctrl-C or a timeout: stop what we started and remove what we wrote before exiting.
  const interrupted = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the services and removing the run's data`);
    naive?.kill('SIGTERM');
    void steadfast
      .stop()
      .catch(() => undefined)
      .then(() => cleanup())
      .catch(() => undefined)
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    log(`starting the system on ports ${settings.portBase}-${settings.portBase + 4} (logs: ${logsDir})`);
    await steadfast.start(scriptNames);
    naive = await startNaive(settings.portBase + 5);
    const client = new GatewayClient(steadfast.gatewayUrl);
    await client.login();
    // The rate search and the cost step submit people with a fixed share of near-twins (5%), so
    // the cost per record does not depend on how many records the run already wrote (the
    // fixtures' people meet each other more the more there are; population.ts).
    const people = new Population({ mode: 'steady', seed });

    const storePids = await storePidsNow();
    const warm = await storesWarmth(storePids);
    log(warm.line);
    // Every rate step, the naive gateway's and the system's, starts from quiet: the previous
    // step's work done (for the system, the events it left to project and the notifications to
    // send, not only its record jobs) and the processes below QUIET_MS_PER_S. A step after an
    // overloaded one otherwise ran beside that one's backlog: in round 3 of the full run of
    // 2026-12-06 23:45, 109.2/s failed at p99 2,008 ms right after 134.4/s (2,675 ms) had left
    // its projections behind; the other rounds passed 121.8 and 134.4.
    // (At least one second: quiet is read over a second of CPU.)
    const quietAfterStep = async (service: Record<string, number | undefined>) => {
      await waitUntilQuiet({ ...service, ...storePids }, QUIET_MS_PER_S, 60_000);
    };

    const rounds: Array<{ queue: QueueBaseline; stores: StoresBaseline; naive: RateSearchResult<NaiveRun>; system: RateSearchResult<SystemRun> }> = [];
    for (let round = 1; round <= settings.rounds; round++) {
      log(`round ${round}: (a) queue ceiling, ${settings.queueJobs} no-op BullMQ jobs`);
      const q = await queueBaseline({
        redis: redisTarget,
        proxyPort: settings.portBase + 20,
        queueName: `${names.RECORD_QUEUE_NAME}-noop-${round}`,
        jobs: settings.queueJobs,
        addConcurrency: 64,
        workerConcurrency: 16,
        scriptNames,
      });
      log(`  ${fmt(q.jobsPerS)} jobs/s, ${fmt(q.roundTripsPerJob, 2)} round trips and ${fmt(q.commandsPerJob, 2)} client commands per job`);
      log(`round ${round}: (b) stores' ceiling, ${settings.storesRecords} records in batches`);
      const s = await storesBaseline(direct, { records: settings.storesRecords, batchSize: 100, concurrency: 2 });
      log(`  ${fmt(s.recordsPerS)} records/s`);
      log(`round ${round}: (c) naive synchronous gateway, rate search`);
      const n = await searchMaxRate(async (rate) => {
        const run = await naiveRun(`http://127.0.0.1:${settings.portBase + 5}`, rate, settings.stepMs);
        const ok = naiveRunOk(run);
        log(`  ${fmt(rate)}/s: p50 ${fmt(run.latencyMs.p50, 0)} ms, p99 ${fmt(run.latencyMs.p99, 0)} ms, ${run.errors} errors ${ok ? 'ok' : 'FAIL'}`);
        await quietAfterStep({ naive: naive?.pid });
        return { ok, detail: run };
      }, settings.search);
      log(`round ${round}: the system, rate search`);
      const sys = await searchMaxRate(async (rate) => {
        const run = await systemRun(client, rate, settings.stepMs, backoff, people);
        const ok = systemRunOk(run);
        log(
          `  ${fmt(rate)}/s: accept p99 ${fmt(run.acceptMs.p99, 0)} ms, processed p50 ${fmt(run.processedMs.p50, 0)} p99 ${fmt(run.processedMs.p99, 0)} ms, ` +
            `${run.processed}/${run.offered} processed ${ok ? 'ok' : `FAIL ${run.firstError ?? ''}`}`,
        );
        await drain([queue, ...followers], 300_000);
        await quietAfterStep(Object.fromEntries(steadfast.pids));
        return { ok, detail: run };
      }, settings.search);
      log(`  max: naive ${fmt(n.maxRate)}/s, system ${fmt(sys.maxRate)}/s`);
      rounds.push({ queue: q, stores: s, naive: n, system: sys });
    }

    const systemMax = median(rounds.map((r) => r.system.maxRate));
    const naiveMax = median(rounds.map((r) => r.naive.maxRate));
    const storesCeiling = median(rounds.map((r) => r.stores.recordsPerS));
    const queueCeiling = median(rounds.map((r) => r.queue.jobsPerS));
    const steady = steadiness(rounds.map((r) => ({ naive: r.naive.maxRate, system: r.system.maxRate })));
    log(steady.line);
    // `--half-rate R` pins the cost step's rate, so two runs' costs per record compare like for
    // like (the rate search's coarse steps can land a run one step lower, where the idle
    // workers' traffic weighs more per record).
    const pinned = argValue('--half-rate');
    const halfRate = pinned !== undefined ? Number(pinned) : Math.max(1, Math.round((systemMax / 2) * 10) / 10);
    const halfRateLabel = pinned !== undefined ? 'the rate given by --half-rate' : 'half its max rate';

    // The rate search ran with the services reaching Redis directly; the cost step counts Redis
    // round trips, through a proxy per service (steadfast.ts `start`).
    const switchRedisCounting = async (countRedis: boolean) => {
      await drain([queue, ...followers], 300_000);
      log(`restarting the services ${countRedis ? 'behind their counting Redis proxies' : 'reaching Redis directly'}; ${settings.warmUpMs / 1000} s at ${fmt(halfRate)}/s to warm them, not measured`);
      await steadfast.restart({ countRedis });
      await client.login();
      await systemRun(client, halfRate, settings.warmUpMs, backoff, people);
    };
    await switchRedisCounting(true);
    log(`the system at ${halfRateLabel}, ${fmt(halfRate)}/s for ${settings.costMs / 1000} s, measuring cost`);
    const pids = { ...Object.fromEntries(steadfast.pids), bench: process.pid, ...storePids };
    // The rate search's backlog (events still being projected) must not be counted against it.
    await drain([queue, ...followers], 300_000);
    const quietBefore = await waitUntilQuiet(pids, QUIET_MS_PER_S, 60_000);
    log(`  the processes used ${fmt(quietBefore, 0)} CPU ms/s together before the step (quiet below ${QUIET_MS_PER_S})`);
    const metricsUrls = Object.entries(steadfast.metricsUrls);
    const batchesBefore = await Promise.all(metricsUrls.map(async ([, url]) => parseBatchTotals(await readMetricsText(url))));
    const cpuBefore = await cpuSnapshot(pids);
    const proxyBefore = steadfast.redisCounts();
    const statsBefore = await commandStats(redis);
    const mongoBefore = await mongoCommands(direct.mongo);
    const half = await systemRun(client, halfRate, settings.costMs, backoff, people);
    await drain([queue, ...followers]);
    const mongoAfter = await mongoCommands(direct.mongo);
    const statsAfter = await commandStats(redis);
    const proxyAfter = steadfast.redisCounts();
    const cpuAfter = await cpuSnapshot(pids);
    const batchesAfter = await Promise.all(metricsUrls.map(async ([, url]) => parseBatchTotals(await readMetricsText(url))));
    const batchSizes: BatchSizes[] = metricsUrls.flatMap(([service], i) => batchSizesDelta(service, batchesAfter[i]!, batchesBefore[i]!));
    const records = Math.max(1, half.processed);
    const perService: Record<string, ProxyCounts> = {};
    for (const [name, after] of Object.entries(proxyAfter)) perService[name] = countsDelta(after, proxyBefore[name] ?? after);
    const roundTrips = Object.values(perService).reduce((sum, d) => sum + d.roundTrips, 0) / records;
    const clientCommands = Object.values(perService).reduce((sum, d) => sum + d.commands, 0) / records;
    const commandstats = statsDelta(statsAfter, statsBefore);
    const mongostats = statsDelta(mongoAfter, mongoBefore, ['serverStatus']);
    const cpuPerRecord = cpuPerRecordOf(cpuBefore, cpuAfter, records);
    const systemCpu = cpuTotal(cpuPerRecord);
    const documentsWritten = mongoDocumentsWrittenPerRecord(batchSizes, records);
    log(`  accept p50 ${fmt(half.acceptMs.p50, 1)} p99 ${fmt(half.acceptMs.p99, 1)} ms; processed p50 ${fmt(half.processedMs.p50, 0)} p99 ${fmt(half.processedMs.p99, 0)} ms`);
    for (const line of formatBatchSizes(batchSizes)) log(`  batches: ${line}`);

    // The naive gateway at the same rate: its request latency is what accepting is compared with,
    // its CPU (its process, and the stores' while it runs) what the whole system's is.
    log(`the naive gateway at the same rate, ${fmt(halfRate)}/s for ${settings.costMs / 1000} s`);
    const naivePids = { naive: naive.pid, ...storePids };
    const naiveQuiet = await waitUntilQuiet(naivePids, QUIET_MS_PER_S, 60_000);
    log(`  the processes used ${fmt(naiveQuiet, 0)} CPU ms/s together before the step`);
    const naiveCpuBefore = await cpuSnapshot(naivePids);
    const naiveHalf = await naiveRun(`http://127.0.0.1:${settings.portBase + 5}`, halfRate, settings.costMs);
    const naiveCpuPerRecord = cpuPerRecordOf(naiveCpuBefore, await cpuSnapshot(naivePids), naiveHalf.written);
    const naiveCpu = cpuTotal(naiveCpuPerRecord);
    log(`  p50 ${fmt(naiveHalf.latencyMs.p50, 1)} p99 ${fmt(naiveHalf.latencyMs.p99, 1)} ms, ${naiveHalf.written}/${naiveHalf.offered} written; CPU ${fmt(naiveCpu, 2)} ms per record`);

    await switchRedisCounting(false);
    log(`the duplicate check at ${fmt(halfRate)}/s: unique names, then skewed (Zipf names, busy days)`);
    const duplicateRuns: DuplicateRun[] = [];
    for (const namesMode of ['unique', 'skewed'] as const) {
      await drain([queue, ...followers], 300_000);
      const run = await duplicateRun(client, workflowMetricsUrl, { names: namesMode, rate: halfRate, durationMs: settings.halfRateMs, seed: seed, backoff });
      duplicateRuns.push(run);
      log(`  ${formatRun(run)}`);
    }

    log(`the queue's floor: one no-op BullMQ job per record at ${fmt(halfRate)}/s, after an idle window of the same length`);
    const floor = await queueFloor({
      redis: redisTarget,
      stats: redis,
      proxyPort: settings.portBase + 21,
      queueName: `${names.RECORD_QUEUE_NAME}-floor`,
      ratePerS: halfRate,
      durationMs: settings.halfRateMs,
      // The workflow's own default unless set for the run.
      workerConcurrency: Number(process.env['WORKFLOW_CONCURRENCY'] ?? DEFAULT_WORKFLOW_CONCURRENCY),
      scriptNames,
    });
    log(`  ${fmt(floor.roundTripsPerJob, 2)} round trips, ${fmt(floor.executedCommandsPerJob, 1)} commands executed per job (idle system ${fmt(floor.idleCommandsPerS, 1)} commands/s)`);

    log(`Redis memory per waiting job: workflow stopped, ${settings.memoryJobs} submissions`);
    await steadfast.stopService('workflow');
    await sleep(500);
    const memBefore = await usedMemory(redis);
    const memDrafts: string[] = [];
    let nextMem = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (nextMem < settings.memoryJobs) {
          nextMem++;
          const draftId = crypto.randomUUID();
          await client.submit(draftId);
          memDrafts.push(draftId);
        }
      }),
    );
    const memAfter = await usedMemory(redis);
    const waiting = await queue.getWaitingCount();
    const memoryPerJob = (memAfter - memBefore) / Math.max(1, waiting);
    log(`  ${waiting} waiting, ${fmt(memoryPerJob, 0)} B each; restarting the workflow`);
    await steadfast.startService('workflow');
    await drain(queue, 300_000);

    log(`offline burst: ${settings.burst} drafts from ${settings.offices} offices at once`);
    const view = await openDirectStores(configOf(names));
    const before = await storeCounts(view, names);
    // Where the burst's time goes: every process's CPU from the first draft sent until the queue
    // drained (the workflow was restarted above: its pid is read again).
    const burstPids = { ...Object.fromEntries(steadfast.pids), bench: process.pid, ...storePids };
    const burstCpuBefore = await cpuSnapshot(burstPids);
    const burstCpuStartedMs = performance.now();
    const burst = await offlineBurst(steadfast.gatewayUrl, {
      drafts: settings.burst,
      offices: settings.offices,
      timeoutMs: 15 * 60_000,
      minStatusIntervalMs: settings.burstStatusIntervalMs,
      waitSeconds: settings.burstWaitSeconds,
    });
    await drain(queue);
    const burstCpuPerDraft = cpuPerRecordOf(burstCpuBefore, await cpuSnapshot(burstPids), burst.drafts);
    const burstCpuMsPerS = (cpuTotal(burstCpuPerDraft, []) * burst.drafts) / ((performance.now() - burstCpuStartedMs) / 1000);
    const after = await storeCounts(view, names);
    const { drafts } = collections(view.mongo.db(configOf(names).mongo.dbName));
    const decidedAt: Date[] = [];
    for (const ids of chunks(burst.draftIds, 1_000)) {
      for (const d of await drafts.find({ _id: { $in: ids } }, { projection: { decidedAt: 1 } }).toArray()) decidedAt.push(d.decidedAt);
    }
    const burstDecidedS = lastDecisionS(burst.startedAtMs, decidedAt, burst.drafts);
    // Is the gateway's intake or the processing behind the stores' time?
    const burstAccepted = progressOf(burst.acceptedS, burst.drafts);
    const burstDecided = progressOf(decidedAt.map((at) => (at.getTime() - burst.startedAtMs) / 1000), burst.drafts);
    const progressLine = (p: Progress) => (['half', 'most', 'all'] as const).map((k) => `${{ half: '50%', most: '90%', all: 'all' }[k]} ${p[k] === undefined ? 'n/a' : `${fmt(p[k], 1)} s`}`).join(', ');
    const burstDocs = await burstDocuments(view, burst.draftIds);
    const recordsOnce = onceIn(burst.draftIds, burstDocs.records, after.records - before.records);
    const auditOnce = onceIn(burst.draftIds, burstDocs.audit, after.audit - before.audit);
    const burstChecks = {
      records: after.records - before.records,
      audit: after.audit - before.audit,
      searchDocuments: after.search - before.search,
      attachments: after.objects - before.objects,
      draftsWithRecord: recordsOnce.found,
      draftsWithAuditEntry: auditOnce.found,
      duplicateRecords: recordsOnce.extra,
      duplicateAuditEntries: auditOnce.extra,
    };
    const burstOk =
      burst.processed === burst.drafts &&
      burst.resubmitted === burst.resendPlanned &&
      onceOk(recordsOnce, burst.drafts) &&
      onceOk(auditOnce, burst.drafts) &&
      burstChecks.searchDocuments === burst.drafts &&
      burstChecks.attachments === burst.drafts;
    await view.close();

    const targets = evaluateTargets({
      systemMaxRate: systemMax,
      naiveMaxRate: naiveMax,
      storesCeiling,
      mongoCommandsPerRecord: mongostats.total / records,
      roundTripsPerRecord: roundTrips,
      executedCommandsPerRecord: commandstats.total / records,
      floorRoundTripsPerJob: floor.roundTripsPerJob,
      floorExecutedCommandsPerJob: floor.executedCommandsPerJob,
      systemCpuMsPerRecord: systemCpu,
      naiveCpuMsPerRecord: naiveCpu,
      acceptP99AtHalfMs: half.acceptMs.p99,
      naiveP99AtHalfMs: naiveHalf.latencyMs.p99,
      burst: { drafts: burst.drafts, allProcessedS: burst.allProcessedS, ok: burstOk },
    });

    const machine = {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      loadavgAtEnd: loadavg(),
    };
    const commit = gitCommit();
    const table = [
      `Steadfast benchmark ${started.toISOString()}  (${settings.mode}, ${settings.rounds} round(s); commit ${commit.slice(0, 12)})`,
      `machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, node ${machine.node}, load ${machine.loadavgAtEnd.map((l) => l.toFixed(1)).join(' ')}`,
      `people: the system's births are distinct people but 5% near-twins of a recent one (steady population, seed ${seed})`,
      '',
      'throughput (median of rounds; each round\'s figure in brackets)',
      `  system, max records/s with submit→processed p99 < 2 s   ${fmt(systemMax).padStart(8)}   [${rounds.map((r) => fmt(r.system.maxRate)).join(', ')}]`,
      `  (a) queue ceiling, no-op BullMQ jobs/s                  ${fmt(queueCeiling).padStart(8)}   [${rounds.map((r) => fmt(r.queue.jobsPerS)).join(', ')}]`,
      `  (b) stores' ceiling, batched direct writes, records/s   ${fmt(storesCeiling).padStart(8)}   [${rounds.map((r) => fmt(r.stores.recordsPerS)).join(', ')}]`,
      `  (c) naive synchronous gateway, max records/s, p99 < 2 s ${fmt(naiveMax).padStart(8)}   [${rounds.map((r) => fmt(r.naive.maxRate)).join(', ')}]`,
      `  ${steady.line}`,
      `  ${warm.line}`,
      '',
      `the system at ${halfRateLabel} (${fmt(halfRate)}/s, ${half.offered} records; started once the processes were quiet: ${fmt(quietBefore, 0)} CPU ms/s)`,
      `  accept latency              p50 ${fmt(half.acceptMs.p50)} ms   p99 ${fmt(half.acceptMs.p99)} ms`,
      `  submit → processed          p50 ${fmt(half.processedMs.p50, 0)} ms   p99 ${fmt(half.processedMs.p99, 0)} ms   (${half.processed}/${half.offered} processed)`,
      `  status requests (long-poll) p50 ${fmt(half.pollMs.p50)} ms   p99 ${fmt(half.pollMs.p99)} ms   (${fmt(half.pollsPerRecord)} per record, ${fmt(half.longPollsPerRecord)} held; time to answer includes the wait)`,
      '',
      'cost per record (at half rate, including status requests and idle worker traffic)',
      `  Redis round trips (proxy)   ${fmt(roundTrips, 2)}   = ${Object.entries(perService).map(([k, d]) => `${k} ${fmt(d.roundTrips / records, 2)}`).join(', ')}`,
      `  Redis commands sent (proxy) ${fmt(clientCommands, 2)}`,
      `  Redis commands executed (INFO commandstats, incl. inside Lua) ${fmt(commandstats.total / records, 2)}`,
      `  MongoDB commands (serverStatus) ${fmt(mongostats.total / records, 2)}   = ${Object.entries(mongostats.byCommand).sort(([, a], [, b]) => b - a).map(([k, n]) => `${k} ${fmt(n / records, 2)}`).join(', ')}`,
      `  MongoDB documents written through the batches ${fmt(documentsWritten.total, 2)}   = ${Object.entries(documentsWritten.byOp).map(([k, n]) => `${k} ${fmt(n, 2)}`).join(', ')}`,
      `  CPU ms                      ${Object.entries(cpuPerRecord).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(', ')}; all but bench ${fmt(systemCpu, 2)}`,
      `  Redis memory per waiting job ${fmt(memoryPerJob, 0)} B (${waiting} waiting)`,
      `  the queue's floor at the same rate: one no-op BullMQ job per record costs ${fmt(floor.roundTripsPerJob, 2)} round trips and ` +
        `${fmt(floor.executedCommandsPerJob, 1)} executed commands (${Object.entries(floor.byCommand).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(', ')})`,
      '',
      `the naive gateway at the same rate (${fmt(halfRate)}/s, ${naiveHalf.offered} records, open loop; started at ${fmt(naiveQuiet, 0)} CPU ms/s)`,
      `  request latency             p50 ${fmt(naiveHalf.latencyMs.p50)} ms   p99 ${fmt(naiveHalf.latencyMs.p99)} ms   (${naiveHalf.written}/${naiveHalf.offered} written)`,
      `  CPU ms per record           ${Object.entries(naiveCpuPerRecord).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(', ')}; all ${fmt(naiveCpu, 2)}`,
      '',
      `batch sizes at half rate (steadfast_batch_size{store,op}: batches, mean items per batch, from the services' /metrics before and after the step)`,
      ...formatBatchSizes(batchSizes, records).map((line) => `  ${line}`),
      '',
      `offline burst through @steadfast/client: ${burst.drafts} drafts, ${burst.offices} offices (one client each), ${burst.resubmitted} resubmitted (answer lost, same draftId sent again)`,
      `  all processed in ${fmt(burst.allProcessedS)} s: ${burst.processed}/${burst.drafts}${Object.keys(burst.notProcessed).length ? ` (not processed: ${JSON.stringify(burst.notProcessed)})` : ''}; ${burst.submitRequests} write requests, ${burst.retries} client retries`,
      `  the stores decided the last draft at ${burstDecidedS === undefined ? 'n/a (not every draft decided)' : `${fmt(burstDecidedS)} s`}; the rest is the clients learning it (status queries at most every ${fmt(burst.minStatusIntervalMs / 1000, 0)} s per office)`,
      `  accepted (the clients hold them queued): ${progressLine(burstAccepted)}; decided (the stores' decidedAt): ${progressLine(burstDecided)}`,
      `  status requests per record ${fmt(burst.statusRequestsPerRecord, 3)} (${burst.statusRequests} requests, ${burst.statusFailures} failed or unanswered${burst.statusFailures > 0 ? ` [${Object.entries(burst.statusFailureKinds).map(([k, n]) => `${k} ${n}`).join(', ')}]` : ''}, ${burst.heldStatusRequests} held, ${fmt(burst.draftsPerStatusRequest)} drafts each; minStatusIntervalMs ${burst.minStatusIntervalMs}, waitSeconds ${burst.waitSeconds})`,
      `  submit p50 ${fmt(burst.submitMs.p50)} ms p99 ${fmt(burst.submitMs.p99)} ms; status requests p50 ${fmt(burst.statusMs.p50)} ms p99 ${fmt(burst.statusMs.p99)} ms (time to answer includes the wait)`,
      `  CPU ms per draft            ${Object.entries(burstCpuPerDraft).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(', ')}; all but bench ${fmt(cpuTotal(burstCpuPerDraft), 2)} (all ${fmt(burstCpuMsPerS, 0)} CPU ms/s on average until the queue drained)`,
      `  stores: records +${burstChecks.records}, audit +${burstChecks.audit}, search +${burstChecks.searchDocuments}, attachments +${burstChecks.attachments}; ` +
        `drafts with their record ${burstChecks.draftsWithRecord}, with their audit entry ${burstChecks.draftsWithAuditEntry}; records beyond one a draft ${burstChecks.duplicateRecords}, audit entries beyond one a draft ${burstChecks.duplicateAuditEntries}  ${burstOk ? 'PASS' : 'FAIL'}`,
      '',
      'targets',
      ...targets.map((t) => `  ${formatTarget(t)}`),
    ];
    console.log(`\n${table.join('\n')}\n`);

    const dir = join(REPO_ROOT, '.data', 'bench');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `bench-${started.toISOString().replace(/:/g, '-')}.json`);
    const burstSummary: Partial<typeof burst> & { decidedS?: number; cpuMsPerDraft?: Record<string, number>; cpuMsPerS?: number } = {
      ...burst,
      decidedS: burstDecidedS,
      cpuMsPerDraft: burstCpuPerDraft,
      cpuMsPerS: burstCpuMsPerS,
    };
    delete burstSummary.draftIds;
    delete burstSummary.acceptedS;
    Object.assign(burstSummary, { accepted: burstAccepted, decided: burstDecided });
    writeFileSync(
      file,
      `${JSON.stringify(
        {
          date: started.toISOString(),
          commit,
          machine,
          settings,
          names,
          medians: { systemMax, naiveMax, storesCeiling, queueCeiling },
          steadiness: { steady: steady.steady, spread: steady.spread, storesWarm: warm.warm },
          rounds,
          halfRate: { rate: halfRate, run: half, batchSizes },
          naiveAtHalfRate: { run: naiveHalf, cpuMsPerRecord: naiveCpuPerRecord, cpuMsPerRecordTotal: naiveCpu },
          duplicates: duplicateRuns,
          cost: {
            records,
            roundTripsPerRecord: roundTrips,
            clientCommandsPerRecord: clientCommands,
            commandstatsPerRecord: commandstats.total / records,
            commandstats: commandstats.byCommand,
            mongoCommandsPerRecord: mongostats.total / records,
            mongoCommands: mongostats.byCommand,
            mongoDocumentsWrittenPerRecord: documentsWritten.total,
            mongoDocumentsWritten: documentsWritten.byOp,
            perService,
            cpuMsPerRecord: cpuPerRecord,
            cpuMsPerRecordTotal: systemCpu,
            memoryPerWaitingJobBytes: memoryPerJob,
            waitingJobs: waiting,
            queueFloor: floor,
          },
          burst: { ...burstSummary, checks: burstChecks, ok: burstOk },
          targets,
          table,
        },
        null,
        2,
      )}\n`,
    );
    log(`wrote ${file}`);
  } finally {
    naive?.kill('SIGTERM');
    await steadfast.stop().catch((e: unknown) => log(`stopping the system: ${(e as Error).message}`));
    await releaseClaims(queue, redis).catch(() => undefined);
    for (const q of [queue, ...followers]) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    await direct.close();
    await cleanup().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
    redis.disconnect();
  }
}

async function storeCounts(view: Awaited<ReturnType<typeof openDirectStores>>, n: typeof names) {
  await view.es.indices.refresh({ index: n.ES_INDEX });
  let objects = 0;
  const listing = view.minio.listObjectsV2(n.MINIO_BUCKET, '', true) as AsyncIterable<unknown>;
  for await (const item of listing) if (item) objects++;
  return {
    records: await view.records.countDocuments({}),
    audit: await view.audit.countDocuments({}),
    search: (await view.es.count({ index: n.ES_INDEX })).count,
    objects,
  };
}

/**
 * The burst's records and audit entries, read by their ids (a record's is derived from its draft,
 * an audit entry's is `<draftId>:<action>`, asked for every action): an `_id` `$in` is a lookup,
 * where a `$group` over the whole collection made FerretDB decode every document (~5 min a count
 * in a full run). With the stores' growth this shows every draft once (once.ts).
 */
async function burstDocuments(view: Awaited<ReturnType<typeof openDirectStores>>, draftIds: readonly string[]) {
  const records: Array<{ draftId: string }> = [];
  const audit: Array<{ draftId: string }> = [];
  for (const ids of chunks(draftIds, 500)) {
    records.push(...(await view.records.find<{ draftId: string }>({ _id: { $in: ids.map(recordIdFor) } }, { projection: { draftId: 1 } }).toArray()));
    const entryIds = ids.flatMap((d) => RecordAction.options.map((action) => `${d}:${action}`));
    audit.push(...(await view.audit.find<{ draftId: string }>({ _id: { $in: entryIds } }, { projection: { draftId: 1 } }).toArray()));
  }
  return { records, audit };
}

/** Draft claims (`{steadfast}:draft:<id>`) are not under the queue's name: remove the run's own. */
async function releaseClaims(queue: Queue, redis: ReturnType<typeof createRedis>): Promise<void> {
  const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'], 0, -1);
  for (const job of jobs) if (job.id) await redis.del(draftClaimKey(job.id));
}

/** Removes everything the run created under its own names. */
async function cleanup(): Promise<void> {
  for (const set of [names, storesNames, naiveNames]) {
    const config = configOf(set);
    const stores = await openDirectStores(config);
    await stores.mongo.db(config.mongo.dbName).dropDatabase().catch(() => undefined);
    await stores.es.indices.delete({ index: `${config.elasticsearch.index}*` }, { ignore: [404] }).catch(() => undefined);
    for (const bucket of [config.minio.bucket, ...(set === names ? [names.MINIO_STAGING_BUCKET] : [])]) {
      if (!(await stores.minio.bucketExists(bucket).catch(() => false))) continue;
      const objects: string[] = [];
      for await (const item of stores.minio.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string }>) {
        if (item.name) objects.push(item.name);
      }
      for (let i = 0; i < objects.length; i += 1_000) await stores.minio.removeObjects(bucket, objects.slice(i, i + 1_000));
      await stores.minio.removeBucket(bucket).catch(() => undefined);
    }
    await stores.close();
  }
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

if (process.argv.includes('--soak') || process.argv.includes('--duplicates') || process.argv.includes('--steady')) {
  process.exitCode = await duplicatesMain(process.argv.includes('--soak') ? 'soak' : process.argv.includes('--steady') ? 'steady' : 'duplicates');
} else {
  await main();
}
