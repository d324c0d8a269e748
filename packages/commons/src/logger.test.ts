import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, destination };
}

test('tokens, passwords and attachment bytes never reach the log', () => {
  const { lines, destination } = capture();
  const log = createLogger('gateway', { destination });
  log.info(
    {
      draftId: 'd-1',
      headers: { authorization: 'Bearer abc.def.ghi' },
      body: { username: 'registrar', password: 'hunter2' },
      details: { attachments: [{ type: 'PROOF', data: 'aGVsbG8=' }] },
      token: 'xyz',
    },
    'received',
  );
  const text = JSON.stringify(lines);
  assert.doesNotMatch(text, /abc\.def\.ghi|hunter2|aGVsbG8=|xyz/);
  assert.match(text, /"draftId":"d-1"/);
  assert.equal(lines[0]?.['service'], 'gateway');
  assert.equal(lines[0]?.['level'], 'info');
});
