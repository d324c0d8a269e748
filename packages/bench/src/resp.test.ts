import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RespCommandReader } from './resp.js';

const encode = (...args: string[]) =>
  Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);

test('reads pipelined commands from one chunk', () => {
  const reader = new RespCommandReader();
  const chunk = Buffer.concat([encode('set', 'k', 'v', 'NX', 'GET'), encode('evalsha', 'abc123', '1', 'key'), encode('PING')]);
  assert.deepEqual(reader.feed(chunk), [{ name: 'SET' }, { name: 'EVALSHA', sha: 'abc123' }, { name: 'PING' }]);
});

test('reads a command split across chunks at any byte', () => {
  const whole = Buffer.concat([encode('hset', 'job', 'data', 'x'.repeat(100)), encode('get', 'k')]);
  for (let cut = 1; cut < whole.length; cut += 7) {
    const reader = new RespCommandReader();
    const first = reader.feed(whole.subarray(0, cut));
    const second = reader.feed(whole.subarray(cut));
    assert.deepEqual([...first, ...second].map((c) => c.name), ['HSET', 'GET']);
  }
});

test('binary values with CRLF inside are skipped by length', () => {
  const reader = new RespCommandReader();
  assert.deepEqual(reader.feed(encode('set', 'k', 'a\r\n*1\r\nb')), [{ name: 'SET' }]);
});

test('inline commands', () => {
  assert.deepEqual(new RespCommandReader().feed(Buffer.from('ping\r\n')), [{ name: 'PING' }]);
});
