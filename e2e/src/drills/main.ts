/**
 * `npm run drill`: the fault drills against the real local services (started by the npm script),
 * with the whole system started by this process on its own ports and names.
 *
 * usage: node e2e/dist/drills/main.js [--rate N] [--sends N] [--load-s N] [--outage-s N]
 *          [--settle-s N] [--only a,b] [--keep]
 * Each flag also reads an environment variable: DRILL_RATE, DRILL_SENDS, DRILL_LOAD_S,
 * DRILL_OUTAGE_S, DRILL_SETTLE_S, DRILL_ONLY, DRILL_KEEP=1.
 * Exit 0 only if every invariant held after every drill.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '@steadfast/commons';
import { DRILLS, runDrills, type DrillResult } from './drills.js';
import { runTopologyDrills, TOPOLOGY_DRILLS } from './topology.js';
import { LEGEND, table } from './report.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: process.env['DRILL_RATE'] ?? '5' },
    sends: { type: 'string', default: process.env['DRILL_SENDS'] ?? '3' },
    'load-s': { type: 'string', default: process.env['DRILL_LOAD_S'] ?? '40' },
    'outage-s': { type: 'string', default: process.env['DRILL_OUTAGE_S'] ?? '10' },
    'settle-s': { type: 'string', default: process.env['DRILL_SETTLE_S'] ?? '180' },
    only: { type: 'string', default: process.env['DRILL_ONLY'] ?? '' },
    keep: { type: 'boolean', default: process.env['DRILL_KEEP'] === '1' },
  },
});

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number, not "${text}"`);
    process.exit(2);
  }
  return n;
}

const logger = createLogger('drill');
const started = Date.now();
const only = values.only ? values.only.split(',').map((s) => s.trim()) : undefined;
const unknown = (only ?? []).filter((name) => ![...DRILLS, ...TOPOLOGY_DRILLS].some((d) => d.name === name));
if (unknown.length > 0) {
  console.error(`unknown drills ${unknown.join(', ')}; known: ${[...DRILLS, ...TOPOLOGY_DRILLS].map((d) => d.name).join(', ')}`);
  process.exit(2);
}
const common = {
  rate: positive('rate', values.rate),
  sends: Math.round(positive('sends', values.sends)),
  loadMs: positive('load-s', values['load-s']) * 1000,
  settleMs: positive('settle-s', values['settle-s']) * 1000,
  keep: values.keep,
  logger,
};
const storeDrills = only ? only.filter((name) => DRILLS.some((d) => d.name === name)) : undefined;
const results: DrillResult[] = [];
if (!storeDrills || storeDrills.length > 0) {
  results.push(...(await runDrills({ ...common, outageMs: positive('outage-s', values['outage-s']) * 1000, ...(storeDrills ? { only: storeDrills } : {}) })));
}
// Failover, scale-out and cluster: each on a system and Redis servers of its own.
const topologyDrills = only ? only.filter((name) => TOPOLOGY_DRILLS.some((d) => d.name === name)) : undefined;
const topology = !topologyDrills || topologyDrills.length > 0 ? await runTopologyDrills({ ...common, ...(topologyDrills ? { only: topologyDrills } : {}) }) : [];
results.push(...topology);
const failed = results.filter((r) => r.failed.length > 0);
console.log(`\nFault drills, ${new Date().toISOString().slice(0, 10)}: rate ${values.rate}/s, each draft sent ${values.sends}x, load ${values['load-s']} s, outage ${values['outage-s']} s; total ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
console.log(table(results));
console.log(`\n${LEGEND}\n`);
for (const result of topology) for (const fact of result.facts) console.log(`${result.name}: ${fact}`);
console.log(failed.length === 0 ? `all ${results.length} drills passed` : `${failed.length} of ${results.length} drills FAILED: ${failed.map((r) => r.name).join(', ')}`);
process.exit(failed.length === 0 ? 0 : 1);
