import assert from 'node:assert/strict';
import { test } from 'node:test';
import { steadiness } from './steadiness.js';

const rounds = (naive: number[], system: number[]) => naive.map((n, i) => ({ naive: n, system: system[i]! }));

test('rounds within 1.5× of each other are steady (the 2026-12-05 00:05 run)', () => {
  const s = steadiness(rounds([154.6, 121.8, 174.7], [23.6, 23.6, 29.8]));
  assert.equal(s.steady, true);
  assert.equal(s.spread.naive.toFixed(2), '1.43');
  assert.match(s.line, /the rounds agree .*naive 1\.43×, system 1\.26×/);
});

test('a round that met a slow phase makes the run not steady (the 05:24 run), naming the search', () => {
  const s = steadiness(rounds([76.2, 134.4, 134.4], [7.3, 11.6, 23.6]));
  assert.equal(s.steady, false);
  assert.match(s.line, /NOT STEADY, naive and system rounds differ by more than 1\.5×/);
  assert.match(steadiness(rounds([150, 150, 150], [10, 20, 20])).line, /NOT STEADY, system rounds/);
});

test('one round, or a failed round, is not judged as steady', () => {
  assert.equal(steadiness(rounds([150], [20])).steady, undefined);
  assert.equal(steadiness(rounds([150, Number.NaN], [20, 20])).steady, undefined);
});
