/**
 * Drills beyond one Redis and one process of each service, each on a system of its own (its own
 * ports, names and Redis servers, started by infrastructure/redis-topology.sh on 127.0.0.1):
 * - failover: a primary, a replica, three sentinels; the primary SIGKILLed under load. The
 *   services follow the sentinels to the promoted replica by themselves; a submission whose
 *   acknowledgement was lost comes back `RecordUnknown` and the client's resubmission queues it.
 * - freeze: the same servers; the primary frozen (SIGSTOP) for 40 s instead: its connections stay
 *   open and silent, and the services must leave it for the promoted replica while it is frozen.
 * - scale-out: two gateways, three workflow and two events processes on one set of stores,
 *   duplicates sent to different gateways, one workflow process SIGKILLed; and the throughput of
 *   that set against one process of each, measured in the same run.
 * - cluster: a three-primary Redis Cluster under the whole pipeline (creates, corrections,
 *   registrations), with no CROSSSLOT anywhere in the services' logs.
 * Ports: E2E_PORT_BASE for the first instance of each service (instances N step by 10), and
 * DRILL_REDIS_PORT_BASE (26300) for the Redis servers.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Logger } from '@steadfast/commons';
import { System, type Scale } from '@steadfast/launcher';
import { isolatedStores, storesOf } from '../client.js';
import { E2E_PORTS, REPO_ROOT } from '../support.js';
import { DRILL_TIMINGS, tally, type DrillResult } from './drills.js';
import { checkInvariants, failures } from './invariants.js';
import { Load, type Outcome } from './load.js';

const run = promisify(execFile);
const TOPOLOGY_SH = join(REPO_ROOT, 'infrastructure', 'redis-topology.sh');
// Below the ephemeral range (32768-60999): a client socket may hold any port in it, and a server
// started there at the wrong moment fails with EADDRINUSE.
const REDIS_BASE = Number(process.env['DRILL_REDIS_PORT_BASE'] ?? 26300);

export interface TopologyOptions {
  rate: number;
  sends: number;
  loadMs: number;
  settleMs: number;
  logger: Logger;
  only?: string[];
  keep?: boolean;
}

/** What a topology drill measured besides the invariants, printed under the table. */
export interface TopologyResult extends DrillResult {
  facts: string[];
}

interface Setup {
  name: string;
  description: string;
  /** Starts the Redis servers; returns the environment that points the services at them. */
  redis(dir: string): Promise<Record<string, string>>;
  scale?: Scale;
  /** The fault, a quarter into the load; returns facts and problems. */
  fault?(ctx: RunContext): Promise<{ facts: string[]; problems: string[] }>;
  /** After the invariants: more facts and problems (e.g. logs read). */
  after?(ctx: RunContext, outcomes: Outcome[]): Promise<{ facts: string[]; problems: string[] }>;
}

interface RunContext {
  system: System;
  dir: string;
  env: Record<string, string>;
  options: TopologyOptions;
  logger: Logger;
  logsDir: string;
}

const topology = (...args: string[]) => run('bash', [TOPOLOGY_SH, ...args], { timeout: 60_000 });

const SENTINEL = { primary: REDIS_BASE, replica: REDIS_BASE + 1, sentinels: [REDIS_BASE + 10, REDIS_BASE + 11, REDIS_BASE + 12] };
const CLUSTER = [REDIS_BASE + 20, REDIS_BASE + 21, REDIS_BASE + 22];

/** Settings every topology drill runs with: attempts enough to outlast a failover, demo users. */
const BASE_ENV = { NODE_ENV: 'development', ...DRILL_TIMINGS };

/** Refusals after `from`: the first and the last, how long from one to the other, and how many. */
export function refusalWindow(outcomes: readonly Outcome[], from: number): { first?: number; last?: number; ms: number; count: number } {
  const times = outcomes.flatMap((o) => o.refusedAt).filter((t) => t >= from).sort((a, b) => a - b);
  const first = times[0];
  const last = times.at(-1);
  return { ...(first === undefined ? {} : { first }), ...(last === undefined ? {} : { last }), ms: first === undefined || last === undefined ? 0 : last - first, count: times.length };
}

/** The throughput loads arrive 3× faster than the drill's rate, to press both sets harder. */
const THROUGHPUT_RATE = (options: Pick<TopologyOptions, 'rate'>): number => options.rate * 3;

/** Records processed per second from the first acceptance to the last answer. */
export function throughput(outcomes: readonly Outcome[]): number {
  const done = outcomes.filter((o) => o.final?.__typename === 'RecordProcessed' && o.acceptedAt && o.doneAt);
  if (done.length === 0) return 0;
  const start = Math.min(...done.map((o) => o.acceptedAt ?? Infinity));
  const end = Math.max(...done.map((o) => o.doneAt ?? 0));
  return done.length / Math.max((end - start) / 1000, 0.001);
}

function gatewaysOf(system: System): string[] {
  return Object.entries(system.instanceUrls())
    .filter(([name]) => name === 'gateway' || name.startsWith('gateway-'))
    .map(([, url]) => url.replace('localhost', '127.0.0.1'));
}

/** Lines of the run's service logs that mention `needle`. */
function grepLogs(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) if (line.includes(needle)) hits.push(`${file}: ${line.slice(0, 200)}`);
  }
  return hits;
}

/**
 * How long the primary acknowledges writes its replica never gets before it is SIGKILLed: the
 * writes a failover loses. Replication is asynchronous, so with the replica in sync a kill loses
 * next to nothing and the clients' resubmission on `RecordUnknown` would go untested. Longer
 * than the 3 s over which a draft's holders send it: a draft one holder sends again after the
 * kill is queued again by that send, and its other holders never see `RecordUnknown`.
 */
export const LOST_WRITES_MS = 5_000;

/**
 * How long after `from` the sentinels named the replica the primary (they promote it once the
 * primary has not answered for 2 s and a quorum agrees); undefined when not within 30 s.
 */
async function promotion(from: number): Promise<number | undefined> {
  while (Date.now() - from < 30_000) {
    const { stdout } = await run('redis-cli', ['-p', String(SENTINEL.sentinels[0]), 'sentinel', 'get-master-addr-by-name', 'steadfast']).catch(() => ({ stdout: '' }));
    if (stdout.includes(String(SENTINEL.replica))) return Date.now() - from;
    await sleep(100);
  }
  return undefined;
}

async function failover(ctx: RunContext): Promise<{ facts: string[]; problems: string[] }> {
  const redisDir = join(ctx.dir, 'redis');
  const pid = Number((await topology('pid', redisDir, String(SENTINEL.primary))).stdout.trim());
  const replicaPid = Number((await topology('pid', redisDir, String(SENTINEL.replica))).stdout.trim());
  // The replica is frozen and its link cut by the primary, which goes on acknowledging writes
  // (the gateway's "queued" answers) that only it holds; then the primary dies and the replica,
  // thawed, is promoted without them. The workflow is paused meanwhile, so the jobs queued in
  // that window are still waiting when they are lost (a busy queue), not already processed.
  const workflows = ctx.system.instances().filter((name) => name === 'workflow' || name.startsWith('workflow-'));
  process.kill(replicaPid, 'SIGSTOP');
  for (const name of workflows) ctx.system.signalService(name, 'SIGSTOP');
  let killedAt: number;
  try {
    await run('redis-cli', ['-p', String(SENTINEL.primary), 'client', 'kill', 'type', 'replica']);
    await sleep(LOST_WRITES_MS);
    killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
  } finally {
    process.kill(replicaPid, 'SIGCONT');
    for (const name of workflows) ctx.system.signalService(name, 'SIGCONT');
  }
  ctx.logger.info({ pid, port: SENTINEL.primary, lostWritesMs: LOST_WRITES_MS }, 'Redis primary SIGKILLed with writes its replica never got');
  const promotedMs = await promotion(killedAt);
  ctx.env['FAILOVER_AT'] = String(killedAt);
  if (promotedMs === undefined) return { facts: [], problems: ['the sentinels did not promote the replica within 30 s'] };
  return {
    facts: [`replica promoted ${(promotedMs / 1000).toFixed(1)} s after the primary was SIGKILLed, ${LOST_WRITES_MS / 1000} s of the primary's writes lost with it`],
    problems: [],
  };
}

/**
 * How long the primary stays frozen: past the promotion (~3 s) and the clients' socket timeout
 * (REDIS_SOCKET_TIMEOUT_MS, 15 s), with time left to show submissions accepted and records
 * processed on the promoted replica while the old primary still holds their old connections.
 */
export const FROZEN_MS = 40_000;

/**
 * The primary stops answering without closing a connection (SIGSTOP: as a hung process or a
 * network cut looks to its clients; the kernel still accepts their bytes). The sentinels promote
 * the replica; every service must leave the silent primary for it by itself, with no restart.
 * Thawed after FROZEN_MS, the old primary rejoins as a replica of the new one.
 */
async function freeze(ctx: RunContext): Promise<{ facts: string[]; problems: string[] }> {
  const pid = Number((await topology('pid', join(ctx.dir, 'redis'), String(SENTINEL.primary))).stdout.trim());
  const frozenAt = Date.now();
  process.kill(pid, 'SIGSTOP');
  ctx.logger.info({ pid, port: SENTINEL.primary, frozenMs: FROZEN_MS }, 'Redis primary frozen (SIGSTOP): connections open, no answers');
  let promotedMs: number | undefined;
  try {
    promotedMs = await promotion(frozenAt);
    await sleep(frozenAt + FROZEN_MS - Date.now());
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  ctx.env['FROZEN_AT'] = String(frozenAt);
  ctx.env['THAWED_AT'] = String(Date.now());
  if (promotedMs === undefined) return { facts: [], problems: ['the sentinels did not promote the replica within 30 s of the freeze'] };
  return { facts: [`replica promoted ${(promotedMs / 1000).toFixed(1)} s after the primary froze; the primary thawed ${FROZEN_MS / 1000} s after it`], problems: [] };
}

/** What happened while the old primary was frozen: the services must have gone on without it. */
export function whileFrozen(outcomes: readonly Outcome[], frozenAt: number, thawedAt: number): { facts: string[]; problems: string[] } {
  const within = (t: number | undefined) => t !== undefined && t > frozenAt && t < thawedAt;
  const accepted = outcomes.filter((o) => within(o.acceptedAt));
  // Accepted and processed both within the window: queued on the promoted replica and taken
  // from it (a record queued before the freeze may be reported processed from MongoDB alone).
  const done = accepted.filter((o) => within(o.doneAt) && o.final?.__typename === 'RecordProcessed');
  const firstAccepted = accepted.length ? Math.min(...accepted.map((o) => o.acceptedAt ?? Infinity)) : undefined;
  const refused = refusalWindow(outcomes, frozenAt);
  const after = (t: number | undefined) => (t === undefined ? '-' : ((t - frozenAt) / 1000).toFixed(1));
  const facts = [
    `while the old primary was frozen: ${accepted.length} drafts accepted (the first ${firstAccepted === undefined ? 'never' : `${after(firstAccepted)} s after the freeze`}), ${done.length} of them processed`,
    `${refused.count} submissions refused (each retried), from ${after(refused.first)} to ${after(refused.last)} s after the freeze`,
  ];
  const problems = [
    ...(accepted.length === 0 ? ['no submission was accepted while the old primary was frozen: the gateways stayed on it'] : []),
    ...(done.length === 0 ? ['no record was processed while the old primary was frozen: the workers stayed on it'] : []),
  ];
  return { facts, problems };
}

async function killOneWorkflow(ctx: RunContext): Promise<{ facts: string[]; problems: string[] }> {
  const stop = await ctx.system.stopService('workflow-2', 'SIGKILL');
  ctx.logger.info({ instance: 'workflow-2' }, 'one workflow process SIGKILLed (not restarted)');
  return { facts: ['workflow-2 SIGKILLed mid-load and left down; the other two took its jobs'], problems: stop ? [] : ['workflow-2 was not running'] };
}

/** A primary, its replica and three sentinels (quorum 2, down after 2 s); the services told of the sentinels. */
async function sentinel(dir: string): Promise<Record<string, string>> {
  await topology('sentinel', dir, String(SENTINEL.primary), String(SENTINEL.replica), ...SENTINEL.sentinels.map(String), 'steadfast');
  return { REDIS_SENTINELS: SENTINEL.sentinels.map((p) => `127.0.0.1:${p}`).join(','), REDIS_SENTINEL_NAME: 'steadfast' };
}

export const TOPOLOGY_DRILLS: readonly Setup[] = [
  {
    name: 'failover',
    description: 'Redis primary + replica + 3 sentinels; the primary SIGKILLed under load, the services follow the promoted replica',
    redis: sentinel,
    fault: failover,
    after: (ctx, outcomes) => {
      const from = Number(ctx.env['FAILOVER_AT'] ?? 0);
      const refused = refusalWindow(outcomes, from);
      const resubmitted = outcomes.filter((o) => o.unknownResubmits > 0).length;
      return Promise.resolve({
        facts: [
          `submissions refused for ${(refused.ms / 1000).toFixed(1)} s after the kill (${refused.count} refusals, each retried)`,
          `${resubmitted} drafts answered RecordUnknown (acknowledgement lost with the primary) and queued again by the client's resubmission`,
        ],
        // The drill's point: a write acknowledged and then lost is sent again by its client.
        problems: resubmitted > 0 ? [] : ['no draft was answered RecordUnknown after the failover: the lost writes did not test the resubmission'],
      });
    },
  },
  {
    name: 'freeze',
    description: 'Redis primary + replica + 3 sentinels; the primary frozen under load (SIGSTOP: no answers, no closed connections), the services leave it for the promoted replica',
    redis: sentinel,
    fault: freeze,
    after: (ctx, outcomes) => Promise.resolve(whileFrozen(outcomes, Number(ctx.env['FROZEN_AT'] ?? 0), Number(ctx.env['THAWED_AT'] ?? 0))),
  },
  {
    name: 'scale-out',
    description: '2 gateways, 3 workflow, 2 events on one set of stores; duplicates to different gateways; one workflow SIGKILLed',
    redis: () => Promise.resolve({}),
    scale: { gateway: 2, workflow: 3, events: 2 },
    fault: killOneWorkflow,
  },
  {
    name: 'cluster',
    description: 'a 3-primary Redis Cluster under creates, corrections and registrations; no CROSSSLOT',
    redis: async (dir) => {
      await topology('cluster', dir, ...CLUSTER.map(String));
      return { REDIS_CLUSTER_NODES: CLUSTER.map((p) => `127.0.0.1:${p}`).join(',') };
    },
    after: (ctx) => {
      const crossSlot = grepLogs(ctx.logsDir, 'CROSSSLOT');
      return Promise.resolve({
        facts: [`CROSSSLOT errors in the services' logs: ${crossSlot.length}`],
        problems: crossSlot.length > 0 ? [`CROSSSLOT: ${crossSlot[0]}`] : [],
      });
    },
  },
];

/** Runs one load on a system and returns its outcomes. */
async function load(ctx: Omit<RunContext, 'dir'>, gateways: string[], sends: number, fault?: () => Promise<void>, rate = ctx.options.rate): Promise<Outcome[]> {
  const run = new Load({ rate, sends, spreadMs: 3_000, logger: ctx.logger, gateways });
  run.start();
  await sleep(ctx.options.loadMs / 4);
  await fault?.();
  await sleep(Math.max(ctx.options.loadMs * 0.75, 2_000));
  return run.settle(ctx.options.settleMs);
}

async function startSystem(env: Record<string, string>, logsDir: string, logger: Logger, exits: { count: number }, scale?: Scale): Promise<System> {
  rmSync(logsDir, { recursive: true, force: true });
  const system: System = new System({
    env: { ...E2E_PORTS, ...env },
    logs: { dir: logsDir },
    // Seven processes at nice 10 on a busy 2-core machine can take a while to listen.
    readyTimeoutMs: 120_000,
    ...(scale ? { scale } : {}),
    // Not restarted: "reconnect by themselves" means no service may exit on a Redis failover.
    onUnexpectedExit: (service, code, signal) => {
      exits.count++;
      logger.error({ service, code, signal }, 'service exited unasked');
    },
  });
  try {
    await system.start();
  } catch (error) {
    // Leave nothing running on the drill's ports when one instance did not come up.
    await system.stop();
    throw error;
  }
  return system;
}

export async function runTopologyDrills(options: TopologyOptions, onResult?: (result: TopologyResult) => void): Promise<TopologyResult[]> {
  const results: TopologyResult[] = [];
  const unknown = (options.only ?? []).filter((n) => !TOPOLOGY_DRILLS.some((d) => d.name === n));
  if (unknown.length > 0 && unknown.length === (options.only ?? []).length) return results;
  for (const setup of TOPOLOGY_DRILLS.filter((d) => !options.only || options.only.includes(d.name))) {
    const started = Date.now();
    const logger = options.logger.child({ drill: setup.name });
    const dir = join(REPO_ROOT, '.data', 'drill-redis', setup.name);
    const logsDir = join(REPO_ROOT, '.data', 'logs', `drill-${setup.name}`);
    rmSync(dir, { recursive: true, force: true });
    const env: Record<string, string> = { ...BASE_ENV, ...isolatedStores() };
    const view = storesOf({ ...env });
    let system: System | undefined;
    const facts: string[] = [];
    const problems: string[] = [];
    const exits = { count: 0 };
    let singleRate = 0;
    try {
      Object.assign(env, await setup.redis(join(dir, 'redis')));
      logger.info({ scale: setup.scale, redis: env['REDIS_SENTINELS'] ?? env['REDIS_CLUSTER_NODES'] ?? 'local' }, `drill ${setup.name}: ${setup.description}`);
      if (setup.name === 'scale-out') {
        // The same load without a fault on one process of each (its own names), then below on
        // the scaled set: throughput measured in the same run.
        const singleEnv = { ...env, ...isolatedStores() };
        const singleView = storesOf(singleEnv);
        const single = await startSystem(singleEnv, `${logsDir}-single`, logger, exits);
        try {
          singleRate = throughput(await load({ system: single, env: singleEnv, options, logger, logsDir }, gatewaysOf(single), 1, undefined, THROUGHPUT_RATE(options)));
        } finally {
          await single.stop();
          await singleView.drop();
          await singleView.close();
        }
      }
      system = await startSystem(env, logsDir, logger, exits, setup.scale);
      const running = system;
      const ctx: RunContext = { system: running, dir, env, options, logger, logsDir };
      const outcomes: Outcome[] = [];
      if (setup.name === 'scale-out') {
        const scaled = await load(ctx, gatewaysOf(running), 1, undefined, THROUGHPUT_RATE(options));
        outcomes.push(...scaled);
        facts.push(`throughput, same load (${THROUGHPUT_RATE(options)}/s for ${options.loadMs / 1000} s, no duplicates, no fault): one of each ${singleRate.toFixed(1)} records/s; 2 gateways + 3 workflow + 2 events ${throughput(scaled).toFixed(1)} records/s`);
      }
      const faulted = { facts: [] as string[], problems: [] as string[] };
      outcomes.push(...await load(ctx, gatewaysOf(running), options.sends, async () => {
        const result = await setup.fault?.(ctx);
        if (result) {
          faulted.facts.push(...result.facts);
          faulted.problems.push(...result.problems);
        }
      }));
      facts.push(...faulted.facts);
      problems.push(...faulted.problems);
      let invariants = await checkInvariants(view, env, outcomes);
      const deadline = Date.now() + options.settleMs;
      while (invariants.stale + invariants.unconfirmed + invariants.stuck > 0 && Date.now() < deadline) {
        await sleep(2_000);
        invariants = await checkInvariants(view, env, outcomes);
      }
      const more = await setup.after?.(ctx, outcomes);
      facts.push(...(more?.facts ?? []));
      problems.push(...(more?.problems ?? []));
      if (exits.count > 0) problems.push(`${exits.count} service exits unasked (a service must ride out the fault)`);
      const result: TopologyResult = {
        name: setup.name,
        description: setup.description,
        ...tally(outcomes),
        exits: exits.count,
        invariants,
        cumulative: invariants,
        failed: [...problems, ...failures(invariants)],
        ms: Date.now() - started,
        facts,
      };
      logger.info({ failed: result.failed, facts }, result.failed.length ? 'drill FAILED' : 'drill passed');
      results.push(result);
      onResult?.(result);
    } finally {
      await system?.stop();
      if (!options.keep) await view.drop();
      await view.close();
      await topology('down', join(dir, 'redis')).catch(() => undefined);
    }
  }
  return results;
}

