import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuPerRecord, cpuTotal, formatSteady, type SteadyStep } from './cpu-cost.js';

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

/** A system step as --steady reports it; each test changes what it is about. */
const steadyStep = (overrides: Partial<SteadyStep>): SteadyStep => ({
  rate: 60,
  seconds: 40,
  offered: 2400,
  processed: 2400,
  acceptP99Ms: 10,
  processedP50Ms: 500,
  processedP99Ms: 900,
  cpuPerRecord: { gateway: 6 },
  cpuMsPerS: 400,
  ...overrides,
});

test('a steady step reads as one line: latency, each process by cost, the total without the load generator', () => {
  const line = formatSteady(
    steadyStep({
      rate: 110,
      seconds: 30,
      offered: 3300,
      processed: 3299,
      acceptP99Ms: 88.4,
      processedP50Ms: 612.2,
      processedP99Ms: 1510.7,
      cpuPerRecord: { gateway: 4.271, bench: 1.2, mongo: 4.5, workflow: 2.7 },
      cpuMsPerS: 1712.3,
    }),
  );
  assert.equal(
    line,
    '110.0/s for 30 s: 3299/3300 processed, accept p99 88 ms, processed p50 612 p99 1511 ms; CPU ms per record ' +
      'mongo 4.50, gateway 4.27, workflow 2.70, bench 1.20; all but bench 11.47; 1712 CPU ms/s together',
  );
});

test('a steady step names the wake-ups per record of each process when it has them, most first', () => {
  const line = formatSteady(steadyStep({ wakeupsPerRecord: { gateway: 7.25, redis: 9.04 } }));
  assert.ok(line.endsWith('; 400 CPU ms/s together; wake-ups per record redis 9.0, gateway 7.3'), line);
});

test('the naive gateway\'s step reads as records written and request latency', () => {
  const { acceptP99Ms: _accept, ...system } = steadyStep({ processed: 2399, processedP50Ms: 580.4, processedP99Ms: 1090.6, cpuPerRecord: { naive: 3 }, cpuMsPerS: 200 });
  const line = formatSteady(system);
  assert.ok(line.startsWith('60.0/s for 40 s: 2399/2400 written, request p50 580 p99 1091 ms; CPU ms per record naive 3.00; '), line);
});
