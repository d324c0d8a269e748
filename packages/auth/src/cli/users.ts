#!/usr/bin/env node
/**
 * `npm run users -- add|disable|reset-password|list`: the operators' way to manage users where
 * no demo users exist (production). Runs wherever auth runs (the auth container included: it
 * needs only the compiled code and the environment auth reads). Passwords come from standard
 * input, one line; a prompt without echo when it is a terminal.
 */
import { createMongo, storeConfigFrom } from '@steadfast/commons';
import { readDirectoryEnvironment, type DirectoryEnvironment } from '../environment.js';
import { UnknownUserError, UserDirectory, UsernameTakenError } from '../users.js';
import { readSecretLine } from './secret-input.js';
import { parseUsersCommand, passwordProblem, USAGE, UsageError, type UsersCommand } from './users-command.js';

const EXIT_REFUSED = 1;
const EXIT_USAGE = 64;

class Refused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Refused';
  }
}

async function password(): Promise<string> {
  const value = await readSecretLine(process.stdin, process.stderr, 'password: ');
  const problem = passwordProblem(value);
  if (problem) throw new Refused(problem);
  return value;
}

async function run(command: UsersCommand, directory: UserDirectory): Promise<void> {
  switch (command.command) {
    case 'add': {
      const { username, name, office, scopes } = command;
      const created = await directory.create({ username, name, office, scopes, password: await password() });
      process.stdout.write(`added ${created.username} (${created._id}), scopes ${created.scopes.join(',')}, office ${created.office}\n`);
      return;
    }
    case 'disable': {
      const changed = await directory.disable(command.username);
      process.stdout.write(changed ? `disabled ${command.username}\n` : `${command.username} was disabled already\n`);
      return;
    }
    case 'reset-password': {
      // Unknown user first, so nobody types a password for nothing.
      if (!(await directory.findByUsername(command.username))) throw new UnknownUserError(`there is no user ${command.username}`);
      await directory.resetPassword(command.username, await password());
      process.stdout.write(`password of ${command.username} changed\n`);
      return;
    }
    case 'list': {
      const users = await directory.list();
      if (command.json) {
        process.stdout.write(`${JSON.stringify(users.map(({ _id, ...u }) => ({ userId: _id, ...u, disabled: Boolean(u.disabledAt) })))}\n`);
        return;
      }
      const rows = [['USERNAME', 'NAME', 'OFFICE', 'SCOPES', 'STATE', 'ID']];
      for (const u of users) rows.push([u.username, u.name, u.office, u.scopes.join(','), u.disabledAt ? 'disabled' : 'active', u._id]);
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
      for (const row of rows) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
      return;
    }
  }
}

let command: UsersCommand;
try {
  command = parseUsersCommand(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`users: ${error.message}\n\n${USAGE}\n`);
  process.exit(EXIT_USAGE);
}

let env: DirectoryEnvironment;
try {
  env = readDirectoryEnvironment();
} catch (error) {
  process.stderr.write(`users: ${(error as Error).message}\n`);
  process.exit(2);
}
const stores = storeConfigFrom(env);
const mongo = createMongo(stores.mongo);
try {
  const directory = new UserDirectory(mongo.db(stores.mongo.dbName));
  await directory.ensureIndexes();
  await run(command, directory);
} catch (error) {
  if (error instanceof Refused || error instanceof UnknownUserError || error instanceof UsernameTakenError) {
    process.stderr.write(`users: ${error.message}\n`);
    process.exitCode = EXIT_REFUSED;
  } else {
    process.stderr.write(`users: failed: ${(error as Error).message.split('\n')[0] ?? ''}\n`);
    process.exitCode = 2;
  }
} finally {
  await mongo.close();
}
