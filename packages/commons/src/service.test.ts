import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logger.js';
import { createServiceServer } from './service.js';

test('a route that throws answers 500 and is logged once, structured, with the first line only', async () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const server = await createServiceServer({ name: 'test', host: '127.0.0.1', port: 0, logger: createLogger('test', { level: 'error', destination }) });
  server.route({
    method: 'POST',
    path: '/records/{id}/confirm',
    handler: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'status')\nrecord: { familyName: 'Achieng' }");
    },
  });
  server.route({ method: 'GET', path: '/fine', handler: () => ({ ok: true }) });
  const failed = await server.inject({ method: 'POST', url: '/records/r-1/confirm', headers: { 'x-correlation-id': 'corr-9' } });
  assert.equal(failed.statusCode, 500);
  assert.doesNotMatch(failed.payload, /reading|Achieng/, 'the client sees no internals');
  assert.equal((await server.inject('/fine')).statusCode, 200);
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  assert.equal(entry['msg'], 'unexpected error in a route');
  assert.equal(entry['path'], '/records/{id}/confirm');
  assert.equal(entry['correlationId'], 'corr-9');
  assert.equal(entry['errName'], 'TypeError');
  assert.equal(entry['err'], "Cannot read properties of undefined (reading 'status')");
  assert.doesNotMatch(lines[0] ?? '', /Achieng/);
});
