import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateTargets, formatTarget } from './targets.js';

const inputs = {
  systemMaxRate: 100,
  naiveMaxRate: 40,
  storesCeiling: 200,
  roundTripsPerRecord: 3,
  commandsPerRecord: 55,
  acceptP99AtHalfMs: 12,
  memoryPerWaitingJobBytes: Number.NaN,
  burstStatusRequestsPerRecord: 0.3,
};

test('ratios and limits, inclusive', () => {
  const byName = Object.fromEntries(evaluateTargets(inputs).map((t) => [t.name, t]));
  assert.equal(byName['throughput / naive gateway (both at p99 < 2 s)']?.value, 2.5);
  assert.equal(byName['throughput / naive gateway (both at p99 < 2 s)']?.pass, true);
  assert.equal(byName["throughput / stores' ceiling"]?.pass, false);
  assert.equal(byName['Redis round trips per record']?.pass, true);
  assert.equal(byName['Redis commands per record (INFO commandstats)']?.pass, false);
  assert.equal(byName['burst: status requests per record (client)']?.pass, true);
  const over = evaluateTargets({ ...inputs, burstStatusRequestsPerRecord: 0.31 }).find((t) => t.name.startsWith('burst'));
  assert.equal(over?.pass, false);
});

test('a figure that could not be measured fails', () => {
  const memory = evaluateTargets(inputs).find((t) => t.name.startsWith('Redis memory'))!;
  assert.equal(memory.pass, false);
  assert.match(formatTarget(memory), /^FAIL .* n\/a/);
});
