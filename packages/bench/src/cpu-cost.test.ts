import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuPerRecord, cpuTotal } from './cpu-cost.js';

test('per record from two snapshots; the total leaves the load generator out', () => {
  const per = cpuPerRecord({ naive: 100, mongo: 50, bench: 10 }, { naive: 300, mongo: 150, bench: 1_010 }, 10);
  assert.deepEqual(per, { naive: 20, mongo: 10, bench: 100 });
  assert.equal(cpuTotal(per), 30);
});

test('a process that could not be read makes the total unknown', () => {
  const per = cpuPerRecord({ naive: 100, mongo: Number.NaN }, { naive: 300, mongo: Number.NaN }, 10);
  assert.ok(Number.isNaN(cpuTotal(per)));
});

test('no records: divided by one, not by zero', () => {
  assert.deepEqual(cpuPerRecord({ naive: 0 }, { naive: 5 }, 0), { naive: 5 });
});
