/**
 * The duplicate check's done-when test, against the real stores (own database, index, queue):
 * clusters of 1, 10, 50 and 200 similar records go through the workflow's duplicate step; the
 * documents a check reads stay within a bound set by the cap, not by the cluster (its time per
 * record is printed for each size: speed is the bench's to show, `npm run bench -- --duplicates`;
 * a timed assertion here failed on slow phases of the machine); every pair is stored once
 * whatever the order (within the cap; beyond it each record pairs with the cap), also for
 * records processed at the same time; a repeated step adds nothing; and a capped check counts
 * what it left out.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { recordIdFor, sampleBirth, seededRandom, type RecordJob } from '@steadfast/commons';
import { DUPLICATE_COMPARED_PER_CANDIDATE } from '@steadfast/records';
import { markDone, type StepContext } from '../context.js';
import { createRecordProcessor } from '../process-record.js';
import type { Workflow } from '../server.js';
import { createRecord } from '../steps/metadata.js';
import { indexRecord } from '../steps/search.js';
import { declarationJob, isolatedEnvironment, workflowPerFile } from '../testing.js';
import { checkDuplicates } from './check.js';

const env = isolatedEnvironment('dup');
let workflow: Workflow;
const random = seededRandom(22);

workflowPerFile(env, (started) => (workflow = started));

/** A family name no other cluster shares (random letters: far apart in edit distance). */
const clusterName = () => `Fam${Array.from({ length: 8 }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('')}`;

/** `size` births of one child's names, mother's family name and day (± a day): all similar. */
function cluster(size: number) {
  const family = clusterName();
  return Array.from({ length: size }, (_none, i) => {
    const draftId = randomUUID();
    const eventDate = `2024-03-${String(10 + (i % 3)).padStart(2, '0')}`;
    const base = sampleBirth(draftId);
    const details: Record<string, unknown> & { registration: { draftId: string } } = sampleBirth(draftId, {
      child: { ...base.child, firstNames: 'Amina', familyName: family, birthDate: eventDate },
      mother: { ...base.mother!, familyName: family },
      eventDate,
    });
    // No attachment: the steps under test do not touch them.
    delete details['attachments'];
    return declarationJob(details);
  });
}

const asJob = (data: ReturnType<typeof declarationJob>) => ({ id: data.draftId, data, attemptsMade: 0 }) as unknown as RecordJob;

/**
 * Runs one record through the search and duplicate steps and the checkpoint after them (which
 * writes the record's own flag with the marks); returns the duplicate step's milliseconds and
 * the documents its search read.
 */
async function throughDuplicateStep(data: ReturnType<typeof declarationJob>): Promise<{ ms: number; read: number }> {
  const record = await createRecord(workflow.deps, data);
  const ctx: StepContext = { deps: workflow.deps, job: asJob(data), data, log: workflow.deps.logger, record };
  await indexRecord(ctx);
  const searches = workflow.deps.batches.duplicates;
  const add = searches.add.bind(searches);
  let read = 0;
  searches.add = async (item) => {
    const found = await add(item);
    read += found.read;
    return found;
  };
  try {
    const started = performance.now();
    await checkDuplicates(ctx);
    const ms = performance.now() - started;
    await markDone(ctx, ['attachments', 'search', 'duplicates']);
    return { ms, read };
  } finally {
    searches.add = add;
  }
}

const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The candidates of every record, read in one pass (FerretDB scans for a query by `records`). */
async function listed(): Promise<Map<string, string[]>> {
  const byRecord = new Map<string, string[]>();
  for await (const pair of workflow.deps.db.duplicatePairs.find({}, { projection: { records: 1 } })) {
    const [a, b] = pair.records;
    byRecord.set(a, [...(byRecord.get(a) ?? []), b]);
    byRecord.set(b, [...(byRecord.get(b) ?? []), a]);
  }
  return byRecord;
}

/**
 * Within the cap, every pair of each cluster stored once; beyond it, each record paired with
 * about `cap` of the others (its own check takes the newest `cap` it sees, and later ones take
 * it: `inFlight` fewer when that many similar records were processed at the same moment);
 * every record of a cluster of two or more flagged, none of a cluster of one.
 */
async function assertPaired(clusters: Array<ReturnType<typeof declarationJob>[]>, cap: number, inFlight = 0): Promise<void> {
  const byRecord = await listed();
  for (const jobs of clusters) {
    const ids = jobs.map((j) => recordIdFor(j.draftId));
    for (const id of ids) {
      const mine = (byRecord.get(id) ?? []).sort();
      const others = ids.filter((other) => other !== id).sort();
      if (ids.length - 1 <= cap) assert.deepEqual(mine, others, `candidates of ${id}`);
      else {
        assert.ok(mine.length >= cap - inFlight, `${id} paired with ${mine.length} of ${others.length} similar records`);
        assert.ok(mine.every((other) => others.includes(other)), `${id} paired outside its cluster`);
      }
      const record = await workflow.deps.db.records.findOne({ _id: id }, { projection: { hasPotentialDuplicates: 1 } });
      assert.equal(record?.hasPotentialDuplicates, ids.length > 1, `the flag of ${id}`);
    }
  }
}

test('the duplicate step reads as much per record in a cluster of 200 as its cap allows, not more, and finds every pair', { timeout: 600_000 }, async () => {
  // A cap of 10: a check reads at most 100 documents (DUPLICATE_COMPARED_PER_CANDIDATE each),
  // half the cluster of 200, so a search that read every similar record would show here.
  const cap = 10;
  workflow.deps.duplicateCap = cap;
  const bound = cap * DUPLICATE_COMPARED_PER_CANDIDATE;
  const sizes: Array<[size: number, clusters: number]> = [[1, 40], [10, 2], [50, 1], [200, 1]];
  const clusters = sizes.flatMap(([size, count]) => Array.from({ length: count }, () => ({ size, jobs: cluster(size) })));
  // Every record of every cluster in one shuffled stream, one at a time: the sizes share the
  // machine's load alike and similar records arrive in any order. (Records processed at the same
  // moment are the next test's: there the time also depends on how many overlap.)
  const stream = clusters.flatMap(({ size, jobs }) => jobs.map((job) => ({ size, job })));
  stream.sort(() => random() - 0.5);
  const seen = new Map<number, Array<{ ms: number; read: number }>>(sizes.map(([size]) => [size, []]));
  for (const { size, job } of stream) seen.get(size)!.push(await throughDuplicateStep(job));

  for (const [size, checks] of seen) {
    const times = checks.map((c) => c.ms);
    const reads = checks.map((c) => c.read);
    console.log(
      `cluster of ${size} (${checks.length} records): duplicate step p50 ${p50(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms; ` +
        `documents read p50 ${p50(reads)}, max ${Math.max(...reads)} (bound ${bound})`,
    );
    assert.ok(Math.max(...reads) <= bound, `a check in a cluster of ${size} read ${Math.max(...reads)} documents, past ${bound}`);
  }
  // The bound is reached (the cluster of 200 is read up to it), and the others read what they hold.
  assert.equal(Math.max(...seen.get(200)!.map((c) => c.read)), bound);
  assert.equal(Math.max(...seen.get(1)!.map((c) => c.read)), 0);
  await assertPaired(clusters.map((c) => c.jobs), cap);
  console.log(`p50 time ratio, cluster of 200 / cluster of 1: ${(p50(seen.get(200)!.map((c) => c.ms)) / p50(seen.get(1)!.map((c) => c.ms))).toFixed(2)} (printed, not asserted)`);
});

test('similar records processed at the same time all pair up, once each, and a repeat adds nothing', { timeout: 120_000 }, async () => {
  workflow.deps.duplicateCap = 256;
  const jobs = cluster(30);
  const process = createRecordProcessor(workflow.deps);
  // All at once through the whole workflow, as concurrent workers would run them.
  const results = await Promise.allSettled(jobs.map((job) => process(asJob(job))));
  // Two at once may collide on a compare-and-set round; a loser is retried, like a real retry.
  for (const [i, result] of results.entries()) {
    if (result.status === 'fulfilled') continue;
    for (let attempt = 1; ; attempt++) {
      try {
        await process(asJob(jobs[i]!));
        break;
      } catch (error) {
        if (attempt === 5) throw error;
      }
    }
  }
  await assertPaired([jobs], 256);
  const { db } = workflow.deps;
  const ids = jobs.map((j) => recordIdFor(j.draftId));
  const pairsOfCluster = () => db.duplicatePairs.countDocuments({ foundBy: { $in: ids } });
  assert.equal(await pairsOfCluster(), (30 * 29) / 2);

  // The step again, on a record already checked: no pair, no record write.
  const record = (await db.records.findOne({ _id: ids[0]! }))!;
  const data = jobs[0]!;
  const ctx: StepContext = { deps: workflow.deps, job: asJob(data), data, log: workflow.deps.logger, record };
  await checkDuplicates(ctx);
  assert.equal(ctx.pending, undefined, 'nothing left for the checkpoint to write');
  assert.equal(await pairsOfCluster(), (30 * 29) / 2);
  assert.equal((await db.records.findOne({ _id: ids[0]! }))?.version, record.version);
});

test('a check that matches more than the cap pairs with the cap and counts the rest', async () => {
  workflow.deps.duplicateCap = 5;
  const overflowBefore = (await workflow.deps.metrics!.duplicateOverflow.get()).values[0]?.value ?? 0;
  const jobs = cluster(12);
  for (const job of jobs) await throughDuplicateStep(job);
  const { db } = workflow.deps;
  const last = (await db.records.findOne({ _id: recordIdFor(jobs[11]!.draftId) }))!;
  assert.equal(last.duplicateOverflow, 11 - 5);
  assert.equal(await db.duplicatePairs.countDocuments({ foundBy: last._id }), 5);
  for (const [i, job] of jobs.entries()) {
    const found = await db.duplicatePairs.countDocuments({ foundBy: recordIdFor(job.draftId) });
    assert.equal(found, Math.min(i, 5), `record ${i} pairs with the earlier ones up to the cap`);
  }
  // Record i matched the i before it: 1 + 2 + … + 6 beyond the cap in all.
  const metrics = await workflow.deps.metrics!.duplicateOverflow.get();
  assert.equal((metrics.values[0]?.value ?? 0) - overflowBefore, 21, 'the overflow is counted in the metric');
});
