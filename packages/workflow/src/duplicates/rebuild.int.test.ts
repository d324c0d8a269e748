/**
 * The search documents' duplicate field after a rebuild from MongoDB equals what the workflow
 * wrote as it went, and agrees with the pairs: a record is flagged exactly when a pair names it.
 * Reconciliation finds no drift in it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createElasticsearch, recordIdFor, sampleBirth, storeConfigFrom, type RecordJob } from '@steadfast/commons';
import { createRecordProcessor } from '../process-record.js';
import { DEFAULT_OPTIONS, type ReconcileDeps } from '../reconcile/drift.js';
import { checkSearch } from '../reconcile/search-drift.js';
import { rebuildSearchIndex } from '@steadfast/records';
import type { Workflow } from '../server.js';
import { declarationJob, isolatedEnvironment, workflowPerFile } from '../testing.js';

const env = isolatedEnvironment('dup-rebuild');
let workflow: Workflow;

workflowPerFile(env, (started) => (workflow = started));

function birth(seed: string) {
  const draftId = randomUUID();
  const details: Record<string, unknown> & { registration: { draftId: string } } = sampleBirth(draftId, {}, seed);
  delete details['attachments'];
  return declarationJob(details);
}

test('a rebuilt index carries the same duplicate flags as the live one, and they match the pairs', async () => {
  const seed = `twins-${randomUUID()}`;
  const jobs = [birth(seed), birth(seed), birth(seed), birth(`alone-${randomUUID()}`)];
  const process = createRecordProcessor(workflow.deps);
  for (const data of jobs) await process({ id: data.draftId, data, attemptsMade: 0 } as unknown as RecordJob);
  const ids = jobs.map((j) => recordIdFor(j.draftId));
  const { search, db, logger } = workflow.deps;
  const live = await Promise.all(ids.map(async (id) => (await search.get(id))?.hasPotentialDuplicates));
  assert.deepEqual(live, [true, true, true, false]);

  const paired = new Set((await db.duplicatePairs.find({}).toArray()).flatMap((p) => p.records));
  assert.deepEqual(ids.map((id) => paired.has(id)), live, 'flagged exactly when a pair names the record');

  const es = createElasticsearch(storeConfigFrom(env).elasticsearch);
  try {
    await rebuildSearchIndex(es, db, search, logger);
    assert.deepEqual(await Promise.all(ids.map(async (id) => (await search.get(id))?.hasPotentialDuplicates)), live);

    const deps: ReconcileDeps = {
      es,
      alias: search.alias,
      db,
      minio: workflow.deps.minio,
      buckets: workflow.deps.buckets,
      jobState: () => Promise.resolve(undefined),
      logger,
    };
    const result = await checkSearch(deps, { ...DEFAULT_OPTIONS, graceMs: 0 });
    assert.deepEqual(result.drift, []);
  } finally {
    await es.close();
  }
});
