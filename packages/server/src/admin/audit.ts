import { createHash } from 'node:crypto';
import type { AuditAction, JsonObject } from '@signet/protocol';
import type { FastifyRequest } from 'fastify';
import type { AuditLog } from '../store/audit-log.ts';

/**
 * Failed admin logins kept in the audit log. The throttle already refuses an address after 10
 * failures a minute (refusals are not logged), so one address adds at most 10 entries a minute;
 * this bound holds against many addresses too: older failed logins give way to newer ones, and
 * every other entry is kept.
 */
export const MAX_FAILED_LOGINS_KEPT = 10_000;

/** Which credential made each request, set by the admin check (requireAdmin). */
const actors = new WeakMap<FastifyRequest, string>();

/** Names a Bearer token in the log: the first 8 hex of its SHA-256, never the token. */
export function tokenActor(token: string): string {
  return `token:${createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 8)}`;
}

/** Names a dashboard session in the log: the first 8 hex of its id hash (itself a SHA-256). */
export function sessionActor(idHash: string): string {
  return `session:${idHash.slice(0, 8)}`;
}

export function setActor(request: FastifyRequest, actor: string): void {
  actors.set(request, actor);
}

/** Settings objects (JwtSettings, …) as the JSON the log stores. */
export function asJson(value: object): JsonObject {
  return value as JsonObject;
}

export interface AuditNote {
  action: AuditAction;
  appId?: string | null;
  /** Defaults to the credential the admin check saw on this request. */
  actor?: string;
  before?: JsonObject | null;
  after?: JsonObject | null;
  details?: JsonObject | null;
}

/**
 * Writes audit entries for admin requests: the time, the request's credential and client
 * address, and what changed. An entry is written after its change is committed.
 *
 * @example
 * await audit.record(request, { action: 'key.removed', appId, details: { kid } });
 */
export class AdminAudit {
  constructor(
    private readonly log: AuditLog,
    private readonly now: () => number,
  ) {}

  async record(request: FastifyRequest, note: AuditNote): Promise<void> {
    await this.log.appendAudit(
      {
        at: this.now(),
        action: note.action,
        appId: note.appId ?? null,
        actor: note.actor ?? actors.get(request) ?? 'unknown',
        clientIp: request.ip ?? null,
        before: note.before ?? null,
        after: note.after ?? null,
        details: note.details ?? null,
      },
      note.action === 'admin.login_failed' ? MAX_FAILED_LOGINS_KEPT : undefined,
    );
  }
}
