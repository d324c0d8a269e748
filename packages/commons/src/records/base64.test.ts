import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base64Problem, decodedBase64Size, formatBytes } from './base64.js';

test('the decoded size is computed from the text', () => {
  for (const length of [1, 2, 3, 4, 5, 1000]) {
    const text = Buffer.alloc(length, 7).toString('base64');
    assert.equal(decodedBase64Size(text), length);
  }
  assert.equal(decodedBase64Size(''), 0);
});

test('only canonical, padded, standard-alphabet base64 is accepted', () => {
  assert.equal(base64Problem('aGVsbG8='), undefined);
  assert.equal(base64Problem('+/+/'), undefined);
  assert.match(base64Problem('aGVsbG8') ?? '', /multiple of 4/);
  assert.match(base64Problem('-_-_') ?? '', /URL-safe/);
  assert.match(base64Problem('aGVs bG8=') ?? '', /whitespace/);
  assert.match(base64Problem('aGVsbG9=') ?? '', /stray bits/);
  assert.match(base64Problem('a===') ?? '', /not valid base64/);
  assert.match(base64Problem('data:image/png;base64,aGVsbG8=') ?? '', /data: URL/);
});

test('sizes read as people write them', () => {
  assert.equal(formatBytes(1), '1 byte');
  assert.equal(formatBytes(1000), '1000 bytes');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(5 * 1024 * 1024), '5 MB');
  assert.equal(formatBytes(6_500_000), '6.2 MB');
});
