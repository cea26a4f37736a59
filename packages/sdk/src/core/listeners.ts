import type { AuthenticationError, AuthenticationListener } from './authentication-error.ts';

/**
 * Authentication listeners, called one failure at a time: a listener that returns a promise is
 * awaited before the next failure is dispatched, and a throwing listener is logged and ignored.
 */
export class Listeners {
  private readonly listeners = new Set<AuthenticationListener>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly log: (message: string) => void) {}

  add(listener: AuthenticationListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Queues one failure for every listener; resolves when they have all run. */
  dispatch(error: AuthenticationError): Promise<void> {
    const { code, reason, userIdentifier } = error.data;
    this.log(`auth error ${code}/${reason} for user ${userIdentifier}`);
    this.chain = this.chain.then(async () => {
      for (const listener of [...this.listeners]) {
        try {
          await listener(error);
        } catch (thrown) {
          this.log(`authentication listener threw: ${String(thrown)}`);
        }
      }
    });
    return this.chain;
  }
}
