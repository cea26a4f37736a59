import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { JWTPayload } from 'jose';
import type { SigningAlgorithm } from './algorithms.ts';
import type { VerificationSettings } from './verification-settings.ts';

/** What a worker needs to make one check; `id` names it, so it is made once per worker. */
export interface WorkerCheckSpec {
  id: string;
  jwk: object;
  alg: SigningAlgorithm;
  settings: VerificationSettings;
}

/** A token, the request's clock in seconds, and the batch's specs to try, in order. */
type WorkerItem = [token: string, nowSeconds: number, specIndexes: number[]];

/** Every token one turn of the event loop sent to one worker, in one message. */
export interface WorkerBatch {
  batch: number;
  specs: WorkerCheckSpec[];
  items: WorkerItem[];
}

/** Per item: the position of the spec that said yes and the payload, or null when none did. */
export interface WorkerAnswer {
  batch: number;
  answers: (readonly [number, JWTPayload] | null)[];
}

/** A yes from the worker (which candidate, and the payload), or null when jose must judge. */
export type WorkerVerdict = { candidate: number; payload: JWTPayload } | null;

type Settle = (verdict: WorkerVerdict) => void;

interface FillingBatch {
  specs: WorkerCheckSpec[];
  specIndex: Map<string, number>;
  items: WorkerItem[];
  settles: Settle[];
}

const SEND_AT = 8;

const ENTRY = new URL('./verification-worker-entry.mjs', import.meta.url);

/**
 * One worker thread running the fast-jwt check (verification-worker.ts). Tokens handed to it
 * in one turn of the event loop travel in one message, because a message costs this thread
 * more than a token does. It keeps the process alive only while it loads or has work.
 */
class VerificationWorker {
  readonly #worker = new Worker(ENTRY);
  readonly #pending = new Map<number, Settle[]>();
  #filling: FillingBatch | null = null;
  #nextBatch = 0;
  ready = false;
  /** Settles true once the worker has loaded, false if it stops before that. */
  readonly loaded: Promise<boolean>;
  #settleLoaded: (loaded: boolean) => void = () => {};

  constructor(onGone: (worker: VerificationWorker, wasReady: boolean) => void) {
    this.loaded = new Promise((settle) => (this.#settleLoaded = settle));
    this.#worker.on('message', (message: 'ready' | WorkerAnswer) => {
      if (message === 'ready') {
        this.ready = true;
        this.#settleLoaded(true);
        if (this.#pending.size === 0) this.#worker.unref();
        return;
      }
      const settles = this.#pending.get(message.batch) ?? [];
      this.#pending.delete(message.batch);
      if (this.#pending.size === 0) this.#worker.unref();
      message.answers.forEach((answer, i) => {
        settles[i]?.(answer && { candidate: answer[0], payload: answer[1] });
      });
    });
    // Whatever stops the worker, its tokens go to jose on this thread, which judges them all.
    const gone = () => {
      const wasReady = this.ready;
      this.ready = false;
      this.#settleLoaded(false);
      for (const settles of this.#pending.values()) for (const settle of settles) settle(null);
      this.#pending.clear();
      onGone(this, wasReady);
    };
    this.#worker.on('error', gone);
    this.#worker.on('exit', gone);
  }

  check(candidates: WorkerCheckSpec[], token: string, nowSeconds: number): Promise<WorkerVerdict> {
    let filling = this.#filling;
    if (!filling) {
      filling = { specs: [], specIndex: new Map(), items: [], settles: [] };
      this.#filling = filling;
      const started = filling;
      queueMicrotask(() => {
        if (this.#filling === started) this.#send();
      });
    }
    const indexes = candidates.map((spec) => {
      let index = filling.specIndex.get(spec.id);
      if (index === undefined) {
        index = filling.specs.push(spec) - 1;
        filling.specIndex.set(spec.id, index);
      }
      return index;
    });
    filling.items.push([token, nowSeconds, indexes]);
    const verdict = new Promise<WorkerVerdict>((settle) => filling.settles.push(settle));
    // A long turn sends as it goes, so the worker is not idle while this thread reads the rest.
    if (filling.items.length === SEND_AT) this.#send();
    return verdict;
  }

  #send(): void {
    const filling = this.#filling;
    this.#filling = null;
    if (!filling) return;
    const batch = this.#nextBatch++;
    if (this.#pending.size === 0) this.#worker.ref();
    this.#pending.set(batch, filling.settles);
    try {
      this.#worker.postMessage({ batch, specs: filling.specs, items: filling.items } satisfies WorkerBatch);
    } catch {
      this.#pending.delete(batch);
      for (const settle of filling.settles) settle(null);
    }
  }
}

/** The machine's other cores, one worker each; this thread takes its share too. */
const WORKER_COUNT = Math.max(1, availableParallelism() - 1);

const workers: VerificationWorker[] = [];
let started = false;
let nextWorker = 0;

/**
 * How many workers can take tokens now. The first call starts them (they take a few hundred
 * milliseconds to load); one that stops after it was ready is replaced, one that never became
 * ready is not, so a worker that cannot load leaves every token on this thread.
 */
export function readyWorkerCount(): number {
  if (!started) {
    started = true;
    for (let i = 0; i < WORKER_COUNT; i++) startWorker();
  }
  let ready = 0;
  for (const worker of workers) if (worker.ready) ready++;
  return ready;
}

function startWorker(): void {
  workers.push(
    new VerificationWorker((gone, wasReady) => {
      const at = workers.indexOf(gone);
      if (at === -1) return;
      workers.splice(at, 1);
      if (wasReady) startWorker();
    }),
  );
}

/**
 * Checks `token` against each candidate on a worker thread, exactly as createThisThreadCheck
 * does here: the answer is a yes with its payload, or null (no, unsure, or no worker could
 * load), after which jose must judge. Ready workers take turns; before any is ready, the token
 * waits for the first to load.
 *
 * @example
 * await checkOnWorker([spec], token, nowSeconds); // { candidate: 0, payload } or null
 */
export function checkOnWorker(
  candidates: WorkerCheckSpec[],
  token: string,
  nowSeconds: number,
): Promise<WorkerVerdict> {
  if (readyWorkerCount() === 0) {
    const loading = workers.map((worker) => worker.loaded.then((loaded) => loaded || Promise.reject()));
    return Promise.any(loading).then(
      () => checkOnWorker(candidates, token, nowSeconds),
      () => null,
    );
  }
  for (let tries = 0; tries < workers.length; tries++) {
    const worker = workers[nextWorker++ % workers.length];
    if (worker?.ready) return worker.check(candidates, token, nowSeconds);
  }
  return Promise.resolve(null);
}
