import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DrillResult } from './drills.js';
import { minus, type Invariants } from './invariants.js';
import { table } from './report.js';

const counts = (accepted: number, extra: Partial<Invariants> = {}): Invariants => ({
  accepted,
  processed: accepted,
  rejected: 0,
  fatal: 0,
  neverAccepted: 0,
  lost: 0,
  stale: 0,
  unconfirmed: 0,
  stuck: 0,
  alerted: 0,
  duplicates: { records: 0, search: 0, attachments: 0, audit: 0 },
  orphans: { objects: 0, staged: 0, search: 0 },
  notes: [],
  ...extra,
});

const result = (name: string, accepted: number, invariants: Invariants, cumulative: Invariants): DrillResult => ({
  name,
  description: name,
  accepted,
  processed: accepted,
  sends: accepted * 3,
  refused: 0,
  exits: 0,
  invariants,
  cumulative,
  failed: [],
  ms: 40_000,
});

test("the whole run's row counts every drill, over every system of the run", () => {
  // Two store drills on one system (the second adds a stuck draft), then a topology drill on a
  // system of its own that lost one.
  const first = counts(260);
  const second = counts(520, { stuck: 1 });
  const own = counts(300, { lost: 1, duplicates: { records: 0, search: 2, attachments: 0, audit: 0 } });
  const rows = table([
    result('baseline', 260, first, first),
    result('redis', 260, minus(second, first), second),
    result('failover', 300, own, own),
  ]).split('\n');
  const whole = rows.find((line) => line.startsWith('| whole run'))?.split('|').map((cell) => cell.trim());
  assert.ok(whole, 'a whole-run row');
  // drill, accepted, processed, duplicates, orphans, lost, stuck, sends, refused, exits, time, result
  assert.deepEqual(whole.slice(1, 11), ['whole run', '820', '820', '2 (0/2/0/0)', '0 (0/0/0)', '1', '1 (0)', '2460', '0', '0']);
});
