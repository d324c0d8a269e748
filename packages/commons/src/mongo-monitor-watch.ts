/**
 * A watch on the MongoDB driver's server monitor. The driver learns whether a server is up from
 * its monitor's heartbeats, and selects no server it has not seen answer: a monitor stuck on one
 * heartbeat leaves the client without a server for ever, every operation failing server
 * selection, while MongoDB answers everyone else. That happened to the gateway after a FerretDB
 * restart (the driver's hang is patched: patches/mongodb+7.9.0.patch); the watch makes any such
 * hang, that one or a next one, say what it is instead of looking like MongoDB being down.
 *
 * A heartbeat ends by itself within the driver's own limits: its connect and socket timeouts
 * (5 s here) plus, when the server streams its state, the await time (10 s). One pending past
 * `limitMs` is stuck: the watch logs it once, and the service's MongoDB health check reports it
 * (so `/ready` answers 503 and the operator reads the remedy: restart the service).
 */
import type { MongoClient } from 'mongodb';
import type { Logger } from './logger.js';

export const HEARTBEAT_STUCK_MS = 60_000;

export interface StuckHeartbeat {
  /** The server's address, as the driver names it ("127.0.0.1:27017"). */
  address: string;
  pendingMs: number;
}

/** The heartbeats pending longer than `limitMs` at `nowMs`, given when each started. */
export function stuckHeartbeats(startedAt: ReadonlyMap<string, number>, nowMs: number, limitMs: number): StuckHeartbeat[] {
  const stuck: StuckHeartbeat[] = [];
  for (const [address, started] of startedAt) {
    const pendingMs = nowMs - started;
    if (pendingMs > limitMs) stuck.push({ address, pendingMs });
  }
  return stuck;
}

/** What a health check reports for stuck heartbeats: what is wrong and what to do. */
export function stuckMessage(stuck: readonly StuckHeartbeat[]): string {
  const which = stuck.map((s) => `${s.address} for ${Math.round(s.pendingMs / 1000)} s`).join(', ');
  return `the MongoDB client's monitor has waited on one heartbeat (${which}): this process will not reach MongoDB again, whether or not MongoDB answers; restart the service`;
}

export interface MongoMonitorWatch {
  stuck(): StuckHeartbeat[];
  close(): void;
}

export function watchMongoMonitor(
  client: MongoClient,
  logger: Logger,
  options: { limitMs?: number; checkEveryMs?: number; now?: () => number } = {},
): MongoMonitorWatch {
  const limitMs = options.limitMs ?? HEARTBEAT_STUCK_MS;
  const now = options.now ?? Date.now;
  const startedAt = new Map<string, number>();
  const reported = new Set<string>();
  const ended = (event: { connectionId: string }) => {
    startedAt.delete(event.connectionId);
    if (reported.delete(event.connectionId)) logger.info({ address: event.connectionId }, 'the MongoDB monitor heartbeat ended after all');
  };
  client.on('serverHeartbeatStarted', (event) => startedAt.set(event.connectionId, now()));
  client.on('serverHeartbeatSucceeded', ended);
  client.on('serverHeartbeatFailed', ended);
  // A server left the topology (a replica set member removed) or the client closed: its monitor
  // stopped, and a heartbeat it had out will not end.
  client.on('serverClosed', (event) => ended({ connectionId: event.address }));
  client.on('topologyClosed', () => startedAt.clear());
  const stuck = () => stuckHeartbeats(startedAt, now(), limitMs);
  // Logged once per stuck heartbeat, whether or not anything calls the health check.
  const timer = setInterval(() => {
    const fresh = stuck().filter((s) => !reported.has(s.address));
    if (fresh.length === 0) return;
    for (const s of fresh) reported.add(s.address);
    logger.error({ stuck: fresh }, stuckMessage(fresh));
  }, options.checkEveryMs ?? 15_000);
  timer.unref();
  return { stuck, close: () => clearInterval(timer) };
}
