/**
 * A counting TCP proxy in front of Redis. Redis counts commands (INFO commandstats, which also
 * counts the commands a Lua script runs) but not round trips, so each service connects through
 * its own proxy, which counts:
 * - round trips: client→server request bursts, i.e. data arriving from the client when every
 *   earlier request on that connection has been answered (a pipelined batch is one burst; a
 *   client that writes again before its answer came is still inside the same round trip);
 * - commands as sent by the client (an EVALSHA is one), by name.
 * A burst ends when the server has sent data after it; replies are not parsed, so a request
 * that is answered in several TCP segments still counts once.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { RespCommandReader } from './resp.js';

export interface ProxyCounts {
  roundTrips: number;
  commands: number;
  byCommand: Record<string, number>;
  connections: number;
  bytesUp: number;
  bytesDown: number;
}

export class CountingProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private counts: ProxyCounts = emptyCounts();

  constructor(
    private readonly target: { host: string; port: number },
    /** Names EVALSHA hashes (e.g. BullMQ's scripts), so the breakdown says which script ran. */
    private readonly scriptNames: ReadonlyMap<string, string> = new Map(),
  ) {}

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const server = createServer((client) => this.pipe(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  snapshot(): ProxyCounts {
    return { ...this.counts, byCommand: { ...this.counts.byCommand } };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    const reader = new RespCommandReader();
    this.sockets.add(client).add(upstream);
    this.counts.connections++;
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let awaitingReply = false;
    client.on('data', (chunk: Buffer) => {
      if (!awaitingReply) this.counts.roundTrips++;
      awaitingReply = true;
      this.counts.bytesUp += chunk.length;
      for (const command of reader.feed(chunk)) {
        this.counts.commands++;
        const name = command.sha ? `EVALSHA ${this.scriptNames.get(command.sha) ?? command.sha.slice(0, 8)}` : command.name;
        this.counts.byCommand[name] = (this.counts.byCommand[name] ?? 0) + 1;
      }
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('data', (chunk: Buffer) => {
      awaitingReply = false;
      this.counts.bytesDown += chunk.length;
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    upstream.on('drain', () => client.resume());
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }
}

function emptyCounts(): ProxyCounts {
  return { roundTrips: 0, commands: 0, byCommand: {}, connections: 0, bytesUp: 0, bytesDown: 0 };
}

/** `after - before`, per field and per command. */
export function countsDelta(after: ProxyCounts, before: ProxyCounts): ProxyCounts {
  const byCommand: Record<string, number> = {};
  for (const [name, n] of Object.entries(after.byCommand)) {
    const d = n - (before.byCommand[name] ?? 0);
    if (d > 0) byCommand[name] = d;
  }
  return {
    roundTrips: after.roundTrips - before.roundTrips,
    commands: after.commands - before.commands,
    byCommand,
    connections: after.connections - before.connections,
    bytesUp: after.bytesUp - before.bytesUp,
    bytesDown: after.bytesDown - before.bytesDown,
  };
}
