import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { CorruptDraftError } from '../drafts.js';
import { FileDraftStore } from './file-store.js';
import { draftStoreContract, sampleDraft } from './store-contract.js';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'steadfast-drafts-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('FileDraftStore', () => {
  draftStoreContract(async () => new FileDraftStore(join(await freshDir(), 'drafts')));

  test('one file per draft, and no temporary file left after a put', async () => {
    const store = new FileDraftStore(await freshDir());
    await store.put(sampleDraft('one'));
    await store.put(sampleDraft('two'));
    await store.put(sampleDraft('one', { state: 'queued', attempts: 1 }));
    assert.deepEqual((await readdir(store.dir)).sort(), ['one.json', 'two.json']);
  });

  test('a torn temporary file (a crash mid-write) is ignored: the draft reads as its last whole version', async () => {
    const store = new FileDraftStore(await freshDir());
    await store.put(sampleDraft('torn', { state: 'queued', attempts: 1 }));
    const whole = JSON.stringify(sampleDraft('torn', { state: 'processed', attempts: 1 }));
    const temp = `${store.fileOf('torn')}.tmp-0a1b2c3d4e5f`;
    await writeFile(temp, whole.slice(0, whole.length / 2));
    const listed = await store.list();
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.state, 'queued');
    assert.equal((await store.get('torn'))?.state, 'queued');
    // A fresh temp file may belong to a write in progress: kept. An hour-old one is a crash's: removed.
    assert.ok((await readdir(store.dir)).includes('torn.json.tmp-0a1b2c3d4e5f'));
    await utimes(temp, new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000));
    await store.list();
    assert.deepEqual(await readdir(store.dir), ['torn.json']);
  });

  test('a damaged draft file is an error naming it, never silently dropped', async () => {
    const store = new FileDraftStore(await freshDir());
    await store.put(sampleDraft('fine'));
    await writeFile(store.fileOf('broken'), '{"draftId": "broken", "sta');
    await assert.rejects(store.list(), (error: Error) => error instanceof CorruptDraftError && error.message.includes('broken.json'));
  });

  test('a draft id cannot name a file outside the folder', async () => {
    const store = new FileDraftStore(await freshDir());
    await store.put(sampleDraft('../../escape'));
    assert.deepEqual(await readdir(store.dir), ['%2E%2E%2F%2E%2E%2Fescape.json']);
    assert.equal((await store.get('../../escape'))?.draftId, '../../escape');
  });

  test('SIGKILLed while rewriting drafts, the folder still reads: every draft whole', { timeout: 60_000 }, async () => {
    const dir = await freshDir();
    const storeModule = new URL('./file-store.js', import.meta.url).href;
    // A writer that rewrites 20 drafts with a 200 kB payload as fast as it can.
    const script = `
      import { FileDraftStore } from ${JSON.stringify(storeModule)};
      const store = new FileDraftStore(${JSON.stringify(dir)});
      const big = 'A'.repeat(200_000);
      for (let n = 1; ; n++) {
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.put({
          draftId: 'd' + i, mutation: 'createBirthRegistration', state: 'pending', attempts: n,
          payload: { details: { registration: { draftId: 'd' + i }, blob: big } },
          createdAt: '2026-12-01T00:00:00.000Z', updatedAt: new Date().toISOString(),
        })));
        if (n === 2) process.stdout.write('writing\\n');
      }`;
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await sleep(50 + round * 70);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const drafts = await new FileDraftStore(dir).list();
      assert.equal(drafts.length, 20, `round ${round}`);
      for (const d of drafts) assert.equal((d.payload?.details['blob'] as string).length, 200_000);
      const names = await readdir(dir);
      const temps = names.filter((n) => n.includes('.tmp-'));
      // Whatever temp files the kill left are not drafts and do not parse as whole ones necessarily.
      for (const t of temps) assert.ok((await readFile(join(dir, t))).length <= 200_500);
    }
  });
});
