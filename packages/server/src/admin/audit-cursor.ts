import { ApiError } from '../errors.ts';

/*
 * An audit cursor names the last entry of a page by its id (entries are read newest first, by
 * id), so entries written during a walk never shift the pages still to come. Opaque to clients
 * (base64url of `a1.<id>`) and read strictly, like the events cursor: anything encodeAuditCursor
 * did not write is a 400 that does not repeat it.
 */

const SHAPE = /^a1\.([1-9][0-9]{0,15})$/;

export function encodeAuditCursor(id: number): string {
  return Buffer.from(`a1.${id}`).toString('base64url');
}

/** The id `cursor` names, or a 400 `INVALID_REQUEST`. */
export function decodeAuditCursor(cursor: string): number {
  const match = SHAPE.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  const id = Number(match?.[1]);
  if (!match || !Number.isSafeInteger(id) || encodeAuditCursor(id) !== cursor) {
    throw new ApiError('INVALID_REQUEST', 'invalid_field', 'The cursor is not one this server gave', [
      { pointer: '/cursor', message: 'must be a nextCursor from a previous page' },
    ]);
  }
  return id;
}
