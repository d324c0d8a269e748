/**
 * The topology drills, short form (`npm run drill` runs them longer): Redis failover under
 * Sentinel (the primary SIGKILLed; then frozen, silent with its connections open), the services scaled out (2 gateways, 3 workflow, 2 events) with one workflow
 * SIGKILLed, and the whole pipeline on a 3-primary Redis Cluster. Each runs on Redis servers of
 * its own (infrastructure/redis-topology.sh, ports from DRILL_REDIS_PORT_BASE, 26300) and its own
 * names; the shared local stores are never stopped. A test fails when an invariant does not hold
 * or the fault showed something wrong (no promotion, a service that exited, nothing moving while the primary was frozen, a CROSSSLOT).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@steadfast/commons';
import { LEGEND, table } from './drills/report.js';
import { runTopologyDrills, TOPOLOGY_DRILLS, type TopologyResult } from './drills/topology.js';

const results = new Map<string, TopologyResult>();
const logger = createLogger('drill', { level: process.env['LOG_LEVEL'] ?? 'warn' });
const run = runTopologyDrills({ rate: 2, sends: 3, loadMs: 12_000, settleMs: 120_000, logger }, (result) => {
  results.set(result.name, result);
});

test('the topology drills run to the end', { timeout: 1_200_000 }, async () => {
  const all = await run;
  console.log(`${table(all)}\n\n${LEGEND}\n${all.flatMap((r) => r.facts.map((f) => `${r.name}: ${f}`)).join('\n')}`);
  assert.equal(all.length, TOPOLOGY_DRILLS.length);
});

for (const drill of TOPOLOGY_DRILLS) {
  test(`drill ${drill.name}: ${drill.description}; every invariant holds`, async () => {
    await run.catch(() => undefined);
    const result = results.get(drill.name);
    assert.ok(result, `the ${drill.name} drill ran`);
    assert.ok(result.accepted > 0, 'the load was accepted');
    assert.deepEqual(result.failed, [], `${result.failed.join('; ')}\n${result.invariants.notes.join('\n')}`);
    assert.equal(result.processed, result.accepted);
    assert.equal(result.exits, 0, 'no service exited: each rode out the fault by itself');
  });
}
