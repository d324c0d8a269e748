/**
 * Domain events end to end. The relay and the consumer run as their own processes (the events
 * service with one role each), then as two processes running both (each relay applying its rounds
 * itself: direct delivery), and are SIGKILLed at random moments while 1,000 record changes are
 * written: afterwards every projection equals the source, no event was applied twice and
 * each record's events were applied in order. Then, through the whole system: a user renamed
 * in auth's directory shows the new name in every record and search document that copies it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import {
  queueBase,
  collections,
  createLogger,
  eventQueueName,
  openStores,
  recordIdFor,
  sampleBirth,
  storeConfigFrom,
  storeEnvSchema,
  type Collections,
} from '@steadfast/commons';
import { testing } from '@steadfast/events';
import { SearchIndex, toSearchDocument } from '@steadfast/records';
import { Queue } from 'bullmq';
import { gql, isolatedStores, login, MUTATIONS, fetchStatus, storesOf } from './client.js';
import { E2E_PORTS, eventually, startSystem } from './support.js';

const EVENTS_MAIN = fileURLToPath(new URL('./main.js', import.meta.resolve('@steadfast/events')));
const PARTITIONS = 4;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** An events-service process with one role or both (direct delivery), restartable after a SIGKILL. */
class EventsProcess {
  private child: ChildProcess | undefined;
  kills = 0;

  constructor(
    readonly role: 'relay' | 'consumer' | 'relay,consumer',
    private readonly env: Record<string, string>,
  ) {}

  start(): void {
    this.child = spawn(process.execPath, [EVENTS_MAIN], {
      env: { ...process.env, ...this.env, EVENTS_ROLES: this.role, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.kills++;
  }
}

async function projectionsEqualSource(db: Collections, search: SearchIndex, ids: readonly string[]): Promise<string | undefined> {
  for (const recordId of ids) {
    const record = await db.records.findOne({ _id: recordId });
    const doc = await search.getVersioned(recordId);
    if (!record) return `record ${recordId} missing`;
    if (doc?.version !== record.version) return `search document of ${recordId} at ${doc?.version}, record at ${record.version}`;
    assert.deepEqual(doc.doc, toSearchDocument(record), `search document of ${recordId}`);
    const trail = await db.auditTrail.countDocuments({ recordId });
    if (trail !== record.version) return `audit trail of ${recordId} has ${trail} of ${record.version}`;
  }
  return undefined;
}

test('1,000 record changes with the relay and the consumer killed at random: projections equal the source, each event applied once, in order', { timeout: 300_000 }, async () => {
  await eventsDrill(['relay', 'consumer']);
});

test('the same with two processes running both roles (each relay applies its rounds itself), killed at random', { timeout: 300_000 }, async () => {
  await eventsDrill(['relay,consumer', 'relay,consumer']);
});

/**
 * 100 records, each created then changed 9 times by 25 concurrent writers, while one of the two
 * events processes (of these roles) is SIGKILLed and restarted at random.
 */
async function eventsDrill(roles: [EventsProcess['role'], EventsProcess['role']]): Promise<void> {
  const names = isolatedStores();
  const env = {
    ...names,
    EVENT_PARTITIONS: String(PARTITIONS),
    RELAY_POLL_MS: '50',
    RELAY_SWEEP_MS: '1000',
    EVENT_LOCK_MS: '2000',
    EVENT_BACKOFF_MS: '200',
    EVENT_ATTEMPTS: '50',
  };
  const config = storeConfigFrom(storeEnvSchema.parse({ ...process.env, ...env }));
  const stores = openStores(config, createLogger('e2e', { level: 'silent' }));
  const db = collections(stores.mongo.db(config.mongo.dbName));
  const search = new SearchIndex(stores.es, config.elasticsearch.index);
  const [first, second] = roles.map((role, i) => new EventsProcess(role, { ...env, EVENTS_PORT: String(Number(E2E_PORTS.GATEWAY_PORT) + 6 + i) })) as [EventsProcess, EventsProcess];
  try {
    first.start();
    second.start();

    // 100 records, each created then changed 9 times: 1,000 changes, by 25 concurrent writers.
    const ids = Array.from({ length: 100 }, (_, i) => `ev-${names.MONGO_DB}-${i}`);
    let writing = true;
    const killer = (async () => {
      while (writing) {
        await sleep(randomInt(300, 1_200));
        const victim = Math.random() < 0.5 ? first : second;
        await victim.kill();
        await sleep(randomInt(100, 600));
        victim.start();
      }
    })();
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 25 }, async (_, writer) => {
        for (const [i, recordId] of ids.entries()) {
          if (i % 25 !== writer) continue;
          await testing.insertRecord(db, stores.redis, testing.newRecord(recordId, 'user-1', i));
          for (let change = 1; change < 10; change++) {
            await sleep(randomInt(0, 30));
            await testing.renameChild(db, stores.redis, recordId, `Name${change}`);
          }
        }
      }),
    );
    writing = false;
    await killer;
    const writeMs = Date.now() - started;
    assert.ok(first.kills + second.kills >= 3, `the drill killed only ${first.kills + second.kills} times`);

    let drift: string | undefined = 'not checked';
    const settledMs = await eventually('every projection equals the source', async () => {
      drift = await projectionsEqualSource(db, search, ids);
      return drift === undefined;
    }, 120_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; last drift: ${drift}`);
    });

    // Each event once, in order: the trail holds sequences 1‥version, applied in that order.
    let changes = 0;
    const lags: number[] = [];
    for (const recordId of ids) {
      const trail = await db.auditTrail.find({ recordId }).sort({ sequence: 1 }).toArray();
      assert.deepEqual(trail.map((e) => e.sequence), Array.from({ length: trail.length }, (_, k) => k + 1));
      for (let k = 1; k < trail.length; k++) assert.ok(trail[k]!.appliedAt >= trail[k - 1]!.appliedAt, `${recordId}: event ${k + 1} applied before event ${k}`);
      changes += trail.length;
      for (const e of trail) lags.push(e.appliedAt.getTime() - e.occurredAt.getTime());
    }
    assert.equal(changes, 1_000);
    // A round's events are applied before their outboxes are cleared: the clear may land a moment later.
    await eventually('every outbox emptied', async () => (await db.records.countDocuments({ outboxPending: true })) === 0, 10_000);
    for (let p = 0; p < PARTITIONS; p++) {
      const q = new Queue(eventQueueName(names.EVENT_QUEUE_PREFIX, p), queueBase(stores.redis));
      assert.equal(await q.getFailedCount(), 0, `no event dead-lettered in partition ${p}`);
      await q.obliterate({ force: true });
      await q.close();
    }
    lags.sort((a, b) => a - b);
    console.log(
      `# ${roles.join(' + ')}: 1,000 changes in ${writeMs} ms; ${first.role} killed ${first.kills}×, ${second.role} ${second.kills}×; settled ${settledMs} ms after the last write; ` +
        `propagation (write → audit trail) p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${lags.at(-1)} ms`,
    );

    // Undisturbed: the propagation delay of single changes, write → visible in the search document.
    const quiet: number[] = [];
    for (const recordId of ids.slice(0, 30)) {
      const written = Date.now();
      const version = await testing.renameChild(db, stores.redis, recordId, 'Quiet');
      await eventually('the change is searchable', async () => (await search.getVersioned(recordId))?.version === version, 10_000);
      quiet.push(Date.now() - written);
    }
    quiet.sort((a, b) => a - b);
    console.log(`# propagation without faults (MongoDB write → search document), 30 changes: p50 ${percentile(quiet, 50)} ms, max ${quiet.at(-1)} ms`);
  } finally {
    await first.kill();
    await second.kill();
    await stores.mongo.db(config.mongo.dbName).dropDatabase().catch(() => undefined);
    await stores.es.indices.delete({ index: `${config.elasticsearch.index}-*` }, { ignore: [404] }).catch(() => undefined);
    await stores.close();
  }
}

test("a user renamed in auth's directory: every record and search document that copies the name follows", { timeout: 180_000 }, async () => {
  const names = isolatedStores();
  const view = storesOf(names);
  const system = startSystem(names);
  after(async () => {
    await system.stop();
    await view.drop();
    await view.close();
  });
  await system.start();
  const agent = await login('field.agent');
  const agentId = (JSON.parse(Buffer.from(agent.split('.')[1]!, 'base64url').toString()) as { sub: string }).sub;
  const draftIds = Array.from({ length: 3 }, () => randomUUID());
  for (const draftId of draftIds) {
    const result = await gql(MUTATIONS.birth, { details: sampleBirth(draftId) }, agent);
    assert.equal(result.errors, undefined);
  }
  await eventually('processed', async () => {
    for (const draftId of draftIds) if ((await fetchStatus(draftId, agent)).__typename !== 'RecordProcessed') return false;
    return true;
  }, 60_000);
  const recordIds = draftIds.map((draftId) => recordIdFor(draftId));
  await eventually('the records copy the name', async () => {
    for (const id of recordIds) if ((await view.records.findOne({ _id: id }))?.actors?.[agentId]?.name !== 'Kalusha Bwalya') return false;
    return true;
  });

  const admin = await login('sysadmin');
  const authUrl = `http://127.0.0.1:${E2E_PORTS.AUTH_PORT}`;
  const refused = await fetch(`${authUrl}/users/${agentId}`, { method: 'PATCH', headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'X' }) });
  assert.equal(refused.status, 403, 'only a sysadmin changes users');
  const bad = await fetch(`${authUrl}/users/${agentId}`, { method: 'PATCH', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: '' }) });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /name/);
  const renamedAt = Date.now();
  const response = await fetch(`${authUrl}/users/${agentId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Kalusha Bwalya-Phiri', office: 'Chongwe District Office' }),
  });
  assert.equal(response.status, 200);
  const delay = await eventually('every copy shows the new name', async () => {
    for (const id of recordIds) {
      const copy = (await view.records.findOne({ _id: id }))?.actors?.[agentId];
      const doc = (await view.searchDoc(id)) as { actors?: Array<{ userId: string; name?: string; office?: string }> } | undefined;
      if (copy?.name !== 'Kalusha Bwalya-Phiri' || copy.office !== 'Chongwe District Office') return false;
      if (!doc?.actors?.some((a) => a.userId === agentId && a.name === 'Kalusha Bwalya-Phiri' && a.office === 'Chongwe District Office')) return false;
    }
    return true;
  }, 30_000);
  console.log(`# rename → every copy (records and search documents) in ${Date.now() - renamedAt} ms (polled every 200 ms; first seen after ${delay} ms)`);
  // The new name is in the search index: a query by it finds the three records.
  assert.equal(await view.searchCount({ match: { 'actors.name': 'Bwalya-Phiri' } }), 3);
});
