/**
 * Tokens of disabled users are refused. A user token is checked by its signature alone and lives
 * up to AUTH_TOKEN_TTL_SECONDS (an hour by default): without this list, a user disabled with
 * `npm run users -- disable` (a lost phone, a clerk who left) kept submitting and reading with
 * the token they held until it expired.
 *
 * The list is the user directory's disabled entries (fed by auth's `user.disabled` events: auth
 * stays the one writer of users), read again every GATEWAY_DISABLED_USERS_POLL_MS, so a disabled
 * user is refused within about that long plus the relay's sweep of users (~1 s). MongoDB down:
 * the last list read stays (intake goes on with MongoDB down) and a warning says so.
 */
import { InvalidTokenError, type DirectoryEntry, type Logger, type TokenUser } from '@steadfast/commons';
import type { Collection } from 'mongodb';

/** The message a disabled user's request is refused with (401). */
export const DISABLED_USER = 'the user is disabled';

/** The token's user, unless disabled: a pure decision over the verified user and the list. */
export function admitUser(user: TokenUser, disabled: ReadonlySet<string>): TokenUser {
  if (disabled.has(user.userId)) throw new InvalidTokenError(DISABLED_USER);
  return user;
}

/** `verify`, refusing the users `disabled` lists. */
export function refusingDisabled(verify: (token: string) => Promise<TokenUser>, disabled: { ids(): ReadonlySet<string> }): (token: string) => Promise<TokenUser> {
  return async (token) => admitUser(await verify(token), disabled.ids());
}

export class DisabledUsers {
  private current: ReadonlySet<string> = new Set();
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    private readonly directory: Collection<DirectoryEntry>,
    private readonly logger: Logger,
    private readonly pollMs: number,
  ) {}

  ids(): ReadonlySet<string> {
    return this.current;
  }

  /** Reads the list; on failure keeps the last one (and says so once per outage). */
  async refresh(): Promise<void> {
    try {
      const docs = await this.directory.find({ disabled: true }, { projection: { _id: 1 } }).toArray();
      this.current = new Set(docs.map((d) => d._id));
      if (this.failing) this.logger.info({ disabled: this.current.size }, 'disabled users read again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn({ err: (error as Error).message }, 'could not read the disabled users; keeping the last list');
      this.failing = true;
    }
  }

  /**
   * The first read, waited for at most `firstReadMs` (a gateway starts with MongoDB down, whose
   * driver would wait 5 s to say so; the read goes on and its list is used when it comes), then
   * one every pollMs.
   */
  async start(firstReadMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.refresh(), new Promise<void>((resolve) => (timer = setTimeout(resolve, firstReadMs)))]);
    clearTimeout(timer);
    const tick = () => {
      this.timer = setTimeout(() => void this.refresh().finally(() => this.timer && tick()), this.pollMs);
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
