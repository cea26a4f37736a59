import type { JsonObject, JsonValue } from '@signet/protocol';
import type { AuthenticationListener } from './authentication-error.ts';
import type { Clock } from './runtime.ts';
import type { SignetClient, SignetStats } from './signet-client.ts';

/**
 * A clock that reports a given time while calls made earlier are replayed, so that their events
 * keep the time they were made at (and the session the time it was active at).
 */
export class ReplayClock implements Clock {
  /** While set, `now()` returns it. */
  replayingAt: number | undefined;

  constructor(private readonly base: Clock) {}

  now = (): number => this.replayingAt ?? this.base.now();
  setTimeout = (fn: () => void, ms: number): unknown => this.base.setTimeout(fn, ms);
  clearTimeout = (handle: unknown): void => this.base.clearTimeout(handle);
}

/** The calls of `SignetClient` an app makes (the browser's page-hide internals aside). */
export type SignetApi = Omit<SignetClient, 'nudge' | 'flushKeepalive'>;

/** A call made before the client existed, and when. */
interface Pending {
  at: number;
  /** True for calls that make an event (what `stats().queued` counts meanwhile). */
  event: boolean;
  run: (client: SignetClient) => void;
}

/**
 * The client of a runtime whose storage answers asynchronously (React Native's AsyncStorage):
 * `Signet.init` must return at once, but the client cannot read who the user is, the session,
 * the opt-out or the queue until the storage has been read. Calls made before are kept, in
 * order, with the time each was made, and replayed on the client once it exists: the outcome
 * is what the same calls would have done on a storage read at once (the user, the session, the
 * super properties and the opt-out all as stored), which events made on a guess of that state
 * and merged afterwards could not promise. `flush()`, `logout()` and `close()` wait for it.
 * Until then `isOptedOut()` answers from the calls made so far and `stats()` counts them.
 */
export class DeferredClient implements SignetApi {
  private client: SignetClient | undefined;
  private pending: Pending[] = [];
  private optedOutBeforeReady = false;
  private droppedBeforeReady = 0;
  /** Resolves once the client exists and the calls made before have been replayed. */
  readonly ready: Promise<void>;

  constructor(
    make: () => Promise<SignetClient>,
    private readonly clock: ReplayClock,
    /** Most calls kept while waiting (the oldest are let go beyond it, as the queue does). */
    private readonly maxPending: number,
    private readonly log: (message: string) => void,
    private readonly onClose: () => void = () => {},
  ) {
    this.ready = make().then((client) => {
      for (const call of this.pending) {
        this.clock.replayingAt = call.at;
        try {
          call.run(client);
        } finally {
          this.clock.replayingAt = undefined;
        }
      }
      if (this.pending.length > 0)
        this.log(`replayed ${this.pending.length} calls made before storage was read`);
      this.pending = [];
      this.client = client;
    });
  }

  identify(userId: string, traits?: JsonObject): void {
    this.later((c) => c.identify(userId, traits), true);
  }

  track(name: string, properties?: JsonObject): void {
    this.later((c) => c.track(name, properties), true);
  }

  page(name?: string, properties?: JsonObject): void {
    this.later((c) => c.page(name, properties), true);
  }

  setUserAttribute(key: string, value: JsonValue): void {
    this.later((c) => c.setUserAttribute(key, value), true);
  }

  register(properties: JsonObject): void {
    this.later((c) => c.register(properties));
  }

  unregister(key: string): void {
    this.later((c) => c.unregister(key));
  }

  optOut(): void {
    this.optedOutBeforeReady = true;
    this.later((c) => c.optOut());
  }

  optIn(): void {
    this.optedOutBeforeReady = false;
    this.later((c) => c.optIn());
  }

  isOptedOut(): boolean {
    return this.client ? this.client.isOptedOut() : this.optedOutBeforeReady;
  }

  passAuthenticationDetails(details: { type: 'jwt'; token: string; userIdentifier: string }): void {
    this.later((c) => c.passAuthenticationDetails(details));
  }

  registerAuthenticationListener(listener: AuthenticationListener): () => void {
    let off: (() => void) | undefined;
    let removed = false;
    this.later((c) => {
      if (!removed) off = c.registerAuthenticationListener(listener);
    });
    return () => {
      removed = true;
      off?.();
    };
  }

  startNewSession(): void {
    this.later((c) => c.startNewSession());
  }

  async flush(): Promise<void> {
    await this.ready;
    await this.client?.flush();
  }

  async logout(): Promise<void> {
    await this.ready;
    await this.client?.logout();
  }

  async close(): Promise<void> {
    this.onClose();
    await this.ready;
    await this.client?.close();
  }

  stats(): SignetStats {
    if (this.client) {
      const stats = this.client.stats();
      stats.dropped += this.droppedBeforeReady;
      return stats;
    }
    return {
      queued: this.pending.filter((call) => call.event).length,
      sent: 0,
      dropped: this.droppedBeforeReady,
      duplicatesAcknowledged: 0,
      authFailuresInSession: 0,
      state: 'idle',
      pausedReason: null,
      storageFallbacks: 0,
    };
  }

  /** Runs the call now when the client exists, else keeps it for the replay. */
  private later(run: (client: SignetClient) => void, event = false): void {
    if (this.client) return run(this.client);
    this.pending.push({ at: this.clock.now(), event, run });
    if (this.pending.length > this.maxPending) {
      this.pending.shift();
      this.droppedBeforeReady++;
      this.log('dropped 1 call made before storage was read: too many waiting');
    }
  }
}
