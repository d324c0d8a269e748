import assert from 'node:assert/strict';
import { test } from 'node:test';
import { infoField, parseCommandStats, statsDelta } from './redis-info.js';
import { cpuTicksOf } from './proc.js';

test('parses commandstats and takes deltas without INFO', () => {
  const before = parseCommandStats('# Commandstats\r\ncmdstat_get:calls=10,usec=5\r\ncmdstat_info:calls=1,usec=1\r\n');
  const after = parseCommandStats('cmdstat_get:calls=15,usec=9\r\ncmdstat_evalsha:calls=2,usec=3\r\ncmdstat_info:calls=9,usec=1\r\n');
  assert.deepEqual(statsDelta(after, before), { total: 7, byCommand: { get: 5, evalsha: 2 } });
});

test('reads one INFO field', () => {
  assert.equal(infoField('# Memory\r\nused_memory:123456\r\nused_memory_human:120K\r\n', 'used_memory'), 123456);
});

test('reads utime + stime of a stat line whose name has spaces', () => {
  const line = '4242 (node (main) x) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 1 0 100 200 300';
  assert.equal(cpuTicksOf(line), 200);
});
