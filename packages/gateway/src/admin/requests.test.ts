import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_PAGE, safeNext } from './requests.js';

test('after login, a page of the console is where the admin was going', () => {
  assert.equal(safeNext('/admin/alerts'), '/admin/alerts');
  assert.equal(safeNext('/admin/queues/queue/record?status=failed'), '/admin/queues/queue/record?status=failed');
});

test('anything else goes to the board', () => {
  for (const next of [undefined, '', 'https://evil.example/admin', '//evil.example/admin', '/admin//evil.example', '/\\evil.example',
    '/graphql', '/admin/login', '/admin/logout', '/administrator', 'javascript:alert(1)', `/admin/${'x'.repeat(600)}`, '/admin/<script>']) {
    assert.equal(safeNext(next), DEFAULT_PAGE, String(next));
  }
});
