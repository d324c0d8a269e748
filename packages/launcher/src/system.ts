/**
 * Starts every Steadfast service as a child process and supervises it. Used by `npm start` and
 * by the e2e tests and drills, which also kill and restart single services through it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { instanceEnv, instanceName, parseInstanceName, type Scale } from './scale.js';
import { backgroundNice, SERVICES, serviceUrl, serviceUrlEnv, type ServiceSpec } from './services.js';

export interface SystemOptions {
  env?: NodeJS.ProcessEnv;
  /** Where each service's output goes: the terminal, or `<dir>/<service>.log`. */
  logs?: 'inherit' | { dir: string };
  /** Called when a service exits without being asked to. */
  onUnexpectedExit?: (service: string, code: number | null, signal: NodeJS.Signals | null) => void;
  readyTimeoutMs?: number;
  /** Instances per service (default 1 each), e.g. `{ workflow: 3 }`: see scale.ts. */
  scale?: Scale;
}

/** How a stopped service ended: its exit code or the signal that ended it, and how long it took. */
export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  /** It did not stop within the timeout and was SIGKILLed. */
  forced: boolean;
}

export interface RunningService {
  spec: ServiceSpec;
  /** `workflow` for the first instance, `workflow-2` … for the others. */
  name: string;
  url: string;
  child: ChildProcess;
}

export class System {
  private readonly running = new Map<string, RunningService>();
  private readonly stopping = new Set<string>();

  constructor(private readonly options: SystemOptions = {}) {}

  get env(): NodeJS.ProcessEnv {
    const env = { ...process.env, ...this.options.env };
    return { ...env, ...serviceUrlEnv(env) };
  }

  urls(): Record<string, string> {
    return Object.fromEntries(SERVICES.map((spec) => [spec.name, serviceUrl(spec, this.env)]));
  }

  /** Instance names of every service at its scale, in start order. */
  instances(): string[] {
    return SERVICES.flatMap((spec) =>
      Array.from({ length: this.options.scale?.[spec.name] ?? 1 }, (_, i) => instanceName(spec, i + 1)),
    );
  }

  /** The URL of every instance by its name (`workflow`, `workflow-2`, …). */
  instanceUrls(): Record<string, string> {
    return Object.fromEntries(
      this.instances().map((name) => {
        const { spec, instance } = parseInstanceName(name);
        return [name, serviceUrl(spec, { ...this.env, ...instanceEnv(spec, instance, this.env) })];
      }),
    );
  }

  /** Starts every service in order, each once its predecessor answers `/health`. */
  async start(): Promise<void> {
    for (const name of this.instances()) await this.startService(name);
  }

  /** Starts one instance: `workflow` (the first) or `workflow-2` …, on its own ports. */
  async startService(name: string): Promise<RunningService> {
    const { spec, instance } = parseInstanceName(name);
    const existing = this.running.get(name);
    if (existing) return existing;
    const main = fileURLToPath(new URL('./main.js', import.meta.resolve(spec.packageName)));
    const logs = this.options.logs ?? 'inherit';
    const env = { ...this.env, ...instanceEnv(spec, instance, this.env) };
    // A log file is the child's own stdout and stderr (opened for appending): its lines go
    // straight to the file, not through this process (which relayed every byte, ~850 a record).
    let file: number | undefined;
    if (logs !== 'inherit') {
      mkdirSync(logs.dir, { recursive: true });
      file = openSync(join(logs.dir, `${name}.log`), 'a');
    }
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['--enable-source-maps', main], {
        env,
        stdio: file === undefined ? ['ignore', 'inherit', 'inherit'] : ['ignore', file, file],
      });
    } finally {
      if (file !== undefined) closeSync(file);
    }
    const nice = spec.background ? backgroundNice(this.env) : 0;
    if (nice > 0 && child.pid !== undefined) {
      try {
        setPriority(child.pid, nice);
      } catch {
        // Already gone (its exit is handled below), or the platform refuses: it runs as is.
      }
    }
    const service: RunningService = { spec, name, url: serviceUrl(spec, env), child };
    this.running.set(name, service);
    child.once('exit', (code, signal) => {
      this.running.delete(name);
      if (!this.stopping.delete(name)) this.options.onUnexpectedExit?.(name, code, signal);
    });
    await this.waitUntilHealthy(service);
    return service;
  }

  /**
   * Stops one service: SIGTERM (graceful), or any signal a drill wants, e.g. SIGKILL. A service
   * still running after `timeoutMs` is SIGKILLed (`forced`). Says how it ended, so a drill can
   * tell a graceful stop from one that had to be forced; undefined when it was not running.
   */
  async stopService(name: string, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<StopResult | undefined> {
    const service = this.running.get(name);
    if (!service) return undefined;
    this.stopping.add(name);
    const started = Date.now();
    let forced = false;
    const exited = new Promise<Pick<StopResult, 'code' | 'signal'>>((resolve) =>
      service.child.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal })),
    );
    service.child.kill(signal);
    const timer = setTimeout(() => {
      forced = true;
      service.child.kill('SIGKILL');
    }, timeoutMs);
    const how = await exited;
    clearTimeout(timer);
    return { ...how, ms: Date.now() - started, forced };
  }

  /** The process id of a running service, or undefined. */
  pidOf(name: string): number | undefined {
    return this.running.get(name)?.child.pid;
  }

  /** Sends a signal that does not end the process (SIGSTOP, SIGCONT: a drill's pause); false if not running. */
  signalService(name: string, signal: 'SIGSTOP' | 'SIGCONT'): boolean {
    const service = this.running.get(name);
    return service ? service.child.kill(signal) : false;
  }

  /** Stops every instance, the gateways first so no new work arrives while workers finish. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    for (const spec of [...SERVICES].reverse()) {
      const names = [...this.running.keys()].filter((name) => parseInstanceName(name).spec === spec);
      await Promise.all(names.map((name) => this.stopService(name, signal)));
    }
  }

  private async waitUntilHealthy(service: RunningService): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    let lastError = 'no answer yet';
    while (Date.now() < deadline) {
      if (service.child.exitCode !== null || service.child.signalCode !== null) {
        throw new Error(`${service.name} exited during start (code ${service.child.exitCode})`);
      }
      try {
        const response = await fetch(`${service.url}/health`, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) return;
        lastError = `HTTP ${response.status}`;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      await sleep(100);
    }
    throw new Error(`${service.name} did not answer ${service.url}/health: ${lastError}`);
  }
}
