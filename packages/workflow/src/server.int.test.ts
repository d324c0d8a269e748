import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { createWorkflow } from './server.js';

test('the workflow reports its stores on /health', async () => {
  const workflow = await createWorkflow(
    readEnvironment({ NODE_ENV: 'test', WORKFLOW_PORT: '0' }),
    createLogger('workflow', { level: 'silent' }),
  );
  try {
    const response = await workflow.server.inject('/health');
    assert.equal(response.statusCode, 200);
    const body = response.result as { service: string; status: string };
    assert.equal(body.service, 'workflow');
    assert.equal(body.status, 'ok');
  } finally {
    await workflow.close();
  }
});

test('the workflow binds to loopback unless told otherwise', () => {
  assert.equal(readEnvironment({ NODE_ENV: 'test' }).WORKFLOW_HOST, '127.0.0.1');
  assert.equal(readEnvironment({ NODE_ENV: 'test' }).WORKFLOW_PORT, 7072);
});

test('in production the workflow refuses to start without its secrets, naming each', () => {
  assert.throws(
    () => readEnvironment({}),
    (error: unknown) => {
      const message = (error as Error).message;
      for (const name of ['AUTH_INTERNAL_SECRET', 'COUNTRY_CONFIG_SECRET', 'MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY']) assert.match(message, new RegExp(`${name}: `));
      return true;
    },
  );
});
