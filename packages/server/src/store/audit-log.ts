import type { AuditAction, JsonObject } from '@signet/protocol';

/** One entry as recorded: who did what to which app, from where, and what it changed. */
export interface AuditToAppend {
  at: number;
  action: AuditAction;
  appId: string | null;
  /** `token:<8 hex>` or `session:<8 hex>`: which credential, never the secret. */
  actor: string;
  clientIp: string | null;
  /** The settings before and after a change; null when the action has none. */
  before: JsonObject | null;
  after: JsonObject | null;
  /** What else the entry says (a key's kid, an erasure's counts); never a user's data. */
  details: JsonObject | null;
}

export interface AuditRow extends AuditToAppend {
  /** Increasing with each entry: the order of the log and what a cursor points at. */
  id: number;
}

export interface AuditQuery {
  /** Only the entries of this app (an app deleted long ago still has its entries). */
  appId?: string;
  limit: number;
  /** Only entries older than this id (keyset paging, newest first). */
  beforeId?: number;
}

/**
 * The admin audit log: every admin change and login, kept in the database so every instance
 * writes to and reads the same log.
 *
 * @example
 * await log.appendAudit({ at: now, action: 'app.renamed', appId, actor: 'token:1a2b3c4d', clientIp,
 *   before: { name: 'Shop' }, after: { name: 'Shop EU' }, details: null });
 * const newest = await log.listAudit({ limit: 100 });
 */
export interface AuditLog {
  /**
   * Appends an entry; with `keepNewest`, entries of the same action beyond the newest
   * `keepNewest` are deleted right after (the bound on failed logins).
   */
  appendAudit(entry: AuditToAppend, keepNewest?: number): Promise<void>;
  /** Entries newest first. */
  listAudit(query: AuditQuery): Promise<AuditRow[]>;
}
