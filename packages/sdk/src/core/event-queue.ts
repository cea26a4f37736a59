import type { BatchEvent } from '@signet/protocol';
import type { UserKey } from './identity.ts';
import type { StorageAdapter } from './runtime.ts';

/** One queued event and the user it is bound to. */
export interface QueuedEvent {
  user: UserKey;
  event: BatchEvent;
}

/**
 * The durable queue: one storage key per event (`<prefix><eventId>`), so that tabs sharing
 * the storage add and acknowledge events without rewriting each other's. UUIDv7 ids make key
 * order time order. Events stay stored until the server acknowledges them.
 */
export class EventQueue {
  /** Ids known to be stored, oldest first (refreshed from storage on every `load`). */
  private ids: string[] = [];

  constructor(
    private readonly storage: StorageAdapter,
    private readonly prefix: string,
    private readonly maxSize: number,
    private readonly onDrop: (count: number, why: string) => void,
    private readonly onFallback: () => void,
  ) {
    this.load();
  }

  get size(): number {
    return this.ids.length;
  }

  /**
   * Stores an event for a user, both given already serialised (the caller measured the event's
   * size on that text, and serialises the user key once per user); drops the oldest beyond
   * `maxQueueSize`.
   */
  add(userJson: string, id: string, eventJson: string): void {
    const record = `{"user":${userJson},"event":${eventJson}}`;
    if (this.storage.setItem(this.prefix + id, record) === false) this.onFallback();
    this.ids.push(id);
    let dropped = 0;
    while (this.ids.length > this.maxSize) {
      this.storage.removeItem(this.prefix + (this.ids.shift() as string));
      dropped++;
    }
    if (dropped > 0) this.onDrop(dropped, 'maxQueueSize reached, oldest dropped');
  }

  /** Every stored event, oldest first, re-read from storage (another tab may have changed it). */
  load(): QueuedEvent[] {
    const ids = this.storage
      .keys()
      .filter((key) => key.startsWith(this.prefix))
      .map((key) => key.slice(this.prefix.length))
      .sort();
    const items: QueuedEvent[] = [];
    this.ids = [];
    for (const id of ids) {
      const text = this.storage.getItem(this.prefix + id);
      try {
        const item = JSON.parse(text as string) as QueuedEvent;
        if (typeof item.user !== 'string' || item.event?.id !== id) throw new Error('bad record');
        items.push(item);
        this.ids.push(id);
      } catch {
        this.storage.removeItem(this.prefix + id);
        this.onDrop(1, `unreadable stored event ${id}`);
      }
    }
    return items;
  }

  remove(ids: readonly string[]): void {
    const gone = new Set(ids);
    for (const id of ids) this.storage.removeItem(this.prefix + id);
    this.ids = this.ids.filter((id) => !gone.has(id));
  }
}
