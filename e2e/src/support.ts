/**
 * What the e2e tests share: the repository's own commands, and the whole system started on
 * ports of its own (so a developer's `npm start` does not collide with a test run).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { System } from '@steadfast/launcher';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const run = promisify(execFile);

/** `npm run infra -- <args>`, exactly as an operator types it. */
/** The pid of a store `npm run infra` started: the leader of the store's own process group. */
export function storePid(store: 'redis' | 'mongo' | 'minio' | 'elasticsearch'): number {
  return Number(readFileSync(join(process.env['STEADFAST_DATA'] ?? join(REPO_ROOT, '.data'), 'run', `${store}.pid`), 'utf8').trim());
}

export async function infra(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run('npm', ['run', '--silent', 'infra', '--', ...args], {
      cwd: REPO_ROOT,
      timeout: 180_000,
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '' };
  }
}

/** The system under test listens on E2E_PORT_BASE (default 27070) and the next five ports. */
const base = Number(process.env['E2E_PORT_BASE'] ?? 27070);
export const E2E_PORTS = {
  GATEWAY_PORT: String(base),
  AUTH_PORT: String(base + 1),
  WORKFLOW_PORT: String(base + 2),
  COUNTRY_CONFIG_PORT: String(base + 3),
  GATEWAY_METRICS_PORT: String(base + 4),
  EVENTS_PORT: String(base + 5),
};

/**
 * What every system under test runs with: test mode (production is the services' default and
 * would refuse to start without production secrets), the demo users of CONTRACT.md, and service
 * credentials of its own, random per test process (tests that act as a service read them here).
 * Kept out of `isolatedStores()`, whose names are logged.
 */
export const TEST_SYSTEM_ENV = {
  NODE_ENV: 'test',
  AUTH_SEED_DEMO_USERS: 'true',
  AUTH_INTERNAL_SECRET: randomBytes(32).toString('base64url'),
  COUNTRY_CONFIG_SECRET: randomBytes(32).toString('base64url'),
  JOB_SEAL_SECRET: randomBytes(32).toString('base64url'),
} as const;

export function startSystem(env: Record<string, string> = {}): System {
  return new System({
    env: { ...E2E_PORTS, ...TEST_SYSTEM_ENV, LOG_LEVEL: 'info', ...env },
    logs: { dir: join(REPO_ROOT, '.data', 'logs', 'e2e') },
    onUnexpectedExit: (service, code, signal) => {
      throw new Error(`${service} exited unexpectedly (code ${code}, signal ${signal})`);
    },
  });
}

/** Polls `probe` until it returns true; returns the milliseconds it took. */
export async function eventually(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<number> {
  const started = Date.now();
  let lastError: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      if (await probe()) return Date.now() - started;
    } catch (error) {
      lastError = error;
    }
    await sleep(200);
  }
  throw new Error(`${what}: not true within ${timeoutMs} ms (${lastError instanceof Error ? lastError.message : 'still false'})`);
}
