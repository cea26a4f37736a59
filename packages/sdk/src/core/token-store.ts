import { checkClaims, type JwtErrorCode, jwtCodeOf } from '@signet/protocol';
import type { Listeners } from './listeners.ts';
import type { StorageAdapter } from './runtime.ts';
import type { ServerClock } from './server-clock.ts';
import { type Frozen, isObject, StoredRecord } from './stored-record.ts';
import { tokenClaims } from './token-claims.ts';

/** A user's newest token, and whether the server has refused it. */
interface TokenEntry {
  token: string;
  rejected?: true;
}

/** Where the tokens live: one record of every user's entry, read and written whole. */
export interface TokenRecord {
  read(): Frozen<Record<string, TokenEntry>>;
  write(value: Record<string, TokenEntry>): unknown;
}

/** The tokens under one storage key: shared by tabs, and kept across restarts with the queue. */
export const storedTokens = (storage: StorageAdapter, key: string): TokenRecord =>
  new StoredRecord<Record<string, TokenEntry>>(
    storage,
    key,
    () => ({}),
    (value) =>
      isObject(value) &&
      Object.values(value).every((entry) => isObject(entry) && typeof entry.token === 'string'),
  );

/**
 * The tokens in memory only, for a backend without `storage`: a user's new token costs no JSON
 * of every other user's, which a process passing a token with each call for many users would pay.
 */
export function memoryTokens(): TokenRecord {
  let value: Frozen<Record<string, TokenEntry>> = {};
  return {
    read: () => value,
    write: (next) => {
      value = next as Frozen<Record<string, TokenEntry>>;
    },
  };
}

/** Ask the token provider this long before `exp` (SPEC B9). */
export const REFRESH_BEFORE_EXP_MS = 60_000;

export type Provider =
  | ((userIdentifier: string) => Promise<string | null | undefined> | string | null | undefined)
  | undefined;

/**
 * Tokens per user (persisted, so data queued before a restart can still be sent), the local
 * checks of SPEC B2, and the token provider of B9. A token is only ever attached to batches of
 * the user it was passed for.
 */
export class TokenStore {
  /** The token each user's replacement was already asked for: one ask per failure or expiry. */
  protected readonly asked = new Map<string, string>();
  /** Each user's last local refusal reported (`code\ntoken`), so that it is reported once. */
  protected readonly reported = new Map<string, string>();
  private readonly asking = new Map<string, Promise<void>>();

  constructor(
    private readonly record: TokenRecord,
    protected readonly serverClock: ServerClock,
    private readonly listeners: Listeners,
    private readonly provider: Provider,
    private readonly onUsableToken: (userId: string) => void,
    private readonly log: (message: string) => void,
    /** The claim that names the user (the app's `userIdClaim` on the server); undefined: `sub`. */
    private readonly userIdClaim: string | undefined,
  ) {}

  /**
   * Accepts a token for `userId` unless it will surely fail: a decoded `sub` for another user
   * or an `exp` already past by server time is refused at once and reported to the listener.
   */
  pass(userId: string, token: string): boolean {
    const refusal = this.refusal(userId, token);
    if (refusal) {
      this.report(userId, refusal[0], refusal[1], refusal[2]);
      return false;
    }
    const entries = this.record.read();
    if (entries[userId]?.token === token) {
      if (entries[userId].rejected) this.log(`token for user ${userId} was already refused by the server`);
      return !entries[userId].rejected;
    }
    this.record.write({ ...entries, [userId]: { token } });
    this.reported.delete(userId);
    this.log(`new token for user ${userId}`);
    this.onUsableToken(userId);
    return true;
  }

  /**
   * The token to attach to `userId`'s next batch, or null when there is none worth sending.
   * Asks the provider first when the token is missing, refused, or within 60 s of `exp`.
   */
  async forSending(userId: string): Promise<string | null> {
    let entry = this.record.read()[userId];
    const exp = entry && tokenClaims(entry.token)?.exp;
    const stale =
      !entry ||
      entry.rejected ||
      exp === undefined ||
      exp * 1000 - this.serverClock.now() <= REFRESH_BEFORE_EXP_MS;
    if (stale && this.provider && (!entry || this.asked.get(userId) !== entry.token)) {
      if (entry) this.asked.set(userId, entry.token);
      await this.ask(userId);
      entry = this.record.read()[userId];
    }
    if (!entry) {
      this.report(
        userId,
        'TOKEN_NOT_AVAILABLE',
        'missing',
        `No token for user ${userId}: data waits for one`,
      );
      return null;
    }
    if (entry.rejected) return null;
    const refusal = this.refusal(userId, entry.token);
    if (refusal) {
      this.report(userId, refusal[0], refusal[1], `${refusal[2]}: data waits for a new token`, entry.token);
      return null;
    }
    return entry.token;
  }

  /** Marks a token refused by the server; the provider, if any, is asked once for a new one. */
  rejected(userId: string, token: string, ask: boolean): void {
    const entries = this.record.read();
    if (entries[userId]?.token === token) {
      this.record.write({ ...entries, [userId]: { token, rejected: true } });
    }
    if (ask && this.provider && this.asked.get(userId) !== token) {
      this.asked.set(userId, token);
      void this.ask(userId);
    }
  }

  /** Deletes the tokens of users other than `keep` (their data is sent or deleted). */
  prune(keep: ReadonlySet<string>): void {
    const entries = { ...this.record.read() };
    const userIds = Object.keys(entries).filter((userId) => !keep.has(userId));
    if (userIds.length === 0) return;
    for (const userId of userIds) delete entries[userId];
    this.record.write(entries);
  }

  private refusal(userId: string, token: string): [JwtErrorCode, string, string] | null {
    const read = tokenClaims(token);
    if (read === null) return ['DECRYPTION_FAILED', 'malformed', 'The token is not a readable JWT'];
    // Not iat and nbf: judged without the server's clock tolerance they could refuse a good token.
    const { iat, nbf, ...claims } = read;
    // The server's own rules (SPEC B2) on the two claims the SDK can judge: the subject, and the
    // expiry only by a server time learned from a response (a device clock running fast would
    // otherwise refuse every fresh token, and with no batch sent the server time is never learned).
    const verdict = checkClaims(claims, {
      nowSeconds: this.serverClock.known ? Math.floor(this.serverClock.now() / 1000) : null,
      clockToleranceSeconds: 0,
      audience: null,
      issuer: null,
      maxTokenLifetimeSeconds: null,
      expectedSubject: userId,
      userIdClaim: this.userIdClaim,
    });
    return verdict.ok ? null : [jwtCodeOf(verdict.reason), verdict.reason, verdict.message];
  }

  /** Reports a local refusal; a refusal waiting on the same token is reported once. */
  private report(userId: string, code: JwtErrorCode, reason: string, message: string, token = ''): void {
    const once = `${code}\n${token}`;
    if (token !== '' || code === 'TOKEN_NOT_AVAILABLE') {
      if (this.reported.get(userId) === once) return;
      this.reported.set(userId, once);
    }
    void this.listeners.dispatch({ type: 'jwt', data: { code, reason, message, userIdentifier: userId } });
  }

  /** Calls the provider (one call per user at a time); a throwing provider counts as no token. */
  private ask(userId: string): Promise<void> {
    const provider = this.provider;
    if (!provider) return Promise.resolve();
    let pending = this.asking.get(userId);
    if (!pending) {
      pending = (async () => {
        try {
          this.log(`asking tokenProvider for user ${userId}`);
          const token = await provider(userId);
          if (typeof token === 'string' && token !== '') this.pass(userId, token);
          else this.log(`tokenProvider gave no token for user ${userId}`);
        } catch (error) {
          this.log(`tokenProvider failed for user ${userId}: ${String(error)}`);
        } finally {
          this.asking.delete(userId);
        }
      })();
      this.asking.set(userId, pending);
    }
    return pending;
  }
}
