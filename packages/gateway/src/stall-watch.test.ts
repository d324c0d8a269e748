import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stallStep, type HeadState } from './stall-watch.js';

const STALL = 300_000;

test('a head that stays while work waits is a stall once it has stayed stallMs, and only once', () => {
  let step = stallStep(undefined, { head: 'a', waiting: 3 }, 0, STALL);
  assert.deepEqual(step, { state: { head: 'a', since: 0, alerted: false } });
  step = stallStep(step.state, { head: 'a', waiting: 5 }, STALL - 1, STALL);
  assert.equal(step.stalled, undefined, 'not yet');
  step = stallStep(step.state, { head: 'a', waiting: 7 }, STALL, STALL);
  assert.deepEqual(step.stalled, { head: 'a', since: 0, waiting: 7 });
  assert.equal(step.state?.alerted, true);
  const again = stallStep(step.state, { head: 'a', waiting: 9 }, 2 * STALL, STALL);
  assert.equal(again.stalled, undefined, 'the same stuck head alerts once');
  assert.equal(again.moved, undefined);
});

test('a backlog that is being worked is no stall: the head changes with every job taken', () => {
  let state: HeadState | undefined;
  for (let minute = 0; minute < 60; minute++) {
    const step = stallStep(state, { head: `job-${minute}`, waiting: 5_000 - minute * 80 }, minute * 60_000, STALL);
    assert.equal(step.stalled, undefined, `minute ${minute}`);
    state = step.state;
  }
});

test('nothing waiting is no stall, and forgets the head', () => {
  const step = stallStep({ head: 'a', since: 0, alerted: false }, { head: undefined, waiting: 0 }, 10 * STALL, STALL);
  assert.deepEqual(step, { state: undefined });
});

test('an alerted head that moves, or work that drains, is reported as moving again; a head not alerted on is not', () => {
  const alerted: HeadState = { head: 'a', since: 5, alerted: true };
  assert.deepEqual(stallStep(alerted, { head: 'b', waiting: 4 }, 1_000, STALL), {
    state: { head: 'b', since: 1_000, alerted: false },
    moved: { head: 'a', since: 5 },
  });
  assert.deepEqual(stallStep(alerted, { head: undefined, waiting: 0 }, 1_000, STALL), { state: undefined, moved: { head: 'a', since: 5 } });
  assert.equal(stallStep({ ...alerted, alerted: false }, { head: 'b', waiting: 4 }, 1_000, STALL).moved, undefined);
});

test('the time counts from when this watcher first saw the head: a gateway started late waits stallMs too', () => {
  const first = stallStep(undefined, { head: 'old', waiting: 1 }, 10 * STALL, STALL);
  assert.equal(first.stalled, undefined);
  assert.equal(stallStep(first.state, { head: 'old', waiting: 1 }, 11 * STALL, STALL).stalled?.since, 10 * STALL);
});
