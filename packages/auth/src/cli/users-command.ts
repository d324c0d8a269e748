/**
 * The users command's grammar, as pure functions: what an operator typed, checked, or a usage
 * error naming the flag and the rule. Passwords never come from here (argv is visible to every
 * user of the machine in `ps`); they are read from standard input (see users.ts).
 */
import { parseArgs } from 'node:util';
import { SCOPES, type Scope } from '@steadfast/commons';
import { z } from 'zod';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 200;

export const USAGE = `usage:
  npm run users -- add --username <u> --name "<full name>" --office <office> --scopes declare,validate
  npm run users -- disable --username <u>
  npm run users -- reset-password --username <u>
  npm run users -- list [--json]
add and reset-password read the password from standard input (one line, ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters).
scopes: ${SCOPES.join(', ')}. Reads the environment auth reads (MONGO_URL or MONGO_PORT, MONGO_DB, NODE_ENV).
exit status: 0 done, 1 refused (unknown or existing user, bad password), 64 usage error`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

// Control characters and bidi overrides have no place in a name shown to other users.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/** A flag's value; a missing one is "required", not a type error. */
const flag = () => z.string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a value') });

const text = (what: string) =>
  flag()
    .transform((value) => value.normalize('NFC').trim())
    .pipe(
      z
        .string()
        .min(1, `${what} must not be empty`)
        .max(200, `${what}: at most 200 characters`)
        .refine((value) => !UNPRINTABLE.test(value), `${what} must not contain control or bidi-override characters`),
    );

export const Username = flag().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/, 'letters, digits and . _ @ - only, starting with a letter or digit, at most 100 characters');

const ScopeList = flag()
  .transform((value) => [...new Set(value.split(',').map((s) => s.trim()).filter(Boolean))])
  .pipe(
    z
      .array(z.enum(SCOPES, { error: (issue) => `unknown scope "${String(issue.input).slice(0, 20)}"; known: ${SCOPES.join(', ')}` }))
      .min(1, 'name at least one scope'),
  );

export type UsersCommand =
  | { command: 'add'; username: string; name: string; office: string; scopes: Scope[] }
  | { command: 'disable'; username: string }
  | { command: 'reset-password'; username: string }
  | { command: 'list'; json: boolean };

const Schemas = {
  add: z.strictObject({ username: Username, name: text('--name'), office: text('--office'), scopes: ScopeList }),
  disable: z.strictObject({ username: Username }),
  'reset-password': z.strictObject({ username: Username }),
  list: z.strictObject({ json: z.boolean().default(false) }),
} as const;

export function parseUsersCommand(argv: readonly string[]): UsersCommand {
  const [command, ...rest] = argv;
  if (command === undefined || !(command in Schemas)) {
    throw new UsageError(command === undefined ? 'name a command' : `unknown command "${command.slice(0, 30)}"`);
  }
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      options: {
        username: { type: 'string' },
        name: { type: 'string' },
        office: { type: 'string' },
        scopes: { type: 'string' },
        json: { type: 'boolean' },
        // Refused below with a clear reason, rather than as an unknown flag.
        password: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if ('password' in values) throw new UsageError('--password is refused: a password on the command line is visible to every user of the machine; give it on standard input');
  const parsed = Schemas[command as keyof typeof Schemas].safeParse(values);
  if (!parsed.success) {
    throw new UsageError(
      parsed.error.issues
        .map((i) => (i.code === 'unrecognized_keys' ? `${i.keys.map((k) => `--${k}`).join(', ')} not taken by ${command}` : `--${String(i.path[0] ?? '')}: ${i.message}`))
        .join('; '),
    );
  }
  return { command, ...parsed.data } as UsersCommand;
}

/** The password rule; a short message naming it, never echoing the password. */
export function passwordProblem(password: string): string | undefined {
  if (password.length === 0) return 'the password is empty (give it on standard input, one line)';
  if (password.length < PASSWORD_MIN_LENGTH) return `the password is too short: at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `the password is too long: at most ${PASSWORD_MAX_LENGTH} characters`;
  return undefined;
}
