/**
 * The system under test: every Steadfast service as a child process (the launcher's `System`),
 * on the bench's own ports and storage names, each service talking to Redis through its own
 * counting proxy so the Redis cost can be split by process.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SERVICES, System } from '@steadfast/launcher';
import { CountingProxy, type ProxyCounts } from './redis-proxy.js';

export type BenchNames = {
  MONGO_DB: string;
  ES_INDEX: string;
  MINIO_BUCKET: string;
  MINIO_STAGING_BUCKET: string;
  RECORD_QUEUE_NAME: string;
  EVENT_QUEUE_PREFIX: string;
};

/** Storage names of one bench run, so the shared local stores are never touched outside them. */
export function benchNames(id = randomBytes(4).toString('hex')): BenchNames {
  return {
    MONGO_DB: `bench_${id}`,
    ES_INDEX: `bench-records-${id}`,
    MINIO_BUCKET: `bench-attachments-${id}`,
    MINIO_STAGING_BUCKET: `bench-staging-${id}`,
    RECORD_QUEUE_NAME: `bench-record-${id}`,
    EVENT_QUEUE_PREFIX: `bench-events-${id}`,
  };
}

/** BullMQ's Lua scripts by the SHA-1 ioredis sends in EVALSHA, to name them in the breakdown. */
export function bullmqScriptNames(): Map<string, string> {
  // The ESM build's index imports without file extensions, which Node refuses; the CJS one loads.
  const scripts = createRequire(import.meta.url)('bullmq/dist/cjs/scripts/index.js') as Record<string, { name?: string; content?: string }>;
  const names = new Map<string, string>();
  for (const script of Object.values(scripts)) {
    if (script.name && script.content) names.set(createHash('sha1').update(script.content).digest('hex'), script.name);
  }
  return names;
}

export interface SteadfastOptions {
  portBase: number;
  redis: { host: string; port: number };
  names: BenchNames;
  logsDir: string;
  env?: Record<string, string>;
}

export class Steadfast {
  readonly gatewayUrl: string;
  readonly proxies = new Map<string, CountingProxy>();
  readonly pids = new Map<string, number>();
  /** Each service's launcher, one for each way it reaches Redis (through its proxy, or not). */
  private readonly systems = new Map<string, { counted: System; direct: System }>();
  private counting = false;

  constructor(private readonly options: SteadfastOptions) {
    this.gatewayUrl = `http://127.0.0.1:${options.portBase}`;
  }

  /** The `/metrics` of the services that batch their store writes (ports as `start` gives them). */
  get metricsUrls(): Record<'gateway' | 'workflow' | 'events', string> {
    const base = this.options.portBase;
    return {
      gateway: `http://127.0.0.1:${base + 4}/metrics`,
      workflow: `http://127.0.0.1:${base + 2}/metrics`,
      events: `http://127.0.0.1:${base + 6}/metrics`,
    };
  }

  /**
   * Starts the proxies, then the services in the launcher's order, reaching Redis directly
   * unless `countRedis`: a proxy relays every byte through the bench's own process (about a
   * quarter of its CPU in a profile), which shares the two cores with what it measures, so the
   * proxies are in the path only for the steps that report Redis round trips.
   */
  async start(scriptNames: ReadonlyMap<string, string>, options: { countRedis?: boolean } = {}): Promise<void> {
    const base = this.options.portBase;
    const ports = {
      GATEWAY_PORT: String(base),
      AUTH_PORT: String(base + 1),
      WORKFLOW_PORT: String(base + 2),
      COUNTRY_CONFIG_PORT: String(base + 3),
      GATEWAY_METRICS_PORT: String(base + 4),
      EVENTS_PORT: String(base + 6),
    };
    for (const [i, spec] of SERVICES.entries()) {
      const proxy = new CountingProxy(this.options.redis, scriptNames);
      const port = await proxy.listen(base + 10 + i);
      this.proxies.set(spec.name, proxy);
      const system = (redisPort: number) =>
        new System({
          env: {
            ...ports,
            // Production is the services' default; the bench runs them as a test system, with the
            // demo users it logs in as and the development credentials.
            NODE_ENV: 'test',
            AUTH_SEED_DEMO_USERS: 'true',
            LOG_LEVEL: 'info',
            // The bench logs in as one user and measures the pipeline, not the gateway's
            // per-user limiter or its queue-depth refusal: all three are set out of its reach.
            GATEWAY_SUBMISSIONS_PER_WINDOW: '10000000',
            GATEWAY_STATUS_READS_PER_WINDOW: '10000000',
            GATEWAY_MAX_QUEUE_DEPTH: '10000000',
            ...this.options.names,
            ...this.options.env,
            REDIS_HOST: '127.0.0.1',
            REDIS_PORT: String(redisPort),
          },
          logs: { dir: join(this.options.logsDir) },
          onUnexpectedExit: (service, code, signal) => {
            console.error(`bench: ${service} exited unexpectedly (code ${code}, signal ${signal})`);
          },
        });
      this.systems.set(spec.name, { counted: system(port), direct: system(this.options.redis.port) });
    }
    this.counting = options.countRedis ?? false;
    for (const spec of SERVICES) await this.startService(spec.name);
  }

  /**
   * Restarts every service reaching Redis through its proxy (`countRedis`) or not; nothing is
   * lost (the queue and the stores keep their state; the bench drains before switching).
   */
  async restart(options: { countRedis: boolean }): Promise<void> {
    await this.stopServices();
    this.counting = options.countRedis;
    for (const spec of SERVICES) await this.startService(spec.name);
  }

  /** Every service, in the launcher's order reversed. */
  private async stopServices(): Promise<void> {
    for (const spec of [...SERVICES].reverse()) await this.stopService(spec.name);
  }

  private system(name: string): System {
    const systems = this.systems.get(name);
    if (!systems) throw new Error(`unknown service ${name}`);
    return this.counting ? systems.counted : systems.direct;
  }

  async startService(name: string): Promise<void> {
    const running = await this.system(name).startService(name);
    if (running.child.pid !== undefined) this.pids.set(name, running.child.pid);
  }

  async stopService(name: string): Promise<void> {
    if (!this.systems.has(name)) return;
    await this.system(name).stopService(name);
    this.pids.delete(name);
  }

  redisCounts(): Record<string, ProxyCounts> {
    return Object.fromEntries([...this.proxies].map(([name, proxy]) => [name, proxy.snapshot()]));
  }

  async stop(): Promise<void> {
    await this.stopServices();
    for (const proxy of this.proxies.values()) await proxy.close();
  }
}
