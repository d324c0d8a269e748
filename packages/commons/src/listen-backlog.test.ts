/**
 * The services' accept queue: while a service is too busy to accept (its event loop held by a
 * burst), the kernel completes up to LISTEN_BACKLOG connections for it instead of dropping the
 * SYNs past Node's 511, which clients only send again 1, 3, 7… s later. A real server in a child
 * process whose event loop is held for 4 s, and 1,500 connections opened meanwhile.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

const CONNECTIONS = 1_500;
/** The kernel's cap on any backlog: below Node's 511 there is nothing to show. */
const SOMAXCONN = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
const EXPECTED = Math.min(CONNECTIONS, SOMAXCONN);

const child = `
import { createServiceServer, createLogger } from ${JSON.stringify(new URL('./index.js', import.meta.url).href)};
const server = await createServiceServer({ name: 'backlog', host: '127.0.0.1', port: 0, logger: createLogger('backlog', { level: 'silent' }) });
await server.start();
console.log(server.info.port);
process.stdin.once('data', () => {
  const until = Date.now() + 4000;
  while (Date.now() < until);
  console.log('free');
});
`;

const skip = SOMAXCONN <= 600 ? `net.core.somaxconn is ${SOMAXCONN}: the kernel caps every backlog near Node's 511` : false;

test(`a busy service's kernel queues ${CONNECTIONS} connections at once (listen backlog 4096, not 511)`, { timeout: 30_000, skip }, async () => {
  const server = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: ['pipe', 'pipe', 'inherit'] });
  const sockets: Socket[] = [];
  try {
    const [first] = (await once(server.stdout, 'data')) as [Buffer];
    const port = Number(first.toString().trim());
    assert.ok(port > 0, 'the service listens');
    server.stdin.write('block\n');
    await sleep(300);
    let connected = 0;
    for (let i = 0; i < CONNECTIONS; i++) {
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('connect', () => connected++);
      socket.on('error', () => undefined);
      sockets.push(socket);
    }
    // The service accepts nothing for another ~3.5 s: what connects now, the kernel queued.
    await sleep(2_000);
    assert.ok(connected >= EXPECTED - 10, `${connected} of ${CONNECTIONS} connections completed while the service was busy (somaxconn ${SOMAXCONN})`);
  } finally {
    for (const socket of sockets) socket.destroy();
    server.kill('SIGKILL');
  }
});
