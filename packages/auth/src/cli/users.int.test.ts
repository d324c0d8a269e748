/**
 * The users command as an operator runs it (`npm run --silent users -- …`, password on standard
 * input), against the real MongoDB in a database of its own, with auth started on the same
 * directory: a user added logs in, a disabled one does not, a reset password replaces the old.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { createLogger } from '@steadfast/commons';
import { readEnvironment } from '../environment.js';
import { createAuth, type AuthService } from '../server.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const MONGO_DB = `auth_users_cli_${randomBytes(4).toString('hex')}`;
// The command reads NODE_ENV like auth does; production needs no secrets for it.
const cliEnv = { ...process.env, NODE_ENV: 'production', MONGO_DB };
let dir: string;
let auth: AuthService;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steadfast-users-'));
  auth = await createAuth(
    readEnvironment({ ...process.env, NODE_ENV: 'test', AUTH_PORT: '0', MONGO_DB, AUTH_KEY_FILE: join(dir, 'key.pem') }),
    createLogger('auth', { level: 'silent' }),
  );
});

after(async () => {
  await auth.directory.users.db.dropDatabase();
  await auth.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command; `stdin` is written and closed. */
function users(args: string[], stdin = '', viaNpm = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const [file, argv] = viaNpm
    ? ['npm', ['run', '--silent', 'users', '--', ...args]]
    : [process.execPath, [join(REPO_ROOT, 'packages/auth/dist/cli/users.js'), ...args]];
  return new Promise((resolve) => {
    const child = execFile(file, argv, { cwd: REPO_ROOT, env: cliEnv, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin);
  });
}

const login = async (username: string, password: string) =>
  (await auth.server.inject({ method: 'POST', url: '/auth/authenticate', payload: { username, password } })).statusCode;

test('add (through npm run, password on stdin) creates a user who logs in, with its user-created event', async () => {
  const added = await users(['add', '--username', 'first.admin', '--name', 'Grace Phiri', '--office', 'HQ Office', '--scopes', 'sysadmin'], 'a long admin password\n', true);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /^added first\.admin \([0-9a-f-]{36}\), scopes sysadmin, office HQ Office\n$/);
  const user = await auth.directory.findByUsername('first.admin');
  assert.ok(user);
  assert.match(user.passwordHash, /^scrypt\$131072\$8\$1\$/);
  assert.equal(user.version, 1);
  assert.equal(user.outboxPending, true);
  assert.deepEqual(
    user.outbox?.map((e) => [e.type, e.sequence, e.data]),
    [['user.created', 1, { name: 'Grace Phiri', office: 'HQ Office' }]],
  );
  assert.equal(await login('first.admin', 'a long admin password'), 200);
});

test('an empty or short password, a taken username, a password in argv: refused, nothing written', async () => {
  const base = ['add', '--username', 'clerk.one', '--name', 'Clerk One', '--office', 'Ibombo', '--scopes', 'declare'];
  const empty = await users(base, '');
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /password is empty/);
  const short = await users(base, 'tiny-pw\n');
  assert.equal(short.code, 1);
  assert.match(short.stderr, /at least 12 characters/);
  assert.doesNotMatch(short.stderr, /tiny-pw/, 'the password is never echoed');
  const argv = await users([...base, '--password', 'in the command line'], '');
  assert.equal(argv.code, 64);
  assert.match(argv.stderr, /--password is refused/);
  assert.equal(await auth.directory.findByUsername('clerk.one'), null);
  const taken = await users(['add', '--username', 'first.admin', '--name', 'X', '--office', 'Y', '--scopes', 'declare'], 'another long password\n');
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, /there is already a user first\.admin/);
  assert.deepEqual((await auth.directory.findByUsername('first.admin'))?.scopes, ['sysadmin']);
});

test('list shows users without any hash; --json too', async () => {
  await users(['add', '--username', 'field.one', '--name', 'Field One', '--office', 'Ibombo', '--scopes', 'declare,validate'], 'field one password\n');
  const listed = await users(['list']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^USERNAME\s+NAME\s+OFFICE\s+SCOPES\s+STATE\s+ID\n/);
  assert.match(listed.stdout, /field\.one\s+Field One\s+Ibombo\s+declare,validate\s+active/);
  assert.doesNotMatch(listed.stdout, /scrypt/);
  const json = await users(['list', '--json']);
  const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(rows.map((r) => r['username']).sort(), ['field.one', 'first.admin']);
  assert.ok(rows.every((r) => !('passwordHash' in r) && typeof r['userId'] === 'string'));
});

test('disable stops logins; reset-password replaces the password', async () => {
  await users(['add', '--username', 'leaver', '--name', 'Leaver', '--office', 'HQ', '--scopes', 'declare'], 'leaver password 1\n');
  assert.equal(await login('leaver', 'leaver password 1'), 200);
  const disabled = await users(['disable', '--username', 'leaver']);
  assert.equal(disabled.code, 0, disabled.stderr);
  assert.equal(await login('leaver', 'leaver password 1'), 401);
  assert.match((await users(['list'])).stdout, /leaver\s+Leaver\s+HQ\s+declare\s+disabled/);
  // The disabling is an event too (the gateway refuses the tokens a disabled user holds).
  const leaver = await auth.directory.findByUsername('leaver');
  assert.equal(leaver?.version, 2);
  assert.equal(leaver?.disabledSequence, 2);
  const disabledAt = leaver?.disabledAt?.toISOString();
  assert.deepEqual(
    leaver?.outbox?.map((e) => [e.type, e.sequence, e.data]),
    [['user.created', 1, { name: 'Leaver', office: 'HQ' }], ['user.disabled', 2, { name: 'Leaver', office: 'HQ', disabledAt }]],
  );
  assert.match((await users(['disable', '--username', 'leaver'])).stdout, /disabled already/);
  assert.equal((await auth.directory.findByUsername('leaver'))?.version, 2, 'a second disable writes nothing');

  const reset = await users(['reset-password', '--username', 'field.one'], 'field one password 2\n');
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal(await login('field.one', 'field one password'), 401);
  assert.equal(await login('field.one', 'field one password 2'), 200);

  const unknown = await users(['disable', '--username', 'nobody']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /there is no user nobody/);
  assert.equal((await users(['reset-password', '--username', 'nobody'], 'whatever password\n')).code, 1);
});

test('a user disabled before there was a user.disabled event gets one when auth starts (backfill), once', async () => {
  await users(['add', '--username', 'old.leaver', '--name', 'Old Leaver', '--office', 'HQ', '--scopes', 'declare'], 'old leaver password\n');
  const at = new Date('2026-01-02T03:04:05.000Z');
  // As `users disable` wrote it before: the date alone, no event, the version unmoved.
  await auth.directory.users.updateOne({ username: 'old.leaver' }, { $set: { disabledAt: at, outbox: [] }, $unset: { outboxPending: '' } });
  assert.ok((await auth.directory.backfillEvents()) >= 1);
  const user = await auth.directory.findByUsername('old.leaver');
  assert.equal(user?.version, 2);
  assert.deepEqual(user?.outbox?.map((e) => [e.type, e.sequence, e.data]), [['user.disabled', 2, { name: 'Old Leaver', office: 'HQ', disabledAt: at.toISOString() }]]);
  await auth.directory.backfillEvents();
  assert.equal((await auth.directory.findByUsername('old.leaver'))?.version, 2, 'a second backfill writes nothing');
});
