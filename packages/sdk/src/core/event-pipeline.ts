import type { BatchEvent, EventContext } from '@signet/protocol';
import { type BeforeSend, runBeforeSend } from './before-send.ts';
import { encodeEvent } from './encode-event.ts';
import type { EventFields } from './event-checks.ts';
import { isoTime } from './iso-time.ts';
import { uuidv7 } from './uuid-v7.ts';

/** An event ready to store: its id and its JSON (what the size limit was checked on). */
export type PreparedEvent = { id: string; json: string } | { dropped: string };

/**
 * From an event's fields to the JSON that is queued, the same in every runtime: id, time,
 * session and `context` (a page event's properties start from `context.page`, as Segment's do);
 * the limits the server enforces, so that one bad event is refused at the call rather than
 * losing its whole batch later; then `beforeSend`, whose result is held to the same limits.
 */
export class EventPipeline {
  constructor(
    private readonly deps: {
      /** The context of an event made now. */
      context: () => EventContext;
      beforeSend?: BeforeSend | undefined;
      log: (message: string) => void;
    },
  ) {}

  /**
   * @example
   * pipeline.prepare({ type: 'track', name: 'Added to cart' }, Date.now(), sessionId);
   * // { id: '0190…', json: '{"id":"0190…","timestamp":"…","sessionId":"…","type":"track",…}' }
   */
  prepare(fields: EventFields, now: number, sessionId?: string): PreparedEvent {
    const context = this.deps.context();
    const event = { id: uuidv7(now), timestamp: isoTime(now), sessionId, ...fields, context } as BatchEvent;
    if (event.type === 'page' && context.page) {
      event.properties = { ...context.page, ...event.properties };
    }
    const encoded = encodeEvent(event);
    if (typeof encoded !== 'string') return encoded;
    const hook = this.deps.beforeSend;
    const json = hook ? runBeforeSend(hook, event, encoded, this.deps.log) : encoded;
    if (json === null) return { dropped: `${event.type}: beforeSend returned null` };
    return { id: event.id, json };
  }
}
