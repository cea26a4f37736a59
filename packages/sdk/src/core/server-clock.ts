import type { Clock } from './runtime.ts';

/**
 * Server time as learned from the `Date` header of responses, so expiry checks agree with
 * the server even when the device clock is wrong.
 */
export class ServerClock {
  private skewMs = 0;
  /** False until a response told the server's time: until then `now()` is the device's time. */
  known = false;
  constructor(private readonly clock: Clock) {}

  /** Records the server's `Date` header (second resolution; ignored when absent or unparseable). */
  observe(dateHeader: string | null): void {
    const server = dateHeader ? Date.parse(dateHeader) : Number.NaN;
    if (Number.isNaN(server)) return;
    this.skewMs = server - this.clock.now();
    this.known = true;
  }

  /** The current server time in milliseconds. */
  now(): number {
    return this.clock.now() + this.skewMs;
  }
}
