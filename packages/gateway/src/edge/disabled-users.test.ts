import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, InvalidTokenError, type DirectoryEntry, type TokenUser } from '@steadfast/commons';
import type { Collection } from 'mongodb';
import { admitUser, DISABLED_USER, DisabledUsers, refusingDisabled } from './disabled-users.js';

const alice: TokenUser = { userId: 'u-alice', scopes: ['declare'] };
const bob: TokenUser = { userId: 'u-bob', scopes: ['register'] };

test('a verified user on the disabled list is refused as an invalid token; anyone else passes unchanged', () => {
  const disabled = new Set(['u-bob']);
  assert.equal(admitUser(alice, disabled), alice);
  assert.throws(() => admitUser(bob, disabled), (error: unknown) => error instanceof InvalidTokenError && error.message === DISABLED_USER);
  assert.equal(admitUser(bob, new Set()), bob);
});

test('refusingDisabled reads the list at each request: a user disabled after their first request is refused at the next', async () => {
  let list = new Set<string>();
  const verify = refusingDisabled((token) => Promise.resolve(token === 'bob' ? bob : alice), { ids: () => list });
  assert.equal(await verify('bob'), bob);
  list = new Set(['u-bob']);
  await assert.rejects(verify('bob'), InvalidTokenError);
  assert.equal(await verify('alice'), alice);
});

test('a token that fails verification fails as before, whatever the list', async () => {
  const verify = refusingDisabled(() => Promise.reject(new InvalidTokenError('the token has expired')), { ids: () => new Set(['u-bob']) });
  await assert.rejects(verify('x'), /expired/);
});

/** A directory whose find answers what `answer` says at the time: ids, an error, or never. */
function directory(answer: () => string[] | Error | 'never'): Collection<DirectoryEntry> {
  return {
    find: () => ({
      toArray: () => {
        const now = answer();
        if (now === 'never') return new Promise(() => undefined);
        return now instanceof Error ? Promise.reject(now) : Promise.resolve(now.map((_id) => ({ _id })));
      },
    }),
  } as unknown as Collection<DirectoryEntry>;
}

const silent = createLogger('gateway', { level: 'silent' });

test('the list is read again on refresh; a failed read keeps the last list (MongoDB down: intake goes on)', async () => {
  let answer: string[] | Error = ['u-bob'];
  const list = new DisabledUsers(directory(() => answer), silent, 60_000);
  await list.refresh();
  assert.deepEqual([...list.ids()], ['u-bob']);
  answer = new Error('connect ECONNREFUSED');
  await list.refresh();
  assert.deepEqual([...list.ids()], ['u-bob']);
  answer = ['u-bob', 'u-carol'];
  await list.refresh();
  assert.deepEqual([...list.ids()].sort(), ['u-bob', 'u-carol']);
});

test('start waits for the first read at most firstReadMs, and polls after it', async () => {
  let answer: string[] | 'never' = 'never';
  const list = new DisabledUsers(directory(() => answer), silent, 50);
  const started = Date.now();
  await list.start(100);
  assert.ok(Date.now() - started < 1_000, 'a read that hangs does not hold the start');
  assert.equal(list.ids().size, 0);
  answer = ['u-dan'];
  // The hung first read never settles; the poll after it (every 50 ms) reads the list.
  for (let i = 0; i < 100 && list.ids().size === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  list.stop();
  assert.deepEqual([...list.ids()], ['u-dan']);
});
