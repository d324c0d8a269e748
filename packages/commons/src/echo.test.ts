import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { boundMessage, echo, truncate } from './echo.js';
import { createLogger } from './logger.js';
import { createServiceServer, invalidPayload } from './service.js';

test('truncate keeps short text, cuts long text with an ellipsis, never inside a surrogate pair', () => {
  assert.equal(truncate('Amina', 40), 'Amina');
  assert.equal(truncate('x'.repeat(41), 40), `${'x'.repeat(40)}…`);
  const emoji = `${'a'.repeat(39)}😀tail`; // the pair sits at 39..40
  const cut = truncate(emoji, 40);
  assert.equal(cut, `${'a'.repeat(39)}…`);
  assert.doesNotMatch(cut, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/, 'no lone high surrogate');
});

test('echo shows at most 40 characters of a string, quoted, with hidden characters escaped', () => {
  assert.equal(echo('image/gif'), '"image/gif"');
  const huge = echo('a'.repeat(2_000_000));
  assert.ok(huge.length <= 45, huge);
  assert.equal(echo('A\u202eB\u0000'), '"A\\u202eB\\u0000"');
  assert.equal(echo(12), '12');
  assert.equal(echo({ a: 1 }), 'a object');
  assert.equal(echo([1]), 'an array');
});

test('boundMessage shortens every long quoted value and caps the whole message', () => {
  const value = 'x'.repeat(2_000_000);
  const graphql = `Variable "$details" got invalid value "${value}" at "details.attachments[0].type"; Value "${value}" does not exist in "AttachmentType" enum.`;
  const bounded = boundMessage(graphql);
  assert.ok(bounded.length < 250, `${bounded.length} characters`);
  assert.match(bounded, /^Variable "\$details" got invalid value "x{40}…" at "details\.attachments\[0\]\.type"; Value "x{40}…" does not exist in "AttachmentType" enum\.$/);
  assert.equal(boundMessage('must be "short" and "sweet"'), 'must be "short" and "sweet"');
  // An escaped quote inside a value does not end it.
  assert.equal(boundMessage(`got "${'\\"'.repeat(30)}"`, 10), `got "${'\\"'.repeat(5)}…"`);
  // graphql-js prints an object's keys bare: a long unbroken run is cut as well.
  assert.equal(boundMessage(`got invalid value { ${'k'.repeat(500)}: 1 }`), `got invalid value { ${'k'.repeat(40)}… 1 }`);
  assert.ok(boundMessage(`unquoted ${value}`).length <= 2_001);
});

test('invalidPayload answers a huge unknown key and value with a small error', async () => {
  const server = await createServiceServer({ name: 'test', host: '127.0.0.1', port: 0, logger: createLogger('test', { level: 'silent' }) });
  const schema = z.strictObject({ kind: z.enum(['a', 'b']) });
  server.route({
    method: 'POST',
    path: '/things',
    handler: (request, h) => {
      const parsed = schema.safeParse(request.payload);
      return parsed.success ? { ok: true } : invalidPayload(h, 'thing', parsed.error);
    },
  });
  const key = 'k'.repeat(400_000); // Hapi's default payload limit is 1 MB
  const payload = JSON.stringify({ kind: 'c'.repeat(400_000), [key]: 1 });
  const response = await server.inject({ method: 'POST', url: '/things', payload, headers: { 'content-type': 'application/json' } });
  assert.equal(response.statusCode, 400);
  assert.ok(response.payload.length < 1_000, `${response.payload.length} bytes`);
  const body = JSON.parse(response.payload) as { issues: Array<{ field: string; message: string }> };
  assert.equal(body.issues.length, 2);
});
