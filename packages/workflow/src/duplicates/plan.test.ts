import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ownDuplicateFields, planDuplicates } from './plan.js';

const hit = (recordId: string, flagged = false) => ({ recordId, flagged });

test('every candidate under the cap is paired; only the unflagged ones are flagged', () => {
  const plan = planDuplicates({ candidates: [hit('a', true), hit('b'), hit('c', true)], total: 3 }, 10);
  assert.deepEqual(plan, { pair: ['a', 'b', 'c'], flag: ['b'], overflow: 0 });
});

test('matches beyond the cap are counted, not paired', () => {
  const plan = planDuplicates({ candidates: [hit('a'), hit('b'), hit('c')], total: 250 }, 2);
  assert.deepEqual(plan, { pair: ['a', 'b'], flag: ['a', 'b'], overflow: 248 });
});

test('no candidates: nothing to pair, flag or count', () => {
  assert.deepEqual(planDuplicates({ candidates: [], total: 0 }, 20), { pair: [], flag: [], overflow: 0 });
});

test('the own record is written only when its flag or overflow changes', () => {
  const some = planDuplicates({ candidates: [hit('a')], total: 1 }, 5);
  assert.deepEqual(ownDuplicateFields({ hasPotentialDuplicates: false }, some), { hasPotentialDuplicates: true });
  assert.equal(ownDuplicateFields({ hasPotentialDuplicates: true }, some), undefined, 'flagged already: a repeat writes nothing');
  const capped = planDuplicates({ candidates: [hit('a'), hit('b')], total: 9 }, 2);
  assert.deepEqual(ownDuplicateFields({ hasPotentialDuplicates: true }, capped), { duplicateOverflow: 7 });
  assert.equal(ownDuplicateFields({ hasPotentialDuplicates: true, duplicateOverflow: 7 }, capped), undefined);
  const none = planDuplicates({ candidates: [], total: 0 }, 5);
  assert.equal(ownDuplicateFields({ hasPotentialDuplicates: false }, none), undefined, 'no candidate: no write');
  assert.equal(ownDuplicateFields({ hasPotentialDuplicates: true }, none), undefined, 'a flag, once set, stays (the pairs stay)');
});
