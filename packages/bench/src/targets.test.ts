import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burstSpeedup, evaluateTargets, formatTarget, type TargetInputs } from './targets.js';

const inputs: TargetInputs = {
  systemMaxRate: 100,
  naiveMaxRate: 200,
  storesCeiling: 250,
  mongoCommandsPerRecord: 6,
  roundTripsPerRecord: 14,
  executedCommandsPerRecord: 140,
  floorRoundTripsPerJob: 7,
  floorExecutedCommandsPerJob: 65,
  systemCpuMsPerRecord: 90,
  naiveCpuMsPerRecord: 30,
  acceptP99AtHalfMs: 40,
  naiveP99AtHalfMs: 50,
  burst: { drafts: 10_000, allProcessedS: 202.4, ok: true },
};

const byName = (t: TargetInputs) => Object.fromEntries(evaluateTargets(t).map((x) => [x.name, x]));

test("issue 20's targets as ratios, limits inclusive", () => {
  const targets = byName(inputs);
  assert.equal(targets['throughput / naive gateway (both at p99 < 2 s)']?.value, 0.5);
  assert.equal(targets['throughput / naive gateway (both at p99 < 2 s)']?.pass, true);
  assert.equal(targets["throughput / stores' ceiling"]?.value, 0.4);
  assert.equal(targets["throughput / stores' ceiling"]?.pass, false);
  assert.equal(targets['MongoDB commands per record']?.pass, true);
  assert.equal(targets["Redis round trips per record / the queue's floor"]?.value, 2);
  assert.equal(targets["Redis round trips per record / the queue's floor"]?.pass, true);
  assert.equal(targets["Redis executed commands per record / the queue's floor"]?.pass, false);
  assert.equal(targets["CPU ms per record, all processes / the naive gateway's"]?.value, 3);
  assert.equal(targets["CPU ms per record, all processes / the naive gateway's"]?.pass, true);
  assert.equal(targets["accept p99 / the naive gateway's request p99, at half rate"]?.value, 0.8);
  assert.equal(targets["accept p99 / the naive gateway's request p99, at half rate"]?.pass, true);
  const burst = evaluateTargets(inputs).at(-1)!;
  assert.ok(Math.abs(burst.value - 2.5) < 0.001);
  assert.equal(burst.pass, true);
});

test('the burst compares by drafts per second, and misses on any duplicate whatever its speed', () => {
  assert.equal(burstSpeedup(10_000, 506), 1);
  assert.equal(burstSpeedup(1_000, 50.6), 1);
  const duplicated = evaluateTargets({ ...inputs, burst: { drafts: 10_000, allProcessedS: 100, ok: false } }).at(-1)!;
  assert.ok(duplicated.value > 2.5);
  assert.equal(duplicated.pass, false);
  assert.match(formatTarget(duplicated), /^MISS .*not every draft processed exactly once$/);
});

test('a figure that could not be measured misses', () => {
  const cpu = evaluateTargets({ ...inputs, naiveCpuMsPerRecord: Number.NaN }).find((t) => t.name.startsWith('CPU'))!;
  assert.equal(cpu.pass, false);
  assert.match(formatTarget(cpu), /^MISS .* n\/a/);
  const latency = evaluateTargets({ ...inputs, naiveP99AtHalfMs: 0 }).find((t) => t.name.startsWith('accept'))!;
  assert.equal(latency.pass, false);
});

test('a pass prints as PASS with its ratio and limit', () => {
  assert.match(formatTarget(byName(inputs)['MongoDB commands per record']!), /^PASS {2}MongoDB commands per record\s+6\.00 {2}\(<= 6\)$/);
});
