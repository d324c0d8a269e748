/**
 * A graceful stop (SIGTERM → `close()`) lets every active record job run to its end: the
 * workflow's other parts (the notification queue, the country's outcome worker, the clients)
 * close only after the record worker has finished its jobs. A job that failed an attempt
 * because something it uses was closed under it would reach the client as a lastError and
 * spend one of its attempts on a deploy.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { queueBase, createLogger, RecordQueue, recordIdFor, redisOptions, sampleBirth, storeConfigFrom, type RecordJobData } from '@steadfast/commons';
import { Queue } from 'bullmq';
import { createWorkflow } from './server.js';
import { declarationJob, dropIsolated, isolatedEnvironment } from './testing.js';

const env = isolatedEnvironment('stop');
const connection = redisOptions(storeConfigFrom(env).redis);

after(() => dropIsolated(env));

/** A new record with a contact to notify and no attachment. */
function declaration(): RecordJobData {
  const details: Record<string, unknown> & { registration: { draftId: string } } = { ...sampleBirth(randomUUID()) };
  delete details['attachments'];
  return declarationJob(details);
}

test('close() while record jobs are active lets each of them complete, notification included', async () => {
  const workflow = await createWorkflow(env, createLogger('workflow', { level: 'silent' }));
  await workflow.ready();
  const queue = new RecordQueue(connection, undefined, env.RECORD_QUEUE_NAME);
  try {
    const jobs = Array.from({ length: 4 }, declaration);
    for (const data of jobs) await queue.add(data);
    // Closed the moment the jobs are taken: the search step alone waits for a refresh (≤ ES_REFRESH_INTERVAL, 500 ms),
    // so they are still early in their steps.
    const deadline = Date.now() + 10_000;
    while ((await queue.queue.getActiveCount()) < jobs.length && Date.now() < deadline) await sleep(5);
    await workflow.close();

    for (const data of jobs) {
      const job = await queue.getJob(data.draftId);
      assert.ok(job, `job ${data.draftId} is kept`);
      const state = await job.getState();
      assert.equal(state, 'completed', `job ${data.draftId} is ${state} after a graceful stop: ${job.failedReason ?? ''}`);
      assert.equal(job.attemptsMade, 1, 'no attempt was spent on the stop');
    }
    // Notifications go in batches: one job lists those its window gathered.
    const notifications = new Queue<{ notifications: Array<{ recordId: string }> }>(`notification-${env.RECORD_QUEUE_NAME}`, queueBase(connection));
    const queued = (await notifications.getJobs(['waiting', 'completed', 'active', 'delayed'])).flatMap((job) => job.data.notifications.map((n) => n.recordId));
    assert.deepEqual(new Set(queued), new Set(jobs.map((data) => recordIdFor(data.draftId))), 'every notification was queued');
    await notifications.close();
  } finally {
    await queue.close();
  }
});
