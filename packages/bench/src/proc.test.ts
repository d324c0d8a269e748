import assert from 'node:assert/strict';
import { test } from 'node:test';
import { busyPerSecond, processAgeS, startTicksOf, voluntarySwitchesOf, wakeups } from './proc.js';

test('busyPerSecond sums the processes\' CPU over the window, per second, skipping a process gone or new', () => {
  const before = { redis: 1_000, mongo: 5_000, gone: 100 };
  const after = { redis: 1_050, mongo: 5_150, gone: Number.NaN, fresh: 40 };
  assert.equal(busyPerSecond(before, after, 2_000), 100);
  assert.equal(busyPerSecond(before, before, 1_000), 0);
});

test('voluntary context switches are read from a task status, NaN when it has none', () => {
  const status = 'Name:\tnode\nState:\tS (sleeping)\nvoluntary_ctxt_switches:\t10432\nnonvoluntary_ctxt_switches:\t87\n';
  assert.equal(voluntarySwitchesOf(status), 10432);
  assert.ok(Number.isNaN(voluntarySwitchesOf('Name:\tnode\n')));
});

test('a process that sleeps to wait adds wake-ups; one that is gone reads NaN', async () => {
  const before = await wakeups(process.pid);
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok((await wakeups(process.pid)) >= before + 5);
  assert.ok(Number.isNaN(await wakeups(2 ** 22 + 1)));
});

test("a process's start is read from its stat line, a command name with spaces and parentheses included; its age is positive, NaN once gone", async () => {
  const line = '4242 (java (es) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 70 0 123456 3212048 211220 18446744073709551615';
  assert.equal(startTicksOf(line), 123456);
  const age = await processAgeS(process.pid);
  assert.ok(age >= 0 && age < 3_600, `this test's own process started ${age} s ago`);
  assert.ok(Number.isNaN(await processAgeS(2 ** 22 + 1)));
});
