import type { Batch } from '@signet/protocol';
import type { Clock, Transport } from '../src/core/runtime.ts';

/** A clock that moves only when told to; due timers run in time order. */
export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  constructor(public time = Date.UTC(2026, 0, 1)) {}
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== handle);
  };
  /** When the next timer is due, or null. */
  nextAt(): number | null {
    return this.timers.length === 0 ? null : Math.min(...this.timers.map((t) => t.at));
  }
  /** Moves time forward, running each timer that comes due (and letting its promises settle). */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** Lets queued promise callbacks run (several rounds, for chains of awaits). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface SentRequest {
  url: string;
  headers: Record<string, string>;
  batch: Batch;
  keepalive: boolean;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'network-error';

/** A transport that records every request and answers from a script (200 by default). */
export function fakeTransport(answer: (request: SentRequest) => Answer = defaultAnswer) {
  const requests: SentRequest[] = [];
  const transport: Transport = async (url, init) => {
    const request = {
      url,
      headers: init.headers,
      batch: JSON.parse(init.body) as Batch,
      keepalive: init.keepalive === true,
    };
    requests.push(request);
    const a = answer(request);
    if (a === 'network-error') throw new TypeError('fetch failed');
    const headers = new Map(Object.entries(a.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      status: a.status,
      headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null },
      json: async () => a.body ?? {},
    };
  };
  return { transport, requests };
}

function defaultAnswer(request: SentRequest): Answer {
  return { status: 200, body: { accepted: request.batch.events.length, duplicates: 0 } };
}

export const jwtError = (code: string, reason: string) => ({
  status: 401,
  body: { error: { type: 'jwt', code, reason, message: `${code} ${reason}` } },
  headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
});

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT-shaped token (unsigned: the fake transport never verifies). */
export function fakeToken(
  claims: { sub?: string; exp?: number; [claim: string]: unknown },
  tag = '',
): string {
  return `${b64url({ alg: 'ES256', typ: 'JWT' })}.${b64url(claims)}.sig${tag}`;
}
