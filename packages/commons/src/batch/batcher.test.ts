import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher, itemFailed, itemOk, settleEach, type ItemResult } from './batcher.js';
import { matchById, unorderedOutcomes, writeErrorsOf } from './mongo.js';

/** A batcher over a call that records what it was given and answers each item by `answer`. */
function recording<R>(answer: (item: number) => ItemResult<R>, options: { maxSize: number; maxWaitMs: number }) {
  const calls: number[][] = [];
  const sizes: number[] = [];
  const batcher = new Batcher<number, R>((items) => {
    calls.push([...items]);
    return Promise.resolve(items.map(answer));
  }, { ...options, onFlush: (size) => sizes.push(size) });
  return { batcher, calls, sizes };
}

test('size bound: a full batch goes out at once, without waiting for the timer', async () => {
  const { batcher, calls, sizes } = recording((n) => itemOk(n * 10), { maxSize: 3, maxWaitMs: 3_600_000 });
  const answers = Promise.all([1, 2, 3].map((n) => batcher.add(n)));
  assert.deepEqual(calls, [[1, 2, 3]]);
  assert.deepEqual(await answers, [10, 20, 30]);
  assert.deepEqual(sizes, [3]);
  assert.equal(batcher.pending, 0);
});

test('size bound: more than a batch added at once is cut into batches of at most maxSize', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { batcher, calls } = recording((n) => itemOk(n), { maxSize: 3, maxWaitMs: 1_000 });
  const answers = Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => batcher.add(n)));
  assert.deepEqual(calls, [[1, 2, 3], [4, 5, 6]]);
  t.mock.timers.tick(1_000);
  assert.deepEqual(calls, [[1, 2, 3], [4, 5, 6], [7]]);
  assert.deepEqual(await answers, [1, 2, 3, 4, 5, 6, 7]);
});

test('time bound: items wait maxWaitMs after the first of them, then go out together', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { batcher, calls, sizes } = recording((n) => itemOk(n), { maxSize: 64, maxWaitMs: 5 });
  const first = batcher.add(1);
  t.mock.timers.tick(3);
  const second = batcher.add(2);
  assert.deepEqual(calls, []);
  assert.equal(batcher.pending, 2);
  t.mock.timers.tick(1);
  assert.deepEqual(calls, []);
  t.mock.timers.tick(1);
  assert.deepEqual(calls, [[1, 2]]);
  assert.deepEqual([await first, await second], [1, 2]);
  // The next item starts a new wait.
  const third = batcher.add(3);
  t.mock.timers.tick(5);
  assert.deepEqual(calls, [[1, 2], [3]]);
  assert.equal(await third, 3);
  assert.deepEqual(sizes, [2, 1]);
});

test("an item's failure fails only its own caller", async () => {
  const refused = new Error('item 2 refused');
  const { batcher } = recording((n) => (n === 2 ? itemFailed(refused) : itemOk(n)), { maxSize: 3, maxWaitMs: 0 });
  const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.add(n)));
  assert.deepEqual(results, [
    { status: 'fulfilled', value: 1 },
    { status: 'rejected', reason: refused },
    { status: 'fulfilled', value: 3 },
  ]);
});

test('an error of the whole call fails every item of that call, and only of that call', async () => {
  const down = new Error('store down');
  let call = 0;
  const batcher = new Batcher<number, number>((items) => {
    call++;
    return call === 1 ? Promise.reject(down) : Promise.resolve(items.map((n) => itemOk(n)));
  }, { maxSize: 2, maxWaitMs: 0 });
  const results = await Promise.allSettled([1, 2, 3, 4].map((n) => batcher.add(n)));
  assert.deepEqual(results, [
    { status: 'rejected', reason: down },
    { status: 'rejected', reason: down },
    { status: 'fulfilled', value: 3 },
    { status: 'fulfilled', value: 4 },
  ]);
});

test('a call that throws before returning a promise fails its items too', async () => {
  const bug = new Error('thrown synchronously');
  const batcher = new Batcher<number, number>(() => {
    throw bug;
  }, { maxSize: 2, maxWaitMs: 0 });
  const results = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
});

test('settleEach: an item the call gave no result for fails; a failed call fails all', () => {
  const short = settleEach(3, { results: [itemOk('a')] });
  assert.deepEqual(short[0], itemOk('a'));
  assert.equal(short[1]!.ok, false);
  assert.equal(short[2]!.ok, false);
  const down = new Error('down');
  assert.deepEqual(settleEach(2, { error: down }), [itemFailed(down), itemFailed(down)]);
});

test('a batch of at least one item', () => {
  assert.throws(() => new Batcher(() => Promise.resolve([]), { maxSize: 0, maxWaitMs: 1 }));
});

test('unorderedOutcomes: every item written when there is no error', () => {
  assert.deepEqual(unorderedOutcomes(2, undefined, { duplicateOk: true }), [itemOk('inserted'), itemOk('inserted')]);
});

test('unorderedOutcomes: a duplicate key is "already there"; another item error fails only that item', () => {
  const bulk = { writeErrors: [{ index: 0, code: 11000, errmsg: 'E11000 duplicate key' }, { index: 2, code: 121, errmsg: 'Document failed validation' }] };
  const [dup, fine, refused] = unorderedOutcomes(3, bulk, { duplicateOk: true });
  assert.deepEqual(dup, itemOk('duplicate'));
  assert.deepEqual(fine, itemOk('inserted'));
  assert.equal(refused!.ok, false);
  const error = (refused as { error: { name: string; code: number; message: string } }).error;
  assert.equal(error.name, 'MongoServerError');
  assert.equal(error.code, 121);
  assert.equal(error.message, 'Document failed validation');
  // An update batch: a duplicate key is an error like any other.
  assert.equal(unorderedOutcomes(1, { writeErrors: { index: 0, code: 11000, errmsg: 'dup' } }, { duplicateOk: false })[0]!.ok, false);
});

test('unorderedOutcomes: an error that is not per item (network, write concern) fails every item', () => {
  const network = new Error('connection reset');
  assert.deepEqual(unorderedOutcomes(2, network, { duplicateOk: true }), [itemFailed(network), itemFailed(network)]);
  const concern = { writeErrors: [{ index: 0, code: 11000 }], writeConcernError: { code: 64 } };
  assert.equal(writeErrorsOf(concern), undefined);
  assert.deepEqual(unorderedOutcomes(2, concern, { duplicateOk: true }).map((r) => r.ok), [false, false]);
});

test('matchById: each id its document or undefined, repeats included, in the order asked', () => {
  const docs = [{ _id: 'b', n: 2 }, { _id: 'a', n: 1 }];
  assert.deepEqual(matchById(['a', 'c', 'b', 'a'], docs), [itemOk(docs[1]), itemOk(undefined), itemOk(docs[0]), itemOk(docs[1])]);
});


test('in-flight bound: items due while a call is out wait for it, then go out together at once', async () => {
  const calls: number[][] = [];
  const answers: Array<() => void> = [];
  const batcher = new Batcher<number, number>(
    (items) => {
      calls.push([...items]);
      return new Promise((resolve) => answers.push(() => resolve(items.map((n) => itemOk(n)))));
    },
    { maxSize: 100, maxWaitMs: 0, maxInFlight: 1 },
  );
  const first = batcher.add(1);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(calls, [[1]], 'the first goes out on the next turn');
  const later = [2, 3, 4].map((n) => batcher.add(n));
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(calls, [[1]], 'the others wait while the first call is out');
  answers[0]!();
  assert.equal(await first, 1);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(calls, [[1], [2, 3, 4]], 'they go out together once it settled');
  answers[1]!();
  assert.deepEqual(await Promise.all(later), [2, 3, 4]);
  assert.equal(batcher.pending, 0);
});

test('in-flight bound: a failed call frees its place too', async () => {
  let call = 0;
  const batcher = new Batcher<number, number>(
    async (items) => {
      call += 1;
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (call === 1) throw new Error('store down');
      return items.map((n) => itemOk(n));
    },
    { maxSize: 100, maxWaitMs: 0, maxInFlight: 1 },
  );
  const first = batcher.add(1);
  await new Promise((resolve) => setTimeout(resolve, 0));
  const second = batcher.add(2);
  await assert.rejects(first, /store down/);
  assert.equal(await second, 2);
});
