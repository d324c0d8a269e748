/**
 * The user directory, in MongoDB `users`: auth is the one owner of a user's name, office and
 * scopes. Demo users are seeded in development only, idempotently (same ids on every seed).
 */
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Scope } from '@steadfast/commons';
import { hashPassword } from './passwords.js';

export interface UserDocument {
  _id: string;
  username: string;
  name: string;
  office: string;
  scopes: Scope[];
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
}

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
        await this.users.insertOne({
          _id: randomUUID(),
          ...user,
          scopes: [...user.scopes],
          passwordHash: await hashPassword(DEMO_PASSWORD),
          createdAt: now,
          updatedAt: now,
        });
      } catch (error) {
        // Another auth process seeded the same user a moment ago.
        if ((error as { code?: unknown }).code !== 11000) throw error;
      }
    }
  }
}
