import type { JsonObject } from '@signet/protocol';
import type { AuthenticationListener } from './authentication-error.ts';
import { badId, type EventFields, eventProblem } from './event-checks.ts';
import { EventPipeline } from './event-pipeline.ts';
import { EventQueue } from './event-queue.ts';
import type { UserKey } from './identity.ts';
import { Listeners } from './listeners.ts';
import { ManyUserTokenStore } from './many-user-tokens.ts';
import { type ResolvedOptions, resolveOptions, type SignetOptions } from './options.ts';
import { type Clock, noLocks, type StorageAdapter, systemClock } from './runtime.ts';
import { ServerClock } from './server-clock.ts';
import { type Runtime, SDK_VERSION } from './signet-client.ts';
import { isObject } from './stored-record.ts';
import { type Counters, SyncLoop, type SyncState } from './sync-loop.ts';
import { memoryTokens, storedTokens } from './token-store.ts';
import { UserAuthFailures } from './user-auth-failures.ts';

/**
 * Options of `SignetBackend.init`: those of `Signet.init` without sessions and tab locks. JWT is
 * on unless `networkRequest.authorization.jwtEnabled` is `false`: sending each user's data with
 * that user's token is what the backend is for.
 */
export type SignetBackendOptions = Omit<SignetOptions, 'sessionTimeoutMinutes' | 'locks'>;

/** Who a backend call is for, and optionally that user's newest token. */
export interface BackendUser {
  userId: string;
  /** The user's JWT: attached to this and every later batch of theirs until a newer one. */
  token?: string;
}

/** What `stats()` of a backend reports. */
export interface SignetBackendStats {
  /** Events held and not yet acknowledged, all users together. */
  queued: number;
  sent: number;
  /** As the client's: refused as invalid (400/413), beyond `maxQueueSize`, bad calls, `beforeSend`. */
  dropped: number;
  duplicatesAcknowledged: number;
  /** Users whose data waits for a token given with a call after 10 refusals in a row. */
  usersPaused: number;
  state: Exclude<SyncState, 'paused-until-next-session'>;
  storageFallbacks: number;
}

/**
 * Server-side tracking on behalf of many users (SPEC §6.2): each call names its user, events are
 * batched per user, and each batch carries only that user's token (the newest given with a call,
 * or from `tokenProvider`). The queue, the sync loop, the token store and the event pipeline are
 * the client's; what the client adds around one current user (identity, session, super
 * properties, opt-out) is not here. Nothing is kept on disk unless `storage` is given.
 */
export class SignetBackendClient {
  private readonly options: ResolvedOptions;
  private readonly storage: StorageAdapter;
  private readonly clock: Clock;
  private readonly queue: EventQueue;
  private readonly tokens: ManyUserTokenStore;
  private readonly failures: UserAuthFailures;
  private readonly listeners: Listeners;
  private readonly loop: SyncLoop;
  private readonly pipeline: EventPipeline;
  private readonly counters: Counters = {
    sent: 0,
    dropped: 0,
    duplicatesAcknowledged: 0,
    storageFallbacks: 0,
  };
  private readonly log: (message: string) => void;

  constructor(options: SignetBackendOptions, runtime: Runtime) {
    const resolved = resolveOptions(options, 'SignetBackend.init');
    this.options = {
      ...resolved,
      jwtEnabled: options.networkRequest?.authorization?.jwtEnabled !== false,
    };
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
    const sdk = { name: runtime.sdkName, version: SDK_VERSION };
    // The library only: the process's locale and time zone are the server's, not the user's.
    const context = Object.freeze({ library: { ...sdk } });
    this.pipeline = new EventPipeline({
      context: () => context,
      beforeSend: this.options.beforeSend,
      log: this.log,
    });
    this.failures = new UserAuthFailures(this.log);
    const provider = this.options.tokenProvider;
    this.tokens = new ManyUserTokenStore(
      // In memory, tokens change without rewriting every user's; with `storage`, they persist
      // with the queue so that data kept across a restart can still be sent.
      options.storage ? storedTokens(this.storage, `${prefix}tokens`) : memoryTokens(),
      serverClock,
      this.listeners,
      provider &&
        ((userId) => {
          if (!this.failures.paused(`i:${userId}`)) return provider(userId);
          this.log(`tokenProvider not asked for user ${userId}: 10 refusals in a row`);
          return null;
        }),
      (userId) => this.loop.retryUser(userId),
      this.log,
      this.options.userIdClaim,
    );
    this.tokens.failures = this.failures;
    this.loop = new SyncLoop({
      options: this.options,
      queue: this.queue,
      tokens: this.tokens,
      session: this.failures,
      listeners: this.listeners,
      serverClock,
      clock: this.clock,
      transport: options.transport ?? runtime.transport,
      locks: noLocks,
      random: options.random ?? Math.random,
      counters: this.counters,
      sdk,
      currentUserId: () => undefined,
      optedOut: () => false,
      log: this.log,
    });
    if (this.queue.size > 0) this.loop.armInterval();
  }

  /**
   * Records an event for a user.
   *
   * @example
   * backend.track({ userId: 'user-42', token, name: 'Invoice paid', properties: { amount: 120 } });
   */
  track(call: BackendUser & { name: string; properties?: JsonObject }): void {
    const user = this.user(call, 'track');
    if (user === null) return;
    const { name, properties } = call;
    this.emit(user, properties === undefined ? { type: 'track', name } : { type: 'track', name, properties });
  }

  /**
   * Stores traits on a user's profile (an `attributes` event; verified when the batch's token
   * verifies). Without traits it only takes the token.
   *
   * @example
   * backend.identify({ userId: 'user-42', token, traits: { plan: 'pro' } });
   */
  identify(call: BackendUser & { traits?: JsonObject }): void {
    const user = this.user(call, 'identify');
    if (user === null) return;
    const { traits } = call;
    if (traits === undefined || (isObject(traits) && Object.keys(traits).length === 0)) return;
    this.emit(user, { type: 'attributes', attributes: traits });
  }

  /**
   * Records a page (or screen) view for a user; there is no page in a server, so its properties
   * are what the call gives.
   *
   * @example
   * backend.page({ userId: 'user-42', name: 'Invoice', properties: { path: '/invoices/7' } });
   */
  page(call: BackendUser & { name?: string; properties?: JsonObject }): void {
    const user = this.user(call, 'page');
    if (user === null) return;
    const { name, properties } = call;
    this.emit(user, {
      type: 'page',
      ...(name !== undefined && name !== null && { name }),
      ...(properties !== undefined && { properties }),
    });
  }

  /**
   * Calls `listener` once per authentication failure of any user (`error.data.userIdentifier`
   * says whose), one failure at a time. Returns a function that removes it.
   *
   * @example
   * backend.registerAuthenticationListener((error) => metrics.count(error.data.code));
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
   * await backend.flush();
   */
  async flush(): Promise<void> {
    await this.loop.run({ force: true });
    await this.storage.persist?.();
  }

  /**
   * Sends what is queued, then stops the timers: call it before the process exits. What could
   * not be sent (the server unreachable, users without a usable token) stays in `storage`, and
   * is lost with the process when there is none.
   *
   * @example
   * process.on('SIGTERM', async () => { await backend.close(); process.exit(0); });
   */
  async close(): Promise<void> {
    await this.flush();
    this.loop.stop();
    if (this.queue.size > 0) this.log(`closed with ${this.queue.size} events not sent`);
  }

  stats(): SignetBackendStats {
    return {
      queued: this.queue.size,
      sent: this.counters.sent,
      dropped: this.counters.dropped,
      duplicatesAcknowledged: this.counters.duplicatesAcknowledged,
      usersPaused: this.failures.pausedUsers(),
      state: this.loop.state as SignetBackendStats['state'],
      storageFallbacks: this.counters.storageFallbacks,
    };
  }

  /**
   * The call's user key, after taking its token; null (the call dropped, counted) when the call
   * names no usable user. A bad token drops nothing: it is ignored with a log line.
   */
  private user(call: BackendUser, what: string): UserKey | null {
    const bad = isObject(call) ? badId(`${what}: userId`, call.userId) : `${what}: expects an object`;
    if (bad) {
      this.refuse(bad);
      return null;
    }
    const { userId, token } = call;
    const user = `i:${userId}`;
    if (token === undefined) return user;
    if (!this.options.jwtEnabled) {
      this.log(`${what}: token of user ${userId} ignored: JWT is disabled`);
    } else if (typeof token !== 'string' || token === '') {
      this.log(`${what}: token of user ${userId} ignored: it must be a non-empty string`);
    } else {
      // Only a new usable token lifts the 10-refusal wait; the refused one given again does not.
      if (this.tokens.pass(userId, token)) this.failures.resume(user);
    }
    return user;
  }

  private refuse(why: string): void {
    this.counters.dropped++;
    this.log(`dropped 1 event: ${why}`);
  }

  private emit(user: UserKey, fields: EventFields): void {
    const problem = eventProblem(fields);
    if (problem) return this.refuse(problem);
    const prepared = this.pipeline.prepare(fields, this.clock.now());
    if ('dropped' in prepared) return this.refuse(prepared.dropped);
    this.queue.add(JSON.stringify(user), prepared.id, prepared.json);
    if (this.queue.size >= this.options.flushAt) this.loop.schedule();
    else this.loop.armInterval();
  }
}
