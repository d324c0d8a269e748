import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { StatusWaiters, type WakeReason } from './waiters.js';

// The waiters' timers are unref'd (see the last test): keep this process alive while they run.
const keepAlive = setInterval(() => undefined, 1_000);
after(() => clearInterval(keepAlive));

const settledWithin = async (done: Promise<WakeReason>, ms: number): Promise<WakeReason | 'pending'> =>
  Promise.race([done, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);

test('a wait ends at its timeout, and is forgotten', async () => {
  const waiters = new StatusWaiters(10);
  const started = Date.now();
  const waiter = waiters.register('d1', 50)!;
  assert.equal(waiters.size, 1);
  assert.equal(await waiter.done, 'timeout');
  assert.ok(Date.now() - started >= 45);
  assert.equal(waiters.size, 0);
  assert.equal(waiters.wake('d1'), 0, 'nothing left to wake');
});

test('wake ends every wait on that draft and only those', async () => {
  const waiters = new StatusWaiters(10);
  const a1 = waiters.register('a', 10_000)!;
  const a2 = waiters.register('a', 10_000)!;
  const b = waiters.register('b', 10_000)!;
  assert.equal(waiters.wake('a'), 2);
  assert.equal(await a1.done, 'woken');
  assert.equal(await a2.done, 'woken');
  assert.equal(await settledWithin(b.done, 20), 'pending');
  assert.equal(waiters.size, 1);
  b.release();
  assert.equal(await b.done, 'released');
  assert.equal(waiters.size, 0);
});

test('release ends one wait; a second release or a late wake changes nothing', async () => {
  const waiters = new StatusWaiters(10);
  const waiter = waiters.register('d', 10_000)!;
  waiter.release();
  waiter.release();
  assert.equal(waiters.wake('d'), 0);
  assert.equal(await waiter.done, 'released');
  assert.equal(waiters.size, 0);
});

test('past the bound a wait is refused (answer at once); a freed place can be taken again', () => {
  const waiters = new StatusWaiters(2);
  const first = waiters.register('a', 10_000)!;
  assert.ok(waiters.register('b', 10_000));
  assert.equal(waiters.register('c', 10_000), undefined);
  assert.equal(waiters.size, 2);
  first.release();
  assert.ok(waiters.register('c', 10_000));
  waiters.close();
});

test('an aborted signal ends the wait; an already aborted one never registers', async () => {
  const waiters = new StatusWaiters(10);
  const client = new AbortController();
  const waiter = waiters.register('d', 10_000, client.signal)!;
  client.abort();
  assert.equal(await waiter.done, 'aborted');
  assert.equal(waiters.size, 0);
  const late = waiters.register('d', 10_000, client.signal)!;
  assert.equal(await late.done, 'aborted');
  assert.equal(waiters.size, 0);
});

test('close releases every wait and refuses new ones', async () => {
  const waiters = new StatusWaiters(10);
  const held = [waiters.register('a', 10_000)!, waiters.register('a', 10_000)!, waiters.register('b', 10_000)!];
  waiters.close();
  assert.deepEqual(await Promise.all(held.map((w) => w.done)), ['released', 'released', 'released']);
  assert.equal(waiters.size, 0);
  assert.equal(waiters.closed, true);
  assert.equal(waiters.register('c', 10_000), undefined);
});

test('a waiting request does not keep the process alive (its timer is unref’d)', async () => {
  const module = new URL('./waiters.js', import.meta.url).href;
  const script = `import { StatusWaiters } from ${JSON.stringify(module)};
    const w = new StatusWaiters(1); w.register('d', 60_000); console.log('registered', w.size);`;
  const started = Date.now();
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
  assert.equal(stdout.trim(), 'registered 1');
  assert.ok(Date.now() - started < 15_000, 'exited without waiting for the 60 s timer');
});

test('a wake by a completed job hands its result to every wait on the draft; other endings carry none', async () => {
  const waiters = new StatusWaiters(10);
  const a1 = waiters.register('a', 10_000)!;
  const a2 = waiters.register('a', 10_000)!;
  const b = waiters.register('b', 10_000)!;
  waiters.wake('a', { outcome: 'processed', recordId: 'r-a' });
  assert.equal(await a1.done, 'woken');
  assert.deepEqual(a1.result(), { outcome: 'processed', recordId: 'r-a' });
  assert.deepEqual(a2.result(), { outcome: 'processed', recordId: 'r-a' });
  waiters.wake('b');
  assert.equal(await b.done, 'woken');
  assert.equal(b.result(), undefined);
  const c = waiters.register('c', 10_000)!;
  c.release();
  waiters.wake('c', { outcome: 'processed', recordId: 'r-c' });
  assert.equal(c.result(), undefined, 'released before the wake');
});
