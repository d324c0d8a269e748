import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Long } from 'mongodb';
import { parseMongoCommands } from './mongo-info.js';
import { statsDelta } from './redis-info.js';

test('serverStatus command counters are read from numbers and Longs, groups skipped', () => {
  const parsed = parseMongoCommands({
    commands: { find: { total: Long.fromNumber(12), failed: 0 }, insert: { total: 3, failed: 1 }, '<UNKNOWN>': 4, update: { nested: {} } },
  });
  assert.deepEqual(parsed, { find: 12, insert: 3 });
  assert.deepEqual(parseMongoCommands(undefined), {});
});

test('the delta leaves out serverStatus and commands that did not move', () => {
  const delta = statsDelta({ find: 15, insert: 3, serverStatus: 9 }, { find: 12, insert: 3, serverStatus: 2 }, ['serverStatus']);
  assert.deepEqual(delta, { total: 3, byCommand: { find: 3 } });
});
