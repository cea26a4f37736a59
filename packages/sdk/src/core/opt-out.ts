import type { StorageAdapter } from './runtime.ts';

/**
 * The visitor's choice not to be tracked, under its own storage key: read on every call, so a
 * choice made in one tab holds in the others at once, and kept across reloads and restarts
 * (where storage persists; a browser with storage disabled keeps it for the page's life).
 */
export class OptOut {
  constructor(
    private readonly storage: StorageAdapter,
    private readonly key: string,
  ) {}

  get optedOut(): boolean {
    return this.storage.getItem(this.key) === 'true';
  }

  set(optedOut: boolean): void {
    if (optedOut) this.storage.setItem(this.key, 'true');
    else this.storage.removeItem(this.key);
  }
}
