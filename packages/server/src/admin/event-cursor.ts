import { ApiError } from '../errors.ts';
import type { EventPosition } from '../store/data-reader.ts';

/*
 * A cursor names the last event of a page by its place in the keyset order (receivedAt, seq),
 * never by an offset: events that arrive during a walk sort before it (newest first) and do not
 * shift the pages still to come, so a walk yields each event exactly once. It is opaque to
 * clients (base64url of `v1.<receivedAt>.<seq>`) and read strictly: anything that is not exactly
 * what encodeCursor writes is a 400, so a truncated or edited cursor never reads a wrong page.
 */

const SHAPE = /^v1\.(0|[1-9][0-9]{0,15})\.([1-9][0-9]{0,15})$/;

/** The cursor that continues after `position`. */
export function encodeCursor(position: EventPosition): string {
  return Buffer.from(`v1.${position.receivedAt}.${position.seq}`).toString('base64url');
}

/** The position `cursor` names, or a 400 `INVALID_REQUEST` that does not repeat it. */
export function decodeCursor(cursor: string): EventPosition {
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  const match = SHAPE.exec(text);
  const receivedAt = Number(match?.[1]);
  const seq = Number(match?.[2]);
  if (
    !match ||
    // Base64url has many spellings of one text; only the one encodeCursor writes is accepted.
    encodeCursor({ receivedAt, seq }) !== cursor ||
    !Number.isSafeInteger(receivedAt) ||
    !Number.isSafeInteger(seq)
  ) {
    throw new ApiError('INVALID_REQUEST', 'invalid_field', 'The cursor is not one this server gave', [
      { pointer: '/cursor', message: 'must be a nextCursor from a previous page' },
    ]);
  }
  return { receivedAt, seq };
}
