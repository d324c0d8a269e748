import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { mongoCheck } from './health.js';
import { createLogger } from './logger.js';
import { stuckHeartbeats, stuckMessage, watchMongoMonitor } from './mongo-monitor-watch.js';

test('a heartbeat is stuck only once it has been pending longer than the limit', () => {
  const started = new Map([
    ['127.0.0.1:27017', 1_000],
    ['127.0.0.1:27018', 50_000],
  ]);
  assert.deepEqual(stuckHeartbeats(started, 61_000, 60_000), []);
  assert.deepEqual(stuckHeartbeats(started, 61_001, 60_000), [{ address: '127.0.0.1:27017', pendingMs: 60_001 }]);
  assert.equal(stuckHeartbeats(started, 200_000, 60_000).length, 2);
  assert.deepEqual(stuckHeartbeats(new Map(), 200_000, 60_000), []);
});

test('the message names the server, how long, and the remedy', () => {
  const message = stuckMessage([{ address: '127.0.0.1:27017', pendingMs: 601_400 }]);
  assert.match(message, /127\.0\.0\.1:27017 for 601 s/);
  assert.match(message, /restart the service/);
});

/** A real client, never connected: the watch follows the events it emits, as its monitor does. */
function watched(limitMs: number) {
  let nowMs = 0;
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('test', { destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  const client = new MongoClient('mongodb://127.0.0.1:1');
  const watch = watchMongoMonitor(client, logger, { limitMs, checkEveryMs: 10, now: () => nowMs });
  const heartbeat = (name: string, address = '127.0.0.1:27017') => client.emit(name as 'serverHeartbeatStarted', { connectionId: address } as never);
  return { client, watch, lines, heartbeat, at: (ms: number) => (nowMs = ms) };
}

test('the watch follows the heartbeats: one that ends in time is never stuck, one that does not is, and is logged once', async () => {
  const { watch, lines, heartbeat, at } = watched(60_000);
  try {
    heartbeat('serverHeartbeatStarted');
    at(5_000);
    heartbeat('serverHeartbeatFailed');
    at(100_000);
    assert.deepEqual(watch.stuck(), [], 'a failed heartbeat is over');
    heartbeat('serverHeartbeatStarted');
    at(100_000 + 60_001);
    assert.deepEqual(watch.stuck(), [{ address: '127.0.0.1:27017', pendingMs: 60_001 }]);
    await sleep(50);
    const errors = lines.filter((line) => line['level'] === 'error');
    assert.equal(errors.length, 1, 'logged once, however often the watch looks');
    assert.match(String(errors[0]?.['msg']), /monitor has waited on one heartbeat \(127\.0\.0\.1:27017 for 60 s\)/);
    heartbeat('serverHeartbeatSucceeded');
    assert.deepEqual(watch.stuck(), []);
    assert.ok(lines.some((line) => line['msg'] === 'the MongoDB monitor heartbeat ended after all'));
  } finally {
    watch.close();
  }
});

test("the health check reports a stuck monitor as what it is, without asking MongoDB (which the client can't reach)", async () => {
  const { client, watch, heartbeat, at } = watched(60_000);
  try {
    heartbeat('serverHeartbeatStarted');
    at(600_000);
    await assert.rejects(mongoCheck(client, 'steadfast', watch)(), /monitor has waited on one heartbeat .*restart the service/);
  } finally {
    watch.close();
  }
});

test('a server that left the topology, or a closed client, has no heartbeat to wait for', () => {
  const { client, watch, heartbeat, at } = watched(60_000);
  try {
    heartbeat('serverHeartbeatStarted', '127.0.0.1:27017');
    heartbeat('serverHeartbeatStarted', '127.0.0.1:27018');
    client.emit('serverClosed', { address: '127.0.0.1:27018' } as never);
    at(100_000);
    assert.deepEqual(watch.stuck().map((s) => s.address), ['127.0.0.1:27017']);
    client.emit('topologyClosed', {} as never);
    assert.deepEqual(watch.stuck(), []);
  } finally {
    watch.close();
  }
});
