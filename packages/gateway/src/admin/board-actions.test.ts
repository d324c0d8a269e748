import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import { boardAction } from './board-actions.js';

interface AppRoute {
  method: string | string[];
  route: string | string[];
}
/** Bull Board's own list of its API routes, as the installed version defines them. */
const { appRoutes } = createRequire(import.meta.url)('@bull-board/api/dist/routes.js') as { appRoutes: { api: AppRoute[]; entryPoint: AppRoute } };
const hapiPath = (route: string) => route.replace(/:(\w+)/g, '{$1}');

const ALLOWED = new Set([
  'PUT /api/queues/{queueName}/{jobId}/retry',
  'PUT /api/queues/{queueName}/retry/{queueStatus}',
  'PUT /api/queues/{queueName}/{jobId}/promote',
  'PUT /api/queues/{queueName}/promote',
]);

test("every route of the installed Bull Board is a read, an allowed retry/promote, or refused", () => {
  const seen: string[] = [];
  for (const route of [...appRoutes.api, appRoutes.entryPoint]) {
    for (const method of [route.method].flat()) {
      for (const path of [route.route].flat().map(hapiPath)) {
        const key = `${method.toUpperCase()} ${path}`;
        seen.push(key);
        const params = { queueName: 'record', jobId: 'j1', queueStatus: 'failed', schedulerId: 's' };
        const action = boardAction(method, path, params);
        if (method.toLowerCase() === 'get') assert.equal(action.kind, 'read', key);
        else if (ALLOWED.has(key)) assert.notEqual(action.kind, 'refused', key);
        else assert.equal(action.kind, 'refused', key);
      }
    }
  }
  // The write routes the issue names are among those refused.
  for (const destructive of [
    'POST /api/queues/{queueName}/add',
    'PATCH /api/queues/{queueName}/{jobId}/update-data',
    'PUT /api/queues/{queueName}/clean/{queueStatus}',
    'PUT /api/queues/{queueName}/{jobId}/clean',
    'PUT /api/queues/{queueName}/empty',
    'PUT /api/queues/{queueName}/obliterate',
    'PUT /api/queues/{queueName}/pause',
    'PUT /api/queues/pause',
  ]) {
    assert.ok(seen.includes(destructive), `Bull Board still has ${destructive}`);
    const [method, path] = destructive.split(' ') as [string, string];
    assert.equal(boardAction(method, path, { queueName: 'record', jobId: 'j1', queueStatus: 'failed' }).kind, 'refused', destructive);
  }
});

test('retrying all jobs of a queue is allowed for the failed set only', () => {
  const path = '/api/queues/{queueName}/retry/{queueStatus}';
  assert.deepEqual(boardAction('PUT', path, { queueName: 'record', queueStatus: 'failed' }), { kind: 'retry-all', queue: 'record' });
  assert.equal(boardAction('PUT', path, { queueName: 'record', queueStatus: 'completed' }).kind, 'refused');
});

test('an allowed path with another method is refused', () => {
  assert.equal(boardAction('POST', '/api/queues/{queueName}/{jobId}/retry', { queueName: 'record', jobId: 'j' }).kind, 'refused');
  assert.equal(boardAction('DELETE', '/api/queues/{queueName}/{jobId}/retry', {}).kind, 'refused');
});
