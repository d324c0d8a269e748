import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidTokenError, type TokenUser } from '@steadfast/commons';
import { admitUser, DISABLED_USER, refusingDisabled } from './disabled-users.js';

const alice: TokenUser = { userId: 'u-alice', scopes: ['declare'] };
const bob: TokenUser = { userId: 'u-bob', scopes: ['register'] };

test('a verified user on the disabled list is refused as an invalid token; anyone else passes unchanged', () => {
  const disabled = new Set(['u-bob']);
  assert.equal(admitUser(alice, disabled), alice);
  assert.throws(() => admitUser(bob, disabled), (error: unknown) => error instanceof InvalidTokenError && (error as Error).message === DISABLED_USER);
  assert.equal(admitUser(bob, new Set()), bob);
});

test('refusingDisabled reads the list at each request: a user disabled after their first request is refused at the next', async () => {
  let list = new Set<string>();
  const verify = refusingDisabled(async (token) => (token === 'bob' ? bob : alice), { ids: () => list });
  assert.equal(await verify('bob'), bob);
  list = new Set(['u-bob']);
  await assert.rejects(verify('bob'), InvalidTokenError);
  assert.equal(await verify('alice'), alice);
});

test('a token that fails verification fails as before, whatever the list', async () => {
  const verify = refusingDisabled(async () => {
    throw new InvalidTokenError('the token has expired');
  }, { ids: () => new Set(['u-bob']) });
  await assert.rejects(verify('x'), /expired/);
});
