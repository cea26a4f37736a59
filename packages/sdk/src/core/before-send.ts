import type { BatchEvent } from '@signet/protocol';
import { encodeEvent } from './encode-event.ts';
import { type EventFields, eventProblem } from './event-checks.ts';
import { isObject } from './stored-record.ts';

/**
 * `beforeSend` of `Signet.init`: sees each event as it is made (before it is stored) and
 * returns it, changed or not, or null to drop it.
 *
 * @example
 * beforeSend: (event) => {
 *   if (event.type === 'track' && event.name === 'Debug') return null;
 *   if (event.type === 'track') delete event.properties?.email;
 *   return event;
 * }
 */
export type BeforeSend = (event: BatchEvent) => BatchEvent | null;

/**
 * Runs the hook on a copy of the event (parsed from its JSON, so a hook that changes it and then
 * throws leaves the original whole); returns the JSON to store, or null to drop the event. A
 * hook that throws, or returns something else than an event or null, or an event the server
 * would refuse, is a bug in the hook, not a decision: it is logged and the original event goes.
 * The id, type, time and session stay the SDK's whatever the hook returns: deduplication and
 * sessions rest on them.
 */
export function runBeforeSend(
  hook: BeforeSend,
  event: BatchEvent,
  json: string,
  log: (message: string) => void,
): string | null {
  try {
    const result: unknown = hook(JSON.parse(json) as BatchEvent);
    if (result === null) return null;
    if (!isObject(result)) throw new Error('it returned neither an event nor null');
    const { id, type, timestamp, sessionId } = event;
    const changed = { ...result, id, type, timestamp, sessionId } as BatchEvent;
    if (sessionId === undefined) delete changed.sessionId;
    const problem =
      eventProblem(changed as EventFields) ??
      (changed.context === undefined || isObject(changed.context) ? null : 'context must be a plain object');
    if (problem) throw new Error(problem);
    const encoded = encodeEvent(changed);
    if (typeof encoded !== 'string') throw new Error(encoded.dropped);
    return encoded;
  } catch (error) {
    log(`beforeSend failed (${String(error)}): ${event.type} ${event.id} kept as it was`);
    return json;
  }
}
