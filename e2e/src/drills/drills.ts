/**
 * The fault drills: the whole system started on its own names, a steady load with duplicate
 * submissions, and one fault per drill in the middle of the load: each store stopped and
 * started, then each frozen and continued (a hung server), the workflow and the gateway SIGKILLed and restarted (as an orchestrator would), every
 * service SIGTERMed and restarted (a deploy), the country config slow and failing. After each
 * drill: wait until every client has its answer, then read the invariants from the stores.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RecordQueue, redisOptions, storeConfigFrom, storeEnvSchema, type Logger } from '@steadfast/commons';
import { SERVICES, System, type StopResult } from '@steadfast/launcher';
import { isolatedStores, storesOf } from '../client.js';
import { E2E_PORTS, REPO_ROOT, TEST_SYSTEM_ENV, infra, storePid } from '../support.js';
import { checkInvariants, failures, minus, type Invariants } from './invariants.js';
import { Load, type Outcome } from './load.js';

export interface DrillOptions {
  /** New drafts per second. */
  rate: number;
  /** Times each draft is sent. */
  sends: number;
  /** How long the load of one drill runs (the fault starts at a quarter of it). */
  loadMs: number;
  /** How long a store stays stopped, or the country config misbehaves. */
  outageMs: number;
  /** The longest wait, after the load, for every draft to be answered and every store to agree. */
  settleMs: number;
  /** Drill names to run (default: all). */
  only?: string[];
  /** Keep the run's database, index and buckets afterwards (they are dropped otherwise). */
  keep?: boolean;
  logger: Logger;
}

/**
 * Retries and sweeps of every drill's system. Enough attempts to outlast every outage (about 2
 * minutes of 3 s backoffs): the drills expect everything processed; an exhausted job would still
 * be seen, as an alert.
 */
export const DRILL_TIMINGS = {
  RECORD_JOB_ATTEMPTS: '40',
  RECORD_BACKOFF_MS: '300',
  RECORD_BACKOFF_MAX_MS: '3000',
  WORKFLOW_LOCK_MS: '5000',
  ALERT_SWEEP_MS: '2000',
  STAGING_SWEEP_MS: '1000',
  STAGING_GRACE_MS: '2000',
  COUNTRY_CONFIG_DECISION_DELAY_MS: '200',
  LOG_LEVEL: 'info',
};

/** A drill's drafts: accepted, of those processed, and every send and refusal it took. */
export function tally(outcomes: Outcome[]): Pick<DrillResult, 'accepted' | 'processed' | 'sends' | 'refused'> {
  const mine = outcomes.filter((o) => o.accepted);
  return {
    accepted: mine.length,
    processed: mine.filter((o) => o.final?.__typename === 'RecordProcessed').length,
    sends: outcomes.reduce((sum, o) => sum + o.sends, 0),
    refused: outcomes.reduce((sum, o) => sum + o.refused, 0),
  };
}

export interface DrillResult {
  name: string;
  description: string;
  /** This drill's drafts only. */
  accepted: number;
  processed: number;
  sends: number;
  refused: number;
  /** Services that exited unasked (and were restarted). */
  exits: number;
  /** What this drill added to the stores' counts (read over every draft of the run). */
  invariants: Invariants;
  /** The counts over the whole run so far. */
  cumulative: Invariants;
  failed: string[];
  ms: number;
}

interface DrillContext {
  system: System;
  env: Record<string, string>;
  options: DrillOptions;
  logger: Logger;
}

export interface Drill {
  name: string;
  description: string;
  /** Causes the fault; returns what the fault itself showed wrong (e.g. a stop that hung). */
  fault(ctx: DrillContext): Promise<string[] | void>;
}

type Store = 'redis' | 'mongo' | 'minio' | 'elasticsearch';

const STORE_NAMES: Record<Store, string> = { redis: 'Redis', mongo: 'MongoDB (FerretDB)', minio: 'MinIO', elasticsearch: 'Elasticsearch' };

async function outage(ctx: DrillContext, store: Store): Promise<void> {
  const stopped = await infra('stop', store);
  if (stopped.code !== 0) throw new Error(`npm run infra -- stop ${store} failed: ${stopped.stdout}`);
  ctx.logger.info({ store }, 'store stopped');
  await sleep(ctx.options.outageMs);
  const started = await infra('start', store);
  if (started.code !== 0) throw new Error(`npm run infra -- start ${store} failed: ${started.stdout}`);
  ctx.logger.info({ store }, 'store started');
}

/**
 * How long a store is frozen: past every client's own limit on a silent server (Elasticsearch's
 * request timeout 10 s, Redis' socket timeout 15 s), so requests given up on by the client may
 * still be carried out by the store when it thaws.
 */
export const HANG_MS = 20_000;

/**
 * The store's process (its whole process group: Elasticsearch runs under `runuser`) stopped with
 * SIGSTOP for HANG_MS, then continued: a hung server or a network cut, where connections stay
 * open and nothing answers, rather than the refused connections of a stopped one.
 */
async function hang(ctx: DrillContext, store: Store): Promise<void> {
  const pid = storePid(store);
  const target = -pid; // a process group: infra.sh starts each store as its own group leader
  process.kill(target, 'SIGSTOP');
  ctx.logger.info({ store, pid }, 'store frozen (SIGSTOP)');
  try {
    await sleep(HANG_MS);
  } finally {
    process.kill(target, 'SIGCONT');
  }
  ctx.logger.info({ store, pid }, 'store continued (SIGCONT)');
}

/** SIGKILL, then a restart one second later, twice: what an orchestrator does after a crash. */
async function kill(ctx: DrillContext, service: 'workflow' | 'gateway'): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await ctx.system.stopService(service, 'SIGKILL');
    ctx.logger.info({ service }, 'service SIGKILLed');
    await sleep(1_000);
    await ctx.system.startService(service);
    ctx.logger.info({ service }, 'service restarted');
    if (i === 0) await sleep(ctx.options.outageMs / 2);
  }
}

/** What was wrong with a graceful stop: it had to be forced, or the process did not exit cleanly. */
export function ungraceful(service: string, stop: StopResult | undefined): string[] {
  if (!stop) return [`${service} was not running when the deploy reached it`];
  if (stop.forced) return [`${service} ignored SIGTERM for ${stop.ms} ms and was SIGKILLed`];
  if (stop.code !== 0) return [`${service} exited with ${stop.code ?? stop.signal} on SIGTERM, not 0`];
  return [];
}

/**
 * A deploy: every service in turn SIGTERMed and started again at once, under load (a rolling
 * restart with one instance each). Each must stop by itself with exit code 0, and the workflow
 * must end every record job it was running before it exits: a job still active afterwards
 * was left to another worker's stall check (after WORKFLOW_LOCK_MS), which a graceful stop
 * must not need.
 */
async function deploy(ctx: DrillContext): Promise<string[]> {
  const problems: string[] = [];
  const config = storeConfigFrom(storeEnvSchema.parse({ ...process.env, ...ctx.env }));
  const queue = new RecordQueue(redisOptions(config.redis), undefined, ctx.env['RECORD_QUEUE_NAME']);
  try {
    for (const { name } of [...SERVICES].reverse()) {
      const running = name === 'workflow' ? await queue.queue.getActive() : [];
      const stop = await ctx.system.stopService(name, 'SIGTERM');
      problems.push(...ungraceful(name, stop));
      // Checked before the next workflow starts: no worker runs, so a job still active now
      // was abandoned, not taken up again.
      const abandoned: string[] = [];
      for (const job of running) {
        if (job.id && (await queue.queue.getJobState(job.id)) === 'active') abandoned.push(job.id);
      }
      if (abandoned.length > 0) problems.push(`workflow left ${abandoned.length} of ${running.length} active jobs behind on SIGTERM (e.g. ${abandoned[0]})`);
      ctx.logger.info({ service: name, ...stop, activeJobs: running.length, abandoned: abandoned.length }, 'service stopped (SIGTERM)');
      await ctx.system.startService(name);
      ctx.logger.info({ service: name }, 'service started again');
      await sleep(ctx.options.outageMs / 3);
    }
  } finally {
    await queue.close();
  }
  return problems;
}

/** The country config replaced by one that answers 503 to half the requests and is slow with
 * the rest, a third past the workflow's 10 s timeout (after queueing the work). */
async function troubledCountry(ctx: DrillContext): Promise<void> {
  const troubled = new System({
    env: { ...E2E_PORTS, ...TEST_SYSTEM_ENV, ...ctx.env, COUNTRY_CONFIG_FAILURE_RATE: '0.5', COUNTRY_CONFIG_RESPONSE_DELAY_MS: '15000' },
    logs: { dir: join(REPO_ROOT, '.data', 'logs', 'drill') },
  });
  await ctx.system.stopService('config');
  await troubled.startService('config');
  ctx.logger.info({ failureRate: 0.5, responseDelayMs: 15_000 }, 'country config slow and failing');
  await sleep(Math.max(ctx.options.outageMs * 2, 12_000));
  await troubled.stopService('config', 'SIGKILL');
  ctx.logger.info('country config SIGKILLed');
  await sleep(1_000);
  await ctx.system.startService('config');
  ctx.logger.info('country config healthy again');
}

export const DRILLS: readonly Drill[] = [
  { name: 'baseline', description: 'no fault: the load alone, duplicates included', fault: () => Promise.resolve() },
  { name: 'redis', description: 'Redis stopped, then started (npm run infra -- stop|start redis)', fault: (ctx) => outage(ctx, 'redis') },
  { name: 'mongo', description: 'MongoDB (FerretDB) stopped, then started', fault: (ctx) => outage(ctx, 'mongo') },
  { name: 'minio', description: 'MinIO stopped, then started', fault: (ctx) => outage(ctx, 'minio') },
  { name: 'elasticsearch', description: 'Elasticsearch stopped, then started', fault: (ctx) => outage(ctx, 'elasticsearch') },
  ...(['redis', 'mongo', 'minio', 'elasticsearch'] as const).map((store) => ({
    name: `${store}-hang`,
    description: `${STORE_NAMES[store]} frozen for ${HANG_MS / 1000} s (SIGSTOP: connections open, no answers), then continued`,
    fault: (ctx: DrillContext) => hang(ctx, store),
  })),
  { name: 'workflow-kill', description: 'the workflow workers SIGKILLed twice, each restarted 1 s later', fault: (ctx) => kill(ctx, 'workflow') },
  { name: 'gateway-kill', description: 'the gateway SIGKILLed twice, each restarted 1 s later', fault: (ctx) => kill(ctx, 'gateway') },
  { name: 'deploy', description: 'every service SIGTERMed and started again in turn (a rolling deploy); each must stop by itself and the workflow finish its active jobs', fault: deploy },
  { name: 'country-config', description: 'country config answering 503 to half, the rest late (up to 15 s: a third past the 10 s timeout of the workflow), then SIGKILLed and restarted', fault: troubledCountry },
];

/** Runs the drills in order on one system; never throws for a failed invariant, only reports it. */
export async function runDrills(options: DrillOptions, onResult?: (result: DrillResult) => void): Promise<DrillResult[]> {
  const logger = options.logger;
  const drills = DRILLS.filter((d) => !options.only || options.only.includes(d.name));
  const unknown = (options.only ?? []).filter((name) => !DRILLS.some((d) => d.name === name));
  if (unknown.length > 0) throw new Error(`unknown drills ${unknown.join(', ')}; known: ${DRILLS.map((d) => d.name).join(', ')}`);

  const env: Record<string, string> = {
    ...isolatedStores(),
    ...DRILL_TIMINGS,
  };
  let exits = 0;
  const system: System = new System({
    env: { ...E2E_PORTS, ...TEST_SYSTEM_ENV, ...env },
    logs: { dir: join(REPO_ROOT, '.data', 'logs', 'drill') },
    onUnexpectedExit: (service, code, signal) => {
      exits++;
      logger.error({ service, code, signal }, 'service exited unasked; restarting it');
      void sleep(1_000)
        .then(() => system.startService(service))
        .catch((error: unknown) => logger.error({ service, err: (error as Error).message }, 'restart failed'));
    },
  });
  const view = storesOf(env);
  const all: Outcome[] = [];
  const results: DrillResult[] = [];
  logger.info({ ...env, rate: options.rate, sends: options.sends, loadMs: options.loadMs, outageMs: options.outageMs }, 'drills: starting the system');
  // Ctrl-C: stop the services this run started and bring every store back, then leave.
  const interrupted = (signal: NodeJS.Signals) => {
    logger.warn({ signal }, 'drills interrupted: stopping the system, starting every store');
    void system
      .stop()
      .then(async () => {
        for (const store of ['redis', 'mongo', 'minio', 'elasticsearch'] as const) await infra('start', store);
      })
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  await system.start();
  let passed = true;
  let previous: Invariants | undefined;
  try {
    for (const drill of drills) {
      const started = Date.now();
      const exitsBefore = exits;
      logger.info({ drill: drill.name }, `drill ${drill.name}: ${drill.description}`);
      const load = new Load({ rate: options.rate, sends: options.sends, spreadMs: 3_000, logger: logger.child({ drill: drill.name }) });
      load.start();
      await sleep(options.loadMs / 4);
      const ctx: DrillContext = { system, env, options, logger: logger.child({ drill: drill.name }) };
      const faultStarted = Date.now();
      const faultProblems = (await drill.fault(ctx)) ?? [];
      // The load goes on for its time, and a little past the fault's end.
      await sleep(Math.max(options.loadMs - (Date.now() - started), 2_000));
      logger.info({ drill: drill.name, sinceFaultMs: Date.now() - faultStarted }, 'load stopped; settling');
      const settleDeadline = Date.now() + options.settleMs;
      const outcomes = await load.settle(options.settleMs);
      all.push(...outcomes);
      // The projections (search status, the country's answer) may trail the clients' answers.
      let cumulative = await checkInvariants(view, env, all);
      // Only what can still change is waited for: a search document's status, the country's
      // answer, an alert, a staged upload the workflow's staging sweep has yet to remove (a
      // gateway killed between staging and cleanup leaves one). A duplicate or another orphan
      // stays; waiting would only hide the time.
      const trailing = (i: Invariants) => i.stale + i.unconfirmed + i.stuck + i.orphans.staged > 0;
      while (trailing(minus(cumulative, previous)) && Date.now() < settleDeadline) {
        await sleep(2_000);
        cumulative = await checkInvariants(view, env, all);
      }
      const invariants = minus(cumulative, previous);
      previous = cumulative;
      const result: DrillResult = {
        name: drill.name,
        description: drill.description,
        ...tally(outcomes),
        exits: exits - exitsBefore,
        invariants,
        cumulative,
        failed: [...faultProblems, ...failures(invariants)],
        ms: Date.now() - started,
      };
      if (result.failed.length > 0) passed = false;
      logger.info({ drill: drill.name, ms: result.ms, failed: result.failed, notes: invariants.notes }, result.failed.length ? 'drill FAILED' : 'drill passed');
      results.push(result);
      onResult?.(result);
    }
  } finally {
    // Whatever happened, leave every store running for the next user.
    for (const store of ['redis', 'mongo', 'minio', 'elasticsearch'] as const) await infra('start', store);
    await system.stop();
    if (options.keep || !passed) logger.info({ ...env }, 'drills: the run\'s data is kept');
    else await view.drop();
    await view.close();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
  return results;
}
