/**
 * The user directory, in MongoDB `users`: auth is the one owner of a user's name, office and
 * scopes. Demo users are seeded in development only, idempotently (same ids on every seed).
 *
 * Every change of a name or office, and a user's disabling, writes a user event (`user.created`,
 * `user.updated`, `user.disabled`) in the user document's outbox, in the same write, with
 * `sequence` = the user's new `version`; the relay publishes it, and the modules that copy users
 * follow: names and offices on records, and the gateway's list of disabled users, whose tokens
 * it refuses from then on.
 */
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { domainEvent, withEvent, type DomainEvent, type Outboxed, type Scope } from '@steadfast/commons';
import { hashPassword } from './passwords.js';

type UserEventType = 'user.created' | 'user.updated' | 'user.disabled';

/** A user event carries the user's whole copied state after the change: name, office, and when disabled. */
const userEvent = (type: UserEventType, userId: string, sequence: number, name: string, office: string, at: Date, disabledAt?: Date): DomainEvent =>
  domainEvent({
    source: 'auth',
    aggregate: 'user',
    type,
    aggregateId: userId,
    sequence,
    data: { name, office, ...(disabledAt ? { disabledAt: disabledAt.toISOString() } : {}) },
    at,
  });

export class UnknownUserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownUserError';
  }
}

export class UsernameTakenError extends Error {
  constructor(username: string) {
    super(`there is already a user ${username}`);
    this.name = 'UsernameTakenError';
  }
}

/** A new user as an operator gives it (the users command), validated by its caller. */
export interface NewUser {
  username: string;
  name: string;
  office: string;
  scopes: Scope[];
  password: string;
}

export interface UserDocument extends Outboxed {
  _id: string;
  username: string;
  name: string;
  office: string;
  scopes: Scope[];
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
  /** Moves with every change of name or office; the sequence of its events. */
  version: number;
  /**
   * Set by `users disable`: the user can no longer log in, nor be acted for by a worker, and the
   * gateway refuses the tokens they hold (`user.disabled`).
   */
  disabledAt?: Date;
  /** The sequence of the `user.disabled` event (absent: disabled before there was one; backfilled). */
  disabledSequence?: number;
  /** When the password was last set by an operator (`users reset-password`). */
  passwordChangedAt?: Date;
}

/** What `users list` shows: never the hash. */
export type UserSummary = Pick<UserDocument, '_id' | 'username' | 'name' | 'office' | 'scopes' | 'createdAt' | 'disabledAt'>;

export const DEMO_USERS: ReadonlyArray<Pick<UserDocument, 'username' | 'name' | 'office' | 'scopes'>> = [
  { username: 'field.agent', name: 'Kalusha Bwalya', office: 'Ibombo District Office', scopes: ['declare'] },
  { username: 'registration.agent', name: 'Felix Katongo', office: 'Ibombo District Office', scopes: ['declare', 'validate'] },
  { username: 'registrar', name: 'Kennedy Mweene', office: 'Ibombo District Office', scopes: ['declare', 'validate', 'register', 'correct'] },
  { username: 'sysadmin', name: 'Jonathan Campbell', office: 'HQ Office', scopes: ['sysadmin'] },
];

export const DEMO_PASSWORD = 'test';

export class UserDirectory {
  readonly users: Collection<UserDocument>;

  constructor(db: Db) {
    this.users = db.collection<UserDocument>('users');
  }

  async ensureIndexes(): Promise<void> {
    await this.users.createIndex({ username: 1 }, { unique: true, name: 'username_unique' });
    await this.users.createIndex({ outboxPending: 1 }, { name: 'outboxPending' });
  }

  findByUsername(username: string): Promise<UserDocument | null> {
    return this.users.findOne({ username });
  }

  /** Creates each demo user that is missing; existing ones keep their id and password. */
  async seedDemoUsers(): Promise<void> {
    const now = new Date();
    for (const user of DEMO_USERS) {
      if (await this.users.findOne({ username: user.username }, { projection: { _id: 1 } })) continue;
      try {
        const _id = randomUUID();
        await this.users.insertOne({
          _id,
          ...user,
          scopes: [...user.scopes],
          passwordHash: await hashPassword(DEMO_PASSWORD),
          createdAt: now,
          updatedAt: now,
          version: 1,
          outbox: [userEvent('user.created', _id, 1, user.name, user.office, now)],
          outboxPending: true,
        });
      } catch (error) {
        // Another auth process seeded the same user a moment ago.
        if ((error as { code?: unknown }).code !== 11000) throw error;
      }
    }
  }

  /**
   * Creates a user with its `user.created` event in the same write, as the seed does; the relay
   * publishes it and every copy of names learns the user.
   */
  async create(user: NewUser): Promise<UserDocument> {
    const now = new Date();
    const _id = randomUUID();
    const document: UserDocument = {
      _id,
      username: user.username,
      name: user.name,
      office: user.office,
      scopes: [...user.scopes],
      passwordHash: await hashPassword(user.password),
      createdAt: now,
      updatedAt: now,
      version: 1,
      outbox: [userEvent('user.created', _id, 1, user.name, user.office, now)],
      outboxPending: true,
    };
    try {
      await this.users.insertOne(document);
    } catch (error) {
      if ((error as { code?: unknown }).code === 11000) throw new UsernameTakenError(user.username);
      throw error;
    }
    return document;
  }

  /** Disables a user, with its `user.disabled` event; false when they were disabled already. */
  async disable(username: string): Promise<boolean> {
    for (let round = 0; round < 10; round++) {
      const user = await this.users.findOne({ username });
      if (!user) throw new UnknownUserError(`there is no user ${username}`);
      if (user.disabledAt) return false;
      if (await this.publishDisabled(user, new Date())) return true;
    }
    throw new Error(`user ${username} kept changing while being disabled; try again`);
  }

  /** Writes `disabledAt` (when new) and the `user.disabled` event, on the version read; false when it moved. */
  private async publishDisabled(user: UserDocument, disabledAt: Date): Promise<boolean> {
    const now = new Date();
    const version = (user.version ?? 0) + 1;
    const result = await this.users.updateOne(
      { _id: user._id, version: user.version },
      withEvent<UserDocument>(
        { $set: { disabledAt, disabledSequence: version, updatedAt: now }, $inc: { version: 1 } },
        userEvent('user.disabled', user._id, version, user.name, user.office, now, disabledAt),
      ),
    );
    return result.matchedCount === 1;
  }

  /** Sets a new password (hashed at the current parameters). */
  async resetPassword(username: string, password: string): Promise<void> {
    const now = new Date();
    const passwordHash = await hashPassword(password);
    const result = await this.users.updateOne({ username }, { $set: { passwordHash, passwordChangedAt: now, updatedAt: now } });
    if (result.matchedCount !== 1) throw new UnknownUserError(`there is no user ${username}`);
  }

  /**
   * Replaces a hash made with outdated parameters, after a login proved the password; only if
   * the hash is still the one verified (a reset meanwhile wins).
   */
  async replaceHash(userId: string, verifiedHash: string, newHash: string): Promise<boolean> {
    const result = await this.users.updateOne({ _id: userId, passwordHash: verifiedHash }, { $set: { passwordHash: newHash } });
    return result.modifiedCount === 1;
  }

  list(): Promise<UserSummary[]> {
    return this.users
      .find({}, { projection: { username: 1, name: 1, office: 1, scopes: 1, createdAt: 1, disabledAt: 1 }, sort: { username: 1 } })
      .toArray();
  }

  /**
   * Users from before user events get their `user.created` event, once; users disabled before
   * there was a `user.disabled` event get theirs, once.
   */
  async backfillEvents(): Promise<number> {
    const now = new Date();
    let count = 0;
    for await (const user of this.users.find({ version: { $exists: false } }, { projection: { name: 1, office: 1 } })) {
      const result = await this.users.updateOne(
        { _id: user._id, version: { $exists: false } },
        withEvent<UserDocument>({ $set: { version: 1 } }, userEvent('user.created', user._id, 1, user.name, user.office, now)),
      );
      count += result.modifiedCount;
    }
    for await (const user of this.users.find({ disabledAt: { $exists: true }, disabledSequence: { $exists: false } })) {
      if (await this.publishDisabled(user, user.disabledAt as Date)) count++;
    }
    return count;
  }

  /** Changes a user's name and/or office, with its event; returns the user as written. */
  async update(userId: string, change: { name?: string | undefined; office?: string | undefined }): Promise<UserDocument> {
    for (let round = 0; round < 10; round++) {
      const user = await this.users.findOne({ _id: userId });
      if (!user) throw new UnknownUserError(`there is no user ${userId}`);
      const name = change.name ?? user.name;
      const office = change.office ?? user.office;
      if (name === user.name && office === user.office) return user;
      const now = new Date();
      const version = (user.version ?? 0) + 1;
      const result = await this.users.updateOne(
        { _id: userId, version: user.version },
        withEvent<UserDocument>({ $set: { name, office, updatedAt: now }, $inc: { version: 1 } }, userEvent('user.updated', userId, version, name, office, now, user.disabledAt)),
      );
      if (result.matchedCount === 1) return { ...user, name, office, updatedAt: now, version };
    }
    throw new Error(`user ${userId} kept changing; try again`);
  }
}
