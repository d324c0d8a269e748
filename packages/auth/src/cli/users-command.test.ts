import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUsersCommand, passwordProblem, UsageError } from './users-command.js';

const usage = (argv: string[], pattern: RegExp) => assert.throws(() => parseUsersCommand(argv), (e: unknown) => e instanceof UsageError && pattern.test(e.message));

test('add takes username, name, office and scopes', () => {
  assert.deepEqual(parseUsersCommand(['add', '--username', 'jane.b', '--name', ' Jane  Banda ', '--office', 'Lusaka', '--scopes', 'declare, validate,declare']), {
    command: 'add',
    username: 'jane.b',
    name: 'Jane  Banda',
    office: 'Lusaka',
    scopes: ['declare', 'validate'],
  });
});

test('each missing or bad flag is named with its rule', () => {
  usage(['add', '--username', 'jane'], /--name: required.*--office: required.*--scopes: required/);
  usage(['add', '--username', 'jane', '--name', 'J', '--office', 'O', '--scopes', 'declare,root'], /--scopes: unknown scope "root"/);
  usage(['add', '--username', 'jane', '--name', 'J', '--office', 'O', '--scopes', ','], /--scopes: name at least one scope/);
  usage(['add', '--username', 'ja ne', '--name', 'J', '--office', 'O', '--scopes', 'declare'], /--username: letters, digits/);
  usage(['add', '--username', 'jane', '--name', 'J\u202eX', '--office', 'O', '--scopes', 'declare'], /--name must not contain control or bidi-override/);
  usage(['disable'], /--username: required/);
  usage(['disable', '--username', 'jane', '--scopes', 'declare'], /--scopes not taken by disable/);
  usage(['remove', '--username', 'jane'], /unknown command "remove"/);
  usage([], /name a command/);
  usage(['list', '--verbose'], /Unknown option/);
});

test('a password on the command line is refused, with the reason', () => {
  usage(['reset-password', '--username', 'jane', '--password', 'hunter2hunter2'], /--password is refused.*standard input/);
});

test('disable, reset-password and list', () => {
  assert.deepEqual(parseUsersCommand(['disable', '--username', 'jane']), { command: 'disable', username: 'jane' });
  assert.deepEqual(parseUsersCommand(['reset-password', '--username', 'jane']), { command: 'reset-password', username: 'jane' });
  assert.deepEqual(parseUsersCommand(['list']), { command: 'list', json: false });
  assert.deepEqual(parseUsersCommand(['list', '--json']), { command: 'list', json: true });
});

test('the password rule: not empty, at least 12, at most 200 characters', () => {
  assert.match(passwordProblem('') ?? '', /empty/);
  assert.match(passwordProblem('short') ?? '', /at least 12/);
  assert.match(passwordProblem('x'.repeat(201)) ?? '', /at most 200/);
  assert.equal(passwordProblem('correct horse battery'), undefined);
});
