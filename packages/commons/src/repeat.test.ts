import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { repeatEvery } from './repeat.js';

test('work repeats after each round, a failed round is reported and does not stop it, stop ends it', async () => {
  let rounds = 0;
  const errors: string[] = [];
  const repeating = repeatEvery(
    5,
    () => {
      rounds++;
      return rounds === 2 ? Promise.reject(new Error('round 2 failed')) : Promise.resolve();
    },
    (error) => errors.push(error.message),
  );
  while (rounds < 4) await sleep(5);
  repeating.stop();
  const stoppedAt = rounds;
  await sleep(30);
  assert.deepEqual(errors, ['round 2 failed']);
  assert.ok(rounds <= stoppedAt + 1, 'no round starts after stop');
});
