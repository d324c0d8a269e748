/**
 * The admin audit trail: one entry per admin action (login, a refused login, logout, retry,
 * promote, acknowledge) in MongoDB's `admin-audit` collection, with who, what, when and the
 * request's correlation id, and the same line in the log. This module is its one writer.
 * Entries hold ids and counts, never a password, token or record content.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@steadfast/commons';
import type { Collection, Db } from 'mongodb';

export const ADMIN_AUDIT_COLLECTION = 'admin-audit';

export type AdminAction = 'login' | 'login-refused' | 'logout' | 'retry' | 'retry-all' | 'promote' | 'promote-all' | 'acknowledge';

export interface AdminAuditEntry {
  _id: string;
  at: Date;
  action: AdminAction;
  /** Who: the user id when known (not for a refused login), and the username or name. */
  actor: { userId?: string; username: string };
  /** How they were signed in: the console's session or a bearer token (a script). */
  via: 'session' | 'token' | 'login-page';
  /** What it acted on. */
  target?: { queue?: string; jobId?: string; alertId?: string };
  /** How it ended: the HTTP status, and for a refused login why; for retry-all, how many. */
  outcome: { status: number; reason?: string; retried?: number };
  correlationId: string;
  address: string;
}

export class AdminAudit {
  readonly collection: Collection<AdminAuditEntry>;

  constructor(
    db: Db,
    private readonly logger: Logger,
  ) {
    this.collection = db.collection<AdminAuditEntry>(ADMIN_AUDIT_COLLECTION);
  }

  /**
   * Writes the entry and logs it. A write that fails (MongoDB down) is logged at error with the
   * whole entry, so the trail can be completed from the log: the action itself already happened.
   */
  async record(entry: Omit<AdminAuditEntry, '_id' | 'at'>): Promise<void> {
    const full: AdminAuditEntry = { _id: randomUUID(), at: new Date(), ...entry };
    const fields = {
      adminAction: full.action,
      actor: full.actor,
      via: full.via,
      target: full.target,
      outcome: full.outcome,
      correlationId: full.correlationId,
      address: full.address,
    };
    try {
      await this.collection.insertOne(full);
      this.logger.info(fields, `admin ${full.action}`);
    } catch (error) {
      this.logger.error({ ...fields, at: full.at, err: (error as Error).message }, `admin ${full.action} not written to the admin audit trail`);
    }
  }
}
