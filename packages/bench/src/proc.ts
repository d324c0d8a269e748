/**
 * CPU time of processes, from /proc/<pid>/stat (utime + stime, in clock ticks; Linux only), how
 * long ago they started, how often their threads slept waiting (/proc/<pid>/task/<tid>/status),
 * and the pids of the local stores, found by the port they listen on (`ss`).
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

let ticksPerSecond: number | undefined;

async function clockTicks(): Promise<number> {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number((await run('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * Field <n> (1-based, as proc(5) numbers them) of a /proc/<pid>/stat line. The command name
 * (field 2) may hold spaces and parentheses, so fields are counted after the last ')'.
 */
function statField(statLine: string, n: number): number {
  return Number(statLine.slice(statLine.lastIndexOf(')') + 2).split(' ')[n - 3]);
}

/** Fields 14 and 15 of a stat line: utime and stime, in clock ticks. */
export function cpuTicksOf(statLine: string): number {
  return statField(statLine, 14) + statField(statLine, 15);
}

/** CPU milliseconds a process (and the children it waited for: cutime, cstime) has used; NaN if it is gone. */
export async function cpuMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const ticks = cpuTicksOf(stat) + statField(stat, 16) + statField(stat, 17);
    return (ticks * 1000) / (await clockTicks());
  } catch {
    return Number.NaN;
  }
}

/** Field 22 of a stat line: when the process started, in clock ticks after the machine booted. */
export function startTicksOf(statLine: string): number {
  return statField(statLine, 22);
}

/** Seconds since a process started (/proc/uptime against its stat); NaN if it is gone. */
export async function processAgeS(pid: number): Promise<number> {
  try {
    const [stat, uptime] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile('/proc/uptime', 'utf8')]);
    return Number(uptime.split(' ')[0]) - startTicksOf(stat) / (await clockTicks());
  } catch {
    return Number.NaN;
  }
}

/** The pid listening on 127.0.0.1:<port>, if `ss` can tell. */
export async function pidListeningOn(port: number): Promise<number | undefined> {
  try {
    const { stdout } = await run('ss', ['-ltnpH', `sport = :${port}`]);
    const match = /pid=(\d+)/.exec(stdout);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export async function cpuSnapshot(pids: Record<string, number | undefined>): Promise<Record<string, number>> {
  const entries = await Promise.all(
    Object.entries(pids).map(async ([name, pid]) => [name, pid === undefined ? Number.NaN : await cpuMs(pid)] as const),
  );
  return Object.fromEntries(entries);
}

/** `voluntary_ctxt_switches` of a /proc/<pid>/task/<tid>/status text; NaN when it has none. */
export function voluntarySwitchesOf(status: string): number {
  const match = /^voluntary_ctxt_switches:\s*(\d+)\s*$/m.exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * How many times a process's threads went to sleep to wait (voluntary context switches, summed
 * over its threads): about as many times as it was woken again, for a request, a reply, a timer.
 * On the 2-core VMs a wake-up costs more than the work of a small request
 * (docs/benchmark-history.md, fourteenth pass). NaN if the process is gone; a thread that ended
 * meanwhile takes its count.
 */
export async function wakeups(pid: number): Promise<number> {
  try {
    const tids = await readdir(`/proc/${pid}/task`);
    const counts = await Promise.all(
      tids.map(async (tid) => {
        try {
          return voluntarySwitchesOf(await readFile(`/proc/${pid}/task/${tid}/status`, 'utf8')) || 0;
        } catch {
          return 0; // the thread ended between the listing and the read
        }
      }),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  } catch {
    return Number.NaN;
  }
}

export async function wakeupSnapshot(pids: Record<string, number | undefined>): Promise<Record<string, number>> {
  const entries = await Promise.all(
    Object.entries(pids).map(async ([name, pid]) => [name, pid === undefined ? Number.NaN : await wakeups(pid)] as const),
  );
  return Object.fromEntries(entries);
}

/** CPU ms the processes used together per second of wall time, between two snapshots. */
export function busyPerSecond(before: Record<string, number>, after: Record<string, number>, elapsedMs: number): number {
  let used = 0;
  for (const [name, ms] of Object.entries(after)) {
    const was = before[name];
    if (was !== undefined && Number.isFinite(ms) && Number.isFinite(was)) used += ms - was;
  }
  return (used / elapsedMs) * 1000;
}

/**
 * Waits until the processes, together, use less than `idleMsPerS` CPU ms per second over a
 * one-second window (the stores' merges, flushes and the previous step's backlog done), at most
 * `timeoutMs`. Answers the last window's figure, so a caller can say it measured on a busy system.
 */
export async function waitUntilQuiet(pids: Record<string, number | undefined>, idleMsPerS: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let busy = Number.POSITIVE_INFINITY;
  while (Date.now() < deadline) {
    const before = await cpuSnapshot(pids);
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    busy = busyPerSecond(before, await cpuSnapshot(pids), performance.now() - started);
    if (busy < idleMsPerS) return busy;
  }
  return busy;
}
