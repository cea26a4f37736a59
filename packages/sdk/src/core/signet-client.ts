import type { BatchEvent, JsonObject, JsonValue } from '@signet/protocol';
import { LIMITS, nestingDepth } from '@signet/protocol';
import type { AuthenticationListener } from './authentication-error.ts';
import { EventQueue } from './event-queue.ts';
import { Identity } from './identity.ts';
import { isoTime } from './iso-time.ts';
import { Listeners } from './listeners.ts';
import { type ResolvedOptions, resolveOptions, type SignetOptions } from './options.ts';
import {
  type Clock,
  type Locks,
  noLocks,
  type StorageAdapter,
  systemClock,
  type Transport,
} from './runtime.ts';
import { ServerClock } from './server-clock.ts';
import { Session } from './session.ts';
import { type Counters, SyncLoop, type SyncState } from './sync-loop.ts';
import { TokenStore } from './token-store.ts';
import { uuidv7 } from './uuid-v7.ts';

export const SDK_VERSION = '0.1.0';

/** What `stats()` reports. */
export interface SignetStats {
  /** Events stored and not yet acknowledged. */
  queued: number;
  /** Events the server stored. */
  sent: number;
  /**
   * Events dropped: refused by the server as invalid (400/413), beyond `maxQueueSize`, or a
   * `track`/`identify`/`setUserAttribute` call with bad arguments (never thrown at the page).
   */
  dropped: number;
  /** Events the server already had (a retry of an acknowledged send). */
  duplicatesAcknowledged: number;
  /** Consecutive authentication failures in this session (syncing pauses at 10). */
  authFailuresInSession: number;
  state: SyncState;
  pausedReason: 'auth_failures' | null;
  /** Writes that storage could not hold (missing or full), kept only in memory. */
  storageFallbacks: number;
}

/** The runtime pieces an entry point supplies (browser or Node). */
export interface Runtime {
  storage: StorageAdapter;
  transport: Transport;
  clock?: Clock;
  locks?: Locks;
  sdkName: string;
}

const encoder = new TextEncoder();

/** An event before the SDK gives it an id, a time and a session. */
type EventFields = BatchEvent extends infer E
  ? E extends BatchEvent
    ? Omit<E, 'id' | 'timestamp'>
    : never
  : never;

/** Why `value` is not a usable user id, or null when it is. */
const badId = (what: string, value: unknown): string | null =>
  typeof value !== 'string' || value === '' || value.length > LIMITS.maxIdLength
    ? `${what} must be a non-empty string of at most ${LIMITS.maxIdLength} characters`
    : null;

/**
 * The SDK instance `Signet.init` returns: it queues events durably, sends them in batches with
 * the current user's token, and runs the token lifecycle of SPEC §6.
 */
export class SignetClient {
  private readonly options: ResolvedOptions;
  private readonly storage: StorageAdapter;
  private readonly clock: Clock;
  private readonly queue: EventQueue;
  private readonly identity: Identity;
  private readonly session: Session;
  private readonly tokens: TokenStore;
  private readonly listeners: Listeners;
  private readonly loop: SyncLoop;
  private readonly counters: Counters = {
    sent: 0,
    dropped: 0,
    duplicatesAcknowledged: 0,
    storageFallbacks: 0,
  };
  private readonly log: (message: string) => void;

  constructor(options: SignetOptions, runtime: Runtime) {
    this.options = resolveOptions(options);
    const logger = options.logger ?? ((message: string) => console.log(message));
    this.log = options.debug ? (message) => logger(`[signet] ${message}`) : () => {};
    this.storage = options.storage ?? runtime.storage;
    this.clock = options.clock ?? runtime.clock ?? systemClock;
    const prefix = `signet:${this.options.appId}:`;
    const serverClock = new ServerClock(this.clock);
    this.listeners = new Listeners(this.log);
    this.queue = new EventQueue(
      this.storage,
      `${prefix}q:`,
      this.options.maxQueueSize,
      (count, why) => {
        this.counters.dropped += count;
        this.log(`dropped ${count} events: ${why}`);
      },
      () => this.counters.storageFallbacks++,
    );
    this.identity = new Identity(this.storage, `${prefix}identity`, this.clock);
    this.session = new Session(
      this.storage,
      `${prefix}session`,
      this.clock,
      this.options.sessionTimeoutMs,
      () => {
        this.log('new session');
        // A new session lifts the 10-failure pause (SPEC B4).
        if (this.loop?.state === 'paused-until-next-session') this.loop.schedule();
      },
    );
    this.tokens = new TokenStore(
      this.storage,
      `${prefix}tokens`,
      serverClock,
      this.listeners,
      this.options.tokenProvider,
      (userId) => this.loop.retryUser(userId),
      this.log,
    );
    this.loop = new SyncLoop({
      options: this.options,
      queue: this.queue,
      tokens: this.tokens,
      session: this.session,
      listeners: this.listeners,
      serverClock,
      clock: this.clock,
      transport: options.transport ?? runtime.transport,
      locks: options.locks ?? runtime.locks ?? noLocks,
      random: options.random ?? Math.random,
      counters: this.counters,
      sdk: { name: runtime.sdkName, version: SDK_VERSION },
      currentUserId: () => this.identity.current().userId,
      log: this.log,
    });
    if (this.queue.size > 0) this.loop.armInterval();
  }

  /**
   * Identifies the user; later events belong to them. Coming from anonymous, an `alias` event
   * links the earlier anonymous data.
   *
   * @example
   * signet.identify('user-42');
   */
  identify(userId: string): void {
    const bad = badId('identify: userId', userId);
    if (bad) return this.refuse(bad);
    const before = this.identity.current();
    if (before.userId === userId) return;
    this.identity.identify(userId);
    if (before.userId === undefined) {
      this.enqueue({ type: 'alias', anonymousId: before.anonymousId });
    }
  }

  /**
   * Records an event for the current user (or anonymous visitor).
   *
   * @example
   * signet.track('Added to cart', { sku: 'A1' });
   */
  track(name: string, properties?: JsonObject): void {
    if (typeof name !== 'string' || name === '' || name.length > LIMITS.maxEventNameLength) {
      return this.refuse(
        `track: name must be a non-empty string of at most ${LIMITS.maxEventNameLength} characters`,
      );
    }
    if (
      properties !== undefined &&
      (typeof properties !== 'object' || properties === null || Array.isArray(properties))
    ) {
      return this.refuse('track: properties must be a plain object');
    }
    this.enqueue(properties === undefined ? { type: 'track', name } : { type: 'track', name, properties });
  }

  /**
   * Sets one attribute on the current user's profile.
   *
   * @example
   * signet.setUserAttribute('plan', 'pro');
   */
  setUserAttribute(key: string, value: JsonValue): void {
    if (typeof key !== 'string' || key === '') {
      return this.refuse('setUserAttribute: key must be a non-empty string');
    }
    this.enqueue({ type: 'attributes', attributes: { [key]: value } });
  }

  /**
   * Gives the SDK the newest token for a user. A token for another user or already expired
   * (by server time) is refused at once and reported to the listeners.
   *
   * @example
   * signet.passAuthenticationDetails({ type: 'jwt', token, userIdentifier: 'user-42' });
   */
  passAuthenticationDetails(details: { type: 'jwt'; token: string; userIdentifier: string }): void {
    // No event is lost here, so nothing counts as dropped: the problem is only logged.
    if (details?.type !== 'jwt') return this.log("passAuthenticationDetails ignored: type must be 'jwt'");
    if (typeof details.token !== 'string' || details.token === '') {
      return this.log('passAuthenticationDetails ignored: token must be a non-empty string');
    }
    const bad = badId('passAuthenticationDetails: userIdentifier', details.userIdentifier);
    if (bad) return this.log(`passAuthenticationDetails ignored: ${bad}`);
    this.tokens.pass(details.userIdentifier, details.token);
  }

  /**
   * Calls `listener` once per authentication failure, one failure at a time. Returns a function
   * that removes it.
   *
   * @example
   * const off = signet.registerAuthenticationListener((error) => refreshToken(error.data.userIdentifier));
   */
  registerAuthenticationListener(listener: AuthenticationListener): () => void {
    if (typeof listener !== 'function') {
      this.log('registerAuthenticationListener ignored: listener must be a function');
      return () => {};
    }
    return this.listeners.add(listener);
  }

  /**
   * Sends everything that can be sent now (also while backing off); resolves when done.
   *
   * @example
   * await signet.flush();
   */
  async flush(): Promise<void> {
    await this.loop.run({ force: true });
    await this.storage.persist?.();
  }

  /** Another context queued events: make sure a pass runs within `flushIntervalMs`. */
  nudge(): void {
    this.loop.armInterval();
  }

  /** Sends the queue with `fetch(keepalive)` in ≤ 64 KiB batches: used when the page is hidden. */
  flushKeepalive(): Promise<unknown> {
    return this.loop.runNow({ force: true, keepalive: true });
  }

  /**
   * Logs the user out: sends their pending data first. If that fails for the token, their pending
   * data is deleted and never retried; if the network fails, it is kept, still bound to them.
   *
   * @example
   * await signet.logout();
   */
  async logout(): Promise<void> {
    const { userId } = this.identity.current();
    this.identity.reset();
    if (userId !== undefined) {
      const user = `i:${userId}`;
      const outcome = (await this.loop.run({ force: true, only: user })).get(user);
      if (outcome === 'jwt') {
        const ids = this.queue
          .load()
          .filter((item) => item.user === user)
          .map((item) => item.event.id);
        this.queue.remove(ids);
        this.tokens.prune(new Set());
        this.log(`logout: sync of user ${userId} failed for the token; deleted ${ids.length} pending events`);
      }
    }
    await this.storage.persist?.();
  }

  /** Starts a new session now (it also lifts the 10-failure pause). */
  startNewSession(): void {
    this.session.start();
  }

  stats(): SignetStats {
    const session = this.session.current();
    return {
      queued: this.queue.size,
      sent: this.counters.sent,
      dropped: this.counters.dropped,
      duplicatesAcknowledged: this.counters.duplicatesAcknowledged,
      authFailuresInSession: session.failures,
      state: session.paused ? 'paused-until-next-session' : this.loop.state,
      pausedReason: session.paused ? 'auth_failures' : null,
      storageFallbacks: this.counters.storageFallbacks,
    };
  }

  /** Stops timers (the queue stays stored). */
  close(): Promise<void> | undefined {
    this.loop.stop();
    return this.storage.persist?.();
  }

  /**
   * A call that cannot become an event: counted as dropped and logged, never thrown, so that a
   * bad argument can never break the host page (SPEC: no drop is silent).
   */
  private refuse(why: string): void {
    this.counters.dropped++;
    this.log(`dropped 1 event: ${why}`);
  }

  private enqueue(fields: EventFields): void {
    const now = this.clock.now();
    const sessionId = this.session.touch(now);
    const event = {
      id: uuidv7(now),
      timestamp: isoTime(now),
      sessionId,
      ...fields,
    } as BatchEvent;
    // The server refuses deeper events, and JSON.stringify would overflow the stack long before
    // a hostile depth: refuse here, at the call, rather than lose the whole batch later.
    if (nestingDepth(event, LIMITS.maxNestingDepth + 1) > LIMITS.maxNestingDepth + 1) {
      return this.refuse(
        `${event.type}: nests objects and arrays deeper than ${LIMITS.maxNestingDepth} levels`,
      );
    }
    let json: string;
    try {
      json = JSON.stringify(event);
    } catch (error) {
      // A cycle or a BigInt in the properties.
      return this.refuse(`${event.type}: the event is not JSON (${String(error)})`);
    }
    if (json.length * 3 > LIMITS.maxEventBytes && encoder.encode(json).length > LIMITS.maxEventBytes) {
      return this.refuse(`${event.type}: the event is larger than ${LIMITS.maxEventBytes} bytes`);
    }
    this.queue.add(this.identity.currentKeyJson(), event.id, json);
    if (this.queue.size >= this.options.flushAt) this.loop.schedule();
    else this.loop.armInterval();
  }
}
