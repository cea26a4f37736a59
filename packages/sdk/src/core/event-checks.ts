import type { BatchEvent } from '@signet/protocol';
import { LIMITS } from '@signet/protocol';
import { isObject } from './stored-record.ts';

/** An event before the SDK gives it an id, a time, a session and a context. */
export type EventFields = BatchEvent extends infer E
  ? E extends BatchEvent
    ? Omit<E, 'id' | 'timestamp' | 'sessionId' | 'context'>
    : never
  : never;

/** Why `value` is not a non-empty string of at most `max` characters, or null when it is. */
const badString = (what: string, value: unknown, max: number): string | null =>
  typeof value !== 'string' || value === '' || value.length > max
    ? `${what} must be a non-empty string of at most ${max} characters`
    : null;

/** Why `value` is not a usable id (user, anonymous), or null when it is. */
export const badId = (what: string, value: unknown): string | null =>
  badString(what, value, LIMITS.maxIdLength);

/**
 * Why the server would refuse these fields, or null: the checks a call's arguments get, and
 * again what a `beforeSend` hook returns. (Size and nesting are checked on the whole event.)
 *
 * @example
 * eventProblem({ type: 'track', name: '' }); // 'track: name must be a non-empty string of at most 256 characters'
 */
export function eventProblem(fields: EventFields): string | null {
  const { type } = fields;
  if (type === 'track' || type === 'page') {
    // A page may have no name; a track always has one.
    const nameProblem =
      type === 'page' && fields.name === undefined
        ? null
        : badString(`${type}: name`, fields.name, LIMITS.maxEventNameLength);
    if (nameProblem) return nameProblem;
    if (fields.properties !== undefined && !isObject(fields.properties)) {
      return `${type}: properties must be a plain object`;
    }
  } else if (type === 'attributes') {
    if (!isObject(fields.attributes) || Object.keys(fields.attributes).length === 0) {
      return 'attributes must be a non-empty plain object';
    }
  } else {
    // An alias: the SDK makes it itself, and beforeSend cannot change an event's type.
    return badId('alias: anonymousId', fields.anonymousId);
  }
  return null;
}
