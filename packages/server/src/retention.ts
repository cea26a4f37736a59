import { setTimeout as sleep } from 'node:timers/promises';
import type { EventPosition } from './store/data-reader.ts';
import type { EventRetention } from './store/event-retention.ts';
import type { RegistryStore } from './store/registry-store.ts';

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  store: Pick<RegistryStore, 'listApps'> & EventRetention;
  /** The clock the cutoff is taken from; tests pass a frozen one. */
  now?: () => number;
  /** Rows per DELETE statement (default 5,000): one statement's lock time stays in milliseconds. */
  chunkSize?: number;
  /**
   * Least wait between two chunks (default 10 ms); the wait is at least as long as the chunk
   * took, so batches waiting for the writer get at least half of its time.
   */
  pauseMs?: number;
  /** Where a failed pass is reported; the next pass tries again. */
  onError?: (error: Error) => void;
}

/** What one pass deleted. */
export interface RetentionPass {
  deleted: number;
  chunks: number;
}

/**
 * Deletes the events each app no longer keeps (SPEC §5 `retentionDays`): for every app with a
 * retention, the events received more than that many days before `now()`, oldest first, in
 * bounded chunks, each starting after the previous one's newest row, with a pause between them
 * as long as the chunk took: ingestion is never held up by more than one chunk and has the
 * writer at least half the time. Apps with `retentionDays: null` keep everything. Instances
 * sharing a database may run passes at once: each deletes what the other has not.
 *
 * @example
 * const deleter = new RetentionDeleter({ store });
 * deleter.start(600_000); // a pass now and every 10 minutes
 * await deleter.stop();
 */
export class RetentionDeleter {
  readonly #store: RetentionOptions['store'];
  readonly #now: () => number;
  readonly #chunkSize: number;
  readonly #pauseMs: number;
  readonly #onError: (error: Error) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: RetentionOptions) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#chunkSize = options.chunkSize ?? 5_000;
    this.#pauseMs = options.pauseMs ?? 10;
    this.#onError = options.onError ?? (() => {});
    if (!Number.isInteger(this.#chunkSize) || this.#chunkSize < 1)
      throw new Error('chunkSize must be a whole number ≥ 1');
  }

  /** Runs a pass now and then every `intervalMs`; a pass still running when the next is due is not doubled. */
  start(intervalMs: number): void {
    const tick = () => {
      if (this.#running || this.#stopped) return;
      this.#running = this.runOnce()
        .catch((error: Error) => this.#onError(error))
        .finally(() => {
          this.#running = undefined;
        });
    };
    tick();
    this.#timer = setInterval(tick, intervalMs);
    // The deleter never keeps a process alive on its own.
    this.#timer.unref();
  }

  /** Stops the timer and waits for a pass in progress to end after its current chunk. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass over every app with a retention. */
  async runOnce(): Promise<RetentionPass> {
    const pass: RetentionPass = { deleted: 0, chunks: 0 };
    const now = this.#now();
    for (const app of await this.#store.listApps()) {
      if (app.retentionDays === null) continue;
      const before = now - app.retentionDays * DAY_MS;
      let after: EventPosition | null = null;
      for (;;) {
        if (this.#stopped) return pass;
        const started = performance.now();
        const chunk = await this.#store.deleteEventsBefore(app.id, before, this.#chunkSize, after);
        pass.deleted += chunk.deleted;
        pass.chunks += 1;
        if (chunk.deleted < this.#chunkSize) break;
        after = chunk.last;
        // Rest at least as long as the chunk took: the deleter holds the writer half the time at most.
        await sleep(Math.max(this.#pauseMs, performance.now() - started));
      }
    }
    return pass;
  }
}
