/**
 * The fault drills, short form (`npm run drill` is the full one): a small steady load with
 * duplicate submissions while each store is stopped and started, then frozen for 20 s (SIGSTOP:
 * a hung server, connections open and silent) and continued, the workflow and the gateway
 * are SIGKILLed, every service is SIGTERMed and restarted as in a deploy, and the country config
 * is slow and failing. Each drill is a test that fails when an invariant does not hold after the
 * system settled, or when the fault itself showed something wrong (a stop that was not graceful).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@steadfast/commons';
import { DRILLS, runDrills, type DrillResult } from './drills/drills.js';
import { LEGEND, table } from './drills/report.js';

const results = new Map<string, DrillResult>();
const logger = createLogger('drill', { level: process.env['LOG_LEVEL'] ?? 'warn' });

// One run of every drill on one system; each test below reads its drill's result.
const run = runDrills({ rate: 1.5, sends: 3, loadMs: 8_000, outageMs: 3_000, settleMs: 120_000, logger }, (result) => {
  results.set(result.name, result);
});

test('the drills run to the end', { timeout: 900_000 }, async () => {
  const all = await run;
  console.log(`${table(all)}\n\n${LEGEND}`);
  assert.equal(all.length, DRILLS.length);
});

for (const drill of DRILLS) {
  test(`drill ${drill.name}: ${drill.description}; every invariant holds`, async () => {
    await run.catch(() => undefined);
    const result = results.get(drill.name);
    assert.ok(result, `the ${drill.name} drill ran`);
    assert.ok(result.accepted > 0, 'the load was accepted');
    assert.deepEqual(result.failed, [], `${result.failed.join('; ')}\n${result.invariants.notes.join('\n')}`);
    assert.equal(result.processed, result.accepted);
  });
}
