import type { Batch, BatchResponse, ErrorBody, SdkInfo } from '@signet/protocol';
import { LIMITS } from '@signet/protocol';
import { chunk, groupByUser, KEEPALIVE_BODY_BYTES } from './batches.ts';
import type { EventQueue, QueuedEvent } from './event-queue.ts';
import { type UserKey, userIdOf } from './identity.ts';
import type { Listeners } from './listeners.ts';
import type { ResolvedOptions } from './options.ts';
import { withTimeout } from './request-timeout.ts';
import { retryDelay } from './retry-policy.ts';
import type { Clock, Locks, Transport } from './runtime.ts';
import type { ServerClock } from './server-clock.ts';
import type { TokenStore } from './token-store.ts';
import { uuidv7 } from './uuid-v7.ts';

/** Where the sync loop stands, as `stats().state` reports it. */
export type SyncState =
  | 'idle'
  | 'sending'
  | 'waiting-for-token'
  | 'backing-off'
  | 'paused-until-next-session';

/**
 * What became of one user's data in a pass: `sent` (acknowledged, or dropped as invalid),
 * `jwt` (refused for its token, or no token worth sending), `retry` (network or server
 * trouble: kept, retried later), `paused` (the 10-failure rule stopped syncing).
 */
export type UserOutcome = 'sent' | 'jwt' | 'retry' | 'paused';

export interface Counters {
  sent: number;
  dropped: number;
  duplicatesAcknowledged: number;
  storageFallbacks: number;
}

/**
 * The rule of SPEC B4, kept by the sender: the client's `Session` counts the refused batches of
 * everyone and pauses all sending at 10; the backend counts per user and never pauses the loop.
 */
export interface AuthFailures {
  /** `paused` is true while nothing may be sent, for anyone. */
  current(): { readonly paused: boolean };
  /** Counts a batch of `user` refused for its token; true when this refusal pauses all sending. */
  authFailed(user: UserKey): boolean;
  /** A batch of `user` was stored: the count starts again. */
  synced(user: UserKey): void;
}

export interface SyncDeps {
  options: ResolvedOptions;
  queue: EventQueue;
  tokens: TokenStore;
  session: AuthFailures;
  listeners: Listeners;
  serverClock: ServerClock;
  clock: Clock;
  transport: Transport;
  locks: Locks;
  random: () => number;
  counters: Counters;
  sdk: SdkInfo;
  /** The identified user new events go to, whose token must be kept. */
  currentUserId: () => string | undefined;
  /** True while the visitor has opted out: nothing is sent. */
  optedOut: () => boolean;
  log: (message: string) => void;
}

export interface RunOptions {
  /** Send even while backing off (an explicit `flush()`, or the page going away). */
  force?: boolean;
  /** Send with `fetch(keepalive)` in batches of at most 64 KiB. */
  keepalive?: boolean;
  /** Only this user's data (logout). */
  only?: UserKey;
}

/** A user key as the debug log names it: never a token, only the id the app gave. */
const who = (user: UserKey): string => {
  const userId = userIdOf(user);
  return userId === undefined ? `anonymous ${user.slice(2)}` : `user ${userId}`;
};

/**
 * The sync loop: one pass at a time sends each user's queued events with that user's token,
 * under a lock shared by tabs, and decides what happens next from each answer.
 */
export class SyncLoop {
  state: SyncState = 'idle';
  private attempt = 0;
  private retryAt = 0;
  private retryTimer: unknown = null;
  private intervalTimer: unknown = null;
  private scheduled = false;
  private tail: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** Users refused while the SDK sends no tokens (JWT disabled here, required on the server). */
  private readonly refusedWithoutToken = new Set<string>();

  constructor(private readonly deps: SyncDeps) {}

  /** Runs a pass after the passes already queued; resolves with each user's outcome. */
  run(options: RunOptions = {}): Promise<Map<UserKey, UserOutcome>> {
    const result = this.tail.then(() => this.pass(options));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * A keepalive pass started now, outside the queue of passes and without the tab lock: the page
   * is going away, and only work done in this task's microtasks is sure to run. A send that
   * races another tab's is deduplicated by the server (same event ids).
   */
  runNow(options: RunOptions): Promise<Map<UserKey, UserOutcome>> {
    return this.pass(options);
  }

  /** A pass soon (once, however often it is asked for before it starts). */
  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    void Promise.resolve().then(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  /** A new token or a new session lets a refused user's data be tried again. */
  retryUser(userId?: string): void {
    if (userId === undefined) this.refusedWithoutToken.clear();
    else this.refusedWithoutToken.delete(userId);
    this.schedule();
  }

  /** Makes sure a pass happens within `flushIntervalMs`. */
  armInterval(): void {
    if (this.intervalTimer !== null || this.stopped) return;
    this.intervalTimer = this.deps.clock.setTimeout(() => {
      this.intervalTimer = null;
      void this.run();
    }, this.deps.options.flushIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.intervalTimer);
    this.deps.clock.clearTimeout(this.retryTimer);
  }

  private async pass(options: RunOptions): Promise<Map<UserKey, UserOutcome>> {
    const { deps } = this;
    const outcomes = new Map<UserKey, UserOutcome>();
    // optOut() emptied the queue; this also holds back what another tab queued just before.
    if (deps.optedOut()) return outcomes;
    if (deps.session.current().paused) {
      this.state = 'paused-until-next-session';
      if (options.only) outcomes.set(options.only, 'paused');
      return outcomes;
    }
    if (!options.force && deps.clock.now() < this.retryAt) return outcomes;
    this.state = 'sending';
    const send = async () => {
      for (const [user, items] of groupByUser(deps.queue.load())) {
        if (options.only !== undefined && user !== options.only) continue;
        const outcome = await this.sendUser(user, items, options.keepalive === true);
        outcomes.set(user, outcome);
        if (outcome === 'retry' || outcome === 'paused' || options.keepalive) break;
      }
    };
    await (options.keepalive ? send() : deps.locks(`signet:${deps.options.appId}`, send));
    // Keep the tokens of users who still have data, and of the current user.
    const keep = new Set<string>();
    for (const item of deps.queue.load()) {
      const userId = userIdOf(item.user);
      if (userId !== undefined) keep.add(userId);
    }
    const current = deps.currentUserId();
    if (current !== undefined) keep.add(current);
    deps.tokens.prune(keep);

    const values = [...outcomes.values()];
    if (deps.session.current().paused) this.state = 'paused-until-next-session';
    else if (values.includes('retry')) this.state = 'backing-off';
    else if (values.includes('jwt')) this.state = 'waiting-for-token';
    else this.state = 'idle';
    if (deps.queue.size > 0 && this.state !== 'paused-until-next-session') this.armInterval();
    return outcomes;
  }

  private async sendUser(user: UserKey, items: QueuedEvent[], keepalive: boolean): Promise<UserOutcome> {
    const userId = userIdOf(user);
    let token: string | null = null;
    if (this.deps.options.jwtEnabled && userId !== undefined) {
      token = await this.deps.tokens.forSending(userId);
      if (token === null) {
        this.deps.log(`${items.length} events of ${who(user)} wait for a token`);
        return 'jwt';
      }
    }
    if (userId !== undefined && this.refusedWithoutToken.has(userId)) return 'jwt';
    const maxBody = keepalive ? KEEPALIVE_BODY_BYTES : LIMITS.maxBodyBytes;
    for (const batch of chunk(items, maxBody)) {
      const outcome = await this.sendBatch(user, batch, token, keepalive);
      if (outcome !== 'sent') return outcome;
      // Browsers allow 64 KiB of keepalive bodies in flight in all: one batch, the rest waits.
      if (keepalive) break;
    }
    return 'sent';
  }

  private async sendBatch(
    user: UserKey,
    items: QueuedEvent[],
    token: string | null,
    keepalive: boolean,
  ): Promise<UserOutcome> {
    const { deps } = this;
    const userId = userIdOf(user);
    const ids = items.map((item) => item.event.id);
    // How the debug log names this batch: its size and whose it is (never its token).
    const what = `a batch of ${ids.length} events of ${who(user)}`;
    const batch: Batch = {
      batchId: uuidv7(deps.clock.now()),
      sentAt: new Date(deps.serverClock.now()).toISOString(),
      sdk: deps.sdk,
      user: userId !== undefined ? { id: userId } : { anonymousId: user.slice(2) },
      events: items.map((item) => item.event),
    };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let response: Awaited<ReturnType<Transport>>;
    let body: (BatchResponse & ErrorBody) | null;
    try {
      // One deadline for the answer and its body: a stalled server must not hold the loop.
      [response, body] = await withTimeout(deps.clock, deps.options.requestTimeoutMs, async (signal) => {
        const answer = await deps.transport(deps.options.url, {
          method: 'POST',
          headers,
          body: JSON.stringify(batch),
          ...(keepalive && { keepalive: true }),
          ...(signal && { signal }),
        });
        const parsed = (await answer.json().catch(() => null)) as (BatchResponse & ErrorBody) | null;
        return [answer, parsed] as const;
      });
    } catch (error) {
      return this.retryLater(null, `${what}: network error (${String(error)})`);
    }
    deps.serverClock.observe(response.headers.get('date'));

    if (response.status === 200) {
      deps.queue.remove(ids);
      deps.counters.sent += body?.accepted ?? ids.length;
      deps.counters.duplicatesAcknowledged += body?.duplicates ?? 0;
      deps.session.synced(user);
      this.attempt = 0;
      this.retryAt = 0;
      const warning = body?.authWarning
        ? `, unverified: ${body.authWarning.code}/${body.authWarning.reason}`
        : '';
      deps.log(
        `sent ${what}: ${body?.accepted ?? ids.length} stored, ${body?.duplicates ?? 0} duplicates${warning}`,
      );
      return 'sent';
    }
    const error = body?.error;
    if (response.status === 401 && error?.type === 'jwt' && userId !== undefined) {
      const pausing = deps.session.authFailed(user);
      deps.log(`${what} refused: 401 ${error.code}/${error.reason}; kept until a new token`);
      if (token !== null) deps.tokens.rejected(userId, token, !pausing);
      else this.refusedWithoutToken.add(userId);
      void deps.listeners.dispatch({
        type: 'jwt',
        data: {
          code: error.code as never,
          reason: error.reason,
          message: error.message,
          userIdentifier: userId,
        },
      });
      if (pausing) deps.log('10 consecutive authentication failures: sync paused until the next session');
      return pausing ? 'paused' : 'jwt';
    }
    if (response.status === 413 && items.length > 1) {
      const half = Math.ceil(items.length / 2);
      deps.log(`413: splitting ${what} in two`);
      for (const part of [items.slice(0, half), items.slice(half)]) {
        const outcome = await this.sendBatch(user, part, token, keepalive);
        if (outcome !== 'sent') return outcome;
      }
      return 'sent';
    }
    if (response.status === 400 || response.status === 413) {
      // The server will never accept this batch: drop only it, so that the rest still flows.
      deps.queue.remove(ids);
      deps.counters.dropped += ids.length;
      deps.log(`dropped ${what}: ${response.status} ${error?.code}/${error?.reason} ${error?.message}`);
      return 'sent';
    }
    return this.retryLater(
      response.headers.get('retry-after'),
      `${what}: HTTP ${response.status}${error?.code ? ` ${error.code}` : ''}`,
    );
  }

  private retryLater(retryAfter: string | null, why: string): UserOutcome {
    const { clock, random, serverClock } = this.deps;
    const delay = retryDelay(this.attempt++, random, retryAfter, serverClock.now());
    this.retryAt = clock.now() + delay;
    clock.clearTimeout(this.retryTimer);
    if (!this.stopped) this.retryTimer = clock.setTimeout(() => void this.run(), delay);
    this.deps.log(`${why}: kept, retry in ${Math.round(delay)} ms`);
    return 'retry';
  }
}
