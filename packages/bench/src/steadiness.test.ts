import assert from 'node:assert/strict';
import { test } from 'node:test';
import { steadiness, warmth } from './steadiness.js';

const rounds = (naive: number[], system: number[]) => naive.map((n, i) => ({ naive: n, system: system[i]! }));

test('rounds that agree are steady (the 2026-12-05 00:05 run)', () => {
  const s = steadiness(rounds([154.6, 121.8, 174.7], [23.6, 23.6, 29.8]));
  assert.equal(s.steady, true);
  assert.match(s.line, /each median is backed .*naive 1\.43×, system 1\.26×/);
});

test('one slow round among three leaves the median backed by the other two (the 11:05 run)', () => {
  assert.equal(steadiness(rounds([96.6, 174.7, 154.6], [18.6, 26.7, 26.7])).steady, true);
});

test('rounds that all differ are not steady (the 05:24 run), naming the search', () => {
  const s = steadiness(rounds([76.2, 134.4, 134.4], [7.3, 11.6, 23.6]));
  assert.equal(s.steady, false);
  assert.match(s.line, /NOT STEADY, no two system rounds agree within 1\.3×/);
  assert.match(steadiness(rounds([60, 100, 150], [10, 20, 40])).line, /no two naive or system rounds/);
});

test('one round, or a failed round, is not judged', () => {
  assert.equal(steadiness(rounds([150], [20])).steady, undefined);
  assert.equal(steadiness(rounds([150, Number.NaN, 140], [20, 20, 20])).steady, undefined);
});

test('stores that ran 15 min before the run are warm; a younger one is named, with the advice to run again', () => {
  const warm = warmth({ redis: 3_600, mongo: 3_600, minio: 3_600, elasticsearch: 900 });
  assert.equal(warm.warm, true);
  assert.equal(warm.line, "stores' age at the start: redis 60 min, mongo 60 min, minio 60 min, elasticsearch 15 min");
  const young = warmth({ redis: 3_600, mongo: 420, elasticsearch: 380, minio: Number.NaN });
  assert.equal(young.warm, false);
  assert.match(young.line, /^stores' age at the start: redis 60 min, mongo 7 min, elasticsearch 6 min: WARMING, mongo, elasticsearch started less than 15 min before the run/);
  assert.match(young.line, /run it again later$/);
  assert.equal(warmth({ redis: Number.NaN }).warm, undefined);
});
