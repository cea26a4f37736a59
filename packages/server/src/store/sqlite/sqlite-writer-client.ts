import { Worker } from 'node:worker_threads';
import type { IngestionRecord } from '../batch-rules.ts';
import type { StoredBatch } from '../ingestion-writer.ts';
import { StorageUnavailableError } from '../storage-unavailable.ts';
import type { WrittenGroup } from '../written-group.ts';
import type { SqliteConnectionOptions } from './sqlite-connection.ts';
import type { WriteAnswer, WriteRequest } from './sqlite-writer-thread.ts';

interface Waiting {
  resolve: (stored: StoredBatch) => void;
  reject: (error: unknown) => void;
}

/**
 * Writes batches through a worker thread (sqlite-writer-thread) that owns its own connection to
 * the file, so the event loop goes on parsing and verifying requests while SQLite inserts and
 * waits for the disk. Each write is answered once its group is committed. The thread starts at
 * the first write; should it die, the writes waiting on it fail with 503 and the next write
 * starts a new one.
 *
 * @example
 * const writer = new SqliteWriterClient({ filename: './signet.db' });
 * const { accepted } = await writer.write({ batch });
 * await writer.close();
 */
export class SqliteWriterClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  /** Called when the last write in flight is answered (close waits for it). */
  private onIdle: (() => void) | null = null;

  constructor(
    private readonly options: SqliteConnectionOptions,
    /** Told of each group the thread has written. */
    private readonly written: (group: WrittenGroup) => void = () => {},
  ) {}

  write(record: IngestionRecord): Promise<StoredBatch> {
    return this.ask((id) => ({ id, record }));
  }

  /**
   * Starts the thread, if it is not running, and waits until it answers: a server calls it
   * before it listens, so that its first batch does not wait for the thread to load.
   */
  async ready(): Promise<void> {
    await this.ask((id) => ({ id, ready: true }));
  }

  private ask(request: (id: number) => WriteRequest): Promise<StoredBatch> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve, reject });
      worker.postMessage(request(id));
    });
  }

  /** Waits for the writes in flight, then lets the thread close its connection and end. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    if (this.waiting.size > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
    this.worker = null;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // Held until it has ended: otherwise a process with nothing else to do would exit first.
    worker.ref();
    worker.postMessage({ close: true } satisfies WriteRequest);
    await exited;
  }

  private start(): Worker {
    const worker = spawnWriterThread(this.options);
    this.worker = worker;
    worker.on('message', (answer: WriteAnswer) => {
      if ('group' in answer) {
        this.written(answer.group);
        return;
      }
      const waiting = this.waiting.get(answer.id);
      if (!waiting) return;
      this.waiting.delete(answer.id);
      if ('stored' in answer) waiting.resolve(answer.stored);
      else waiting.reject(Object.assign(new Error(answer.error.message), answer.error));
      if (this.waiting.size === 0) this.idle(worker);
    });
    const lost = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      const gone = new StorageUnavailableError(`the SQLite writer thread stopped: ${error.message}`, {
        cause: error,
      });
      for (const waiting of this.waiting.values()) waiting.reject(gone);
      this.waiting.clear();
      this.idle(worker);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`exit code ${code}`)));
    worker.unref();
    return worker;
  }

  /** No write in flight: the thread no longer keeps the process alive, and close may go on. */
  private idle(worker: Worker): void {
    worker.unref();
    this.onIdle?.();
    this.onIdle = null;
  }
}

/**
 * The compiled thread (what `signet serve` runs), or, when this module runs from its TypeScript
 * source (tests, dev tools), the source thread loaded through tsx as its parent was.
 */
function spawnWriterThread(options: SqliteConnectionOptions): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts'))
    return new Worker(new URL('./sqlite-writer-thread.js', here), { workerData: options });
  const source = JSON.stringify(new URL('./sqlite-writer-thread.ts', here).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${source}); })`, {
    eval: true,
    workerData: options,
    execArgv: ['--conditions=@signet/source'],
  });
}
