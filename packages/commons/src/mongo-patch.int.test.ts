/**
 * The MongoDB driver as patched by patches/mongodb+7.9.0.patch (applied at `npm ci` by
 * patch-package): a command whose write the socket could not take at once waited for the socket's
 * 'drain' or 'error', and nothing else. A socket that closed without an error (destroyed by the
 * connection's own timeout, or by the server's close just before the write) emits neither, so the
 * command hung for ever. The server monitor's heartbeat is such a command: after a FerretDB restart
 * (`npm run drill`, 2026-12-07) the gateway's monitor hung on it, never checked again, and the
 * gateway never reached MongoDB until it was restarted.
 *
 * Against the real FerretDB, through a TCP proxy of the test's own that can close or freeze the
 * connections as a restarting or hung server would.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { MongoClient, MongoNetworkError } from 'mongodb';
import { readEnv, storeConfigFrom, storeEnvSchema } from './config.js';

const config = storeConfigFrom(readEnv(storeEnvSchema));
const upstream = new URL(config.mongo.url);

/** A TCP proxy to FerretDB whose client-side connections the test can close or stop reading. */
class Proxy {
  readonly clients = new Set<Socket>();
  private readonly server: Server;
  constructor() {
    this.server = createServer((client) => {
      const server = connect(Number(upstream.port || 27017), upstream.hostname);
      this.clients.add(client);
      client.pipe(server).pipe(client);
      const drop = () => {
        this.clients.delete(client);
        client.destroy();
        server.destroy();
      };
      client.on('error', drop).on('close', drop);
      server.on('error', drop).on('close', drop);
    });
  }
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }
  /** Every connection closed by the "server" (a FIN, as a stopping FerretDB sends). */
  closeAll(): void {
    for (const client of this.clients) client.end();
  }
  /** Nothing more read from the clients: a hung server, its buffers full. */
  freeze(): void {
    for (const client of this.clients) client.unpipe().pause();
  }
  async close(): Promise<void> {
    for (const client of this.clients) client.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Settles within `ms`, or says it hung (the unpatched driver's failure). */
async function within<T>(ms: number, promise: Promise<T>): Promise<{ value?: T; error?: unknown; hung?: true }> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<{ hung: true }>((resolve) => (timer = setTimeout(() => resolve({ hung: true }), ms)));
  try {
    return await Promise.race([promise.then((value) => ({ value }), (error: unknown) => ({ error })), hung]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(result: { value?: unknown; error?: unknown }): string {
  return result.error instanceof Error ? `${result.error.name}: ${result.error.message}` : `the result ${JSON.stringify(result.value)}`;
}

// The driver's own connection (what its pool and its monitor use), made as its pool makes one.
type DriverConnection = {
  socket: Socket;
  closed: boolean;
  command(ns: unknown, command: object, options?: object): Promise<Record<string, unknown>>;
  destroy(): void;
};
const require = createRequire(import.meta.url);
const driver = {
  connect: (require('mongodb/lib/cmap/connect.js') as { connect: (options: object) => Promise<DriverConnection> }).connect,
  ns: (require('mongodb/lib/utils.js') as { ns: (name: string) => unknown }).ns,
};

const proxy = new Proxy();
let proxyUrl = '';
before(async () => {
  const port = await proxy.listen();
  const url = new URL(config.mongo.url);
  url.port = String(port);
  proxyUrl = url.toString();
});
after(() => proxy.close());

test("a command written just as the server closed the connection fails at once instead of hanging (the monitor's hang after a restart)", async () => {
  const client = new MongoClient(proxyUrl, { serverSelectionTimeoutMS: 5_000 });
  await client.connect();
  try {
    // The options a pool of this client makes its connections with.
    const options = (client as unknown as { options: { hosts: unknown[] } }).options;
    const connection = await driver.connect({ ...options, hostAddress: options.hosts[0], id: 1, generation: 0 });
    try {
      assert.equal((await connection.command(driver.ns('admin.$cmd'), { ping: 1 }, {}))['ok'], 1);
      // The server's FIN: Node ends the socket and destroys it, and emits 'close' on a later turn
      // of the event loop. A command in between (here, right after the socket finished) is what
      // the heartbeat met.
      const inWindow = new Promise<{ destroyed: boolean; closed: boolean; outcome: ReturnType<typeof within> }>((resolve) => {
        connection.socket.once('finish', () =>
          setImmediate(() =>
            resolve({
              destroyed: connection.socket.destroyed,
              closed: connection.closed,
              outcome: within(3_000, connection.command(driver.ns('admin.$cmd'), { ping: 1 }, {})),
            }),
          ),
        );
      });
      proxy.closeAll();
      const { destroyed, closed, outcome } = await inWindow;
      assert.equal(destroyed, true, 'the command was written to a destroyed socket');
      assert.equal(closed, false, 'before the connection saw the close (else the test proves nothing)');
      const result = await outcome;
      assert.ok(!result.hung, 'the command hung (the unpatched driver)');
      assert.ok(result.error instanceof MongoNetworkError, `a network error, not ${describe(result)}`);
      assert.match(result.error.message, /closed/);
    } finally {
      connection.destroy();
    }
    // And the client, whose own connections the proxy closed too, reaches the server again (its
    // first commands may fail on the connections it still held: the services retry them).
    const deadline = Date.now() + 15_000;
    let reached = false;
    while (!reached && Date.now() < deadline) {
      reached = await client.db('admin').command({ ping: 1 }).then(() => true, () => false);
      if (!reached) await sleep(250);
    }
    assert.ok(reached, 'the client reached the server again within 15 s');
  } finally {
    await client.close();
  }
});

test('a write waiting for a hung server to take its bytes ends with the socket timeout instead of hanging', async () => {
  const client = new MongoClient(proxyUrl, { serverSelectionTimeoutMS: 5_000, socketTimeoutMS: 1_000, retryWrites: false });
  const db = client.db(`steadfast_patch_${randomUUID().slice(0, 8)}`);
  try {
    await db.command({ ping: 1 });
    proxy.freeze();
    // More than the kernel's buffers on both sides of the proxy take: the write must wait for
    // room, and the server never makes any.
    const big = { _id: 'big', blob: 'x'.repeat(15 * 1024 * 1024) };
    const result = await within(10_000, db.collection<{ _id: string; blob: string }>('big').insertOne(big));
    assert.ok(!result.hung, 'the insert hung past its 1 s socket timeout (the unpatched driver)');
    assert.ok(result.error instanceof MongoNetworkError, `a network error, not ${describe(result)}`);
    assert.match(result.error.message, /timed out/);
  } finally {
    proxy.closeAll();
    await client.close(true);
  }
});
